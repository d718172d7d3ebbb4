import { ACT_NONE, activateCheapV, isCheap } from "../activation";
import { activation_f32 } from "./eltwise";
import { madd, storeChannels } from "../simd";
import { unpack_weights, WEIGHTS_F32 } from "./weights";

// Output pixels that share the tap weights loaded into registers (dwInterior). 16 against 8: the
// networks' depthwise convs 1.01-1.13x in `npm run bench:kernels`, MobileNetV3-Large 1.010x,
// EfficientNet-B0 1.007x (AMD EPYC, 2026-11-29, the same bits); 32 no faster in the networks, and
// 64 ran 3x3/2 on 112x112x64 at 0.71x (its block's input rows past L1).
const DW_BLOCK: i32 = 16;

/**
 * Depthwise convolution (groups == channels, one filter a channel) over NHWC tensors; v128 lanes
 * run along channels, so every tap is one vector multiply-add for four channels.
 *
 * input:   [batch, inH, inW, C] f32; output: [batch, outH, outW, C] f32. The output may alias the
 *          input only for a 1x1 kernel (an unfolded BatchNorm runs here in place).
 * weights: packed by the host: C biases, then for each tap (kh, kw) the C weights of that tap;
 *          in `format` qs8 or f16 (weights.ts, cols = C, rows = taps), expanded into `scratch`
 *          ((1 + kH * kW) * C floats) once per call: C * taps conversions against
 *          batch * outH * outW * C * taps multiply-adds.
 * act:     activation code applied before the store.
 *
 * SIMD build, 3x3 and 5x5 kernels without dilation (any stride, any padding), C >= 4: output
 * pixels whose windows lie inside the image horizontally run through dwInterior (tap weights in
 * registers, taps unrolled: 2-3x the generic loop, see dwInterior); pixels at the left and
 * right borders, the scalar build and every other shape go through dwPixel, the generic loop.
 */
export function conv2d_dw_f32(
  input: usize, output: usize, weights: usize,
  batch: i32, inH: i32, inW: i32, c: i32, outH: i32, outW: i32,
  kH: i32, kW: i32, strideH: i32, strideW: i32, padT: i32, padL: i32, dilH: i32, dilW: i32,
  act: i32, format: i32, scratch: usize,
): void {
  dwRows(input, output, weights, inH, inW, c, outH, outW, kH, kW, strideH, strideW, padT, padL, dilH, dilW,
    act, format, scratch, 0, batch * outH, 0, c);
}

/**
 * conv2d_dw_f32 over output rows [rBegin, rEnd) (batch folded in: row n * outH + oh) and channels
 * [cBegin, cEnd): one thread's share of a depthwise conv split across threads (threaded builds
 * only), with its own scratch. With C and the channel bounds multiples of 4 (no channel takes the
 * scalar tail, whose rounding and exp differ from the lanes'), every output is computed as by one
 * call: the split outputs are bitwise those of one call.
 */
export function conv2d_dw_f32_part(
  input: usize, output: usize, weights: usize,
  inH: i32, inW: i32, c: i32, outH: i32, outW: i32,
  kH: i32, kW: i32, strideH: i32, strideW: i32, padT: i32, padL: i32, dilH: i32, dilW: i32,
  act: i32, format: i32, scratch: usize, rBegin: i32, rEnd: i32, cBegin: i32, cEnd: i32,
): void {
  if (!ASC_FEATURE_THREADS) unreachable();
  dwRows(input, output, weights, inH, inW, c, outH, outW, kH, kW, strideH, strideW, padT, padL, dilH, dilW,
    act, format, scratch, rBegin, rEnd, cBegin, cEnd);
}

