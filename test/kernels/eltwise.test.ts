// add_f32, activation_f32 and softmax_f32 against the float64 reference, in both builds: every
// activation code, lengths around the v128 width, values at the knees and in the saturated tails,
// in place and not.

import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ACT_CODE } from '../../src/ops/activation.js';
import { ACTIVATIONS, type Activation } from '../../src/graph/ir.js';
import { activationRef, addRef, softmaxRef } from '../reference/kernels.js';
import { BACKENDS, KernelBench, Random, SENTINEL, expectClose, expectCloseEach, normal, uniform } from './harness.js';

/** Element-wise bounds: atol + rtol * |ref|. Tighter than the tensor-wide TOL, per element. */
const ATOL = 1e-6;
const RTOL = 1e-5;

const LENGTHS = [1, 2, 3, 4, 5, 7, 8, 15, 16, 17, 1000, 1001];

/** The knees of relu6/hardsigmoid, the clamps of the exp (-87, 88), the tails, zeros. */
const SPECIAL = [
  0, -0, 1e-6, -1e-6, 1e-30, -1e-30, 3, -3, 6, -6, 2.999, -3.001, 6.001,
  20, -20, 44, -44, 87, -87, 88, -88, 89, -89, 100, -100, 1e4, -1e4, 0.5, -0.5,
];

/** Values over [-12, 12) with the specials spread through them (so every lane position sees some). */
function activationInput(rng: Random, len: number): Float32Array {
  const x = uniform(rng, len, -12, 12);
  if (len >= 64) for (let i = 0; i < SPECIAL.length; i++) x[(i * 37) % len] = SPECIAL[i];
  return x;
}

interface EltCase { name: string; len: number; act: Activation; alias: 'none' | 'out=a' | 'out=b' }

const ADD: EltCase[] = [];
const ACT: EltCase[] = [];
for (const act of ACTIVATIONS) {
  for (const len of LENGTHS) {
    ADD.push({ name: `${act} len ${len}`, len, act, alias: 'none' });
    ACT.push({ name: `${act} len ${len}`, len, act, alias: 'none' });
  }
  ADD.push({ name: `${act} len 37 out=a`, len: 37, act, alias: 'out=a' });
  ADD.push({ name: `${act} len 38 out=b`, len: 38, act, alias: 'out=b' });
  ACT.push({ name: `${act} len 39 in place`, len: 39, act, alias: 'out=a' });
}

function runAdd(b: KernelBench, cs: EltCase, seed: number): void {
  const rng = new Random(seed);
  const a = activationInput(rng, cs.len);
  const bb = normal(rng, cs.len, 0.5);
  const ref = addRef(a, bb, [cs.len], cs.act);
  const ap = cs.alias === 'out=a' ? b.inout('a', a) : b.input('a', a);
  const bp = cs.alias === 'out=b' ? b.inout('b', bb) : b.input('b', bb);
  const yp = cs.alias === 'out=a' ? ap : cs.alias === 'out=b' ? bp : b.output('output', cs.len);
  b.kernels.add_f32(ap, bp, yp, cs.len, ACT_CODE[cs.act]);
  b.check();
  const got = b.read(yp, cs.len);
  const label = `${b.backend} add ${cs.name}`;
  expectClose(got, ref.data, label);
  expectCloseEach(got, ref.data, label, ATOL, RTOL);
}

function runActivation(b: KernelBench, cs: EltCase, seed: number): void {
  const rng = new Random(seed);
  const x = activationInput(rng, cs.len);
  const ref = activationRef(x, [cs.len], cs.act);
  const xp = cs.alias === 'out=a' ? b.inout('x', x) : b.input('x', x);
  const yp = cs.alias === 'out=a' ? xp : b.output('output', cs.len);
  b.kernels.activation_f32(xp, yp, cs.len, ACT_CODE[cs.act]);
  b.check();
  const got = b.read(yp, cs.len);
  const label = `${b.backend} activation ${cs.name}`;
  expectClose(got, ref.data, label);
  expectCloseEach(got, ref.data, label, ATOL, RTOL, x);
}

interface SoftmaxCase { name: string; rows: number; cols: number; offset: number; spread: number; inPlace: boolean }
const SOFTMAX: SoftmaxCase[] = [];
for (const [rows, cols] of [[1, 1], [1, 3], [2, 10], [3, 17], [1, 1000], [2, 1001]] as const) {
  SOFTMAX.push({ name: `${rows}x${cols}`, rows, cols, offset: 0, spread: 3, inPlace: false });
}
SOFTMAX.push(
  { name: '2x100 offset +1000 (needs the max subtracted)', rows: 2, cols: 100, offset: 1000, spread: 5, inPlace: false },
  { name: '2x100 offset -1000', rows: 2, cols: 100, offset: -1000, spread: 5, inPlace: false },
  { name: '3x50 spread 40 (underflowing terms)', rows: 3, cols: 50, offset: 0, spread: 40, inPlace: false },
  { name: '4x33 in place', rows: 4, cols: 33, offset: 1, spread: 3, inPlace: true },
);

function runSoftmax(b: KernelBench, cs: SoftmaxCase, seed: number): void {
  const rng = new Random(seed);
  const x = normal(rng, cs.rows * cs.cols, cs.spread);
  for (let i = 0; i < x.length; i++) x[i] += cs.offset;
  const ref = softmaxRef(x, [cs.rows, cs.cols]);
  const xp = cs.inPlace ? b.inout('x', x) : b.input('x', x);
  const yp = cs.inPlace ? xp : b.output('output', x.length);
  b.kernels.softmax_f32(xp, yp, cs.rows, cs.cols);
  b.check();
  const got = b.read(yp, x.length);
  const label = `${b.backend} softmax ${cs.name}`;
  expectClose(got, ref.data, label, ref.shape);
  expectCloseEach(got, ref.data, label, 1e-9, RTOL);
}

describe.each(BACKENDS)('eltwise kernels (%s)', (backend) => {
  let bench: KernelBench;
  beforeAll(async () => { bench = await KernelBench.load(backend); });
  afterEach(() => bench.reset());

  describe('add_f32', () => {
    it.each(ADD.map((cs, i) => ({ ...cs, i })))('$name', (cs) => runAdd(bench, cs, 6000 + cs.i));
  });
  describe('activation_f32', () => {
    it.each(ACT.map((cs, i) => ({ ...cs, i })))('$name', (cs) => runActivation(bench, cs, 7000 + cs.i));
  });
  it.each(ACTIVATIONS)('activation_f32 %s: a NaN input gives NaN, as in PyTorch (the kernel wrote it)', (act) => {
    const x = Float32Array.from([NaN, 1, NaN, -1, 0, NaN, -5, 7, NaN]); // NaN in every lane and the tail
    const yp = bench.output('output', x.length);
    bench.kernels.activation_f32(bench.input('x', x), yp, x.length, ACT_CODE[act]);
    bench.check();
    const got = bench.read(yp, x.length);
    const bits = new Uint32Array(got.buffer);
    x.forEach((v, i) => {
      if (Number.isNaN(v)) expect(Number.isNaN(got[i]) && bits[i] !== SENTINEL, `${act} lane ${i}`).toBe(true);
      else expect(Number.isNaN(got[i]), `${act} lane ${i}`).toBe(false);
    });
  });
  describe('softmax_f32', () => {
    it.each(SOFTMAX.map((cs, i) => ({ ...cs, i })))('$name', (cs) => runSoftmax(bench, cs, 8000 + cs.i));
  });
});
