import { activate, activateV } from "../activation";

// Register tile of the SIMD micro-kernel: 4 output pixels x 8 output channels = 8 v128
// accumulators, 2 weight vectors and 1 splatted input: 11 of the 15 xmm registers V8 hands out
// (a 6x8 tile spills and runs at half speed: docs/design.md).
const TILE_M: i32 = 4;
// Output channels a packed weight panel holds (two v128).
const PANEL: i32 = 8;
// Output pixels a cache block: the block's input rows stay in L2 while every panel passes over them.
const BLOCK_M: i32 = 128;

/**
 * Convolution as an implicit GEMM over NHWC tensors: general, grouped, pointwise (1x1) and fully
 * connected (1x1 on a 1x1 map) all run here. Rows of the GEMM are output pixels (batch folded in),
 * columns are output channels, K runs over the taps and the group's input channels. Padding taps
 * read `zero` instead of the input, so no im2col buffer is built.
 *
 * input:   [batch, inH, inW, inC] f32; output: [batch, outH, outW, outC] f32 (no aliasing).
 * weights: packed by the host (src/ops/pack.ts): for each group, for each panel of 8 output
 *          channels of that group: 8 biases, then for each tap (kh, kw) and each input channel of
 *          the group 8 weights; columns past the group's last output channel hold zeros.
 * zero:    at least inC / groups zero floats.
 * act:     activation code (assembly/activation.ts) applied before the store.
 * Preconditions: inC and outC divisible by groups; every size >= 1.
 */
export function conv2d_f32(
  input: usize, output: usize, weights: usize, zero: usize,
  batch: i32, inH: i32, inW: i32, inC: i32, outH: i32, outW: i32, outC: i32,
  kH: i32, kW: i32, strideH: i32, strideW: i32, padT: i32, padL: i32, dilH: i32, dilW: i32,
  groups: i32, act: i32,
): void {
  const cinG = inC / groups;
  const coutG = outC / groups;
  const panels = (coutG + PANEL - 1) / PANEL;
  const panelBytes = <usize>(PANEL + kH * kW * cinG * PANEL) << 2;
  const plane = outH * outW;
  const m = batch * plane;
  for (let mb = 0; mb < m; mb += BLOCK_M) {
    const me = min(mb + BLOCK_M, m);
    for (let g = 0; g < groups; g++) {
      const inG = input + (<usize>(g * cinG) << 2);
      for (let p = 0; p < panels; p++) {
        const wp = weights + <usize>(g * panels + p) * panelBytes;
        const outP = output + (<usize>(g * coutG + p * PANEL) << 2);
        const nc = min(PANEL, coutG - p * PANEL);
        for (let m0 = mb; m0 < me; m0 += TILE_M) {
          // Rows past the end repeat the last pixel: computed, never stored.
          const r1 = min(m0 + 1, me - 1), r2 = min(m0 + 2, me - 1), r3 = min(m0 + 3, me - 1);
          const rows = min(TILE_M, me - m0);
          const ih0 = (m0 % plane) / outW * strideH - padT, iw0 = m0 % outW * strideW - padL;
          const ih1 = (r1 % plane) / outW * strideH - padT, iw1 = r1 % outW * strideW - padL;
          const ih2 = (r2 % plane) / outW * strideH - padT, iw2 = r2 % outW * strideW - padL;
          const ih3 = (r3 % plane) / outW * strideH - padT, iw3 = r3 % outW * strideW - padL;
          const imgBytes = <usize>(inH * inW * inC) << 2;
          const in0 = inG + <usize>(m0 / plane) * imgBytes, in1 = inG + <usize>(r1 / plane) * imgBytes;
          const in2 = inG + <usize>(r2 / plane) * imgBytes, in3 = inG + <usize>(r3 / plane) * imgBytes;
          const out0 = outP + (<usize>(m0 * outC) << 2);
          const rowBytes = <usize>outC << 2;
          if (ASC_FEATURE_SIMD) {
            const b = wp;
            let c00 = v128.load(b), c01 = v128.load(b, 16);
            let c10 = c00, c11 = c01, c20 = c00, c21 = c01, c30 = c00, c31 = c01;
            let w = wp + (<usize>PANEL << 2);
            for (let kh = 0; kh < kH; kh++) {
              const dh = kh * dilH;
              for (let kw = 0; kw < kW; kw++) {
                const dw = kw * dilW;
                let a0 = tap(in0, zero, ih0 + dh, iw0 + dw, inH, inW, inC);
                let a1 = tap(in1, zero, ih1 + dh, iw1 + dw, inH, inW, inC);
                let a2 = tap(in2, zero, ih2 + dh, iw2 + dw, inH, inW, inC);
                let a3 = tap(in3, zero, ih3 + dh, iw3 + dw, inH, inW, inC);
                for (let k = 0; k < cinG; k++) {
                  const b0 = v128.load(w), b1 = v128.load(w, 16);
                  let x = v128.load32_splat(a0);
                  c00 = f32x4.add(c00, f32x4.mul(x, b0)); c01 = f32x4.add(c01, f32x4.mul(x, b1));
                  x = v128.load32_splat(a1);
                  c10 = f32x4.add(c10, f32x4.mul(x, b0)); c11 = f32x4.add(c11, f32x4.mul(x, b1));
                  x = v128.load32_splat(a2);
                  c20 = f32x4.add(c20, f32x4.mul(x, b0)); c21 = f32x4.add(c21, f32x4.mul(x, b1));
                  x = v128.load32_splat(a3);
                  c30 = f32x4.add(c30, f32x4.mul(x, b0)); c31 = f32x4.add(c31, f32x4.mul(x, b1));
                  a0 += 4; a1 += 4; a2 += 4; a3 += 4; w += <usize>PANEL << 2;
                }
              }
            }
            storeRow(out0, activateV(c00, act), activateV(c01, act), nc);
            if (rows > 1) storeRow(out0 + rowBytes, activateV(c10, act), activateV(c11, act), nc);
            if (rows > 2) storeRow(out0 + 2 * rowBytes, activateV(c20, act), activateV(c21, act), nc);
            if (rows > 3) storeRow(out0 + 3 * rowBytes, activateV(c30, act), activateV(c31, act), nc);
          } else {
            // Scalar registers hold a 2x4 tile (the best scalar shape measured): the 4x8 tile is
            // covered by two row pairs times two column halves over the same packed panel.
            for (let half = 0; half < 2; half++) {
              const ncHalf = min(4, nc - half * 4);
              if (ncHalf <= 0) break;
              const wh = wp + (<usize>(half * 4) << 2);
              const outH0 = out0 + (<usize>(half * 4) << 2);
              tile2x4Scalar(in0, ih0, iw0, in1, ih1, iw1, zero, wh, outH0, outH0 + rowBytes,
                rows > 1, ncHalf, inH, inW, inC, kH, kW, dilH, dilW, cinG, act);
              if (rows > 2) {
                tile2x4Scalar(in2, ih2, iw2, in3, ih3, iw3, zero, wh, outH0 + 2 * rowBytes,
                  outH0 + 3 * rowBytes, rows > 3, ncHalf, inH, inW, inC, kH, kW, dilH, dilW, cinG, act);
              }
            }
          }
        }
      }
    }
  }
}

