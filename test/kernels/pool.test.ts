// pool2d_f32 (max, avg, avg counting the padding; floor and ceil mode) and global_pool_f32
// against the float64 reference, in both builds.

import { afterEach, beforeAll, describe, it } from 'vitest';
import { POOL_MODE } from '../../src/wasm/abi.js';
import { globalPoolRef, nchwToNhwc, nhwcToNchw, pool2dRef } from '../reference/kernels.js';
import { BACKENDS, KernelBench, Random, expectClose, normal, readStrided } from './harness.js';

type Mode = keyof typeof POOL_MODE;
const MODES: Mode[] = ['max', 'avg', 'avgIncludePad'];

interface PoolCase {
  name: string;
  n: number; c: number; h: number; w: number;
  k: [number, number];
  stride: [number, number];
  pads: [number, number, number, number];
  ceil: boolean;
  mode: Mode;
  /** All inputs below zero: a max that lets the zero padding win, or starts at 0, shows. */
  negative: boolean;
}

type Geometry = Pick<PoolCase, 'h' | 'w' | 'k'> & Partial<Pick<PoolCase, 'n' | 'stride' | 'pads' | 'ceil' | 'negative'>>;

function pool(g: Geometry, c: number, mode: Mode, note = ''): PoolCase {
  const cs = { n: 1, stride: g.k, pads: [0, 0, 0, 0] as PoolCase['pads'], ceil: false, negative: false, ...g, c, mode };
  const name =
    `${note ? note + ': ' : ''}${mode} n${cs.n} ${c}x${cs.h}x${cs.w} k${cs.k.join('x')} s${cs.stride} p${cs.pads}` +
    `${cs.ceil ? ' ceil' : ''}${cs.negative ? ' negative' : ''}`;
  return { name, ...cs };
}

const CHANNELS = [1, 3, 4, 7, 8, 15, 16, 17];
const CASES: PoolCase[] = [];

// Channel sweep on the ResNet max pool geometry (3x3/2 pad 1) in floor and ceil mode.
for (const mode of MODES) {
  for (const c of CHANNELS) {
    CASES.push(pool({ h: 9, w: 9, k: [3, 3], stride: [2, 2], pads: [1, 1, 1, 1] }, c, mode, 'channels'));
    CASES.push(pool({ h: 8, w: 7, k: [3, 3], stride: [2, 2], pads: [1, 1, 1, 1], ceil: true }, c, mode, 'channels'));
  }
}

// The SIMD kernel works in blocks of 32 channels, then of 4, then one at a time.
for (const mode of MODES) {
  for (const c of [31, 32, 33, 67]) CASES.push(pool({ h: 9, w: 9, k: [3, 3], stride: [2, 2], pads: [1, 1, 1, 1] }, c, mode, '32-channel blocks'));
}

const GEOMETRIES: [Geometry, string][] = [
  [{ h: 8, w: 8, k: [3, 3], stride: [2, 2], ceil: true }, 'ceil: last window runs off the map (Caffe SENet)'],
  [{ h: 7, w: 7, k: [2, 2], stride: [2, 2], ceil: true }, 'ceil: 2x2/2 on an odd map'],
  [{ h: 7, w: 7, k: [3, 3], stride: [3, 3], ceil: true }, 'ceil: one tap left in the last window'],
  [{ h: 5, w: 5, k: [2, 2], stride: [2, 2], pads: [1, 1, 1, 1], ceil: true }, 'ceil: window starting in the padding dropped'],
  [{ h: 6, w: 6, k: [3, 3], stride: [2, 2], pads: [1, 1, 1, 1], ceil: true }, 'ceil: last window cut at the padded edge'],
  [{ h: 9, w: 5, k: [3, 3], stride: [2, 2], pads: [1, 1, 1, 1], ceil: true, n: 2 }, 'ceil, batch 2'],
  [{ h: 5, w: 7, k: [3, 3], stride: [1, 1], pads: [1, 1, 1, 1] }, '3x3/1 pad 1 (Inception)'],
  [{ h: 8, w: 8, k: [3, 3], stride: [2, 2], pads: [0, 0, 1, 1] }, 'SAME pads (asymmetric)'],
  [{ h: 7, w: 9, k: [3, 3], stride: [2, 2], pads: [1, 0, 2, 1] }, 'asymmetric pads'],
  [{ h: 7, w: 9, k: [3, 3], stride: [2, 2], pads: [0, 1, 1, 0], ceil: true }, 'asymmetric pads, ceil'],
  [{ h: 9, w: 8, k: [2, 3], stride: [1, 2], pads: [0, 1, 1, 1] }, 'kernel 2x3 stride 1x2'],
  [{ h: 7, w: 7, k: [7, 7] }, 'whole map'],
  [{ h: 5, w: 7, k: [5, 7], n: 2 }, 'whole map, batch 2'],
  [{ h: 1, w: 1, k: [1, 1] }, '1x1'],
  [{ h: 1, w: 1, k: [3, 3], stride: [2, 2], pads: [1, 1, 1, 1] }, '1x1 map, padded 3x3'],
  [{ h: 9, w: 9, k: [3, 3], stride: [2, 2], pads: [1, 1, 1, 1], negative: true }, 'negative data'],
  [{ h: 8, w: 8, k: [3, 3], stride: [2, 2], pads: [0, 0, 1, 1], negative: true, ceil: true }, 'negative data'],
  [{ h: 12, w: 11, k: [5, 5], stride: [3, 2], pads: [2, 2, 2, 2], n: 2 }, '5x5, batch 2'],
];
for (const [g, note] of GEOMETRIES) {
  for (const mode of MODES) {
    for (const c of [5, 8]) CASES.push(pool(g, c, mode, note));
  }
}

