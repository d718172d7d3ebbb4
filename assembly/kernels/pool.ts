// Pooling over NHWC tensors, lanes on channels.
import { storeChannels } from "../simd";

export const POOL_MAX: i32 = 0;
export const POOL_AVG: i32 = 1; // divisor: the taps inside the image
export const POOL_AVG_INCLUDE_PAD: i32 = 2; // divisor: the taps inside the padded image

/**
 * Max or average pooling. input: [batch, inH, inW, C]; output: [batch, outH, outW, C], its pixels
 * outStride floats apart (C when dense; more when writing a slice of a concatenation in place).
 * The host picks outH/outW (floor or ceil mode); windows may run past the padding on the
 * bottom/right in ceil mode, and those taps never count. padB and padR bound the padded image
 * for POOL_AVG_INCLUDE_PAD, as PyTorch and ONNX define it.
 */
export function pool2d_f32(
  input: usize, output: usize,
  batch: i32, inH: i32, inW: i32, c: i32, outH: i32, outW: i32,
  kH: i32, kW: i32, strideH: i32, strideW: i32, padT: i32, padL: i32, padB: i32, padR: i32,
  mode: i32, outStride: i32,
): void {
  const pixBytes = <usize>c << 2, outPixBytes = <usize>outStride << 2;
  const rowBytes = <usize>inW * pixBytes;
  let out = output;
  for (let n = 0; n < batch; n++) {
    const img = input + <usize>n * <usize>inH * rowBytes;
    for (let oh = 0; oh < outH; oh++) {
      const hs = oh * strideH - padT;
      const he = min(hs + kH, inH + padB);
      const h0 = max(hs, 0), h1 = min(he, inH);
      for (let ow = 0; ow < outW; ow++) {
        const ws = ow * strideW - padL;
        const we = min(ws + kW, inW + padR);
        const w0 = max(ws, 0), w1 = min(we, inW);
        const taps = mode == POOL_AVG_INCLUDE_PAD ? (he - hs) * (we - ws) : (h1 - h0) * (w1 - w0);
        const inv: f32 = taps > 0 ? 1.0 / <f32>taps : 0.0;
        const first = img + <usize>h0 * rowBytes + <usize>w0 * pixBytes;
        if (mode == POOL_MAX) poolPixel(first, out, c, rowBytes, h1 - h0, w1 - w0, 1, true);
        else poolPixel(first, out, c, rowBytes, h1 - h0, w1 - w0, inv, false);
        out += outPixBytes;
      }
    }
  }
}

// One output pixel over a window of rows x cols input pixels starting at `first` (channel 0):
// max, or sum times `scale`. Taps run inside each block of channels (32 channels in 8 v128
// accumulators, 4 in f32 ones in the scalar build), so one tap's address serves the whole
// block: looping taps per 4 channels ran at a third of that speed (as conv2d_dw_f32's dwPixel).
// An empty window gives -Infinity (max) or 0 (average).
// @ts-ignore: decorator
@inline function poolPixel(
  first: usize, out: usize, c: i32, rowBytes: usize, rows: i32, cols: i32, scale: f32, isMax: bool,
): void {
  const pixBytes = <usize>c << 2;
  let ch = 0;
  if (ASC_FEATURE_SIMD) {
    const init = f32x4.splat(isMax ? -Infinity : 0);
    const s = f32x4.splat(scale);
    for (; ch + 4 <= c; ) {
      const off = <usize>ch << 2;
      const wide = ch + 32 <= c;
      let a0 = init, a1 = init, a2 = init, a3 = init, a4 = init, a5 = init, a6 = init, a7 = init;
      for (let h = 0; h < rows; h++) {
        let x = first + <usize>h * rowBytes + off;
        for (let w = 0; w < cols; w++) {
          a0 = poolStep(a0, v128.load(x), isMax);
          if (wide) {
            a1 = poolStep(a1, v128.load(x, 16), isMax); a2 = poolStep(a2, v128.load(x, 32), isMax);
            a3 = poolStep(a3, v128.load(x, 48), isMax); a4 = poolStep(a4, v128.load(x, 64), isMax);
            a5 = poolStep(a5, v128.load(x, 80), isMax); a6 = poolStep(a6, v128.load(x, 96), isMax);
            a7 = poolStep(a7, v128.load(x, 112), isMax);
          }
          x += pixBytes;
        }
      }
      if (!isMax) {
        a0 = f32x4.mul(a0, s); a1 = f32x4.mul(a1, s); a2 = f32x4.mul(a2, s); a3 = f32x4.mul(a3, s);
        a4 = f32x4.mul(a4, s); a5 = f32x4.mul(a5, s); a6 = f32x4.mul(a6, s); a7 = f32x4.mul(a7, s);
      }
      storeChannels(out + off, wide, a0, a1, a2, a3, a4, a5, a6, a7);
      ch += wide ? 32 : 4;
    }
  }
  for (; ch < c; ) {
    const off = <usize>ch << 2;
    const wide = ch + 4 <= c;
    let a0: f32 = isMax ? -Infinity : 0, a1 = a0, a2 = a0, a3 = a0;
    for (let h = 0; h < rows; h++) {
      let x = first + <usize>h * rowBytes + off;
      for (let w = 0; w < cols; w++) {
        a0 = isMax ? max(a0, load<f32>(x)) : a0 + load<f32>(x);
        if (wide) {
          a1 = isMax ? max(a1, load<f32>(x, 4)) : a1 + load<f32>(x, 4);
          a2 = isMax ? max(a2, load<f32>(x, 8)) : a2 + load<f32>(x, 8);
          a3 = isMax ? max(a3, load<f32>(x, 12)) : a3 + load<f32>(x, 12);
        }
        x += pixBytes;
      }
    }
    store<f32>(out + off, isMax ? a0 : a0 * scale);
    if (wide) {
      store<f32>(out + off, isMax ? a1 : a1 * scale, 4);
      store<f32>(out + off, isMax ? a2 : a2 * scale, 8);
      store<f32>(out + off, isMax ? a3 : a3 * scale, 12);
    }
    ch += wide ? 4 : 1;
  }
}

