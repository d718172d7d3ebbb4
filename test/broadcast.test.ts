// Element-wise Add, Sub, Mul, Div with numpy broadcasting ('binary' nodes) through the engine, in
// both builds, against the float64 reference executor (test/reference/kernels.ts binaryRef, which
// indexes in NCHW order and knows nothing of strides or layouts). Operands: computed tensors of
// ranks 2 and 4 broadcast against each other and constants of ranks 0 to 4 on either side; the
// output ranks 2, 3 and 4 (NHWC in the engine for rank 4, row-major otherwise); in place or not.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { GraphError } from '../src/errors.js';
import { BINARY_OPS, type BinaryOp, type Graph, type Node } from '../src/graph/ir.js';
import { Random } from '../src/graph/random.js';
import { createEngine, type Engine } from '../src/runtime/engine.js';
import { runGraph } from './reference/graph.js';

const BACKENDS = ['simd', 'scalar'] as const;
const engines = {} as Record<(typeof BACKENDS)[number], Engine>;
beforeAll(async () => {
  for (const b of BACKENDS) engines[b] = await createEngine({ backend: b });
});
afterAll(() => BACKENDS.forEach((b) => engines[b].dispose()));

// Input [2, 3, 2, 3]: H x W = 2 x 3 equals N x C, so the flattened squeeze [N, C] broadcasts
// against the map along H and W, as numpy aligns shapes on the right.
const N = 2, C = 3, H = 2, W = 3;
const rng = new Random(5);
const values = (n: number) => rng.fill(n, (r) => r.normal() + 0.1);
const constant = (shape: number[]) => ({ shape, data: values(shape.reduce((a, b) => a * b, 1)) });

/** Computed tensors the cases use, from the input x [N, C, H, W]. */
const PRELUDE: Node[] = [
  { op: 'activation', name: 'x4', inputs: ['x'], output: 'x4', act: 'tanh' }, // [2, 3, 2, 3]
  { op: 'globalpool', name: 'p4', inputs: ['x'], output: 'p4', mode: 'avg' }, // [2, 3, 1, 1]
  { op: 'flatten', name: 'p2', inputs: ['p4'], output: 'p2' }, // [2, 3]
  { op: 'fc', name: 'f1', inputs: ['p2'], output: 'f1', act: 'none', weight: constant([1, C]) }, // [2, 1]
];

interface Case { name: string; node: Omit<Node & { op: 'binary' }, 'op' | 'name' | 'output' | 'act' | 'kind'>; shape: number[] }

const CASES: Case[] = [
  { name: '[2,3,2,3] and [2,3,2,3]', node: { inputs: ['x4', 'x'] }, shape: [2, 3, 2, 3] },
  { name: '[2,3,2,3] and [2,3] (aligned with H, W: not a channel scale)', node: { inputs: ['x4', 'p2'] }, shape: [2, 3, 2, 3] },
  { name: '[2,3] and [2,3,2,3]', node: { inputs: ['p2', 'x'] }, shape: [2, 3, 2, 3] },
  { name: '[2,3,1,1] and [2,3,2,3]', node: { inputs: ['p4', 'x4'] }, shape: [2, 3, 2, 3] },
  { name: '[2,3] and [2,1]', node: { inputs: ['p2', 'f1'] }, shape: [2, 3] },
  // [2, 1] aligns as [1, 1, 2, 1] against [2, 3, 1, 1].
  { name: '[2,1] and [2,3,1,1]: both broadcast', node: { inputs: ['f1', 'p4'] }, shape: [2, 3, 2, 1] },
  { name: 'scalar constant second', node: { inputs: ['x4'], constant: { at: 1, value: constant([]) } }, shape: [2, 3, 2, 3] },
  { name: 'constant [3, 1, 1] first (per channel)', node: { inputs: ['x4'], constant: { at: 0, value: constant([3, 1, 1]) } }, shape: [2, 3, 2, 3] },
  { name: 'constant [1, 3, 1, 1] second (normalisation)', node: { inputs: ['x'], constant: { at: 1, value: constant([1, 3, 1, 1]) } }, shape: [2, 3, 2, 3] },
  { name: 'constant [3] along W', node: { inputs: ['x4'], constant: { at: 1, value: constant([3]) } }, shape: [2, 3, 2, 3] },
  { name: 'constant [2, 1, 2, 3] (per image, H, W)', node: { inputs: ['x4'], constant: { at: 0, value: constant([2, 1, 2, 3]) } }, shape: [2, 3, 2, 3] },
  { name: 'constant [1, 3] on [2, 3]', node: { inputs: ['p2'], constant: { at: 1, value: constant([1, 3]) } }, shape: [2, 3] },
  { name: 'constant [4, 1, 1] on [2, 3]: rank-3 output', node: { inputs: ['p2'], constant: { at: 0, value: constant([4, 1, 1]) } }, shape: [4, 2, 3] },
  { name: 'constant [2, 3, 2, 3] on [2, 1]: the constant is the larger', node: { inputs: ['f1'], constant: { at: 1, value: constant([2, 3, 2, 3]) } }, shape: [2, 3, 2, 3] },
];

