// Concatenation along the channels and ShuffleNet's channel shuffle through the engine, in both
// builds, against the float64 reference executor; and the plan: which branches their producers
// write straight into their slice of the output (convs and pools read only by the concat) and
// which are copied (the graph input, a depthwise conv's output, a tensor read elsewhere too, a
// tensor listed twice).
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { GraphError } from '../src/errors.js';
import { GraphBuilder } from '../src/graph/builder.js';
import type { Graph, InputDims } from '../src/graph/ir.js';
import { createEngine, type Engine } from '../src/runtime/engine.js';
import { runGraph } from './reference/graph.js';

const BACKENDS = ['simd', 'scalar'] as const;
const engines = {} as Record<(typeof BACKENDS)[number], Engine>;
beforeAll(async () => {
  for (const b of BACKENDS) engines[b] = await createEngine({ backend: b });
});
afterAll(() => BACKENDS.forEach((b) => engines[b].dispose()));

/** An Inception-like module over every kind of branch, then a conv and a shuffle reading the result. */
function inception(): { graph: Graph; written: boolean[] } {
  const b = new GraphBuilder('inception', 'x', 6, { seed: 9 });
  const stem = b.activation(b.conv('x', 12, { kernel: 3, pad: 1, bias: true }), 'relu');
  const b1 = b.conv(stem, 5, { kernel: 1, act: 'relu', bias: true }); // written in place
  const b2 = b.conv(b.conv(stem, 4, { kernel: 1, act: 'relu' }), 7, { kernel: 3, pad: 1, act: 'relu6' }); // in place
  const b3 = b.conv(b.pool(stem, 'max', { kernel: 3, stride: 1, pad: 1 }), 3, { kernel: 1 }); // in place
  const b4 = b.pool(stem, 'avg', { kernel: 3, stride: 1, pad: 1, countIncludePad: true }); // a pool, in place
  const dw = b.conv(stem, 12, { kernel: 3, pad: 1, group: 12 }); // depthwise: copied
  const shared = b.conv(stem, 4, { kernel: 1 }); // read by the concat and the sum below: copied
  const cat = b.concat([b1, b2, b3, b4, dw, shared, stem, shared]); // shared listed twice
  const y = b.conv(cat, 16, { kernel: 1, act: 'relu' });
  const z = b.channelShuffle(b.sum(y, b.conv(shared, 16, { kernel: 1 })), 4);
  return { graph: b.build(z), written: [true, true, true, true, false, false, false, false] };
}

const input = (n: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37) + 0.2 * Math.cos(i * 1.3));

function compare(graph: Graph, dims: InputDims, backend: (typeof BACKENDS)[number]) {
  const x = input(dims.batch * graph.input.channels * dims.height * dims.width);
  const ref = runGraph(graph, x, [dims.batch, graph.input.channels, dims.height, dims.width]);
  const session = engines[backend].compile(graph, dims);
  try {
    const got = session.run(x);
    expect(session.outputShape).toEqual(ref.shape);
    let worst = 0, scale = 0;
    for (let i = 0; i < got.length; i++) {
      worst = Math.max(worst, Math.abs(got[i] - ref.data[i]));
      scale = Math.max(scale, Math.abs(ref.data[i]));
    }
    expect(scale).toBeGreaterThan(0);
    expect(worst, `${backend}: max abs error ${worst} of max ${scale}`).toBeLessThanOrEqual(1e-4 * scale);
    return session.plan;
  } finally {
    session.dispose();
  }
}

