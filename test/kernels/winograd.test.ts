// conv3x3_winograd_f32_2x2 and _4x4 (Winograd F(2x2,3x3), F(4x4,3x3)) against the float64
// reference conv, in every build: channel counts across the 4-lane and 8-column panel edges (the
// SIMD builds' in 4s), maps
// smaller than a tile and not multiples of it, batch 2, padding 1, 0 and asymmetric, every
// activation, several tile blocks, a strided output, the SE squeeze (means); and the packing.
// Weights stored as int8 and fp16 (the implicit GEMM's panels, transformed by the kernel a panel
// at a time) against the reference on the weights those formats hold.

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { convBlock, winogradBlock } from '../../src/ops/pack.js';
import { ACT_CODE } from '../../src/ops/activation.js';
import { winogradScratchBytes, winogradWorkspaceFloats } from '../../src/ops/table.js';
import { ACTIVATIONS, type Activation } from '../../src/graph/ir.js';
import { WEIGHT_FORMATS, type WeightFormat } from '../../src/graph/storage.js';
import { WEIGHTS_FORMAT, WINOGRAD_POINTS } from '../../src/wasm/abi.js';
import { conv2dRef, nchwToNhwc, nhwcToNchw } from '../reference/kernels.js';
import { BACKENDS, KernelBench, Random, expectClose, normal, readStrided, storedValues } from './harness.js';

interface WinoCase {
  name: string;
  n: number; c: number; h: number; w: number; o: number;
  pads: [number, number, number, number];
  act: Activation;
  bias: boolean;
  gain: number;
  blockTiles: number;
}

function wcase(spec: Partial<Omit<WinoCase, 'name'>> & Pick<WinoCase, 'c' | 'h' | 'w' | 'o'>, note: string): WinoCase {
  const cs = { n: 1, pads: [1, 1, 1, 1] as WinoCase['pads'], act: 'none' as Activation, bias: true, gain: 1, blockTiles: 64, ...spec };
  return { name: `${note}: n${cs.n} ${cs.c}x${cs.h}x${cs.w} -> ${cs.o} p${cs.pads} ${cs.act}${cs.bias ? '' : ' nobias'} block ${cs.blockTiles}`, ...cs };
}

const CASES: WinoCase[] = [];
for (const c of [1, 3, 4, 7, 8, 15, 16, 17]) for (const o of [1, 4, 5, 8, 9, 17]) CASES.push(wcase({ c, h: 6, w: 7, o }, 'channels'));
for (const [h, w] of [[1, 1], [2, 2], [3, 3], [4, 4], [5, 5], [1, 6], [8, 3], [7, 7], [9, 9], [11, 13], [14, 14]]) {
  CASES.push(wcase({ c: 5, h, w, o: 6 }, 'map'));
}
CASES.push(
  wcase({ n: 2, c: 6, h: 7, w: 7, o: 5 }, 'batch 2'),
  wcase({ n: 2, c: 4, h: 5, w: 9, o: 12, blockTiles: 5 }, 'batch 2, tile blocks across images'),
  wcase({ c: 5, h: 7, w: 7, o: 6, pads: [0, 0, 0, 0] }, 'no padding'),
  wcase({ c: 5, h: 9, w: 6, o: 7, pads: [1, 0, 2, 1] }, 'asymmetric pads'),
  wcase({ c: 8, h: 13, w: 11, o: 9, blockTiles: 1 }, 'one tile a block'),
  wcase({ c: 8, h: 13, w: 11, o: 9, blockTiles: 3 }, 'three tiles a block'),
  wcase({ c: 64, h: 9, w: 9, o: 17 }, 'deep K'),
  wcase({ c: 7, h: 6, w: 7, o: 9, bias: false }, 'no bias'),
);
// Pre-activations over about [-12, 12]: every activation saturates somewhere.
for (const act of ACTIVATIONS) CASES.push(wcase({ c: 8, h: 7, w: 6, o: 11, act, gain: 4 }, 'act'));

/**
 * The cases a build runs: the scalar build every one; the SIMD builds take channels 4 at a time
 * (src/ops/table.ts gives them no others), so there each case's counts are rounded up to 4s.
 */
function casesFor(backend: string): WinoCase[] {
  if (backend === 'scalar') return CASES;
  const up = (v: number) => Math.ceil(v / 4) * 4;
  const seen = new Set<string>();
  return CASES.map((cs) => wcase({ ...cs, c: up(cs.c), o: up(cs.o) }, cs.name.split(':')[0])).filter((cs) => !seen.has(cs.name) && !!seen.add(cs.name));
}

const TILES = [2, 4] as const;
/** The filters a case runs with: fp32 transformed once by the host, or 3x3 panels transformed per block. */
type Filters = WeightFormat | 'fp32 per block';
const PER_BLOCK: Filters[] = ['fp32 per block', ...WEIGHT_FORMATS.filter((f) => f !== 'fp32')];
/** Worst |error| / max(1, max |ref|) per build and tile, printed when SENET_REPORT_ERRORS is set. */
const worst = new Map<string, number>();

