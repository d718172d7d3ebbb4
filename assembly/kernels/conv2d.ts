import { activate, activateCheapV, activateSplitV, isCheap } from "../activation";
import { activation_f32 } from "./eltwise";
import { madd } from "../simd";
import { storedBytes, unpack_weights, WEIGHTS_F32 } from "./weights";

// Register tile of the SIMD micro-kernel: 4 output pixels x 8 output channels = 8 v128
// accumulators, 2 weight vectors and 1 splatted input: 11 of the 15 xmm registers V8 hands out
// (a 6x8 tile spills and runs at half speed: docs/design.md).
const TILE_M: i32 = 4;
// Output channels a packed weight panel holds (two v128).
export const PANEL: i32 = 8;
// Output pixels a cache block: the block's input rows stay in L2 while every panel passes over them.
// f32 ran the same from 32 to 512 (docs/design.md); int8 and fp16 panels are expanded once a block,
// and 256 rather than 128 halved that (SE-ResNet-50 fp16: 1.06 -> 1.03 of the f32 time).
const BLOCK_M: i32 = 256;

/**
 * Convolution as an implicit GEMM over NHWC tensors: general, grouped, pointwise (1x1) and fully
 * connected (1x1 on a 1x1 map) all run here. Rows of the GEMM are output pixels (batch folded in),
 * columns are output channels, K runs over the taps and the group's input channels. Padding taps
 * read `zero` instead of the input, so no im2col buffer is built.
 *
 * input:   [batch, inH, inW, inC] f32; output: [batch, outH, outW, outC] f32 (no aliasing), its
 *          pixels outStride floats apart (outC when dense; more when writing a channel slice
 *          of a concatenation's output in place).
 * weights: packed by the host (src/ops/pack.ts): for each group, for each panel of 8 output
 *          channels of that group: 8 biases, then for each tap (kh, kw) and each input channel of
 *          the group 8 weights; columns past the group's last output channel hold zeros.
 * zero:    at least inC / groups zero floats.
 * act:     activation code (assembly/activation.ts) applied before the store.
 * means:   0, or [batch, outC] f32 that receives each image's channel means of the output (the
 *          SE squeeze of this conv's output, summed block by block while the block's output is
 *          still in cache instead of in a pass over the whole map afterwards).
 * Preconditions: inC and outC divisible by groups; every size >= 1.
 * SIMD build: a single GEMM row (FC at batch 1) runs through gemv, pointwise convs through
 * pointwise4x8, everything else through tile4x8; the scalar build through tile2x4Scalar. All sum each output in the same order
 * (bias, then K in order). The op table sends convs with at most 4 input channels (the stems) to
 * conv2d_im2col_f32 (conv2d_im2col.ts), which runs their gathered windows through gemmRange.
 */
export function conv2d_f32(
  input: usize, output: usize, weights: usize, zero: usize,
  batch: i32, inH: i32, inW: i32, inC: i32, outH: i32, outW: i32, outC: i32,
  kH: i32, kW: i32, strideH: i32, strideW: i32, padT: i32, padL: i32, dilH: i32, dilW: i32,
  groups: i32, act: i32, means: usize, outStride: i32, format: i32, scratch: usize,
): void {
  const panels = (outC / groups + PANEL - 1) / PANEL;
  const plane = outH * outW;
  const m = batch * plane;
  if (means) memory.fill(means, 0, <usize>(batch * outC) << 2);
  if (ASC_FEATURE_SIMD && m == 1 && isPointwise(kH, kW, strideH, strideW, padT, padL, inH, inW, outH, outW)) {
    gemvRange(input, output, weights, inC, outC, groups, act, format, scratch, 0, panels);
    if (means) memory.copy(means, output, <usize>outC << 2); // one pixel: its own mean
    return;
  }
  gemmRange(input, output, weights, zero, batch, inH, inW, inC, outH, outW, outC, kH, kW, strideH, strideW,
    padT, padL, dilH, dilW, groups, act, means, outStride, format, scratch, 0, m, 0, panels);
  if (means) scaleMeans(means, batch * outC, plane);
}

/**
 * conv2d_f32 over output pixels [mBegin, mEnd) (batch folded in) and, in every group, panels of 8
 * output channels [pBegin, pEnd): one thread's share of a conv split across threads (threaded
 * builds only). Each output is summed as conv2d_f32 sums it, so the split outputs are bitwise
 * those of one call. No channel means: conv_means_f32 makes them once every share is written.
 */
