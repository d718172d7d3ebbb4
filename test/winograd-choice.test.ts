// The op table's Winograd choice as a session sees it: which convs take it and which tile (the
// profile's algorithm), what the compile option does, and the outputs of every choice against the
// float64 reference executor (1e-4 of the largest output).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GraphBuilder } from '../src/graph/builder.js';
import type { InputDims } from '../src/graph/ir.js';
import { Random } from '../src/graph/random.js';
import { createEngine, type Engine } from '../src/runtime/engine.js';
import { OptionError } from '../src/errors.js';
import { runGraph } from './reference/graph.js';

// Six convs: 3x3 stride 1 (Winograd's), grouped 3x3, 3x3 dilated, 1x1, 3x3 stride 2, and a 3x3
// stride 1 with 6 channels out (Winograd takes channels in 4s).
function net() {
  const b = new GraphBuilder('winograd-choice', 'input', 8, { seed: 5 });
  let x = b.conv('input', 12, { kernel: 3, pad: 1, act: 'relu' });
  x = b.conv(x, 12, { kernel: 3, pad: 1, group: 3 });
  x = b.conv(x, 12, { kernel: 3, pad: 2, dilation: 2 });
  x = b.conv(x, 8, { kernel: 1 });
  x = b.conv(x, 10, { kernel: 3, stride: 2, pad: 1 });
  x = b.conv(x, 6, { kernel: 3, pad: 1 });
  return b.build(x);
}
const ALGORITHMS_ELSE = ['gemm', 'gemm', 'gemm', 'gemm', 'gemm'];