/**
 * split: made as two threads of a pool make it (threaded builds): conv3x3_winograd_f32_part over the
 * first and the second half of the panels of 8 output channels, or of the tiles (without means),
 * each with its own workspace; checked against the reference, and bitwise against one call.
 */
function runWinograd(b: KernelBench, m: 2 | 4, cs: WinoCase, seed: number, gap = 0, split?: 'channels' | 'tiles', filters: Filters = 'fp32'): void {
  // The host's transformed points (fp32), or the implicit GEMM's 3x3 panels transformed per block.
  const points = filters === 'fp32';
  const format: WeightFormat = filters === 'fp32 per block' ? 'fp32' : filters;
  const rng = new Random(seed);
  const { n, c, h, w, o, pads, act, blockTiles } = cs;
  const x = normal(rng, n * c * h * w);
  const weight = normal(rng, o * c * 9, cs.gain / Math.sqrt(c * 9));
  const bias = cs.bias ? normal(rng, o, 0.5 * cs.gain) : undefined;
  const ref = conv2dRef(x, [n, c, h, w], storedValues(weight, o, format), [o, c, 3, 3], bias, { pads, act });
  const [, , oH, oW] = ref.shape;
  const tiles = n * Math.ceil(oH / m) * Math.ceil(oW / m);
  const xp = b.input('input', nchwToNhwc(x, [n, c, h, w]));
  const wp = b.packed('weights', points ? winogradBlock({ values: weight }, bias, o, c, m) : convBlock({ values: weight }, bias, o, c, 3, 3, 1, format));
  const zp = b.input('zero', new Float32Array(Math.max(c, 4)));
  const wsFloats = winogradWorkspaceFloats(m, Math.min(tiles, blockTiles), c, o);
  const ws = b.output('workspace', wsFloats);
  // The scratch of stored weights between guard bands: a panel expanded or transformed past its end shows there.
  const scratchFloats = points ? 0 : winogradScratchBytes(m, c) / 4;
  const sp = scratchFloats ? b.output('scratch', scratchFloats) : 0;
  const yp = b.output('output', n * oH * oW * (o + gap));
  const mp = b.output('means', n * o);
  const f = points ? WINOGRAD_POINTS : WEIGHTS_FORMAT[format];
  const call = (y: number, means: number) => b.kernels[m === 4 ? 'conv3x3_winograd_f32_4x4' : 'conv3x3_winograd_f32_2x2'](
    xp, y, wp, zp, ws, n, h, w, c, oH, oW, o, pads[0], pads[1], ACT_CODE[act], means, o + gap, blockTiles, f, sp);
  if (split) {
    const panels = Math.ceil(o / 8);
    const ws2 = b.output('second workspace', wsFloats);
    const sp2 = scratchFloats ? b.output('second scratch', scratchFloats) : 0;
    // [pBegin, pEnd, tBegin, tEnd] of each thread; a tile split makes no means (their sums span every tile).
    const shares = split === 'channels'
      ? [[0, Math.floor(panels / 2), 0, tiles], [Math.floor(panels / 2), panels, 0, tiles]]
      : [[0, panels, 0, Math.floor(tiles / 2)], [0, panels, Math.floor(tiles / 2), tiles]];
    shares.forEach(([p0, p1, t0, t1], i) => b.kernels.conv3x3_winograd_f32_part(m, xp, yp, wp, zp, i ? ws2 : ws, n, h, w, c, oH, oW, o,
      pads[0], pads[1], ACT_CODE[act], split === 'channels' ? mp : 0, o + gap, blockTiles, f, i ? sp2 : sp, p0, p1, t0, t1));
  } else {
    call(yp, mp);
  }
  b.check();
  const label = `${b.backend} F(${m},3) ${filters} ${cs.name}`;
  const got = nhwcToNchw(readStrided(b, yp, n * oH * oW, o, o + gap, label), ref.shape);
  const err = expectClose(got, ref.data, label, ref.shape) / Math.max(1, ...ref.data.map(Math.abs));
  const key = `${b.backend} F(${m},3) ${filters}`;
  worst.set(key, Math.max(worst.get(key) ?? 0, err));
  const plane = oH * oW;
  const means = Float64Array.from({ length: n * o }, (_, i) => {
    let sum = 0;
    for (let p = 0; p < plane; p++) sum += ref.data[i * plane + p];
    return sum / plane;
  });
  if (split !== 'tiles') expectClose(b.read(mp, n * o), means, `${label} means`, [n, o]);
  if (split) {
    const yOne = b.output('one call', n * oH * oW * (o + gap)), mOne = b.output('one call means', n * o);
    call(yOne, mOne);
    expect(new Uint32Array(b.read(yp, n * oH * oW * (o + gap)).buffer), 'outputs bitwise those of one call').toEqual(new Uint32Array(b.read(yOne, n * oH * oW * (o + gap)).buffer));
    if (split === 'channels') expect(new Uint32Array(b.read(mp, n * o).buffer), 'means bitwise those of one call').toEqual(new Uint32Array(b.read(mOne, n * o).buffer));
  }
}