describe.each(BACKENDS)('%s build', (backend) => {
  test.each([{ batch: 1, height: 7, width: 9 }, { batch: 2, height: 5, width: 4 }])('inception-like module and shuffle, %o', (dims) => {
    const { graph, written } = inception();
    const plan = compare(graph, dims, backend);
    const step = plan.steps.find((s) => s.node.op === 'concat')!;
    expect(step.written).toEqual(written);
    // The in-place branches' producers write into the concat's own buffer, at their channel offsets.
    const slices = plan.steps.filter((s) => s.outputSlice);
    expect(slices.map((s) => s.output)).toEqual([step.output, step.output, step.output, step.output]);
    expect(slices.map((s) => s.outputSlice!.byteOffset / 4)).toEqual([0, 5, 12, 15]);
    expect(new Set(slices.map((s) => s.outputSlice!.stride))).toEqual(new Set([5 + 7 + 3 + 12 + 12 + 4 + 12 + 4]));
  });

  test('vectors: [N, K] features joined, and a concat that is the graph output', () => {
    const b = new GraphBuilder('vectors', 'x', 3, { seed: 4 });
    const p = b.flatten(b.globalPool(b.conv('x', 6, { kernel: 3, pad: 1 })));
    const graph = b.build(b.concat([b.fc(p, 4), b.fc(p, 3, { act: 'sigmoid' }), p]));
    compare(graph, { batch: 3, height: 6, width: 6 }, backend);
    const b2 = new GraphBuilder('maps', 'x', 3, { seed: 5 });
    const graph2 = b2.build(b2.concat([b2.conv('x', 4, { kernel: 1 }), b2.conv('x', 2, { kernel: 3, pad: 1 })]));
    compare(graph2, { batch: 2, height: 5, width: 6 }, backend);
  });

  test.each([1, 2, 3, 6])('channel shuffle, %i groups of 12 channels', (groups) => {
    const b = new GraphBuilder('shuffle', 'x', 12, { seed: groups });
    const graph = b.build(b.conv(b.channelShuffle(b.conv('x', 12, { kernel: 1, group: 3 }), groups), 12, { kernel: 1, group: 3 }));
    compare(graph, { batch: 2, height: 3, width: 5 }, backend);
  });
});

describe.each(BACKENDS)('pad, %s build', (backend) => {
  test.each([
    { pads: [1, 2, 0, 3], value: 0, c: 5 },
    { pads: [0, 0, 2, 0], value: -1.25, c: 8 },
    { pads: [3, 1, 1, 2], value: 2, c: 3 },
  ] as const)('pads $pads, value $value, $c channels, kept as a step before a max pool', ({ pads, value, c }) => {
    const b = new GraphBuilder('pad', 'x', c, { seed: 2 });
    const y = b.conv('x', c, { kernel: 1 });
    const graph = b.build(b.pool(b.pad(y, [...pads], value), 'max', { kernel: 2, stride: 1 }));
    const plan = compare(graph, { batch: 2, height: 5, width: 6 }, backend);
    expect(plan.steps.filter((s) => s.node.op === 'pad')).toHaveLength(1);
  });

  test('zero pads fold into the conv and the average pool after them, and give what the pad step gives', () => {
    const b = new GraphBuilder('fold', 'x', 4, { seed: 3 });
    const y = b.conv(b.pad('x', [1, 0, 2, 1], 0), 6, { kernel: 3 });
    const graph = b.build(b.pool(b.pad(y, [0, 1, 1, 0], 0), 'avg', { kernel: 2, stride: 1 }));
    const plan = compare(graph, { batch: 1, height: 7, width: 5 }, backend);
    expect(plan.steps.map((s) => s.node.op)).toEqual(['conv', 'pool']);
  });
});

test('inputs that differ outside the channels, and groups that do not divide C, are GraphErrors', () => {
  const b = new GraphBuilder('bad', 'x', 4);
  const graph = b.build(b.concat(['x', b.pool('x', 'max', { kernel: 2 })]));
  expect(() => engines.simd.compile(graph, { height: 8, width: 8 })).toThrow(GraphError);
  expect(() => engines.simd.compile(graph, { height: 8, width: 8 })).toThrow(/inputs \[\[1,4,8,8\], \[1,4,4,4\]\] differ outside the channels/);
  const s = new GraphBuilder('bad', 'x', 6);
  const sg = s.build(s.channelShuffle('x', 4));
  expect(() => engines.simd.compile(sg, { height: 2, width: 2 })).toThrow(/groups 4 must divide the 6 channels/);
});