function dwRows(
  input: usize, output: usize, weights: usize,
  inH: i32, inW: i32, c: i32, outH: i32, outW: i32,
  kH: i32, kW: i32, strideH: i32, strideW: i32, padT: i32, padL: i32, dilH: i32, dilW: i32,
  act: i32, format: i32, scratch: usize, rBegin: i32, rEnd: i32, cBegin: i32, cEnd: i32,
): void {
  if (format != WEIGHTS_F32) {
    unpack_weights(format, weights, scratch, kH * kW, c);
    weights = scratch;
  }
  // Channels [cBegin, cEnd) of pixels c floats apart (the weights' taps too).
  const first = <usize>cBegin << 2, count = cEnd - cBegin;
  input += first;
  output += first;
  weights += first;
  const rowBytes = <usize>(inW * c) << 2;
  const pixBytes = <usize>c << 2;
  const special = ASC_FEATURE_SIMD && count >= 4 && dilH == 1 && dilW == 1 && kH == kW && (kH == 3 || kH == 5);
  // Interior columns [owLo, owHi): iw0 = ow * strideW - padL >= 0 and iw0 + kW <= inW.
  const owLo = (padL + strideW - 1) / strideW;
  const owHi = inW - kW + padL < 0 ? 0 : min(outW, (inW - kW + padL) / strideW + 1);
  for (let row = rBegin; row < rEnd; row++) {
    const n = row / outH, oh = row % outH;
    const img = input + <usize>n * <usize>inH * rowBytes;
    const ih0 = oh * strideH - padT;
    const out = output + <usize>(row * outW) * pixBytes;
    let ow = 0;
    // Kernel rows inside the image (no dilation here): kh in [khs, khe), the same for the row.
    const khs = max(0, -ih0), khe = min(kH, inH - ih0);
    if (special && khs < khe && owHi > owLo) {
      for (; ow < owLo; ow++) {
        dwPixel(img, out + <usize>ow * pixBytes, weights, inH, inW, c, count, ih0, ow * strideW - padL, kH, kW, dilH, dilW, act);
      }
      const src = img + <usize>ih0 * rowBytes + <usize>(owLo * strideW - padL) * pixBytes;
      const dst = out + <usize>owLo * pixBytes;
      const step = <usize>strideW * pixBytes;
      const inl = act != ACT_NONE && isCheap(act);
      if (kH == 3) {
        if (inl) dwInterior(src, dst, weights, owHi - owLo, c, count, rowBytes, step, khs, khe, act, 3, true);
        else dwInterior(src, dst, weights, owHi - owLo, c, count, rowBytes, step, khs, khe, act, 3, false);
      } else dwInterior(src, dst, weights, owHi - owLo, c, count, rowBytes, step, khs, khe, act, 5, false);
      ow = owHi;
    }
    for (; ow < outW; ow++) {
      dwPixel(img, out + <usize>ow * pixBytes, weights, inH, inW, c, count, ih0, ow * strideW - padL, kH, kW, dilH, dilW, act);
    }
  }
}