export function conv2d_f32_part(
  input: usize, output: usize, weights: usize, zero: usize,
  batch: i32, inH: i32, inW: i32, inC: i32, outH: i32, outW: i32, outC: i32,
  kH: i32, kW: i32, strideH: i32, strideW: i32, padT: i32, padL: i32, dilH: i32, dilW: i32,
  groups: i32, act: i32, outStride: i32, format: i32, scratch: usize,
  mBegin: i32, mEnd: i32, pBegin: i32, pEnd: i32,
): void {
  if (!ASC_FEATURE_THREADS) unreachable();
  if (ASC_FEATURE_SIMD && batch * outH * outW == 1 && isPointwise(kH, kW, strideH, strideW, padT, padL, inH, inW, outH, outW)) {
    gemvRange(input, output, weights, inC, outC, groups, act, format, scratch, pBegin, pEnd);
    return;
  }
  gemmRange(input, output, weights, zero, batch, inH, inW, inC, outH, outW, outC, kH, kW, strideH, strideW,
    padT, padL, dilH, dilW, groups, act, 0, outStride, format, scratch, mBegin, mEnd, pBegin, pEnd);
}

/**
 * The one-row GEMM (an FC at batch 1, a 1x1 conv of a 1x1 map) over panels [pBegin, pEnd) of every
 * group, 4 panels at a time: gemv's width, and what the scratch holds expanded. SIMD builds.
 */
function gemvRange(input: usize, output: usize, weights: usize, inC: i32, outC: i32, groups: i32,
  act: i32, format: i32, scratch: usize, pBegin: i32, pEnd: i32): void {
  const cinG = inC / groups, coutG = outC / groups, panels = (coutG + PANEL - 1) / PANEL;
  const panelBytes = <usize>(PANEL + cinG * PANEL) << 2;
  const stored = storedBytes(format, cinG, PANEL);
  for (let g = 0; g < groups; g++) {
    for (let p = pBegin; p < pEnd; p += 4) {
      const count = min(4, pEnd - p);
      const wp = format == WEIGHTS_F32
        ? weights + <usize>(g * panels + p) * panelBytes
        : expandPanels(format, weights + <usize>(g * panels + p) * stored, stored, scratch, panelBytes, count, cinG);
      gemv(input + (<usize>(g * cinG) << 2), output + (<usize>(g * coutG + p * PANEL) << 2),
        wp, panelBytes, count, coutG - p * PANEL, cinG, act);
    }
  }
}

/**
 * The channel means conv2d_f32 writes with `means`, of an output already written ([batch, plane]
 * pixels outStride floats apart): the same sums in the same order, so the same bits (threaded builds).
 */
export function conv_means_f32(output: usize, means: usize, batch: i32, plane: i32, outC: i32, outStride: i32): void {
  if (!ASC_FEATURE_THREADS) unreachable();
  memory.fill(means, 0, <usize>(batch * outC) << 2);
  sumRows(output, means, 0, batch * plane, plane, outC, <usize>outStride << 2);
  scaleMeans(means, batch * outC, plane);
}

export function scaleMeans(means: usize, n: i32, plane: i32): void {
  const inv: f32 = 1.0 / <f32>plane;
  for (let i = 0; i < n; i++) {
    const at = means + (<usize>i << 2);
    store<f32>(at, load<f32>(at) * inv);
  }
}

// A 1x1 kernel, stride 1, no padding: output pixel r reads input pixel r (a plain GEMM). The
// output's size tells the bottom and right padding apart (a Pad folded into a 1x1 conv leaves
// some: with it, output pixel r is not input pixel r).
// @ts-ignore: decorator
@inline function isPointwise(kH: i32, kW: i32, strideH: i32, strideW: i32, padT: i32, padL: i32,
  inH: i32, inW: i32, outH: i32, outW: i32): bool {
  return kH == 1 && kW == 1 && strideH == 1 && strideW == 1 && padT == 0 && padL == 0 && outH == inH && outW == inW;
}