// @ts-ignore: decorator
@inline function poolStep(acc: v128, x: v128, isMax: bool): v128 {
  return isMax ? f32x4.max(acc, x) : f32x4.add(acc, x);
}

/**
 * Global average or max pooling (the SE squeeze): input [batch, hw, C] -> output [batch, C].
 * mode: POOL_MAX or POOL_AVG. Pixels run in the inner loop with 32 channels in 8 accumulators:
 * looping channels outside instead touched one 16-byte vector per 1 KB pixel row and ran at
 * 2.5 GB/s against about 18 GB/s this way (56x56x256, docs/design.md).
 */
export function global_pool_f32(input: usize, output: usize, batch: i32, hw: i32, c: i32, mode: i32): void {
  const pixBytes = <usize>c << 2;
  const isMax = mode == POOL_MAX;
  const inv: f32 = 1.0 / <f32>hw;
  for (let n = 0; n < batch; n++) {
    const img = input + <usize>n * <usize>hw * pixBytes;
    const out = output + <usize>n * pixBytes;
    let ch = 0;
    if (ASC_FEATURE_SIMD) {
      const scale = f32x4.splat(isMax ? 1.0 : inv);
      for (; ch + 32 <= c; ch += 32) {
        let p = img + (<usize>ch << 2);
        let a0 = v128.load(p), a1 = v128.load(p, 16), a2 = v128.load(p, 32), a3 = v128.load(p, 48);
        let a4 = v128.load(p, 64), a5 = v128.load(p, 80), a6 = v128.load(p, 96), a7 = v128.load(p, 112);
        for (let i = 1; i < hw; i++) {
          p += pixBytes;
          if (isMax) {
            a0 = f32x4.max(a0, v128.load(p)); a1 = f32x4.max(a1, v128.load(p, 16));
            a2 = f32x4.max(a2, v128.load(p, 32)); a3 = f32x4.max(a3, v128.load(p, 48));
            a4 = f32x4.max(a4, v128.load(p, 64)); a5 = f32x4.max(a5, v128.load(p, 80));
            a6 = f32x4.max(a6, v128.load(p, 96)); a7 = f32x4.max(a7, v128.load(p, 112));
          } else {
            a0 = f32x4.add(a0, v128.load(p)); a1 = f32x4.add(a1, v128.load(p, 16));
            a2 = f32x4.add(a2, v128.load(p, 32)); a3 = f32x4.add(a3, v128.load(p, 48));
            a4 = f32x4.add(a4, v128.load(p, 64)); a5 = f32x4.add(a5, v128.load(p, 80));
            a6 = f32x4.add(a6, v128.load(p, 96)); a7 = f32x4.add(a7, v128.load(p, 112));
          }
        }
        const o = out + (<usize>ch << 2);
        v128.store(o, f32x4.mul(a0, scale)); v128.store(o, f32x4.mul(a1, scale), 16);
        v128.store(o, f32x4.mul(a2, scale), 32); v128.store(o, f32x4.mul(a3, scale), 48);
        v128.store(o, f32x4.mul(a4, scale), 64); v128.store(o, f32x4.mul(a5, scale), 80);
        v128.store(o, f32x4.mul(a6, scale), 96); v128.store(o, f32x4.mul(a7, scale), 112);
      }
      for (; ch + 4 <= c; ch += 4) {
        let p = img + (<usize>ch << 2);
        let acc = v128.load(p);
        for (let i = 1; i < hw; i++) {
          p += pixBytes;
          acc = isMax ? f32x4.max(acc, v128.load(p)) : f32x4.add(acc, v128.load(p));
        }
        v128.store(out + (<usize>ch << 2), f32x4.mul(acc, scale));
      }
    }
    for (; ch < c; ch++) {
      const off = <usize>ch << 2;
      let acc = load<f32>(img + off);
      for (let i = 1; i < hw; i++) {
        const x = load<f32>(img + <usize>i * pixBytes + off);
        acc = isMax ? max(acc, x) : acc + x;
      }
      store<f32>(out + off, isMax ? acc : acc * inv);
    }
  }
}
