// The op table's im2col choice as a session sees it: which convs run conv2d_im2col_f32 (the
// profile's algorithm: no groups, more than one tap, at most 4 input channels, more than 8 output
// channels, K at most 1024) and the outputs against the float64 reference executor (1e-4 of the largest output),
// in both builds. That the kernel gives conv2d_f32's bits: test/kernels/conv2d.test.ts; split
// across threads: test/threads.test.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GraphBuilder } from '../src/graph/builder.js';
import { Random } from '../src/graph/random.js';
import { createEngine, type Engine } from '../src/runtime/engine.js';
import { runGraph } from './reference/graph.js';

// A 3-channel stem 3x3/2 to 16 (im2col), then convs that keep the implicit GEMM: 3x3 with 5
// input channels, 1x1, grouped; and a 4-channel 5x5 to 12 (im2col) beside a 3-channel 3x3 to 8
// (one panel: the GEMM); a 19x19 kernel on 3 channels (K past 1024: the GEMM).
function net() {
  const b = new GraphBuilder('im2col-choice', 'input', 3, { seed: 3 });
  let x = b.conv('input', 16, { kernel: 3, stride: 2, pad: 1, act: 'hardswish' });
  x = b.conv(x, 5, { kernel: 1 });
  x = b.conv(x, 4, { kernel: 3, pad: 1, act: 'relu' });
  x = b.conv(x, 12, { kernel: 5, pad: 2, act: 'silu' });
  x = b.conv(x, 3, { kernel: 1 });
  x = b.conv(x, 8, { kernel: 3, pad: 1 });
  x = b.conv(x, 8, { kernel: 3, pad: 1, group: 2 });
  x = b.conv(x, 3, { kernel: 1 });
  x = b.conv(x, 16, { kernel: 19, pad: 9 }); // K = 1083: past IM2COL_MAX_K, the implicit GEMM
  return b.build(x);
}

describe.each(['simd', 'scalar'] as const)('im2col in a session (%s)', (backend) => {
  let engine: Engine;
  beforeAll(async () => { engine = await createEngine({ backend }); });
  afterAll(() => engine.dispose());

  it('the convs with at most 4 input channels and more than 8 output channels, no groups, more than one tap, K up to 1024', () => {
    const s = engine.compile(net(), { batch: 1, height: 17, width: 15 });
    const { steps } = s.profile(new Random(1).fill(3 * 17 * 15, (r) => r.normal()), 1);
    s.dispose();
    expect(steps.filter((st) => st.op === 'conv').map((st) => st.algorithm)).toEqual(['im2col', 'gemm', 'gemm', 'im2col', 'gemm', 'gemm', 'gemm', 'gemm', 'gemm']);
  });

  it('outputs within 1e-4 of the float64 reference, batch 3 (a block of 256 pixels across images)', () => {
    const graph = net();
    const dims = { batch: 3, height: 21, width: 23 };
    const input = new Random(2).fill(3 * 3 * 21 * 23, (r) => r.normal());
    const ref = runGraph(graph, input, [3, 3, 21, 23]);
    const s = engine.compile(graph, dims);
    const out = s.run(input);
    s.dispose();
    const scale = Math.max(1e-3, ...ref.data.map(Math.abs));
    expect(Math.max(...out.map((v, i) => Math.abs(v - ref.data[i])))).toBeLessThanOrEqual(1e-4 * scale);
  });
});
