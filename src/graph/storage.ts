// How weights are stored: float32, int8 with a scale per output channel, or IEEE half floats.
// The conversions here run once, at compile time (a panel's rows at a time, so that no copy of a
// whole weight is made) and in the converter (`senet-wasm quantize`), which therefore writes the
// very int8 values a compile-time quantization stores.
import { oneOf } from '../options.js';
import { decodeRange, decodeSource, scaledValues, sourceLength, type ParamSource, type QuantSource } from './ir.js';

export type WeightFormat = 'fp32' | 'int8' | 'fp16';
export const WEIGHT_FORMATS: readonly WeightFormat[] = ['fp32', 'int8', 'fp16'];

/** A weights option checked at run time: absent, or one of WEIGHT_FORMATS (else an OptionError listing them). */
export const checkWeightFormat = (v: unknown, key = 'weights'): WeightFormat | undefined =>
  (v === undefined ? undefined : oneOf(key, v as WeightFormat, WEIGHT_FORMATS));

/** The form a source already has: what it is stored as unless asked otherwise. */
export const sourceFormat = (s: ParamSource): WeightFormat => (s.quant ? 'int8' : s.half ? 'fp16' : 'fp32');

/**
 * Rows [o0, o0 + n) (rowLength values each) as float32 into `out`, rowScale not applied (the f32
 * packer applies it in f64). File bytes go in as they are (little-endian, as wasm memory).
 */
export function rowsF32(s: ParamSource, o0: number, n: number, rowLength: number, out: Float32Array): void {
  const from = o0 * rowLength, count = n * rowLength;
  if (s.values) out.set(s.values.subarray(from, from + count));
  else if (s.bytes) new Uint8Array(out.buffer, out.byteOffset, 4 * count).set(s.bytes.subarray(4 * from, 4 * (from + count)));
  else decodeRange(s, from, out.subarray(0, count));
}

/** Row r's values times its rowScale, in float64, into `out` (rowLength values). */
function scaledRow(s: ParamSource, r: number, rowLength: number, out: Float64Array, tmp: Float32Array): void {
  rowsF32(s, r, 1, rowLength, tmp);
  const k = s.rowScale ? s.rowScale[r] : 1;
  for (let i = 0; i < rowLength; i++) out[i] = tmp[i] * k;
}

