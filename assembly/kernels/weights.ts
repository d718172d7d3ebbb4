// Weight storage formats and their expansion to f32. A packed weight block is `cols` f32 biases,
// then a format header, then rows x cols values (conv2d_f32 panels: cols = 8 output channels,
// rows = K; conv2d_dw_f32: cols = C channels, rows = taps). The kernels expand a block into the
// f32 layout (biases, then rows x cols f32) in a scratch and run their f32 loops on it unchanged:
// conv2d_f32 once per panel and 256-pixel block (8K conversions against 256 x 8 x K multiply-adds;
// a conversion costs a few multiply-adds' time, so 1-3% of a conv's time), conv2d_dw_f32 once per call.

/** f32: biases, then rows x cols f32 (the block is used in place, never expanded). */
export const WEIGHTS_F32: i32 = 0;
/**
 * qs8: biases, then cols f32 scales, cols i32 zero points, then rows x cols i8:
 * w = (q - zero point) * scale, per column (output channel). Symmetric quantization stores zero
 * points of 0; uint8 ONNX weights are stored as q - 128 with zero point z - 128 (exact).
 */
export const WEIGHTS_QS8: i32 = 1;
/**
 * f16: biases, then cols f32 scales, then rows x cols IEEE binary16 (little-endian), all finite:
 * w = h * scale, per column; the scale carries a folded BatchNorm's factor, which rounding into the
 * halves would have cost 2^-11 of each weight (5e-4 off onnxruntime on the same file).
 */
export const WEIGHTS_F16: i32 = 2;

/** Bytes of a stored block of `rows` x `cols` weights in `format` (the host's weightBlockBytes). */
// @ts-ignore: decorator
@inline export function storedBytes(format: i32, rows: i32, cols: i32): usize {
  const values = <usize>rows * <usize>cols;
  if (format == WEIGHTS_QS8) return (<usize>cols * 12) + values;
  if (format == WEIGHTS_F16) return (<usize>cols << 3) + (values << 1);
  return (<usize>cols << 2) + (values << 2);
}

/**
 * Expands a stored block (`format` not f32) into dst: cols biases, then rows x cols f32.
 * Exported for the tests (every half, every int8, against a float64 reference).
 */
export function unpack_weights(format: i32, src: usize, dst: usize, rows: i32, cols: i32): void {
  const colBytes = <usize>cols << 2;
  memory.copy(dst, src, colBytes);
  const out = dst + colBytes;
  if (cols == 8) {
    // A conv panel: its rows are contiguous.
    expandRows8(format, src + 32, src + panelValues(format), panelRowBytes(format), out, rows);
    return;
  }
  if (format == WEIGHTS_QS8) {
    const scales = src + colBytes, zeros = scales + colBytes, q = zeros + colBytes;
    for (let r = 0; r < rows; r++) {
      const qr = q + <usize>(r * cols), or = out + (<usize>(r * cols) << 2);
      let c = 0;
      if (ASC_FEATURE_SIMD) {
        for (; c + 4 <= cols; c += 4) {
          const o = <usize>c << 2;
          const wide = i32x4.extend_low_i16x8_s(i16x8.extend_low_i8x16_s(v128.load32_zero(qr + <usize>c)));
          const centred = i32x4.sub(wide, v128.load(zeros + o));
          v128.store(or + o, f32x4.mul(f32x4.convert_i32x4_s(centred), v128.load(scales + o)));
        }
      }
      for (; c < cols; c++) {
        const o = <usize>c << 2;
        store<f32>(or + o, qs8x1(qr + <usize>c, load<i32>(zeros + o), load<f32>(scales + o)));
      }
    }
    return;
  }
  const scales = src + colBytes, h = scales + colBytes;
  for (let r = 0; r < rows; r++) {
    const hr = h + (<usize>(r * cols) << 1), or = out + (<usize>(r * cols) << 2);
    let c = 0;
    if (ASC_FEATURE_SIMD) {
      for (; c + 4 <= cols; c += 4) {
        const f = halfToFloatV(i32x4.extend_low_i16x8_s(v128.load64_zero(hr + (<usize>c << 1))));
        v128.store(or + (<usize>c << 2), f32x4.mul(f, v128.load(scales + (<usize>c << 2))));
      }
    }
    for (; c < cols; c++) {
      store<f32>(or + (<usize>c << 2), f16x1(hr + (<usize>c << 1), load<f32>(scales + (<usize>c << 2))));
    }
  }
}

// Where a stored conv panel's values start (after 8 biases, 8 scales and, for int8, 8 zero
// points), and the bytes of one of its rows of 8 values.
// @ts-ignore: decorator
@inline export function panelValues(format: i32): usize {
  return format == WEIGHTS_QS8 ? 96 : 64;
}
// @ts-ignore: decorator
@inline export function panelRowBytes(format: i32): usize {
  return format == WEIGHTS_QS8 ? 8 : 16;
}

/**
 * `rows` rows of a stored conv panel's 8 columns (int8 or fp16), `stride` bytes apart from src,
 * expanded to f32 rows of 8 at dst; header: the panel's 8 scales (int8: then its 8 zero points).
 * unpack_weights' panels (contiguous rows) and the Winograd kernel's taps (a channel's 9 taps,
 * inC rows apart: assembly/kernels/winograd.ts).
 */