function runPool(b: KernelBench, cs: PoolCase, seed: number, gap = 0): void {
  const rng = new Random(seed);
  const { n, c, h, w, k, stride, pads, ceil, mode } = cs;
  const xShape = [n, c, h, w];
  const x = normal(rng, n * c * h * w);
  if (cs.negative) for (let i = 0; i < x.length; i++) x[i] = -1 - Math.abs(x[i]);
  const ref = pool2dRef(x, xShape, {
    mode: mode === 'max' ? 'max' : 'avg', kernel: k, stride, pads, ceilMode: ceil, countIncludePad: mode === 'avgIncludePad',
  });
  const [, , oH, oW] = ref.shape;
  const xp = b.input('input', nchwToNhwc(x, xShape));
  const yp = b.output('output', n * oH * oW * (c + gap)); // gap > 0: a slice of a concatenation
  b.kernels.pool2d_f32(xp, yp, n, h, w, c, oH, oW, k[0], k[1], stride[0], stride[1], pads[0], pads[1], pads[2], pads[3], POOL_MODE[mode], c + gap);
  b.check();
  const got = nhwcToNchw(readStrided(b, yp, n * oH * oW, c, c + gap, `${b.backend} ${cs.name}`), ref.shape);
  expectClose(got, ref.data, `${b.backend} ${cs.name} -> ${oH}x${oW}`, ref.shape);
}

interface GlobalCase { name: string; n: number; c: number; h: number; w: number; mode: 'avg' | 'max'; negative: boolean }
const GLOBAL: GlobalCase[] = [];
for (const mode of ['avg', 'max'] as const) {
  for (const c of CHANNELS) {
    for (const [n, h, w] of [[1, 1, 1], [1, 5, 7], [2, 7, 7]] as const) {
      GLOBAL.push({ name: `${mode} n${n} ${c}x${h}x${w}`, n, c, h, w, mode, negative: false });
    }
  }
  GLOBAL.push({ name: `${mode} n2 64x14x14`, n: 2, c: 64, h: 14, w: 14, mode, negative: false });
  GLOBAL.push({ name: `${mode} n2 9x3x5 negative`, n: 2, c: 9, h: 3, w: 5, mode, negative: true });
}

function runGlobal(b: KernelBench, cs: GlobalCase, seed: number): void {
  const rng = new Random(seed);
  const { n, c, h, w, mode } = cs;
  const xShape = [n, c, h, w];
  const x = normal(rng, n * c * h * w, 1);
  // An offset makes a sum that loses the mean (or a max starting at 0) show.
  for (let i = 0; i < x.length; i++) x[i] = cs.negative ? -2 - Math.abs(x[i]) : x[i] + 0.5;
  const ref = globalPoolRef(x, xShape, mode);
  const xp = b.input('input', nchwToNhwc(x, xShape));
  const yp = b.output('output', n * c);
  b.kernels.global_pool_f32(xp, yp, n, h * w, c, POOL_MODE[mode]);
  b.check();
  expectClose(b.read(yp, n * c), ref.data, `${b.backend} global ${cs.name}`, [n, c]);
}

describe.each(BACKENDS)('pool2d_f32 (%s)', (backend) => {
  let bench: KernelBench;
  beforeAll(async () => { bench = await KernelBench.load(backend); });
  afterEach(() => bench.reset());

  it.each(CASES.map((cs, i) => ({ ...cs, i })))('$name', (cs) => {
    runPool(bench, cs, 3000 + cs.i);
  });

  it.each(CASES.filter((_, i) => i % 3 === 0).map((cs, i) => ({ ...cs, i })))('strided output: $name', (cs) => {
    runPool(bench, cs, 6000 + cs.i, cs.i % 2 ? 5 : 32);
  });
});

describe.each(BACKENDS)('global_pool_f32 (%s)', (backend) => {
  let bench: KernelBench;
  beforeAll(async () => { bench = await KernelBench.load(backend); });
  afterEach(() => bench.reset());

  it.each(GLOBAL.map((cs, i) => ({ ...cs, i })))('$name', (cs) => {
    runGlobal(bench, cs, 4000 + cs.i);
  });
});
