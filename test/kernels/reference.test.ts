// The references themselves, on values worked out by hand and on PyTorch's documented output
// sizes: a kernel test is only as good as the reference it compares with.

import { describe, expect, it } from 'vitest';
import { ACTIVATIONS } from '../../src/graph/ir.js';
import {
  activate, activationRef, addRef, batchNormRef, conv2dRef, convOutputSize, globalPoolRef, linearRef,
  nchwToNhwc, nhwcToNchw, pool2dRef, poolOutputSize, scaleRef, softmaxRef,
} from '../reference/kernels.js';
import { Random, normal } from './harness.js';

const close = (got: ArrayLike<number>, want: number[], eps = 1e-12): void => {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) expect(Math.abs(got[i] - want[i]), `at ${i}: ${got[i]} vs ${want[i]}`).toBeLessThanOrEqual(eps);
};

describe('output sizes', () => {
  it('convolution', () => {
    expect(convOutputSize(224, 7, 2, 3, 3)).toBe(112); // ResNet stem
    expect(convOutputSize(9, 3, 2, 1, 1)).toBe(5);
    expect(convOutputSize(8, 3, 2, 0, 1)).toBe(4); // TF SAME on an even map
    expect(convOutputSize(9, 3, 1, 2, 2, 2)).toBe(9); // dilation 2 keeps the size
    expect(convOutputSize(7, 3, 1, 0, 0, 3)).toBe(1);
  });

  it('pooling, floor and PyTorch ceil mode', () => {
    expect(poolOutputSize(112, 3, 2, 1, 1)).toBe(56); // ResNet max pool
    expect(poolOutputSize(112, 3, 2, 0, 0, false)).toBe(55);
    expect(poolOutputSize(112, 3, 2, 0, 0, true)).toBe(56); // Caffe SENet max pool
    expect(poolOutputSize(7, 2, 2, 0, 0, true)).toBe(4);
    // ceil((5 + 2 - 2) / 2) + 1 = 4, but the 4th window would start at 5 = inside the bottom pad.
    expect(poolOutputSize(5, 2, 2, 1, 1, true)).toBe(3);
    expect(poolOutputSize(6, 3, 2, 1, 1, true)).toBe(4);
  });
});

describe('activations', () => {
  it('values', () => {
    const at = (x: number) => ACTIVATIONS.map((a) => activate(x, a));
    // none, relu, relu6, sigmoid, hardsigmoid, silu, hardswish, tanh
    close(at(0), [0, 0, 0, 0.5, 0.5, 0, 0, 0]);
    close(at(1), [1, 1, 1, 0.7310585786300049, 4 / 6, 0.7310585786300049, 4 / 6, 0.7615941559557649]);
    close(at(-3), [-3, 0, 0, 0.04742587317756678, 0, -0.14227761953270035, 0, -0.9950547536867305]);
    close(at(7), [7, 7, 6, 0.9990889488055994, 1, 6.993622641639196, 7, 0.9999983369439447]);
    expect(activate(-800, 'sigmoid')).toBe(0); // no overflow for either sign
    expect(activate(800, 'sigmoid')).toBe(1);
    expect(activationRef([1, -2], [2], 'relu').data).toEqual(Float64Array.from([1, 0]));
  });
});

describe('conv2dRef', () => {
  const x = Float32Array.from({ length: 9 }, (_, i) => i + 1); // [[1 2 3] [4 5 6] [7 8 9]]

  it('3x3 of ones, pad 1: the sums of the neighbourhoods, plus the bias', () => {
    const r = conv2dRef(x, [1, 1, 3, 3], new Float32Array(9).fill(1), [1, 1, 3, 3], [10], { pads: [1, 1, 1, 1] });
    expect(r.shape).toEqual([1, 1, 3, 3]);
    close(r.data, [12, 21, 16, 27, 45, 33, 24, 39, 28].map((v) => v + 10));
  });

  it('stride 2, asymmetric pads, dilation, activation', () => {
    // pads top 0, left 1, bottom 1, right 0; 2x2 kernel [[1 0] [0 -1]]: out = x[y][x-1] - x[y+1][x]
    const r = conv2dRef(x, [1, 1, 3, 3], [1, 0, 0, -1], [1, 1, 2, 2], null, { stride: [2, 2], pads: [0, 1, 1, 0] });
    expect(r.shape).toEqual([1, 1, 2, 2]);
    close(r.data, [0 - 4, 2 - 6, 0 - 0, 8 - 0]);
    const d = conv2dRef(x, [1, 1, 3, 3], [1, 1, 1, 1], [1, 1, 2, 2], null, { dilation: [2, 2], act: 'relu6' });
    close(d.data, [6]); // relu6(1 + 3 + 7 + 9)
  });

  it('groups: each group sees its own channels only', () => {
    const rng = new Random(3);
    const xs = normal(rng, 4 * 9);
    const w = normal(rng, 4 * 2 * 9);
    const g = conv2dRef(xs, [1, 4, 3, 3], w, [4, 2, 3, 3], null, { group: 2, pads: [1, 1, 1, 1] });
    // group 1 = a conv of channels 2..3 with output channels 2..3 alone
    const alone = conv2dRef(xs.slice(18), [1, 2, 3, 3], w.slice(36), [2, 2, 3, 3], null, { pads: [1, 1, 1, 1] });
    close(g.data.slice(18), Array.from(alone.data));
  });

  it('1x1 on a 1x1 map is linearRef', () => {
    const rng = new Random(4);
    const xs = normal(rng, 2 * 5);
    const w = normal(rng, 3 * 5);
    const b = normal(rng, 3);
    const c = conv2dRef(xs, [2, 5, 1, 1], w, [3, 5, 1, 1], b, { act: 'silu' });
    close(c.data, Array.from(linearRef(xs, [2, 5], w, [3, 5], b, 'silu').data));
  });

  it('rejects inconsistent shapes', () => {
    expect(() => conv2dRef(x, [1, 1, 3, 3], [1, 2], [1, 1, 2, 2], null)).toThrow();
    expect(() => conv2dRef(new Float32Array(18), [1, 2, 3, 3], new Float32Array(27), [3, 1, 3, 3], null, { group: 2 })).toThrow();
  });
});

