// Pooling over NHWC tensors, lanes on channels.

export const POOL_MAX: i32 = 0;
export const POOL_AVG: i32 = 1; // divisor: the taps inside the image
export const POOL_AVG_INCLUDE_PAD: i32 = 2; // divisor: the taps inside the padded image

/**
 * Max or average pooling. input: [batch, inH, inW, C]; output: [batch, outH, outW, C].
 * The host picks outH/outW (floor or ceil mode); windows may run past the padding on the
 * bottom/right in ceil mode, and those taps never count. padB and padR bound the padded image
 * for POOL_AVG_INCLUDE_PAD, as PyTorch and ONNX define it.
 */
export function pool2d_f32(
  input: usize, output: usize,
  batch: i32, inH: i32, inW: i32, c: i32, outH: i32, outW: i32,
  kH: i32, kW: i32, strideH: i32, strideW: i32, padT: i32, padL: i32, padB: i32, padR: i32,
  mode: i32,
): void {
  const pixBytes = <usize>c << 2;
  const rowBytes = <usize>inW * pixBytes;
  const c4 = c & ~3;
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
        let ch = 0;
        if (ASC_FEATURE_SIMD) {
          for (; ch < c4; ch += 4) {
            const off = <usize>ch << 2;
            let acc = mode == POOL_MAX ? f32x4.splat(-Infinity) : f32x4.splat(0);
            for (let h = h0; h < h1; h++) {
              for (let w = w0; w < w1; w++) {
                const x = v128.load(img + <usize>h * rowBytes + <usize>w * pixBytes + off);
                acc = mode == POOL_MAX ? f32x4.max(acc, x) : f32x4.add(acc, x);
              }
            }
            if (mode != POOL_MAX) acc = f32x4.mul(acc, f32x4.splat(inv));
            v128.store(out + off, acc);
          }
        }
        for (; ch < c; ch++) {
          const off = <usize>ch << 2;
          let acc: f32 = mode == POOL_MAX ? -Infinity : 0;
          for (let h = h0; h < h1; h++) {
            for (let w = w0; w < w1; w++) {
              const x = load<f32>(img + <usize>h * rowBytes + <usize>w * pixBytes + off);
              acc = mode == POOL_MAX ? max(acc, x) : acc + x;
            }
          }
          store<f32>(out + off, mode == POOL_MAX ? acc : acc * inv);
        }
        out += pixBytes;
      }
    }
  }
}

/**
 * Global average or max pooling (the SE squeeze): input [batch, hw, C] -> output [batch, C].
 * mode: POOL_MAX or POOL_AVG.
 */
export function global_pool_f32(input: usize, output: usize, batch: i32, hw: i32, c: i32, mode: i32): void {
  const pixBytes = <usize>c << 2;
  const c4 = c & ~3;
  const inv: f32 = 1.0 / <f32>hw;
  for (let n = 0; n < batch; n++) {
    const img = input + <usize>n * <usize>hw * pixBytes;
    const out = output + <usize>n * pixBytes;
    let ch = 0;
    if (ASC_FEATURE_SIMD) {
      for (; ch < c4; ch += 4) {
        const off = <usize>ch << 2;
        let acc = v128.load(img + off);
        for (let i = 1; i < hw; i++) {
          const x = v128.load(img + <usize>i * pixBytes + off);
          acc = mode == POOL_MAX ? f32x4.max(acc, x) : f32x4.add(acc, x);
        }
        v128.store(out + off, mode == POOL_MAX ? acc : f32x4.mul(acc, f32x4.splat(inv)));
      }
    }
    for (; ch < c; ch++) {
      const off = <usize>ch << 2;
      let acc = load<f32>(img + off);
      for (let i = 1; i < hw; i++) {
        const x = load<f32>(img + <usize>i * pixBytes + off);
        acc = mode == POOL_MAX ? max(acc, x) : acc + x;
      }
      store<f32>(out + off, mode == POOL_MAX ? acc : acc * inv);
    }
  }
}
