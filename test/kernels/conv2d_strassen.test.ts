// conv2d_strassen_f32 (a 1x1 conv through one level of Strassen's algorithm, weights from
// strassenBlock) against the float64 reference, in every build: blocks of an odd number of rows
// (the bottom half's missing row), images of more than one block, batches, every activation, an
// output written as a slice of a wider tensor, the channel means; and an image's outputs the same
// bits alone as inside a batch; split in two by panels as two threads make it (each share's
// columns of every quadrant, then conv_means_f32) and bitwise one call. Which convs take it: test/strassen-choice.test.ts.

import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { strassenBlock } from '../../src/ops/pack.js';
import { ACT_CODE } from '../../src/ops/activation.js';
import { ACTIVATIONS, type Activation } from '../../src/graph/ir.js';
import { strassenBytes } from '../../src/ops/table.js';
import { conv2dRef, nchwToNhwc, nhwcToNchw } from '../reference/kernels.js';
import { BACKENDS, KernelBench, Random, expectClose, normal, readStrided } from './harness.js';

interface Case { n: number; c: number; h: number; w: number; o: number; act: Activation; bias: boolean; gap: number; gain: number }

const cases: Case[] = [];
const base: Case = { n: 1, c: 8, h: 1, w: 3, o: 16, act: 'none', bias: true, gap: 0, gain: 1 };
cases.push(
  base, // 3 pixels: 2 rows on top, 1 below
  { ...base, h: 1, w: 1 }, // one pixel: the bottom half all zeros
  { ...base, n: 2, c: 16, h: 5, w: 7, o: 32, act: 'relu', gap: 5 }, // 35 pixels an image, a slice of a wider output
  { ...base, c: 24, h: 17, w: 17, o: 48, act: 'silu' }, // 289 pixels: a block of 256 and one of 33
  { ...base, n: 3, c: 16, h: 16, w: 16, o: 16, bias: false }, // blocks of 256 that end with their images
  { ...base, c: 64, h: 6, w: 6, o: 64, gain: 4 },
);
for (const act of ACTIVATIONS) cases.push({ ...base, n: 2, c: 8, h: 3, w: 5, o: 32, act, gain: 4 });

const label = (c: Case) => `n${c.n} ${c.c}x${c.h}x${c.w} -> ${c.o} ${c.act}${c.bias ? '' : ' nobias'}${c.gap ? ` gap ${c.gap}` : ''}`;

describe.each(BACKENDS)('conv2d_strassen_f32 (%s)', (backend) => {
  let b: KernelBench;
  beforeAll(async () => { b = await KernelBench.load(backend); });
  afterEach(() => b.reset());

  it.each(cases.map((c) => [label(c), c] as const))('%s', (_, cs) => {
    const { n, c, h, w, o, act, gap } = cs;
    const rng = new Random(7);
    const x = normal(rng, n * c * h * w);
    const weight = normal(rng, o * c, cs.gain / Math.sqrt(c));
    const bias = cs.bias ? normal(rng, o, 0.5 * cs.gain) : undefined;
    const ref = conv2dRef(x, [n, c, h, w], weight, [o, c, 1, 1], bias, { pads: [0, 0, 0, 0], act });
    const plane = h * w;
    const xp = b.input('input', nchwToNhwc(x, [n, c, h, w]));
    const wp = b.packed('weights', strassenBlock({ values: weight }, bias, o, c));
    const zp = b.input('zero', new Float32Array(c)); // exactly K zeros, then NaN guard
    const sp = b.output('scratch', strassenBytes(c, o) / 4); // exactly its size: a write past it shows
    const yp = b.output('output', n * plane * (o + gap));
    const mp = b.output('means', n * o);
    b.kernels.conv2d_strassen_f32(xp, yp, wp, zp, n, plane, c, o, ACT_CODE[act], mp, o + gap, sp, 0, o / 16);
    b.check();
    const got = nhwcToNchw(readStrided(b, yp, n * plane, o, o + gap, `${backend} ${label(cs)}`), ref.shape);
    expectClose(got, ref.data, `${backend} ${label(cs)}`, ref.shape);
    const means = Float64Array.from({ length: n * o }, (_, i) => {
      let sum = 0;
      for (let p = 0; p < plane; p++) sum += ref.data[i * plane + p];
      return sum / plane;
    });
    expectClose(b.read(mp, n * o), means, `${backend} ${label(cs)} means`, [n, o]);
    // The last image alone: the same bits as inside the batch.
    const last = (n - 1) * plane;
    const y1 = b.output('last image alone', plane * (o + gap));
    b.kernels.conv2d_strassen_f32(xp + 4 * last * c, y1, wp, zp, 1, plane, c, o, ACT_CODE[act], 0, o + gap, sp, 0, o / 16);
    const bits = (at: number, len: number) => new Uint32Array(b.read(at, len).buffer);
    expect(bits(y1, plane * (o + gap)), 'an image alone as in the batch').toEqual(bits(yp + 4 * last * (o + gap), plane * (o + gap)));
  });

});