/** x rounded to the nearest integer, ties to even (ONNX QuantizeLinear's rounding). */
export function roundHalfEven(x: number): number {
  const r = Math.round(x); // ties toward +infinity
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * Rows [o0, o0 + n) as int8 into q (rowLength each), with each row's scale and zero point.
 * A quantized source keeps its values (uint8 as q - 128, zero point z - 128: exact for any zero
 * point) and its scale times rowScale. Any other: symmetric, scale = max |w| / 127 (w times
 * rowScale in float64), q = round(w / scale) ties to even (|w / scale| <= 127 (1 + 2^-24) < 127.5,
 * so no clamp), zero point 0; an all-zero row gets scale 1.
 */
export function rowsInt8(s: ParamSource, o0: number, n: number, rowLength: number,
  q: Int8Array, scale: Float32Array, zero: Int32Array): void {
  if (s.quant) {
    const { data, signed, scale: sc, zeroPoint } = s.quant;
    const shift = signed ? 0 : 128;
    for (let j = 0; j < n; j++) {
      const r = o0 + j, at = sc.length > 1 ? r : 0;
      const row = data.subarray(r * rowLength, (r + 1) * rowLength);
      for (let i = 0; i < rowLength; i++) q[j * rowLength + i] = row[i] - shift;
      scale[j] = sc[at] * (s.rowScale ? s.rowScale[r] : 1);
      zero[j] = zeroPoint[at] - shift;
    }
    return;
  }
  const w = new Float64Array(rowLength), tmp = new Float32Array(rowLength);
  for (let j = 0; j < n; j++) {
    scaledRow(s, o0 + j, rowLength, w, tmp);
    let max = 0;
    for (let i = 0; i < rowLength; i++) max = Math.max(max, Math.abs(w[i]));
    const sc = max > 0 ? Math.fround(max / 127) : 1;
    for (let i = 0; i < rowLength; i++) q[j * rowLength + i] = roundHalfEven(w[i] / sc);
    scale[j] = sc;
    zero[j] = 0;
  }
}

const fitsCache = new WeakMap<object, boolean>(); // by the values' array: a source object may be made per read

/**
 * Whether a weight stored as fp16 holds only finite halves (a half source's own; any other's
 * values as rowsHalf rounds them: below 65520 in magnitude): the kernels decode finite halves only
 * (assembly/kernels/weights.ts), so a weight that fails stays fp32 (src/ops/pack.ts storageOf).
 * Scanned once a source.
 */
export function fitsHalf(s: ParamSource): boolean {
  const key = s.half ?? s.values ?? s.bytes ?? s.quant!;
  let fits = fitsCache.get(key);
  if (fits === undefined) {
    fits = true;
    if (s.half) {
      for (let i = 1; i < s.half.length && fits; i += 2) fits = (s.half[i] & 0x7c) !== 0x7c; // exponent 31
    } else {
      const v = decodeSource(s); // a values source as it is, no copy
      for (let i = 0; i < v.length && fits; i++) fits = Math.abs(v[i]) < 65520; // false for NaN too
    }
    fitsCache.set(key, fits);
  }
  return fits;
}

/**
 * Rows [o0, o0 + n) as IEEE half bits into `out` and each row's scale (its rowScale, rounded to
 * float32, else 1): a half source's bits as they are, any other value rounded to half (nearest,
 * ties to even) from float32.
 */
export function rowsHalf(s: ParamSource, o0: number, n: number, rowLength: number, out: Uint16Array, scale: Float32Array): void {
  for (let j = 0; j < n; j++) scale[j] = s.rowScale ? s.rowScale[o0 + j] : 1;
  if (s.half) {
    new Uint8Array(out.buffer, out.byteOffset, 2 * n * rowLength).set(s.half.subarray(2 * o0 * rowLength, 2 * (o0 + n) * rowLength));
    return;
  }
  const w = new Float32Array(n * rowLength);
  rowsF32(s, o0, n, rowLength, w);
  for (let i = 0; i < w.length; i++) out[i] = toHalf(w[i]);
}

const f32 = new Float32Array(1), bits = new Uint32Array(f32.buffer);

/** x rounded to float32, then to the nearest IEEE half (ties to even); NaN stays NaN, overflow is infinity. */
export function toHalf(x: number): number {
  f32[0] = x;
  const b = bits[0];
  const sign = (b >>> 16) & 0x8000, e = (b >>> 23) & 0xff, m = b & 0x7fffff;
  if (e === 255) return sign | 0x7c00 | (m ? 0x200 | (m >>> 13) : 0);
  const exp = e - 112; // rebiased from 127 to 15
  if (exp >= 31) return sign | 0x7c00;
  if (exp <= 0) {
    // A half subnormal (units of 2^-24) or zero: the significand with its implicit bit, shifted.
    if (exp < -10) return sign;
    const sig = m | 0x800000, shift = 14 - exp;
    const h = sig >>> shift, rest = sig & ((1 << shift) - 1), half = 1 << (shift - 1);
    return sign | (rest > half || (rest === half && h & 1) ? h + 1 : h);
  }
  const h = (exp << 10) | (m >>> 13), rest = m & 0x1fff;
  // A carry out of the mantissa steps the exponent: up to infinity, as it should.
  return sign | (rest > 0x1000 || (rest === 0x1000 && h & 1) ? h + 1 : h);
}

/**
 * A weight of `rows` rows in `format`, its rowScale applied: what the converter writes (the int8
 * and half values a compile-time conversion of the same source stores, when it has no rowScale).
 * fp32: float32 values.
 */
export function storeAs(s: ParamSource, format: WeightFormat, rows: number): ParamSource {
  const count = sourceLength(s), rowLength = count / rows;
  if (format === 'fp32') return { values: scaledValues(s) };
  if (format === 'fp16') {
    // ONNX has no scaled half: a rowScale goes into the values (rounded to half once more).
    const out = new Uint16Array(count);
    rowsHalf(s.rowScale ? storeAs(s, 'fp32', rows) : s, 0, rows, rowLength, out, new Float32Array(rows));
    return { half: new Uint8Array(out.buffer) };
  }
  const q = new Int8Array(count), scale = new Float32Array(rows), zeroPoint = new Int32Array(rows);
  rowsInt8(s, 0, rows, rowLength, q, scale, zeroPoint);
  const quant: QuantSource = { data: new Uint8Array(q.buffer), signed: true, scale, zeroPoint };
  return { quant };
}