function graphOf(kind: BinaryOp, c: Case, then?: 'sigmoid'): Graph {
  const nodes: Node[] = [...PRELUDE, { op: 'binary', name: 'b', output: 'b', kind, act: then ?? 'none', ...c.node } as Node];
  return { name: `${kind} ${c.name}`, input: { name: 'x', channels: C }, output: 'b', nodes };
}

const input = values(N * C * H * W);

describe.each(BINARY_OPS)('%s', (kind) => {
  test.each(CASES)('$name', (c) => {
    // With and without a fused activation (the kernel's epilogue).
    const graph = graphOf(kind, c, kind === 'add' || kind === 'mul' ? 'sigmoid' : undefined);
    const ref = runGraph(graph, input, [N, C, H, W]);
    expect(ref.shape).toEqual(c.shape);
    for (const backend of BACKENDS) {
      const session = engines[backend].compile(graph, { batch: N, height: H, width: W });
      try {
        expect(session.outputShape, backend).toEqual(c.shape);
        const got = session.run(input);
        let worst = 0, scale = 0;
        for (let i = 0; i < got.length; i++) {
          worst = Math.max(worst, Math.abs(got[i] - ref.data[i]));
          scale = Math.max(scale, Math.abs(ref.data[i]));
        }
        expect(scale, 'reference all zeros').toBeGreaterThan(0);
        expect(worst, `${backend}: max abs error ${worst} of max ${scale}`).toBeLessThanOrEqual(1e-5 * scale);
      } finally {
        session.dispose();
      }
    }
  });
});

test('in place: the output takes the buffer of a same-shape operand that dies there, not of a broadcast one', () => {
  for (const c of [CASES[0], CASES[1], CASES[3]]) {
    const session = engines.simd.compile(graphOf('mul', c), { batch: N, height: H, width: W });
    try {
      const { steps, tensorBuffer } = session.plan;
      const step = steps.find((s) => s.node.name === 'b')!;
      const shared = step.inputs.filter((id) => id === step.output);
      // x4 (same shape as the output) dies at the binary step in every case; p2 and p4 are smaller.
      expect(shared.length, c.name).toBe(1);
      expect(step.output, c.name).toBe(tensorBuffer.get('x4'));
    } finally {
      session.dispose();
    }
  }
});

test('shapes that do not broadcast, and a bad kind, are GraphErrors naming the node', () => {
  const bad: Graph = { name: 'bad', input: { name: 'x', channels: C }, output: 'b', nodes: [
    ...PRELUDE, { op: 'binary', name: 'b', kind: 'add', act: 'none', inputs: ['x4'], output: 'b', constant: { at: 1, value: constant([2]) } },
  ] };
  expect(() => engines.simd.compile(bad, { batch: N, height: H, width: W })).toThrow(GraphError);
  expect(() => engines.simd.compile(bad, { batch: N, height: H, width: W })).toThrow(/node 'b' \(binary\): shapes \[2,3,2,3\] and \[2\] do not broadcast/);
  const kind = { ...bad, nodes: [...PRELUDE, { ...bad.nodes.at(-1)!, kind: 'pow', constant: undefined, inputs: ['x4', 'x'] } as unknown as Node] };
  expect(() => engines.simd.compile(kind, { batch: N, height: H, width: W })).toThrow(/node 'b' \(binary\): kind must be one of add, sub, mul, div, max, min, prelu; got "pow"/);
});