// The implicit GEMM over output pixels [mBegin, mEnd) and panels [pBegin, pEnd) of every group.
export function gemmRange(
  input: usize, output: usize, weights: usize, zero: usize,
  batch: i32, inH: i32, inW: i32, inC: i32, outH: i32, outW: i32, outC: i32,
  kH: i32, kW: i32, strideH: i32, strideW: i32, padT: i32, padL: i32, dilH: i32, dilW: i32,
  groups: i32, act: i32, means: usize, outStride: i32, format: i32, scratch: usize,
  mBegin: i32, mEnd: i32, pBegin: i32, pEnd: i32,
): void {
  const cinG = inC / groups;
  const coutG = outC / groups;
  const panels = (coutG + PANEL - 1) / PANEL;
  const k = kH * kW * cinG;
  const stored = storedBytes(format, k, PANEL);
  const plane = outH * outW;
  const imgBytes = <usize>(inH * inW * inC) << 2;
  const rowBytes = <usize>outStride << 2;
  // A 1x1 conv with stride 1 and no padding is a plain GEMM: GEMM row r is input pixel r, read
  // without the tile's divisions, bounds tests and tap addressing (GFLOP/s: K = 16: 16 -> 24,
  // K = 24: 19 -> 29, K = 64: 29 -> 33).
  const pointwise = isPointwise(kH, kW, strideH, strideW, padT, padL, inH, inW, outH, outW);
  const tapH = pointwise ? 1 : inH, tapW = pointwise ? 1 : inW;
  // Without groups and dilation, the kW taps of a kernel row read kW * inC contiguous floats
  // (NHWC) and their packed weights are contiguous too: when the window's row lies inside the
  // image for all 4 pixels of a tile, that is one K run (the 7x7 stem: one run of 21 instead of
  // 7 of 3, 19 -> 29 GFLOP/s; the 3x3 stems of MobileNetV3 and EfficientNet: about 1.1x).
  const rowRuns = groups == 1 && dilW == 1;
  // Groups of at most 4 output channels (ResNeXt-50 32x4d's first stage: 4) fill half a panel, and
  // the tile multiplies its zero columns too. A tile of two groups' half panels side by side ran
  // no faster in SE-ResNeXt-50 (0.995-0.999x without it, 2026-11-29) for 0.5 KB of the page's gzip.
  for (let mb = mBegin; mb < mEnd; mb += BLOCK_M) {
    const me = min(mb + BLOCK_M, mEnd);
    for (let g = 0; g < groups; g++) {
      const inG = input + (<usize>(g * cinG) << 2);
      for (let p = pBegin; p < pEnd; p++) {
        const wp = panelAt(format, weights, g * panels + p, stored, scratch, k);
        const outP = output + (<usize>(g * coutG + p * PANEL) << 2);
        const nc = min(PANEL, coutG - p * PANEL);
        if (ASC_FEATURE_SIMD && pointwise) {
          pointwise4x8(inG, outP, wp, mb, me, inC, k, rowBytes, nc, act);
          continue;
        }
        for (let m0 = mb; m0 < me; m0 += TILE_M) {
          // Rows past the end repeat the last pixel: computed, never stored.
          const r1 = min(m0 + 1, me - 1), r2 = min(m0 + 2, me - 1), r3 = min(m0 + 3, me - 1);
          const rows = min(TILE_M, me - m0);
          // The tile's window origins, set before the tap loops in mutable locals: written as
          // constants, they had V8 redo the 12 integer divisions at every tap (the 7x7 stem ran at
          // 7.5 GFLOP/s against 19, grouped 3x3 convs with 4 channels a group at 4 against 7).
          let ih0 = 0, iw0 = 0, ih1 = 0, iw1 = 0, ih2 = 0, iw2 = 0, ih3 = 0, iw3 = 0;
          let in0 = inG + (<usize>(m0 * inC) << 2), in1 = inG + (<usize>(r1 * inC) << 2);
          let in2 = inG + (<usize>(r2 * inC) << 2), in3 = inG + (<usize>(r3 * inC) << 2);
          if (!pointwise) {
            const img = m0 / plane, q = m0 - img * plane, oh = q / outW, ow = q - oh * outW;
            ih0 = oh * strideH - padT; iw0 = ow * strideW - padL;
            in0 = inG + <usize>img * imgBytes;
            if (rows == TILE_M && ow + TILE_M <= outW) {
              // The 4 pixels in one output row (most tiles): 3 divisions a tile instead of 12 (the
              // 3-channel stems: K = 27 leaves few multiply-adds a tile to hide them).
              ih1 = ih0; ih2 = ih0; ih3 = ih0;
              iw1 = iw0 + strideW; iw2 = iw1 + strideW; iw3 = iw2 + strideW;
              in1 = in0; in2 = in0; in3 = in0;
            } else {
              ih1 = (r1 % plane) / outW * strideH - padT; iw1 = r1 % outW * strideW - padL;
              ih2 = (r2 % plane) / outW * strideH - padT; iw2 = r2 % outW * strideW - padL;
              ih3 = (r3 % plane) / outW * strideH - padT; iw3 = r3 % outW * strideW - padL;
              in1 = inG + <usize>(r1 / plane) * imgBytes;
              in2 = inG + <usize>(r2 / plane) * imgBytes; in3 = inG + <usize>(r3 / plane) * imgBytes;
            }
          }
          // The 4 windows lie inside the image horizontally: their kernel rows that lie inside it
          // vertically are one K run each.
          const wideRows = rowRuns && min(min(iw0, iw1), min(iw2, iw3)) >= 0 &&
            max(max(iw0, iw1), max(iw2, iw3)) + kW <= tapW;
          const out0 = outP + <usize>m0 * rowBytes;
          if (ASC_FEATURE_SIMD) {
            tile4x8(in0, ih0, iw0, in1, ih1, iw1, in2, ih2, iw2, in3, ih3, iw3, zero, wp, out0, rowBytes, rows, nc,
              tapH, tapW, inC, kH, kW, dilH, dilW, cinG, wideRows, false, act);
          } else {
            // Scalar registers hold a 2x4 tile (the best scalar shape measured): the 4x8 tile is
            // covered by two row pairs times two column halves over the same packed panel.
            for (let half = 0; half < 2; half++) {
              const ncHalf = min(4, nc - half * 4);
              if (ncHalf <= 0) break;
              const wh = wp + (<usize>(half * 4) << 2);
              const outH0 = out0 + (<usize>(half * 4) << 2);
              tile2x4Scalar(in0, ih0, iw0, in1, ih1, iw1, zero, wh, outH0, outH0 + rowBytes,
                rows > 1, ncHalf, tapH, tapW, inC, kH, kW, dilH, dilW, cinG, act);
              if (rows > 2) {
                tile2x4Scalar(in2, ih2, iw2, in3, ih3, iw3, zero, wh, outH0 + 2 * rowBytes,
                  outH0 + 3 * rowBytes, rows > 3, ncHalf, tapH, tapW, inC, kH, kW, dilH, dilW, cinG, act);
              }
            }
          }
        }
      }
    }
    // The 4x8 tile's other activations (sigmoid, SiLU, tanh, hard sigmoid) over the block's rows
    // of its channels, while they are in cache: inlined in the tile's 8 stores, exp's polynomial
    // cost 12 KB of the SIMD build (0.6 KB of the page's gzip budget); here EfficientNet-B0's SiLU
    // convs ran as fast (activation.ts: isCheap).
    if (ASC_FEATURE_SIMD && !isCheap(act)) {
      const c0 = pBegin * PANEL, c1 = min(pEnd * PANEL, coutG);
      for (let g = 0; g < groups; g++) {
        const at = output + <usize>mb * rowBytes + (<usize>(g * coutG + c0) << 2);
        for (let r = 0; r < me - mb; r++) activation_f32(at + <usize>r * rowBytes, at + <usize>r * rowBytes, c1 - c0, act);
      }
    }
    if (means) sumRows(output, means, mb, me, plane, outC, rowBytes);
  }
}

