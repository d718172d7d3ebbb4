// session.run(x, { excitations: true }): every fused SE block's gates [N, C], in depth order,
// against the float64 reference executor's gate tensors on the same graph (the reference runs the
// SE chain unfused: the gate is the input of its scale), in both builds.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { OptionError } from '../src/errors.js';
import type { Graph, InputDims } from '../src/graph/ir.js';
import { buildModel } from '../src/models/index.js';
import { buildResNet } from '../src/models/resnet.js';
import { createEngine, type Engine } from '../src/runtime/engine.js';
import { runGraphAll } from './reference/graph.js';

const BACKENDS = ['simd', 'scalar'] as const;
const engines = {} as Record<(typeof BACKENDS)[number], Engine>;
beforeAll(async () => {
  for (const b of BACKENDS) engines[b] = await createEngine({ backend: b });
});
afterAll(() => BACKENDS.forEach((b) => engines[b].dispose()));

const input = (n: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.731) + 0.3 * Math.cos(i * 0.117));

const NETS: { label: string; graph: Graph; dims: InputDims; blocks: number }[] = [
  // FC-style SE (the paper's), max squeeze in one, a residual after every block.
  { label: 'SE-ResNet, 2 blocks a stage', graph: buildResNet({ name: 'r', se: true, blocks: [2, 2, 1, 1], width: 8, classes: 10, reduction: 4, seed: 3 }), dims: { batch: 2, height: 40, width: 32 }, blocks: 6 },
  { label: 'SE-ResNet, max squeeze, tanh gate', graph: buildResNet({ name: 'r2', se: true, blocks: [1, 1, 1, 1], width: 8, classes: 10, reduction: 4, squeeze: 'max', gate: 'tanh', seed: 4 }), dims: { batch: 1, height: 32, width: 32 }, blocks: 4 },
  // 1x1-conv-style SE after depthwise convs, hard-sigmoid gate.
  { label: 'MobileNetV3-Small', graph: buildModel('mobilenet-v3-small', { seed: 2, classes: 10 }), dims: { batch: 2, height: 64, width: 64 }, blocks: 9 },
];

describe.each(NETS)('$label', ({ graph, dims, blocks }) => {
  const x = input(dims.batch * 3 * dims.height * dims.width);
  const ref = runGraphAll(graph, x, [dims.batch, 3, dims.height, dims.width]);

  test.each(BACKENDS)('%s build: one entry per SE block in depth order, gates equal the reference', (backend) => {
    const session = engines[backend].compile(graph, dims);
    try {
      const { output, excitations } = session.run(x, { excitations: true });
      expect(output).toEqual(session.run(x));
      expect(excitations.length).toBe(blocks);
      const scales = graph.nodes.filter((n) => n.op === 'mul');
      expect(excitations.map((e) => e.name)).toEqual(scales.map((m) => `${m.name}_se`));
      for (const [i, e] of excitations.entries()) {
        const gate = ref.get(scales[i].inputs[1])!;
        const c = gate.shape[1];
        expect(e.shape, e.name).toEqual([dims.batch, c]);
        expect(e.gates.length).toBe(dims.batch * c);
        let worst = 0;
        for (let k = 0; k < e.gates.length; k++) worst = Math.max(worst, Math.abs(e.gates[k] - gate.data[k]));
        expect(worst, `${backend} ${e.name}: max abs error`).toBeLessThanOrEqual(1e-5);
        expect(new Set(e.gates).size, `${e.name}: gates not all equal`).toBeGreaterThan(1);
      }
      expect(excitations[0].gates.buffer).not.toBe(excitations[1].gates.buffer);
    } finally {
      session.dispose();
    }
  });
});

test('stage labels of the built-in SE-ResNet; bad run options are OptionErrors', () => {
  const graph = buildResNet({ name: 'r', se: true, blocks: [1, 1, 1, 1], width: 8, classes: 10, reduction: 4 });
  const session = engines.simd.compile(graph, { height: 32, width: 32 });
  const x = input(3 * 32 * 32);
  expect(session.run(x, { excitations: true }).excitations.map((e) => e.stage)).toEqual(['conv2_x', 'conv3_x', 'conv4_x', 'conv5_x']);
  expect(session.run(x, { excitations: false })).toBeInstanceOf(Float32Array);
  expect(() => session.run(x, { excitations: 'yes' } as never)).toThrow(OptionError);
  expect(() => session.run(x, { excitations: 'yes' } as never)).toThrow(/excitations must be true or false, got string/);
  expect(() => session.run(x, null as never)).toThrow(/run options must be an object, got null/);
  session.dispose();
});