afterAll(() => {
  if (process.env.SENET_REPORT_ERRORS) console.log([...worst].map(([k, v]) => `${k}: ${v.toExponential(2)}`).join('\n'));
});

describe.each(BACKENDS.flatMap((backend) => TILES.map((m) => ({ backend, m }))))('winograd F($m,3) ($backend)', ({ backend, m }) => {
  let bench: KernelBench;
  let threaded: KernelBench | undefined;
  beforeAll(async () => { bench = await KernelBench.load(backend); });
  afterEach(() => bench.reset());

  const cases = casesFor(backend);
  it.each(cases.map((cs, i) => ({ ...cs, i })))('$name', (cs) => runWinograd(bench, m, cs, 2000 + cs.i));

  it.each(cases.filter((_, i) => i % 6 === 0).map((cs, i) => ({ ...cs, i })))('strided output: $name', (cs) => {
    runWinograd(bench, m, cs, 7000 + cs.i, cs.i % 2 ? 3 : 8);
  });

  it.each(cases.map((cs, i) => ({ ...cs, i })))('two threads\' shares (the threaded build): $name', async (cs) => {
    threaded ??= await KernelBench.load(backend, true);
    try {
      runWinograd(threaded, m, cs, 2000 + cs.i, cs.i % 3 ? 0 : 3, cs.i % 2 ? 'tiles' : 'channels');
    } finally {
      threaded.reset();
    }
  });

  // The 3x3 panels transformed per block (f32, int8, fp16): every case, some with a strided output,
  // and two threads' shares.
  describe.each(PER_BLOCK)('weights %s', (format) => {
    it.each(cases.map((cs, i) => ({ ...cs, i })))('$name', (cs) => runWinograd(bench, m, cs, 9000 + cs.i, cs.i % 5 === 0 ? 3 : 0, undefined, format));
    it.each(cases.filter((_, i) => i % 4 === 0).map((cs, i) => ({ ...cs, i })))('two threads\' shares: $name', async (cs) => {
      threaded ??= await KernelBench.load(backend, true);
      try {
        runWinograd(threaded, m, cs, 9500 + cs.i, cs.i % 2 ? 0 : 3, cs.i % 3 ? 'channels' : 'tiles', format);
      } finally {
        threaded.reset();
      }
    });
  });

  it('packs from file bytes with a folded BatchNorm factor per row as from the scaled values', () => {
    const rng = new Random(3);
    const [c, o] = [5, 10];
    const weight = normal(rng, o * c * 9), bias = normal(rng, o);
    const rowScale = Float64Array.from({ length: o }, (_, i) => 0.5 + i / 7);
    const bytes = new Uint8Array(4 * weight.length + 1).subarray(1); // odd offset, as raw_data in a file
    const view = new DataView(bytes.buffer, bytes.byteOffset);
    weight.forEach((v, i) => view.setFloat32(4 * i, v, true));
    const scaled = Float64Array.from(weight, (v, i) => v * rowScale[Math.floor(i / (9 * c))]);
    const fromBytes = bench.packed('from bytes', winogradBlock({ bytes, rowScale }, bias, o, c, m));
    const fromValues = bench.packed('from values', winogradBlock({ values: Float32Array.from(scaled) }, bias, o, c, m));
    const len = winogradBlock({ values: weight }, bias, o, c, m).bytes / 4;
    // Both round G' g G'^T once from float64; the scaled float32 values were rounded once before.
    expectClose(bench.read(fromBytes, len), bench.read(fromValues, len), `${backend} F(${m},3) packing`, undefined, 1e-6);
    expect(bench.read(fromBytes, len).slice(-o)).toEqual(bias);
  });
});

// The SIMD builds take channels 4 at a time: other counts are a trap, never a wrong answer.
describe.each(BACKENDS.filter((backend) => backend !== 'scalar').flatMap((backend) => TILES.map((m) => ({ backend, m }))))('winograd F($m,3) ($backend): channels not in 4s', ({ backend, m }) => {
  let bench: KernelBench;
  beforeAll(async () => { bench = await KernelBench.load(backend); });

  it.each([[6, 8], [8, 6]])('%i in, %i out: a trap', (c, o) => {
    const wp = bench.packed('weights', winogradBlock({ values: new Float32Array(o * c * 9) }, undefined, o, c, m));
    const xp = bench.input('input', new Float32Array(c * 36)), zp = bench.input('zero', new Float32Array(8));
    const ws = bench.output('workspace', winogradWorkspaceFloats(m, 9, c, o)), yp = bench.output('output', 36 * o);
    expect(() => bench.kernels[m === 4 ? 'conv3x3_winograd_f32_4x4' : 'conv3x3_winograd_f32_2x2'](
      xp, yp, wp, zp, ws, 1, 6, 6, c, 6, 6, o, 1, 1, 0, 0, o, 64, WINOGRAD_POINTS, 0)).toThrow(WebAssembly.RuntimeError);
    bench.reset();
  });
});
