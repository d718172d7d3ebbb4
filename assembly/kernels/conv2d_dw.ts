import { activate, activateV } from "../activation";

/**
 * Depthwise convolution (groups == channels, one filter a channel) over NHWC tensors; v128 lanes
 * run along channels, so every tap is one vector multiply-add for four channels.
 *
 * input:   [batch, inH, inW, C] f32; output: [batch, outH, outW, C] f32 (no aliasing).
 * weights: packed by the host: C biases, then for each tap (kh, kw) the C weights of that tap.
 * act:     activation code applied before the store.
 */
export function conv2d_dw_f32(
  input: usize, output: usize, weights: usize,
  batch: i32, inH: i32, inW: i32, c: i32, outH: i32, outW: i32,
  kH: i32, kW: i32, strideH: i32, strideW: i32, padT: i32, padL: i32, dilH: i32, dilW: i32,
  act: i32,
): void {
  const rowBytes = <usize>(inW * c) << 2;
  const pixBytes = <usize>c << 2;
  const tapBytes = <usize>c << 2;
  const c4 = c & ~3;
  let out = output;
  for (let n = 0; n < batch; n++) {
    const img = input + <usize>n * <usize>inH * rowBytes;
    for (let oh = 0; oh < outH; oh++) {
      const ih0 = oh * strideH - padT;
      // Taps inside the image: kh in [khs, khe), found once a row instead of once a tap.
      const khs = ih0 < 0 ? (-ih0 + dilH - 1) / dilH : 0;
      const khe = min(kH, (inH - ih0 + dilH - 1) / dilH);
      for (let ow = 0; ow < outW; ow++) {
        const iw0 = ow * strideW - padL;
        const kws = iw0 < 0 ? (-iw0 + dilW - 1) / dilW : 0;
        const kwe = min(kW, (inW - iw0 + dilW - 1) / dilW);
        let ch = 0;
        if (ASC_FEATURE_SIMD) {
          for (; ch < c4; ch += 4) {
            const off = <usize>ch << 2;
            let acc = v128.load(weights + off);
            for (let kh = khs; kh < khe; kh++) {
              const src = img + <usize>(ih0 + kh * dilH) * rowBytes + off;
              const wrow = weights + tapBytes * <usize>(1 + kh * kW) + off;
              for (let kw = kws; kw < kwe; kw++) {
                const x = v128.load(src + <usize>(iw0 + kw * dilW) * pixBytes);
                acc = f32x4.add(acc, f32x4.mul(x, v128.load(wrow + <usize>kw * tapBytes)));
              }
            }
            v128.store(out + off, activateV(acc, act));
          }
        }
        for (; ch < c; ch++) {
          const off = <usize>ch << 2;
          let acc = load<f32>(weights + off);
          for (let kh = khs; kh < khe; kh++) {
            const src = img + <usize>(ih0 + kh * dilH) * rowBytes + off;
            const wrow = weights + tapBytes * <usize>(1 + kh * kW) + off;
            for (let kw = kws; kw < kwe; kw++) {
              acc += load<f32>(src + <usize>(iw0 + kw * dilW) * pixBytes) * load<f32>(wrow + <usize>kw * tapBytes);
            }
          }
          store<f32>(out + off, activate(acc, act));
        }
        out += pixBytes;
      }
    }
  }
}
