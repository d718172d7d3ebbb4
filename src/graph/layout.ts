// The engine keeps feature maps NHWC (a pixel's channels side by side: what the SIMD kernels
// read); ONNX, callers and weight files give NCHW. One permutation each way, for any typed array.
import type { Shape } from './shapes.js';

interface Values { [i: number]: number; readonly length: number }

/** `src`, an [n, c, h, w] tensor in NCHW order, written into `dst` from `offset` in NHWC order; returns dst. */
export function toNhwc<T extends Values>(src: Values, dst: T, [n, c, h, w]: Shape, offset = 0): T {
  const hw = h * w;
  for (let b = 0; b < n; b++) {
    for (let ch = 0; ch < c; ch++) {
      const from = (b * c + ch) * hw, to = offset + b * hw * c + ch;
      for (let p = 0; p < hw; p++) dst[to + p * c] = src[from + p];
    }
  }
  return dst;
}

/** The inverse: `src` in NHWC order, as an [n, c, h, w] tensor in NCHW order into `dst`. */
export function toNchw<T extends Values>(src: Values, dst: T, [n, c, h, w]: Shape): T {
  const hw = h * w;
  for (let b = 0; b < n; b++) {
    for (let ch = 0; ch < c; ch++) {
      const from = b * hw * c + ch, to = (b * c + ch) * hw;
      for (let p = 0; p < hw; p++) dst[to + p] = src[from + p * c];
    }
  }
  return dst;
}