describe.each(BACKENDS)('conv2d_strassen_f32 split by panels (%s, threaded build: conv_means_f32)', (backend) => {
  let b: KernelBench;
  beforeAll(async () => { b = await KernelBench.load(backend, true); });
  afterEach(() => b.reset());

  it.each(([
    { ...base, n: 2, c: 16, h: 5, w: 7, o: 48, act: 'hardswish', gap: 3 }, // 3 panels a half: shares of 1 and 2
    { ...base, c: 24, h: 17, w: 17, o: 32, act: 'silu' },
  ] satisfies Case[]).map((c) => [label(c), c] as const))('%s: two shares of the panels, then the means, bitwise one call', (_, cs) => {
    const { n, c, h, w, o, act, gap } = cs;
    const rng = new Random(11);
    const x = normal(rng, n * c * h * w), weight = normal(rng, o * c, 1 / Math.sqrt(c)), bias = normal(rng, o, 0.5);
    const plane = h * w, len = n * plane * (o + gap);
    const xp = b.input('input', nchwToNhwc(x, [n, c, h, w]));
    const wp = b.packed('weights', strassenBlock({ values: weight }, bias, o, c));
    const zp = b.input('zero', new Float32Array(c));
    const s0 = b.output('scratch 0', strassenBytes(c, o) / 4), s1 = b.output('scratch 1', strassenBytes(c, o) / 4);
    const yp = b.output('output', len), mp = b.output('means', n * o);
    const panels = o / 16;
    b.kernels.conv2d_strassen_f32(xp, yp, wp, zp, n, plane, c, o, ACT_CODE[act], 0, o + gap, s0, 0, panels >> 1);
    b.kernels.conv2d_strassen_f32(xp, yp, wp, zp, n, plane, c, o, ACT_CODE[act], 0, o + gap, s1, panels >> 1, panels);
    b.kernels.conv_means_f32(yp, mp, n, plane, o, o + gap);
    const y1 = b.output('one call', len), m1 = b.output('one call means', n * o);
    b.kernels.conv2d_strassen_f32(xp, y1, wp, zp, n, plane, c, o, ACT_CODE[act], m1, o + gap, s0, 0, panels);
    b.check();
    const ref = conv2dRef(x, [n, c, h, w], weight, [o, c, 1, 1], bias, { pads: [0, 0, 0, 0], act });
    expectClose(nhwcToNchw(readStrided(b, yp, n * plane, o, o + gap, label(cs)), ref.shape), ref.data, `${backend} ${label(cs)} split`, ref.shape);
    const bits = (at: number, k: number) => new Uint32Array(b.read(at, k).buffer);
    expect(bits(yp, len), 'outputs bitwise one call').toEqual(bits(y1, len));
    expect(bits(mp, n * o), 'means bitwise one call').toEqual(bits(m1, n * o));
  });
});
