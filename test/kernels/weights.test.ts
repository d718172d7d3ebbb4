// Weight storage: the expansion kernel (unpack_weights) in both builds, over every half and every
// int8 value against float64 references written here; the host's conversions to int8 and half
// (src/graph/storage.ts); and uint8 weights with zero points through conv2d_f32, exactly.

import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { decodeSource, halfToFloat, type ParamSource } from '../../src/graph/ir.js';
import { roundHalfEven, rowsInt8, storeAs, toHalf } from '../../src/graph/storage.js';
import { convBlock } from '../../src/ops/pack.js';
import { WEIGHTS_FORMAT } from '../../src/wasm/abi.js';
import { conv2dRef, nchwToNhwc, nhwcToNchw } from '../reference/kernels.js';
import { BACKENDS, KernelBench, Random, expectClose, normal } from './harness.js';

/** IEEE binary16 bits -> value, from the standard's definition (float64, exact). */
function halfRef(h: number): number {
  const sign = h >> 15 ? -1 : 1, e = (h >> 10) & 0x1f, m = h & 0x3ff;
  if (e === 0x1f) return m === 0 ? sign * Infinity : NaN;
  if (e === 0) return sign * m * Math.pow(2, -24); // subnormal: 0.m x 2^-14
  return sign * (1 + m / 1024) * Math.pow(2, e - 15);
}

describe.each(BACKENDS)('unpack_weights (%s)', (backend) => {
  let b: KernelBench;
  beforeAll(async () => { b = await KernelBench.load(backend); });
  afterEach(() => b.reset());

  // Every finite half (stored blocks hold no others: src/ops/pack.ts storageOf; the test there).
  it.each([8, 5])('fp16: all 63488 finite halves in %i columns, bit for bit (signed zeros, subnormals)', (cols) => {
    const rows = Math.ceil(65536 / cols);
    const block = new Uint8Array(8 * cols + 2 * rows * cols);
    const view = new DataView(block.buffer);
    for (let j = 0; j < cols; j++) {
      view.setFloat32(4 * j, j - 3.5, true); // biases
      view.setFloat32(4 * (cols + j), 1, true); // scales: 1, so the expansion itself is seen exactly
    }
    for (let h = 0; h < 65536; h++) view.setUint16(8 * cols + 2 * h, h, true);
    const src = b.input('stored', new Float32Array(block.buffer));
    const dst = b.output('expanded', cols + rows * cols);
    b.kernels.unpack_weights(WEIGHTS_FORMAT.fp16, src, dst, rows, cols);
    b.check();
    const got = b.read(dst, cols + rows * cols);
    expect(Array.from(got.subarray(0, cols))).toEqual(Array.from({ length: cols }, (_, j) => j - 3.5));
    let bad = 0, finite = 0;
    for (let h = 0; h < 65536; h++) {
      if ((h & 0x7c00) === 0x7c00) continue; // exponent 31: infinity, NaN
      finite++;
      if (!Object.is(got[cols + h], halfRef(h))) bad++;
    }
    expect([finite, bad]).toEqual([63488, 0]);
  });

  it.each([[8, 9], [7, 5], [13, 3], [4, 1], [1, 2]])('int8: %i columns x %i rows, every q value and awkward zero points', (cols, rows) => {
    const rng = new Random(cols * 10 + rows);
    const count = Math.max(256, rows * cols);
    const r = Math.ceil(count / cols);
    const scale = Float32Array.from({ length: cols }, () => Math.fround(rng.uniform() * 0.1 + 1e-4));
    const zero = Int32Array.from({ length: cols }, (_, j) => [-128, 127, 0, 5, -3][j % 5]);
    const q = new Int8Array(r * cols).map((_, i) => i - 128); // every int8 value, then wrapping
    const block = new Uint8Array(12 * cols + r * cols);
    const view = new DataView(block.buffer);
    for (let j = 0; j < cols; j++) {
      view.setFloat32(4 * j, j, true);
      view.setFloat32(4 * (cols + j), scale[j], true);
      view.setInt32(4 * (2 * cols + j), zero[j], true);
    }
    block.set(new Uint8Array(q.buffer), 12 * cols);
    const padded = new Uint8Array(Math.ceil(block.length / 4) * 4);
    padded.set(block);
    const src = b.input('stored', new Float32Array(padded.buffer));
    const dst = b.output('expanded', cols + r * cols);
    b.kernels.unpack_weights(WEIGHTS_FORMAT.int8, src, dst, r, cols);
    b.check();
    const got = b.read(dst, cols + r * cols);
    const ref = Array.from({ length: r * cols }, (_, i) => Math.fround((q[i] - zero[i % cols]) * scale[i % cols]));
    expect(Array.from(got.subarray(cols))).toEqual(ref);
  });
});