// One output pixel, `count` channels of pixels c floats apart; taps outside the image are skipped. ih0, iw0: the window's
// top-left input pixel (may lie in the padding). Taps run inside each block of channels: 32
// channels in 8 v128 accumulators (4 f32 ones in the scalar build), so that one tap's bounds and
// addresses serve the whole block; then one activation pass over the pixel's C outputs. For a
// 1x1 kernel the output may be the input: every channel is read before it is written.
function dwPixel(
  img: usize, out: usize, weights: usize, inH: i32, inW: i32, c: i32, count: i32, ih0: i32, iw0: i32,
  kH: i32, kW: i32, dilH: i32, dilW: i32, act: i32,
): void {
  const pixBytes = <usize>c << 2;
  const rowBytes = <usize>inW * pixBytes;
  const tapStep = <usize>dilW * pixBytes;
  // Taps inside the image: kh in [khs, khe), kw in [kws, kwe).
  const khs = ih0 < 0 ? (-ih0 + dilH - 1) / dilH : 0;
  const khe = min(kH, (inH - ih0 + dilH - 1) / dilH);
  const kws = iw0 < 0 ? (-iw0 + dilW - 1) / dilW : 0;
  const kwe = min(kW, (inW - iw0 + dilW - 1) / dilW);
  // First input pixel and first weight row of tap (khs, kws), channel 0.
  const x0 = img + <usize>(ih0 + khs * dilH) * rowBytes + <usize>(iw0 + kws * dilW) * pixBytes;
  const w0 = weights + pixBytes * <usize>(1 + khs * kW + kws);
  let ch = 0;
  if (ASC_FEATURE_SIMD) {
    for (; ch + 4 <= count; ) {
      const off = <usize>ch << 2;
      const wide = ch + 32 <= count;
      let a0 = v128.load(weights + off), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
      if (wide) {
        a1 = v128.load(weights + off, 16); a2 = v128.load(weights + off, 32); a3 = v128.load(weights + off, 48);
        a4 = v128.load(weights + off, 64); a5 = v128.load(weights + off, 80); a6 = v128.load(weights + off, 96);
        a7 = v128.load(weights + off, 112);
      }
      for (let kh = khs; kh < khe; kh++) {
        let x = x0 + <usize>((kh - khs) * dilH) * rowBytes + off;
        let w = w0 + <usize>((kh - khs) * kW) * pixBytes + off;
        for (let kw = kws; kw < kwe; kw++) {
          a0 = madd(v128.load(x), v128.load(w), a0);
          if (wide) {
            a1 = madd(v128.load(x, 16), v128.load(w, 16), a1);
            a2 = madd(v128.load(x, 32), v128.load(w, 32), a2);
            a3 = madd(v128.load(x, 48), v128.load(w, 48), a3);
            a4 = madd(v128.load(x, 64), v128.load(w, 64), a4);
            a5 = madd(v128.load(x, 80), v128.load(w, 80), a5);
            a6 = madd(v128.load(x, 96), v128.load(w, 96), a6);
            a7 = madd(v128.load(x, 112), v128.load(w, 112), a7);
          }
          x += tapStep;
          w += pixBytes;
        }
      }
      storeChannels(out + off, wide, a0, a1, a2, a3, a4, a5, a6, a7);
      ch += wide ? 32 : 4;
    }
  }
  for (; ch < count; ) {
    const off = <usize>ch << 2;
    const wide = ch + 4 <= count;
    let a0 = load<f32>(weights + off), a1 = a0, a2 = a0, a3 = a0;
    if (wide) { a1 = load<f32>(weights + off, 4); a2 = load<f32>(weights + off, 8); a3 = load<f32>(weights + off, 12); }
    for (let kh = khs; kh < khe; kh++) {
      let x = x0 + <usize>((kh - khs) * dilH) * rowBytes + off;
      let w = w0 + <usize>((kh - khs) * kW) * pixBytes + off;
      for (let kw = kws; kw < kwe; kw++) {
        a0 += load<f32>(x) * load<f32>(w);
        if (wide) {
          a1 += load<f32>(x, 4) * load<f32>(w, 4);
          a2 += load<f32>(x, 8) * load<f32>(w, 8);
          a3 += load<f32>(x, 12) * load<f32>(w, 12);
        }
        x += tapStep;
        w += pixBytes;
      }
    }
    store<f32>(out + off, a0);
    if (wide) { store<f32>(out + off, a1, 4); store<f32>(out + off, a2, 8); store<f32>(out + off, a3, 12); }
    ch += wide ? 4 : 1;
  }
  if (act != ACT_NONE) activation_f32(out, out, count, act);
}