export function expandRows8(format: i32, header: usize, src: usize, stride: usize, dst: usize, rows: i32): void {
  if (ASC_FEATURE_SIMD) {
    const s0 = v128.load(header), s1 = v128.load(header, 16);
    if (format == WEIGHTS_QS8) {
      // A row is one 8-byte load, q - zero point in i16 (within +-255), the scales and zero points
      // in registers: 0.27 -> 0.09 ns a value (unpack_weights' general loop).
      const z = i16x8.narrow_i32x4_s(v128.load(header, 32), v128.load(header, 48));
      for (let r = 0; r < rows; r++) {
        const w = i16x8.sub(i16x8.extend_low_i8x16_s(v128.load64_zero(src + <usize>r * stride)), z);
        const o = dst + (<usize>r << 5);
        v128.store(o, f32x4.mul(f32x4.convert_i32x4_s(i32x4.extend_low_i16x8_s(w)), s0));
        v128.store(o, f32x4.mul(f32x4.convert_i32x4_s(i32x4.extend_high_i16x8_s(w)), s1), 16);
      }
    } else {
      for (let r = 0; r < rows; r++) {
        const v = v128.load(src + <usize>r * stride), o = dst + (<usize>r << 5);
        v128.store(o, f32x4.mul(halfToFloatV(i32x4.extend_low_i16x8_s(v)), s0));
        v128.store(o, f32x4.mul(halfToFloatV(i32x4.extend_high_i16x8_s(v)), s1), 16);
      }
    }
    return;
  }
  for (let r = 0; r < rows; r++) {
    const row = src + <usize>r * stride, o = dst + (<usize>r << 5);
    for (let c: usize = 0; c < 8; c++) {
      const scale = load<f32>(header + (c << 2));
      const w = format == WEIGHTS_QS8 ? qs8x1(row + c, load<i32>(header + 32 + (c << 2)), scale) : f16x1(row + (c << 1), scale);
      store<f32>(o + (c << 2), w);
    }
  }
}

// One stored weight expanded.
// @ts-ignore: decorator
@inline function qs8x1(at: usize, zero: i32, scale: f32): f32 {
  return <f32>(<i32>load<i8>(at) - zero) * scale;
}
// @ts-ignore: decorator
@inline function f16x1(at: usize, scale: f32): f32 {
  return reinterpret<f32>(halfToFloat(<u32>load<u16>(at))) * scale;
}

// binary16 -> binary32 bits, for finite halves: a stored fp16 block holds no infinity or NaN
// (src/ops/pack.ts storageOf keeps such a weight fp32), which saves the exponent-31 case (SE-ResNet-50
// fp16: 1.07 -> 1.04x the fp32 time). Sign, exponent and mantissa shifted into place are a float
// 2^-112 times the half (subnormal halves too: they become f32 subnormals, which the multiply
// makes normal, exactly).
const HALF_BIAS: f32 = 5.192296858534828e33; // 2^112 = 2^(127 - 15)

// @ts-ignore: decorator
@inline function halfToFloat(h: u32): u32 {
  return reinterpret<u32>(reinterpret<f32>((h & 0x7fff) << 13) * HALF_BIAS) | (h & 0x8000) << 16;
}

// Halves sign-extended to i32 lanes: shifted, the sign's copies land in bit 31 and in the three
// bits above the half's exponent, which the mask clears.
// @ts-ignore: decorator
@inline function halfToFloatV(h: v128): v128 {
  return f32x4.mul(v128.and(i32x4.shl(h, 13), i32x4.splat(0x8fffffff)), f32x4.splat(HALF_BIAS));
}

/**
 * Packs one conv2d_f32 panel in a stored format from up to 8 rows of `size`-byte values (1: i8,
 * 2: f16) in PyTorch order [inCg][taps] at src: 8 biases (zero when `bias` is 0 or past n); for
 * qs8 (size 1) then 8 scales and 8 zero points from `scale` and `zero` (n of each; 1 and 0 past
 * n); then for each tap and input channel 8 values (0 past n). The f32 format is
 * pack_conv_panel_f32's (pack.ts), which also applies a folded BatchNorm.
 */
export function pack_conv_panel_stored(
  src: usize, size: i32, bias: usize, scale: usize, zero: usize, dst: usize, n: i32, inCg: i32, taps: i32,
): void {
  for (let j = 0; j < 8; j++) {
    const o = <usize>j << 2;
    store<f32>(dst + o, bias && j < n ? load<f32>(bias + o) : 0);
    store<f32>(dst + 32 + o, j < n ? load<f32>(scale + o) : 1);
    if (size == 1) store<i32>(dst + 64 + o, j < n ? load<i32>(zero + o) : 0);
  }
  const rowBytes = <usize>(inCg * taps * size);
  let out = dst + (size == 1 ? 96 : 64);
  for (let t = 0; t < taps; t++) {
    let from = src + <usize>(t * size);
    for (let i = 0; i < inCg; i++) {
      let row = from;
      for (let j = 0; j < 8; j++) {
        if (size == 1) store<i8>(out, j < n ? load<i8>(row) : 0);
        else store<u16>(out, j < n ? load<u16>(row) : 0);
        out += size;
        row += rowBytes;
      }
      from += <usize>(taps * size);
    }
  }
}