// F32 panel `index` of a stored block: in place, or expanded into `at`.
// @ts-ignore: decorator
@inline function panelAt(format: i32, weights: usize, index: i32, stored: usize, at: usize, k: i32): usize {
  if (format == WEIGHTS_F32) return weights + <usize>index * stored;
  unpack_weights(format, weights + <usize>index * stored, at, k, PANEL);
  return at;
}

// `count` stored panels from src expanded side by side into dst.
function expandPanels(format: i32, src: usize, stored: usize, dst: usize, panelBytes: usize, count: i32, k: i32): usize {
  for (let i = 0; i < count; i++) unpack_weights(format, src + <usize>i * stored, dst + <usize>i * panelBytes, k, PANEL);
  return dst;
}

// Adds output rows [mb, me) (pixels, batch folded in, rowBytes apart) to their image's channel sums.
export function sumRows(output: usize, sums: usize, mb: i32, me: i32, plane: i32, c: i32, rowBytes: usize): void {
  const sumBytes = <usize>c << 2;
  let n = mb / plane, next = (n + 1) * plane; // the image of row mb, and where the next starts
  for (let r = mb; r < me; r++) {
    if (r == next) { n++; next += plane; }
    const row = output + <usize>r * rowBytes, sum = sums + <usize>n * sumBytes;
    let ch = 0;
    if (ASC_FEATURE_SIMD) {
      for (; ch + 4 <= c; ch += 4) {
        const o = <usize>ch << 2;
        v128.store(sum + o, f32x4.add(v128.load(sum + o), v128.load(row + o)));
      }
    }
    for (; ch < c; ch++) {
      const o = <usize>ch << 2;
      store<f32>(sum + o, load<f32>(sum + o) + load<f32>(row + o));
    }
  }
}