describe('Winograd in a session', () => {
  let engine: Engine;
  beforeAll(async () => { engine = await createEngine({ backend: 'simd' }); });
  afterAll(() => engine.dispose());

  const algorithms = (size: number, winograd?: boolean | 2 | 4) => {
    const dims: InputDims = { batch: 1, height: size, width: size };
    const s = engine.compile(net(), dims, winograd === undefined ? {} : { winograd });
    const input = new Random(1).fill(8 * size * size, (r) => r.normal());
    const { steps } = s.profile(input, 1);
    s.dispose();
    return steps.map((st) => st.algorithm);
  };

  it('F(4,3) on maps from 5 up, F(2,3) on 3 and 4, the GEMM below and for every other conv', () => {
    for (const [size, first] of [[5, 'winograd F(4,3)'], [56, 'winograd F(4,3)'], [4, 'winograd F(2,3)'], [3, 'winograd F(2,3)'], [2, 'gemm'], [1, 'gemm']] as const) {
      expect(algorithms(size), `${size}x${size}`).toEqual([first, ...ALGORITHMS_ELSE]);
    }
  });

  it('winograd: false runs the GEMM; 2 and 4 force a tile', () => {
    expect(algorithms(9, false)).toEqual(['gemm', ...ALGORITHMS_ELSE]);
    expect(algorithms(9, 2)).toEqual(['winograd F(2,3)', ...ALGORITHMS_ELSE]);
    expect(algorithms(2, 4)).toEqual(['winograd F(4,3)', ...ALGORITHMS_ELSE]);
  });

  it.each([true, false, 2, 4] as const)('winograd: %s: outputs within 1e-4 of the float64 reference, batch 2, odd map', (winograd) => {
    const dims: InputDims = { batch: 2, height: 11, width: 9 };
    const graph = net();
    const input = new Random(2).fill(2 * 8 * 11 * 9, (r) => r.normal());
    const ref = runGraph(graph, input, [2, 8, 11, 9]);
    const s = engine.compile(graph, dims, { winograd });
    const out = s.run(input);
    s.dispose();
    const scale = Math.max(1e-3, ...ref.data.map(Math.abs));
    const err = Math.max(...out.map((v, i) => Math.abs(v - ref.data[i])));
    expect(err).toBeLessThanOrEqual(1e-4 * scale);
  });

  // int8 and fp16 filters are transformed in each call (once per block of 32 tiles): Winograd only
  // where a call's tiles pay for it. Costs per channel pair from the table's measurements (GEMM
  // 1.65 + 0.29 a pixel; F(2,3) 2.75 a block + 0.5 a tile; F(4,3) 5.1 + 1), worked by hand below.
  it.each(['int8', 'fp16'] as const)('weights %s: the cheaper of the GEMM, F(2,3) and F(4,3) with the transform in every call; outputs those of the GEMM on the same weights', (weights) => {
    const first = (size: number, batch: number) => {
      const s = engine.compile(net(), { batch, height: size, width: size }, { weights });
      const input = new Random(1).fill(batch * 8 * size * size, (r) => r.normal());
      const { steps } = s.profile(input, 1);
      const out = s.run(input).slice();
      s.dispose();
      const direct = engine.compile(net(), { batch, height: size, width: size }, { weights, winograd: false });
      const ref = direct.run(input);
      direct.dispose();
      const scale = Math.max(1e-3, ...ref.map(Math.abs));
      expect(Math.max(...out.map((v, i) => Math.abs(v - ref[i]))), `${size}x${size} batch ${batch}`).toBeLessThanOrEqual(1e-4 * scale);
      return steps[0].algorithm;
    };
    expect(first(14, 1)).toBe('winograd F(4,3), filters per block'); // 21.1 (16 tiles), F(2,3) 30 (49), GEMM 58.5
    expect(first(7, 1)).toBe('winograd F(4,3), filters per block'); // 9.1 (4 tiles), F(2,3) 10.75 (16), GEMM 15.9
    expect(first(6, 1)).toBe('winograd F(2,3), filters per block'); // 7.25 (9 tiles), F(4,3) 9.1 (4), GEMM 12.1
    expect(first(4, 1)).toBe('winograd F(2,3), filters per block'); // 4.75 (4 tiles), GEMM 6.3 (F(4,3) not on 4)
    expect(first(3, 1)).toBe('gemm'); // 4.26, F(2,3) 4.75 (4 tiles)
    expect(first(3, 4)).toBe('winograd F(2,3), filters per block'); // 10.75 (16 tiles), GEMM 12.1
  });

  // f32 filters: transformed once ('packed') or per block of tiles, chosen per layer where asked
  // for neither: per block from 8 tiles a block on 256 x 256 channels or more (src/ops/table.ts
  // winogradPoints). Both layouts make the same float32 operations: bitwise equal outputs.
  describe('f32 filters, packed or per block', () => {
    const layer = (channels: number) => {
      const b = new GraphBuilder('layout', 'input', channels, { seed: 7 });
      return b.build(b.conv('input', channels, { kernel: 3, pad: 1, act: 'relu' }));
    };
    const compileRun = (channels: number, size: number, batch: number, winogradFilters?: 'auto' | 'packed' | 'per-block') => {
      const s = engine.compile(layer(channels), { batch, height: size, width: size }, winogradFilters ? { winogradFilters } : {});
      const input = new Random(3).fill(batch * channels * size * size, (r) => r.normal());
      const { steps } = s.profile(input, 1);
      const out = s.run(input).slice();
      const bytes = s.stats.weightBytes;
      s.dispose();
      return { algorithm: steps[0].algorithm, out, bytes, input };
    };

    it.each([
      [256, 14, 1, 'winograd F(4,3), filters per block'], // 16 tiles
      [256, 7, 2, 'winograd F(4,3), filters per block'], // 8 tiles
      [256, 7, 1, 'winograd F(4,3)'], // 4 tiles: the transform is not repaid
      [128, 14, 1, 'winograd F(4,3)'], // fewer channels
    ] as const)('%i channels, %ix%i, batch %i: %s', (channels, size, batch, algorithm) => {
      expect(compileRun(channels, size, batch).algorithm).toBe(algorithm);
    });

    it('either when asked for; bitwise the same outputs, within 1e-4 of the GEMM; per block keeps the 3x3 size', () => {
      const packed = compileRun(256, 7, 1, 'packed'), perBlock = compileRun(256, 7, 1, 'per-block');
      expect(packed.algorithm).toBe('winograd F(4,3)');
      expect(perBlock.algorithm).toBe('winograd F(4,3), filters per block');
      expect(new Uint32Array(perBlock.out.buffer)).toEqual(new Uint32Array(packed.out.buffer));
      const direct = engine.compile(layer(256), { batch: 1, height: 7, width: 7 }, { winograd: false });
      const ref = direct.run(packed.input);
      const directBytes = direct.stats.weightBytes;
      direct.dispose();
      const scale = Math.max(...ref.map(Math.abs));
      expect(Math.max(...perBlock.out.map((v, i) => Math.abs(v - ref[i])))).toBeLessThanOrEqual(1e-4 * scale);
      expect(perBlock.bytes).toBe(directBytes);
      expect(packed.bytes).toBeGreaterThan(3.9 * directBytes); // 36 points for 9 taps
    });

    it('refuses other values', () => {
      for (const bad of ['perblock', 'Packed', true, null]) {
        expect(() => engine.compile(layer(8), { height: 8, width: 8 }, { winogradFilters: bad as never })).toThrow(/winogradFilters must be one of auto, packed, per-block/);
      }
    });
  });

  it('refuses a winograd option that is not true, false, 2 or 4', () => {
    for (const bad of [3, 'on', null]) {
      expect(() => engine.compile(net(), { height: 8, width: 8 }, { winograd: bad as never })).toThrow(OptionError);
    }
  });
});
