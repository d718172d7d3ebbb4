// The op table's Strassen choice as a session sees it: which convs run conv2d_strassen_f32 (the
// profile's algorithm: 1x1, stride 1, no padding, no groups, f32 weights, K a multiple of 8 and at
// least 512, outC a multiple of 16 and at least 256, maps of 196 pixels or more), and the outputs
// against the float64 reference executor (1e-4 of the largest output), in both builds; the compile
// option that turns it off (its memory: 7/4 of those layers' packed weights). The kernel
// on awkward shapes: test/kernels/conv2d_strassen.test.ts; split across threads: test/threads.test.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OptionError } from '../src/errors.js';
import { GraphBuilder } from '../src/graph/builder.js';
import { Random } from '../src/graph/random.js';
import { createEngine, type Engine } from '../src/runtime/engine.js';
import { runGraph } from './reference/graph.js';

// 512 -> 256 (Strassen, its output squeezed by an SE block), 256 -> 512 (K under 512), 512 -> 264
// (outC not a multiple of 16), 264 -> 512 (K under 512), 512 -> 512 stride 2 (a stride), then on
// the 7x7 map 512 -> 256 (49 pixels).
function net() {
  const b = new GraphBuilder('strassen-choice', 'input', 512, { seed: 4 });
  let x = b.conv('input', 256, { kernel: 1, act: 'relu' });
  x = b.squeezeExcite(x, 16);
  x = b.conv(x, 512, { kernel: 1 });
  x = b.conv(x, 264, { kernel: 1, act: 'silu' });
  x = b.conv(x, 512, { kernel: 1 });
  x = b.conv(x, 512, { kernel: 1, stride: 2 });
  x = b.conv(x, 256, { kernel: 1, act: 'relu' });
  return b.build(x);
}

describe.each(['simd', 'scalar'] as const)('Strassen in a session (%s)', (backend) => {
  let engine: Engine;
  beforeAll(async () => { engine = await createEngine({ backend }); });
  afterAll(() => engine.dispose());
  const input = (n: number) => new Random(2).fill(n * 512 * 14 * 14, (r) => r.normal());

  it('the 1x1 convs with K >= 512, outC >= 256 (multiples of 8 and 16) on maps of 196 pixels or more', () => {
    const s = engine.compile(net(), { batch: 1, height: 14, width: 14 });
    const { steps } = s.profile(input(1), 1);
    s.dispose();
    expect(steps.filter((st) => st.op === 'conv').map((st) => st.algorithm)).toEqual(['strassen', 'gemm', 'gemm', 'gemm', 'gemm', 'gemm']);
  });

  it('no Strassen with int8 or fp16 weights, nor on a 13x15 map', () => {
    for (const [weights, size] of [['int8', 14], ['fp16', 14], [undefined, 13]] as const) {
      const s = engine.compile(net(), { batch: 1, height: size, width: size === 13 ? 15 : size }, { weights });
      const { steps } = s.profile(new Random(2).fill(512 * size * (size === 13 ? 15 : size), (r) => r.normal()), 1);
      s.dispose();
      expect(steps.some((st) => st.algorithm === 'strassen'), `${weights ?? 'fp32'} ${size}`).toBe(false);
    }
  });

  it('strassen: false keeps the direct GEMM, with 4/7 of the weight bytes of the Strassen conv', () => {
    const on = engine.compile(net(), { batch: 1, height: 14, width: 14 });
    const off = engine.compile(net(), { batch: 1, height: 14, width: 14 }, { strassen: false });
    const { steps } = off.profile(input(1), 1);
    expect(steps.some((st) => st.algorithm === 'strassen')).toBe(false);
    // The 512 -> 256 conv: 256 x 512 weights (and 256 biases) direct, 7 x 128 x 256 (and 7 x 128) with Strassen.
    expect(on.stats.weightBytes - off.stats.weightBytes).toBe(4 * (7 * 128 * 256 + 7 * 128 - (256 * 512 + 256)));
    const x = input(1), a = on.run(x), b = off.run(x);
    const scale = Math.max(...b.map(Math.abs));
    expect(Math.max(...a.map((v, i) => Math.abs(v - b[i])))).toBeLessThanOrEqual(1e-5 * scale);
    on.dispose();
    off.dispose();
  });

  it('refuses a strassen option that is not true or false', () => {
    for (const bad of ['no', 0, null]) {
      expect(() => engine.compile(net(), { height: 14, width: 14 }, { strassen: bad as never })).toThrow(OptionError);
      expect(() => engine.compile(net(), { height: 14, width: 14 }, { strassen: bad as never })).toThrow(/compile option strassen must be true or false, got/);
    }
  });

  it('outputs within 1e-4 of the float64 reference, batch 2', () => {
    const graph = net();
    const ref = runGraph(graph, input(2), [2, 512, 14, 14]);
    const s = engine.compile(graph, { batch: 2, height: 14, width: 14 });
    const out = s.run(input(2));
    s.dispose();
    const scale = Math.max(1e-3, ...ref.data.map(Math.abs));
    expect(Math.max(...out.map((v, i) => Math.abs(v - ref.data[i])))).toBeLessThanOrEqual(1e-4 * scale);
  });
});