// `pixels` consecutive output pixels of one row, channels [0, count) of pixels c floats apart,
// whose windows lie inside the image horizontally;
// kernel rows [khs, khe) lie inside it vertically (SIMD build only; k is 3 or 5, a compile-time
// constant after inlining). src: the window's input pixel of kernel row 0 of the first output
// (rows outside [khs, khe) are never read); step: bytes between the windows of neighbouring
// outputs. Per block of DW_BLOCK pixels and channel group, the bias and the k x k tap weights are
// loaded once (a 5x5 kernel's spill to the stack and are read back from there, as cheaply as any
// L1 load), then one pixel per loop iteration. Measured alternatives (3x3 / 5x5, GFLOP/s):
// 4 pixels unrolled sharing one kernel row's weights 12-15 / 15-17 (V8 hoisted all their loads
// and spilled); this loop with the activation inside it 13-16 / 16-19; as here 15-18 / 17-20.
// `inl` (a constant at each call): ReLU, ReLU6 or hard swish applied at the store instead of in
// the pass after the block, for 3x3 kernels only (AMD EPYC, 2026-11-29, `npm run bench:kernels`:
// 3x3 ReLU 1.18-1.21x, hard swish 1.09x; 5x5 0.95-1.05x, and a fourth inlined copy slowed the
// others' loops 4-7%; MobileNetV3-Large 1.013-1.016x, the same bits).
// The last channel group overlaps the previous one when C % 4 != 0 (the input is never the
// output: the overlapped channels are computed again from it, and activated once).
// @ts-ignore: decorator
@inline function dwInterior(
  src: usize, dst: usize, weights: usize, pixels: i32, c: i32, count: i32, rowBytes: usize, step: usize,
  khs: i32, khe: i32, act: i32, k: i32, inl: bool,
): void {
  const pixBytes = <usize>c << 2;
  // Kernel rows inside the image (khs < khe <= k).
  const r0 = khs == 0, r1 = khs <= 1 && khe > 1, r2 = khs <= 2 && khe > 2;
  const r3 = k == 5 && khs <= 3 && khe > 3, r4 = k == 5 && khe > 4;
  for (let b = 0; b < pixels; b += DW_BLOCK) {
    const n = min(DW_BLOCK, pixels - b);
    const srcB = src + <usize>b * step, dstB = dst + <usize>b * pixBytes;
    for (let ch = 0; ch < count; ch += 4) {
      const off = <usize>min(ch, count - 4) << 2;
      const bias = v128.load(weights + off);
      let w = weights + pixBytes + off;
      const w00 = v128.load(w), w01 = v128.load(w + pixBytes), w02 = v128.load(w + 2 * pixBytes);
      let w03 = w02, w04 = w02;
      if (k == 5) { w03 = v128.load(w + 3 * pixBytes); w04 = v128.load(w + 4 * pixBytes); }
      w += <usize>k * pixBytes;
      const w10 = v128.load(w), w11 = v128.load(w + pixBytes), w12 = v128.load(w + 2 * pixBytes);
      let w13 = w12, w14 = w12;
      if (k == 5) { w13 = v128.load(w + 3 * pixBytes); w14 = v128.load(w + 4 * pixBytes); }
      w += <usize>k * pixBytes;
      const w20 = v128.load(w), w21 = v128.load(w + pixBytes), w22 = v128.load(w + 2 * pixBytes);
      let w23 = w22, w24 = w22;
      if (k == 5) { w23 = v128.load(w + 3 * pixBytes); w24 = v128.load(w + 4 * pixBytes); }
      let w30 = w22, w31 = w22, w32 = w22, w33 = w22, w34 = w22;
      let w40 = w22, w41 = w22, w42 = w22, w43 = w22, w44 = w22;
      if (k == 5) {
        w += <usize>k * pixBytes;
        w30 = v128.load(w); w31 = v128.load(w + pixBytes); w32 = v128.load(w + 2 * pixBytes);
        w33 = v128.load(w + 3 * pixBytes); w34 = v128.load(w + 4 * pixBytes);
        w += <usize>k * pixBytes;
        w40 = v128.load(w); w41 = v128.load(w + pixBytes); w42 = v128.load(w + 2 * pixBytes);
        w43 = v128.load(w + 3 * pixBytes); w44 = v128.load(w + 4 * pixBytes);
      }
      let x = srcB + off, o = dstB + off;
      for (let i = 0; i < n; i++) {
        let acc = bias;
        if (r0) acc = tapRow(acc, x, pixBytes, w00, w01, w02, w03, w04, k);
        if (r1) acc = tapRow(acc, x + rowBytes, pixBytes, w10, w11, w12, w13, w14, k);
        if (r2) acc = tapRow(acc, x + 2 * rowBytes, pixBytes, w20, w21, w22, w23, w24, k);
        if (r3) acc = tapRow(acc, x + 3 * rowBytes, pixBytes, w30, w31, w32, w33, w34, k);
        if (r4) acc = tapRow(acc, x + 4 * rowBytes, pixBytes, w40, w41, w42, w43, w44, k);
        v128.store(o, inl ? activateCheapV(acc, act) : acc);
        x += step;
        o += pixBytes;
      }
    }
    // The other activations (the curves; every one for 5x5) over the block's outputs here rather
    // than in the pixel loop, which keeps their constants out of the registers the tap weights
    // need: n * C contiguous floats, or a share's channels pixel by pixel.
    if (!inl && act != ACT_NONE) {
      if (count == c) activation_f32(dstB, dstB, n * c, act);
      else for (let i = 0; i < n; i++) activation_f32(dstB + <usize>i * pixBytes, dstB + <usize>i * pixBytes, count, act);
    }
  }
}

// acc + one kernel row of one window: k taps at p, p + pixBytes, ...
// @ts-ignore: decorator
@inline function tapRow(
  acc: v128, p: usize, pixBytes: usize, w0: v128, w1: v128, w2: v128, w3: v128, w4: v128, k: i32,
): v128 {
  acc = madd(v128.load(p), w0, acc);
  acc = madd(v128.load(p + pixBytes), w1, acc);
  acc = madd(v128.load(p + 2 * pixBytes), w2, acc);
  if (k == 5) {
    acc = madd(v128.load(p + 3 * pixBytes), w3, acc);
    acc = madd(v128.load(p + 4 * pixBytes), w4, acc);
  }
  return acc;
}