// Address of input pixel (ih, iw)'s first channel of the group, or the zero row for padding.
@inline function tap(img: usize, zero: usize, ih: i32, iw: i32, inH: i32, inW: i32, inC: i32): usize {
  return <u32>ih < <u32>inH && <u32>iw < <u32>inW
    ? img + (<usize>((ih * inW + iw) * inC) << 2)
    : zero;
}

@inline function storeRow(dst: usize, lo: v128, hi: v128, nc: i32): void {
  if (nc == PANEL) {
    v128.store(dst, lo);
    v128.store(dst, hi, 16);
    return;
  }
  // Edge panel: the group ends inside this panel.
  if (nc >= 4) {
    v128.store(dst, lo);
    if (nc > 4) store<f32>(dst, f32x4.extract_lane(hi, 0), 16);
    if (nc > 5) store<f32>(dst, f32x4.extract_lane(hi, 1), 20);
    if (nc > 6) store<f32>(dst, f32x4.extract_lane(hi, 2), 24);
  } else {
    store<f32>(dst, f32x4.extract_lane(lo, 0));
    if (nc > 1) store<f32>(dst, f32x4.extract_lane(lo, 1), 4);
    if (nc > 2) store<f32>(dst, f32x4.extract_lane(lo, 2), 8);
  }
}

// Two output pixels x four output channels; `w` points at the panel's bias column of this half.
function tile2x4Scalar(
  inA: usize, ihA: i32, iwA: i32, inB: usize, ihB: i32, iwB: i32, zero: usize,
  w: usize, outA: usize, outB: usize, hasB: bool, nc: i32,
  inH: i32, inW: i32, inC: i32, kH: i32, kW: i32, dilH: i32, dilW: i32, cinG: i32, act: i32,
): void {
  let a0 = load<f32>(w), a1 = load<f32>(w, 4), a2 = load<f32>(w, 8), a3 = load<f32>(w, 12);
  let b0 = a0, b1 = a1, b2 = a2, b3 = a3;
  w += <usize>PANEL << 2;
  for (let kh = 0; kh < kH; kh++) {
    for (let kw = 0; kw < kW; kw++) {
      let pa = tap(inA, zero, ihA + kh * dilH, iwA + kw * dilW, inH, inW, inC);
      let pb = tap(inB, zero, ihB + kh * dilH, iwB + kw * dilW, inH, inW, inC);
      for (let k = 0; k < cinG; k++) {
        const xa = load<f32>(pa), xb = load<f32>(pb);
        const w0 = load<f32>(w), w1 = load<f32>(w, 4), w2 = load<f32>(w, 8), w3 = load<f32>(w, 12);
        a0 += xa * w0; a1 += xa * w1; a2 += xa * w2; a3 += xa * w3;
        b0 += xb * w0; b1 += xb * w1; b2 += xb * w2; b3 += xb * w3;
        pa += 4; pb += 4; w += <usize>PANEL << 2;
      }
    }
  }
  store<f32>(outA, activate(a0, act));
  if (nc > 1) store<f32>(outA, activate(a1, act), 4);
  if (nc > 2) store<f32>(outA, activate(a2, act), 8);
  if (nc > 3) store<f32>(outA, activate(a3, act), 12);
  if (!hasB) return;
  store<f32>(outB, activate(b0, act));
  if (nc > 1) store<f32>(outB, activate(b1, act), 4);
  if (nc > 2) store<f32>(outB, activate(b2, act), 8);
  if (nc > 3) store<f32>(outB, activate(b3, act), 12);
}