describe('host conversions', () => {
  it('halfToFloat equals the definition for all 65536 halves', () => {
    for (let h = 0; h < 65536; h++) expect(Object.is(halfToFloat(h), halfRef(h)) || (Number.isNaN(halfRef(h)) && Number.isNaN(halfToFloat(h)))).toBe(true);
  });

  it('toHalf: every half back to itself; every midpoint to the even neighbour; overflow to infinity', () => {
    let bad = 0;
    for (let h = 0; h < 65536; h++) {
      const v = halfRef(h);
      if (Number.isNaN(v)) { if ((toHalf(v) & 0x7c00) !== 0x7c00 || !(toHalf(v) & 0x3ff)) bad++; continue; }
      if (toHalf(v) !== h) bad++;
      // The midpoint to the next half up in magnitude (exact in float32: 12 significant bits).
      if ((h & 0x7fff) < 0x7bff) {
        const mid = (v + halfRef(h + 1)) / 2;
        const even = h & 1 ? h + 1 : h;
        if (toHalf(mid) !== even) bad++;
        // Just off the midpoint: the nearer neighbour.
        const up = mid + (halfRef(h + 1) - v) / 16;
        if (toHalf(up) !== h + 1) bad++;
      }
    }
    expect(bad).toBe(0);
    expect(toHalf(65520)).toBe(0x7c00); // halfway between the largest half (65504) and 2^16: to infinity
    expect(toHalf(65519)).toBe(0x7bff);
    expect(toHalf(-1e9)).toBe(0xfc00);
    expect(toHalf(2 ** -26)).toBe(0); // a quarter of the smallest subnormal
    expect(toHalf(3 * 2 ** -26)).toBe(1);
  });

  it('roundHalfEven: ties to even, both signs', () => {
    expect([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 2.4999, -2.6, 126.5, -127.5].map(roundHalfEven)).toEqual([0, 2, 2, -0, -2, -2, 2, -3, 126, -128]);
  });

  it('int8 from float: scale = max|w| / 127 per row, the largest value to +-127, the rest within half a step', () => {
    const rng = new Random(3);
    const rows = 5, len = 37;
    const w = normal(rng, rows * len);
    w.fill(0, 2 * len, 3 * len); // an all-zero row
    const rowScale = Float64Array.from({ length: rows }, (_, i) => (i === 4 ? -2 : 0.5 + i));
    const q = new Int8Array(rows * len), scale = new Float32Array(rows), zero = new Int32Array(rows);
    rowsInt8({ values: w, rowScale }, 0, rows, len, q, scale, zero);
    for (let r = 0; r < rows; r++) {
      const row = Array.from(w.subarray(r * len, (r + 1) * len), (v) => v * rowScale[r]);
      const max = Math.max(...row.map(Math.abs));
      expect(zero[r]).toBe(0);
      expect(scale[r]).toBe(max ? Math.fround(max / 127) : 1);
      const qs = Array.from(q.subarray(r * len, (r + 1) * len));
      if (max) expect(Math.max(...qs.map(Math.abs))).toBe(127);
      row.forEach((v, i) => expect(Math.abs(v - qs[i] * scale[r])).toBeLessThanOrEqual(scale[r] / 2 * (1 + 1e-6)));
    }
  });

  it('uint8 with any zero point is kept exactly (q - 128, zero point - 128), per tensor and per row', () => {
    const data = Uint8Array.from({ length: 3 * 256 }, (_, i) => i % 256);
    for (const [scale, zeroPoint] of [
      [Float32Array.of(0.02), Int32Array.of(128)],
      [Float32Array.of(0.5, 0.001, 3), Int32Array.of(0, 255, 17)],
    ] as const) {
      const source: ParamSource = { quant: { data, signed: false, scale, zeroPoint } };
      const stored = decodeSource(storeAs(source, 'int8', 3));
      expect(Array.from(stored)).toEqual(Array.from(decodeSource(source)));
      expect(Array.from(decodeSource(source).subarray(0, 3))).toEqual([0, 1, 2].map((q) => Math.fround((q - zeroPoint[0]) * scale[0])));
    }
  });
});

describe.each(BACKENDS)('conv2d_f32 on uint8 weights with zero points (%s)', (backend) => {
  let b: KernelBench;
  beforeAll(async () => { b = await KernelBench.load(backend); });
  afterEach(() => b.reset());

  it.each([[1, 9], [3, 20]])('batch %i, %i output channels, 3x3, against DequantizeLinear values', (n, o) => {
    const rng = new Random(o);
    const c = 5, h = 6, w = 7, k = c * 9;
    const data = Uint8Array.from({ length: o * k }, () => Math.floor(rng.uniform() * 256));
    const source: ParamSource = {
      quant: {
        data, signed: false,
        scale: Float32Array.from({ length: o }, () => Math.fround(0.01 + 0.02 * rng.uniform())),
        zeroPoint: Int32Array.from({ length: o }, (_, i) => [128, 0, 255, 77][i % 4]),
      },
    };
    const x = normal(rng, n * c * h * w);
    const ref = conv2dRef(x, [n, c, h, w], decodeSource(source), [o, c, 3, 3], null, { pads: [1, 1, 1, 1] });
    const block = convBlock(source, undefined, o, c, 3, 3, 1, 'int8');
    const xp = b.input('input', nchwToNhwc(x, [n, c, h, w]));
    const wp = b.packed('weights', block);
    const ep = b.output('expand', block.expandBytes / 4);
    const zp = b.input('zero', new Float32Array(c));
    const yp = b.output('output', n * h * w * o);
    b.kernels.conv2d_f32(xp, yp, wp, zp, n, h, w, c, h, w, o, 3, 3, 1, 1, 1, 1, 1, 1, 1, 0, 0, o, WEIGHTS_FORMAT.int8, ep);
    b.check();
    expectClose(nhwcToNchw(b.read(yp, n * h * w * o), ref.shape), ref.data, `${backend} uint8`, ref.shape);
  });
});