// The 4x8 tile: output pixels 0-3 (window origins ih, iw in images in0..in3; rows past the end
// repeat the last pixel and are not stored) x the 8 channels of panel wp; each kernel row's taps
// are one K run where `wideRows` and the row lies inside the image (pointwise: always, taps at
// in0..in3 themselves). SIMD builds; `pointwise` a constant at each call, so each copy keeps only
// its own addressing.
// @ts-ignore: decorator
@inline function tile4x8(
  in0: usize, ih0: i32, iw0: i32, in1: usize, ih1: i32, iw1: i32,
  in2: usize, ih2: i32, iw2: i32, in3: usize, ih3: i32, iw3: i32, zero: usize,
  wp: usize, out0: usize, rowBytes: usize, rows: i32, nc: i32, tapH: i32, tapW: i32, inC: i32,
  kH: i32, kW: i32, dilH: i32, dilW: i32, cinG: i32, wideRows: bool, pointwise: bool, act: i32,
): void {
  let c00 = v128.load(wp), c01 = v128.load(wp, 16); // the panel's biases
  let c10 = c00, c11 = c01, c20 = c00, c21 = c01, c30 = c00, c31 = c01;
  let w = wp + (<usize>PANEL << 2);
  for (let kh = 0; kh < kH; kh++) {
    const dh = kh * dilH;
    const run = pointwise || wideRows && <u32>(ih0 + dh) < <u32>tapH &&
      <u32>(ih1 + dh) < <u32>tapH && <u32>(ih2 + dh) < <u32>tapH && <u32>(ih3 + dh) < <u32>tapH;
    const taps = run ? 1 : kW, n = run ? kW * cinG : cinG;
    for (let kw = 0; kw < taps; kw++) {
      const dw = kw * dilW;
      let a0 = in0, a1 = in1, a2 = in2, a3 = in3;
      if (!pointwise) {
        a0 = tap(in0, zero, ih0 + dh, iw0 + dw, tapH, tapW, inC);
        a1 = tap(in1, zero, ih1 + dh, iw1 + dw, tapH, tapW, inC);
        a2 = tap(in2, zero, ih2 + dh, iw2 + dw, tapH, tapW, inC);
        a3 = tap(in3, zero, ih3 + dh, iw3 + dw, tapH, tapW, inC);
      }
      for (let k = 0; k < n; k++) {
        const b0 = v128.load(w), b1 = v128.load(w, 16);
        let x = v128.load32_splat(a0);
        c00 = madd(x, b0, c00); c01 = madd(x, b1, c01);
        x = v128.load32_splat(a1);
        c10 = madd(x, b0, c10); c11 = madd(x, b1, c11);
        x = v128.load32_splat(a2);
        c20 = madd(x, b0, c20); c21 = madd(x, b1, c21);
        x = v128.load32_splat(a3);
        c30 = madd(x, b0, c30); c31 = madd(x, b1, c31);
        a0 += 4; a1 += 4; a2 += 4; a3 += 4; w += <usize>PANEL << 2;
      }
    }
  }
  // The cheap activations here; the others after the block.
  storeRow(out0, activateCheapV(c00, act), activateCheapV(c01, act), nc);
  if (rows > 1) storeRow(out0 + rowBytes, activateCheapV(c10, act), activateCheapV(c11, act), nc);
  if (rows > 2) storeRow(out0 + 2 * rowBytes, activateCheapV(c20, act), activateCheapV(c21, act), nc);
  if (rows > 3) storeRow(out0 + 3 * rowBytes, activateCheapV(c30, act), activateCheapV(c31, act), nc);
}