describe('pool2dRef', () => {
  const x16 = Float32Array.from({ length: 16 }, (_, i) => i);

  it('max 2x2/2', () => {
    close(pool2dRef(x16, [1, 1, 4, 4], { mode: 'max', kernel: [2, 2] }).data, [5, 7, 13, 15]);
  });

  it('padding never wins a max', () => {
    const neg = x16.map((v) => -1 - v);
    close(pool2dRef(neg, [1, 1, 4, 4], { mode: 'max', kernel: [3, 3], stride: [2, 2], pads: [1, 1, 1, 1] }).data, [-1, -2, -5, -6]);
  });

  it('average with and without the padding in the divisor', () => {
    const x = [1, 2, 3, 4];
    const opts = { mode: 'avg', kernel: [2, 2], stride: [2, 2], pads: [1, 1, 1, 1] } as const;
    close(pool2dRef(x, [1, 1, 2, 2], opts).data, [1, 2, 3, 4]);
    close(pool2dRef(x, [1, 1, 2, 2], { ...opts, countIncludePad: true }).data, [0.25, 0.5, 0.75, 1]);
  });

  it('ceil mode: windows past the padded map are cut there (PyTorch)', () => {
    // AvgPool2d(2, 2, ceil_mode=True, count_include_pad=True)(ones(3, 3)) == ones(2, 2) in PyTorch.
    const ones = new Float32Array(9).fill(1);
    const r = pool2dRef(ones, [1, 1, 3, 3], { mode: 'avg', kernel: [2, 2], ceilMode: true, countIncludePad: true });
    expect(r.shape).toEqual([1, 1, 2, 2]);
    close(r.data, [1, 1, 1, 1]);
    // With pad 1 the last window of 3x3/2 on 6 starts at 5 and ends at 6 + 1: divisor 3 * 2 at the edge.
    const x = Float32Array.from({ length: 36 }, () => 6);
    const e = pool2dRef(x, [1, 1, 6, 6], { mode: 'avg', kernel: [3, 3], stride: [2, 2], pads: [1, 1, 1, 1], ceilMode: true, countIncludePad: true });
    expect(e.shape).toEqual([1, 1, 4, 4]);
    expect(e.data[0]).toBeCloseTo((4 * 6) / 9, 12); // corner: 2x2 inside of a 3x3 window
    expect(e.data[3]).toBeCloseTo((2 * 1 * 6) / 6, 12); // top right: window 3 tall (clipped to 2+pad), 2 wide
    expect(e.data[15]).toBeCloseTo(6 / 4, 12); // bottom right: window rows 5..6, cols 5..6, one tap inside
  });
});

describe('the other references', () => {
  it('global pool, scale, add, softmax, batch norm', () => {
    const x = [1, 2, 3, 4, -1, -2, -3, -4]; // [1, 2, 2, 2]
    close(globalPoolRef(x, [1, 2, 2, 2], 'avg').data, [2.5, -2.5]);
    close(globalPoolRef(x, [1, 2, 2, 2], 'max').data, [4, -1]);
    close(scaleRef(x, [1, 2, 2, 2], [2, 0.5]).data, [2, 4, 6, 8, -0.5, -1, -1.5, -2]);
    close(scaleRef(x, [1, 2, 2, 2], [2, 0.5], [0, 0, 0, -7, 1, 1, 1, 1], true).data, [2, 4, 6, 1, 0.5, 0, 0, 0]);
    close(addRef([1, -5], [2, 1], [2], 'relu').data, [3, 0]);
    const s = softmaxRef([0, Math.log(3), 1000, 1000], [2, 2]).data;
    close(s, [0.25, 0.75, 0.5, 0.5]);
    close(batchNormRef([1, 3], [1, 2, 1, 1], [2, 1], [1, 0], [0, 1], [3, 0], 1).data, [2, 2]);
  });

  it('NCHW <-> NHWC', () => {
    const x = Float32Array.from({ length: 2 * 3 * 2 * 2 }, (_, i) => i);
    const nhwc = nchwToNhwc(x, [2, 3, 2, 2]);
    // NHWC [n][y][x][c] = NCHW [n][c][y][x]
    expect(nhwc[((1 * 2 + 1) * 2 + 0) * 3 + 2]).toBe(x[((1 * 3 + 2) * 2 + 1) * 2 + 0]);
    expect(nhwcToNchw(nhwc, [2, 3, 2, 2])).toEqual(x);
    expect(nchwToNhwc(Float64Array.from(x), [2, 3, 2, 2])).toBeInstanceOf(Float64Array);
  });
});
