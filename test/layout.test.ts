// The host's NCHW <-> NHWC permutations (src/graph/layout.ts: inputs, outputs, depthwise and FC
// weights, constants) against the reference's, on odd sizes, at an offset, in other array types.
import { expect, test } from 'vitest';
import { toNchw, toNhwc } from '../src/graph/layout.js';
import { nchwToNhwc, nhwcToNchw } from './reference/kernels.js';

const SHAPES = [[1, 1, 1, 1], [2, 3, 5, 7], [3, 8, 1, 9], [1, 5, 4, 1]];

test.each(SHAPES)('[%i, %i, %i, %i]: toNhwc and toNchw as the reference, at an offset, in Float32, Int8 and Uint16 arrays', (...shape) => {
  const length = shape.reduce((a, b) => a * b, 1);
  const x = Float32Array.from({ length }, (_, i) => i - length / 2);
  const want = nchwToNhwc(x, shape);
  const dst = new Float32Array(length + 5).fill(NaN);
  expect(toNhwc(x, dst, shape, 3)).toBe(dst);
  expect([...dst.subarray(0, 3), ...dst.subarray(3 + length)].every(Number.isNaN), 'nothing written outside the tensor').toBe(true);
  expect(dst.subarray(3, 3 + length)).toEqual(want);
  expect(toNchw(want, new Float32Array(length), shape)).toEqual(nhwcToNchw(want, shape));
  expect(toNchw(want, new Float32Array(length), shape)).toEqual(x);
  const bytes = Int8Array.from(x, (v) => v % 100);
  expect(Array.from(toNhwc(bytes, new Int8Array(length), shape))).toEqual(Array.from(nchwToNhwc(Float32Array.from(bytes), shape)));
  const halves = Uint16Array.from(x, (v) => v + length);
  expect(Array.from(toNhwc(halves, new Uint16Array(length), shape))).toEqual(Array.from(nchwToNhwc(Float32Array.from(halves), shape)));
});