// One GEMM row (an FC layer or an SE excitation at batch 1): out[0, n) = x[0, k) . panels.
// The 4x8 tile would compute the row 4 times; here 4 panels run side by side so that 8
// accumulators hide the add latency (960->1280: 8 -> 12 GFLOP/s, 25 GB/s of weights; SE
// 2048->128: 9 -> 25). Each sums in K order as the tile does: a batch of one gives the same
// bits as that image inside a larger batch (test/engine.test.ts).
function gemv(x: usize, out: usize, w: usize, panelBytes: usize, panels: i32, n: i32, k: i32, act: i32): void {
  let p = 0;
  for (; p + 4 <= panels; p += 4) {
    let w0 = w + <usize>p * panelBytes, w1 = w0 + panelBytes, w2 = w1 + panelBytes, w3 = w2 + panelBytes;
    let c00 = v128.load(w0), c01 = v128.load(w0, 16), c10 = v128.load(w1), c11 = v128.load(w1, 16);
    let c20 = v128.load(w2), c21 = v128.load(w2, 16), c30 = v128.load(w3), c31 = v128.load(w3, 16);
    let a = x;
    for (let i = 0; i < k; i++) {
      w0 += <usize>PANEL << 2; w1 += <usize>PANEL << 2; w2 += <usize>PANEL << 2; w3 += <usize>PANEL << 2;
      const xi = v128.load32_splat(a);
      c00 = madd(xi, v128.load(w0), c00); c01 = madd(xi, v128.load(w0, 16), c01);
      c10 = madd(xi, v128.load(w1), c10); c11 = madd(xi, v128.load(w1, 16), c11);
      c20 = madd(xi, v128.load(w2), c20); c21 = madd(xi, v128.load(w2, 16), c21);
      c30 = madd(xi, v128.load(w3), c30); c31 = madd(xi, v128.load(w3, 16), c31);
      a += 4;
    }
    const o = out + (<usize>(p * PANEL) << 2);
    storeRow(o, activateSplitV(c00, act), activateSplitV(c01, act), min(PANEL, n - p * PANEL));
    storeRow(o + 32, activateSplitV(c10, act), activateSplitV(c11, act), min(PANEL, n - (p + 1) * PANEL));
    storeRow(o + 64, activateSplitV(c20, act), activateSplitV(c21, act), min(PANEL, n - (p + 2) * PANEL));
    storeRow(o + 96, activateSplitV(c30, act), activateSplitV(c31, act), min(PANEL, n - (p + 3) * PANEL));
  }
  for (; p < panels; p++) {
    let wq = w + <usize>p * panelBytes;
    let c0 = v128.load(wq), c1 = v128.load(wq, 16);
    let a = x;
    for (let i = 0; i < k; i++) {
      wq += <usize>PANEL << 2;
      const xi = v128.load32_splat(a);
      c0 = madd(xi, v128.load(wq), c0); c1 = madd(xi, v128.load(wq, 16), c1);
      a += 4;
    }
    storeRow(out + (<usize>(p * PANEL) << 2), activateSplitV(c0, act), activateSplitV(c1, act), min(PANEL, n - p * PANEL));
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

// Rows [mb, me) of one panel of a pointwise conv (1x1, stride 1, no padding: GEMM row r is input
// pixel r) through tile4x8: the micro-kernel of most of these networks' multiply-adds, in a
// function of its own, without the general loop's window origins, so that V8 allocates its
// registers apart from that loop nest (SIMD, AMD EPYC, 2026-11-29, against the pointwise path
// inside it: `npm run bench:kernels` K = 16 1.34x, K = 16-24 with SiLU 1.17-1.22x, K = 64 1.11x,
// K >= 112 1.01-1.06x; whole runs MobileNetV3-Large 1.06x, MobileNetV3-Small 1.06x, ResNet-50
// 1.02-1.03x, SE-ResNeXt-50 1.02x). The same sums in the same order: the same bits.
function pointwise4x8(inG: usize, outP: usize, wp: usize, mb: i32, me: i32, inC: i32, k: i32, rowBytes: usize, nc: i32, act: i32): void {
  const inRow = <usize>inC << 2;
  for (let m0 = mb; m0 < me; m0 += TILE_M) {
    const rows = min(TILE_M, me - m0);
    const a0 = inG + <usize>m0 * inRow;
    let a1 = a0 + inRow, a2 = a1 + inRow, a3 = a2 + inRow;
    if (rows < TILE_M) { // rows past the end repeat the last pixel: computed, never stored
      a1 = inG + <usize>min(m0 + 1, me - 1) * inRow; a2 = inG + <usize>min(m0 + 2, me - 1) * inRow;
      a3 = inG + <usize>min(m0 + 3, me - 1) * inRow;
    }
    tile4x8(a0, 0, 0, a1, 0, 0, a2, 0, 0, a3, 0, 0, 0, wp, outP + <usize>m0 * rowBytes, rowBytes, rows, nc,
      1, 1, inC, 1, 1, 1, 1, k, true, true, act);
  }
}
