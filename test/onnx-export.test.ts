// ONNX export (src/onnx/writer.ts): onnxruntime runs what saveOnnx writes and agrees with
// senet-wasm (both builds) on the same graph; loadOnnx reads the file back into a graph that gives
// the same outputs and whose SE chains all fuse again. Criterion against onnxruntime:
// max |senet-wasm - ort| <= 1e-4 * max |ort| over the output.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { GraphError, OptionError } from '../src/errors.js';
import { GraphBuilder } from '../src/graph/builder.js';
import type { Activation, Graph, InputDims, Node } from '../src/graph/ir.js';
import { optimize } from '../src/graph/passes/index.js';
import { Random } from '../src/graph/random.js';
import { buildModel } from '../src/models/index.js';
import { buildResNet } from '../src/models/resnet.js';
import { loadOnnx } from '../src/onnx/reader.js';
import { decodeModel, type ModelMsg } from '../src/onnx/schema.js';
import { saveOnnx, type SaveOptions } from '../src/onnx/writer.js';
import { createEngine, type Engine } from '../src/runtime/engine.js';
import { maxAbs, relDiff } from '../src/cli/bench.js';

const TOLERANCE = 1e-4;
const BACKENDS = ['simd', 'scalar'] as const;

const count = (g: Graph, op: Node['op']) => g.nodes.filter((n) => n.op === op).length;
const randomInput = (d: InputDims, channels = 3, seed = 7) => new Random(seed).fill(d.batch * channels * d.height * d.width, (r) => r.normal());

async function runOrt(bytes: Uint8Array, x: Float32Array, d: InputDims, channels = 3): Promise<{ y: Float32Array; dims: readonly number[] }> {
  const session = await ort.InferenceSession.create(bytes);
  try {
    const out = await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', x, [d.batch, channels, d.height, d.width]) });
    const t = out[session.outputNames[0]];
    return { y: t.data as Float32Array, dims: t.dims };
  } finally {
    await session.release();
  }
}

const decode: (bytes: Uint8Array) => ModelMsg = decodeModel;

function histogram(m: ModelMsg): Record<string, number> {
  const h: Record<string, number> = {};
  for (const n of m.graph!.node!) h[n.opType] = (h[n.opType] ?? 0) + 1;
  return h;
}

/**
 * The ops an unfused graph must become at opset 13 (or 14+: HardSwish): one ONNX op per IR op,
 * and for each activation (standalone or in an epilogue) its ONNX spelling.
 */
function expectedOps(g: Graph, opset = 13): Record<string, number> {
  const acts = new Map<Activation, number>();
  const rank = new Map<string, number>([[g.input.name, 4]]);
  const h: Record<string, number> = {};
  const inc = (op: string, k = 1) => { if (k) h[op] = (h[op] ?? 0) + k; };
  for (const n of g.nodes) {
    rank.set(n.output, n.op === 'flatten' || n.op === 'fc' ? 2 : n.op === 'reshape' ? n.shape.length + 1 : n.op === 'activation' || n.op === 'add' || n.op === 'mul' ? rank.get(n.inputs[0])! : 4);
    if ('act' in n && n.act !== 'none') acts.set(n.act, (acts.get(n.act) ?? 0) + 1);
    switch (n.op) {
      case 'conv': inc('Conv'); break;
      case 'batchnorm': inc('BatchNormalization'); break;
      case 'add': inc('Add'); break;
      case 'mul': inc('Mul'); if (rank.get(n.inputs[1]) === 2) inc('Unsqueeze'); break;
      case 'pool': inc(n.mode === 'max' ? 'MaxPool' : 'AveragePool'); break;
      case 'globalpool': inc(n.mode === 'max' ? 'GlobalMaxPool' : 'GlobalAveragePool'); break;
      case 'flatten': inc('Flatten'); break;
      case 'reshape': inc('Reshape'); break;
      case 'fc': inc('Gemm'); break;
      case 'softmax': inc('Softmax'); break;
      case 'activation': break;
      default: throw new Error(`expectedOps: ${n.op} not expected in a built graph`);
    }
  }
  const a = (k: Activation) => acts.get(k) ?? 0;
  inc('Relu', a('relu'));
  inc('Clip', a('relu6'));
  inc('Tanh', a('tanh'));
  inc('Sigmoid', a('sigmoid') + a('silu'));
  inc('Mul', a('silu'));
  inc('HardSigmoid', a('hardsigmoid'));
  if (opset >= 14) inc('HardSwish', a('hardswish'));
  else { inc('HardSigmoid', a('hardswish')); inc('Mul', a('hardswish')); }
  return h;
}

/** Structural checks every exported file must pass. */
function checkFile(m: ModelMsg, g: Graph, opset: number, dims: (number | string)[]) {
  expect(m.irVersion).toBe(opset <= 13 ? 7 : 8);
  expect(m.opsetImport).toEqual([{ version: opset }]);
  expect(m.producerName).toBe('senet-wasm');
  const gr = m.graph!;
  expect(gr.input!.map((v) => v.name)).toEqual([g.input.name]);
  expect(gr.input![0].type!.tensorType!.shape!.dim!.map((d) => d.dimValue ?? d.dimParam)).toEqual(dims);
  expect(gr.output!.map((v) => v.name)).toEqual([g.output]);
  // Unique node names; every input defined before use; every tensor written once.
  const names = gr.node!.map((n) => n.name);
  expect(new Set(names).size).toBe(names.length);
  const defined = new Set([g.input.name, ...gr.initializer!.map((t) => t.name!)]);
  expect(defined.size).toBe(gr.initializer!.length + 1);
  for (const n of gr.node!) {
    for (const i of n.input ?? []) expect(defined.has(i), `${n.name} reads '${i}' before it is written`).toBe(true);
    for (const o of n.output!) { expect(defined.has(o), `${o} written twice`).toBe(false); defined.add(o); }
  }
  // Weights: FLOAT in raw_data, 4 bytes a value; shape constants INT64.
  for (const t of gr.initializer!) {
    const numel = (t.dims ?? []).reduce((a, b) => a * b, 1);
    expect([1, 7]).toContain(t.dataType);
    expect(t.rawData!.length, t.name).toBe(numel * (t.dataType === 1 ? 4 : 8));
    expect(t.floatData ?? []).toEqual([]);
  }
}

// ---------------------------------------------------------------------------------------------
// The five SE networks, seeded, 10 classes: batch 2 for three, non-square inputs for three.

const CASES: { model: string; dims: InputDims; seBlocks: number }[] = [
  { model: 'se-resnet50', dims: { batch: 2, height: 64, width: 64 }, seBlocks: 16 },
  { model: 'se-resnext50-32x4d', dims: { batch: 1, height: 64, width: 48 }, seBlocks: 16 },
  { model: 'mobilenet-v3-large', dims: { batch: 2, height: 64, width: 64 }, seBlocks: 8 },
  { model: 'mobilenet-v3-small', dims: { batch: 1, height: 56, width: 40 }, seBlocks: 9 },
  { model: 'efficientnet-b0', dims: { batch: 2, height: 48, width: 64 }, seBlocks: 16 },
];

const engines = {} as Record<(typeof BACKENDS)[number], Engine>;
const figures: string[] = [];

beforeAll(async () => {
  for (const b of BACKENDS) engines[b] = await createEngine({ backend: b });
});
afterAll(() => {
  for (const b of BACKENDS) engines[b]?.dispose();
  if (figures.length) console.log(`max |senet-wasm - ort| / max |ort|:\n${figures.join('\n')}`);
});

/** Runs `graph` in one build at `dims` and frees the session. */
function runEngine(backend: (typeof BACKENDS)[number], graph: Graph, x: Float32Array, dims: InputDims): Float32Array {
  const session = engines[backend].compile(graph, dims);
  try {
    return session.run(x).slice();
  } finally {
    session.dispose();
  }
}

describe.each(CASES)('$model at $dims.batch x 3 x $dims.height x $dims.width', ({ model, dims, seBlocks }) => {
  let g: Graph | undefined, bytes: Uint8Array | undefined, x: Float32Array, wasm: Float32Array | undefined;
  beforeAll(() => {
    g = buildModel(model, { seed: 11, classes: 10 });
    bytes = saveOnnx(g);
    x = randomInput(dims);
  }, 30_000);
  afterAll(() => { g = bytes = wasm = undefined; }); // let the collector have the 100 MB

  test('the file: opset 13, symbolic N, H, W, one ONNX op per IR op', () => {
    const m = decode(bytes!);
    checkFile(m, g!, 13, ['batch', 3, 'height', 'width']);
    expect(m.graph!.output![0].type!.tensorType!.shape!.dim).toEqual([{ dimParam: 'batch' }, { dimValue: 10 }]);
    const h = histogram(m);
    expect(h).toEqual(expectedOps(g!));
    // Spot checks of the mapping, per family.
    expect(h.GlobalAveragePool).toBe(seBlocks + 1); // the squeezes and the head's pool
    if (model.startsWith('se-res')) {
      expect([h.Mul, h.Unsqueeze, h.Sigmoid, h.Gemm]).toEqual([16, 16, 16, 33]); // SE on [N, C]: unsqueezed for the Mul
    } else if (model.startsWith('mobilenet')) {
      expect(h.Unsqueeze).toBeUndefined(); // SE as 1x1 convs on [N, C, 1, 1]: no reshape needed
      expect(h.HardSigmoid - seBlocks).toBe(h.Mul - seBlocks); // each hardswish: HardSigmoid + Mul
    } else {
      expect(h.Sigmoid - seBlocks).toBe(h.Mul - seBlocks); // each SiLU: Sigmoid + Mul
    }
    // Every weight of the graph is in the file, bit for bit.
    const inits = new Map(m.graph!.initializer!.map((t) => [t.name!, t]));
    const conv = g!.nodes.find((n) => n.op === 'conv')!;
    if (conv.op !== 'conv') throw new Error('no conv');
    const w = inits.get(`${conv.name}.weight`)!;
    expect(w.dims).toEqual(conv.weight.shape);
    expect(new Float32Array(Uint8Array.from(w.rawData!).buffer)).toEqual(conv.weight.data);
  });

  test('onnxruntime agrees with both builds', async () => {
    const ref = await runOrt(bytes!, x, dims);
    expect(ref.dims).toEqual([dims.batch, 10]);
    const scale = maxAbs(ref.y);
    expect(scale, 'ort output is not degenerate').toBeGreaterThan(1e-3);
    for (const backend of BACKENDS) {
      const y = runEngine(backend, g!, x, dims);
      if (backend === 'simd') wasm = y;
      const rel = relDiff(y, ref.y);
      figures.push(`  ${model.padEnd(20)} ${backend.padEnd(6)} ${rel.toExponential(2)}  (max |ort| ${scale.toPrecision(4)})`);
      expect(rel, `${backend}: max error over max |ort| ${scale}`).toBeLessThanOrEqual(TOLERANCE);
    }
  }, 30_000);

  test('loadOnnx reads it back: same outputs, every SE block fuses again', () => {
    const back = loadOnnx(bytes!, { name: `${model}.onnx` });
    expect(back.source).toMatchObject({ format: 'onnx', opset: 13, producer: 'senet-wasm', inputShape: ['batch', 3, 'height', 'width'] });
    expect(back.input).toEqual(g!.input);
    const [fusedOurs, fusedBack] = [optimize(g!), optimize(back)];
    expect(count(fusedOurs, 'se')).toBe(seBlocks);
    expect(count(fusedBack, 'se')).toBe(seBlocks);
    expect(count(fusedBack, 'mul')).toBe(0);
    expect(fusedBack.nodes.map((n) => n.op)).toEqual(fusedOurs.nodes.map((n) => n.op));
    const y = runEngine('simd', back, x, dims);
    const expected = wasm ?? runEngine('simd', g!, x, dims);
    // Not bit-exact: BatchNorm's epsilon is a float in ONNX (1e-5 -> 9.99999975e-6).
    expect(relDiff(y, expected)).toBeLessThanOrEqual(1e-5);
  }, 30_000);
});

// ---------------------------------------------------------------------------------------------
// Every op and activation, fused graphs, opsets, fixed sizes, errors: small graphs, milliseconds.

/** One of each IR op and activation the builder makes, with their attributes varied. */
function everyOp(seed = 3): Graph {
  const b = new GraphBuilder('every-op', 'image', 4, { seed });
  let x = b.conv('image', 16, { kernel: 3, stride: 2, pad: [1, 0, 1, 1], bias: true, act: 'relu6' });
  x = b.activation(b.batchnorm(x, 1, 1e-3), 'tanh');
  x = b.pool(x, 'avg', { kernel: 3, stride: 2, pad: 1, countIncludePad: true });
  const y = b.activation(b.conv(x, 16, { kernel: [3, 1], pad: [2, 0], group: 4, dilation: [2, 1], act: 'hardswish' }), 'none');
  x = b.sum(b.activation(y, 'silu'), b.activation(x, 'hardsigmoid'), 'relu');
  x = b.pool(x, 'max', { kernel: 2, stride: 2, pad: 1, ceilMode: true }); // PyTorch's ceil rule drops a last window in the padding
  x = b.pool(x, 'avg', { kernel: 3, stride: 1, pad: 1, countIncludePad: false });
  // The SE chain on [N, C] gated back through a reshape (the paper's Caffe spelling) ...
  const s = b.fc(b.activation(b.fc(b.flatten(b.globalPool(x, 'max')), 4), 'relu'), 16, { act: 'sigmoid' });
  const reshaped = b.nodes.length;
  x = b.mul(x, s);
  // ... where the builder has no reshape: add one by hand, [N, 16] -> [N, 16, 1, 1].
  b.nodes.splice(reshaped, 0, { op: 'reshape', name: 'view', inputs: [s], output: 'view', shape: [16, 1, 1] });
  (b.nodes[reshaped + 1] as Node).inputs[1] = 'view';
  // ... and the builder's own spelling: the scale stays [N, C] (an Unsqueeze in the file).
  x = b.squeezeExcite(x, 4, { act: 'silu', gate: 'hardsigmoid' });
  const head = b.fc(b.flatten(b.globalPool(x, 'avg')), 6, { act: 'silu' });
  return b.build(b.softmax(b.activation(head, 'none')));
}

describe('small graphs', () => {
  const dims: InputDims = { batch: 2, height: 19, width: 23 };

  async function agree(g: Graph, options: SaveOptions = {}, d = dims, channels = g.input.channels) {
    const bytes = saveOnnx(g, options);
    const x = randomInput(d, channels, 5);
    const ref = await runOrt(bytes, x, d, channels);
    const scale = maxAbs(ref.y);
    expect(scale).toBeGreaterThan(1e-3);
    for (const backend of BACKENDS) {
      expect(relDiff(runEngine(backend, g, x, d), ref.y), backend).toBeLessThanOrEqual(TOLERANCE);
    }
    const back = loadOnnx(bytes);
    expect(relDiff(runEngine('simd', back, x, d), ref.y)).toBeLessThanOrEqual(TOLERANCE);
    return { bytes, back, m: decode(bytes) };
  }

  test('every op and activation, as given and unoptimized in the engine too', async () => {
    const g = everyOp();
    const { m, back } = await agree(g);
    checkFile(m, g, 13, ['batch', 4, 'height', 'width']);
    expect(histogram(m)).toEqual(expectedOps(g));
    expect(optimize(back).nodes.filter((n) => n.op === 'se')).toHaveLength(2);
    // Unoptimized engine runs of the re-read graph match too (no pass hides a mapping error).
    const x = randomInput(dims, 4, 5);
    const plain = engines.simd.compile(back, dims, { optimize: false });
    const expected = runEngine('simd', g, x, dims);
    expect(relDiff(plain.run(x), expected)).toBeLessThanOrEqual(TOLERANCE);
    plain.dispose();
  });

  test('concat, channel shuffle and broadcast binary ops (constants on either side) round-trip through onnxruntime', async () => {
    const b = new GraphBuilder('cat-shuffle', 'x', 4, { seed: 31 });
    const a = b.conv('x', 6, { kernel: 1, act: 'relu' });
    const c = b.pool('x', 'max', { kernel: 3, stride: 1, pad: 1 });
    const shuffled = b.channelShuffle(b.concat([a, c, 'x']), 7);
    const y = b.conv(shuffled, 8, { kernel: 3, pad: 1 });
    const rng = new Random(3);
    const k = (shape: number[]) => ({ shape, data: rng.fill(shape.reduce((p, q) => p * q, 1), (r) => r.normal() + 2) });
    const nodes = [...b.nodes,
      { op: 'binary', name: 'sub', kind: 'sub', act: 'none', inputs: [y], output: 'sub', constant: { at: 0, value: k([8, 1, 1]) } },
      { op: 'binary', name: 'div', kind: 'div', act: 'relu', inputs: ['sub'], output: 'div', constant: { at: 1, value: k([23]) } },
      { op: 'binary', name: 'mul', kind: 'mul', act: 'none', inputs: ['div', y], output: 'mul' },
    ] as Node[];
    const g: Graph = { ...b.build(y), nodes, output: 'mul' };
    // The [23] constant fixes the width: the file says so (a dynamic width would not broadcast).
    const { m } = await agree(g, { height: dims.height, width: dims.width });
    const h = histogram(m);
    expect([h.Concat, h.Transpose, h.Sub, h.Div, h.Mul]).toEqual([1, 1, 1, 1, 1]);
  });

  test('channel shuffles that leave the channels in place (groups 1 and C) read back as shuffles; a Reshape of [N, C, 1, 1] to itself stays a reshape', async () => {
    // The reader once took only 1 < g < C for a shuffle's first Reshape, so that our own file of
    // channel_shuffle(x, C) ([N, C, 1, H * W]) was refused on reading (found by test/graph-fuzz.test.ts).
    const b = new GraphBuilder('identity-shuffles', 'x', 4, { seed: 12 });
    const y = b.conv(b.channelShuffle(b.channelShuffle(b.conv('x', 6, { kernel: 1, act: 'relu' }), 6), 1), 8, { kernel: 3, pad: 1 });
    const pooled = b.globalPool(b.squeezeExcite(y, 2, { as: 'conv' }));
    const g: Graph = { ...b.build(pooled), output: 'head', nodes: [...b.nodes,
      { op: 'reshape', name: 'same', inputs: [pooled], output: 'same', shape: [8, 1, 1] },
      { op: 'flatten', name: 'flat', inputs: ['same'], output: 'flat' },
      { op: 'fc', name: 'head', inputs: ['flat'], output: 'head', act: 'none', weight: { shape: [3, 8], data: new Random(4).fill(24, (r) => r.normal()) } },
    ] };
    const { back } = await agree(g);
    expect(back.nodes.filter((n) => n.op === 'shuffle').map((n) => (n as Extract<Node, { op: 'shuffle' }>).groups)).toEqual([6, 1]);
    expect(optimize(back).nodes.filter((n) => n.op === 'se')).toHaveLength(1);
  });

  test.each([11, 13])('softmax over the channels and over each whole image, and a head on the map (no pool), at opset %i', async (opset) => {
    // dims: 19 x 23, so the stride-2 conv gives 10 x 12 maps.
    const b = new GraphBuilder('heads', 'x', 4, { seed: 8 });
    const maps = b.conv(b.softmax(b.conv('x', 6, { kernel: 3, pad: 1, stride: 2 })), 3, { kernel: 1 });
    const g: Graph = { ...b.build(maps), output: 'head', nodes: [...b.nodes,
      { op: 'softmax', name: 'whole', inputs: [maps], output: 'whole', whole: true },
      { op: 'fc', name: 'head', inputs: ['whole'], output: 'head', act: 'none', weight: { shape: [5, 3 * 10 * 12], data: new Random(2).fill(5 * 360, (r) => r.normal()) } },
    ] };
    if (opset < 13) {
      expect(() => saveOnnx(g, { opset })).toThrow(/a softmax over the channels of a map has no single ONNX op before opset 13/);
      return;
    }
    const { m, back } = await agree(g, { opset, height: dims.height, width: dims.width });
    expect(histogram(m).Softmax).toBe(2);
    expect(back.nodes.map((n) => n.op)).toEqual(['conv', 'softmax', 'conv', 'softmax', 'fc']);
  });

  test.each([11, 12, 14, 17, 18, 21])('opset %i', async (opset) => {
    const g = everyOp(opset);
    const { m } = await agree(g, { opset });
    checkFile(m, g, opset, ['batch', 4, 'height', 'width']);
    const h = histogram(m);
    expect(h).toEqual(expectedOps(g, opset));
    expect(h.HardSwish ?? 0).toBe(opset >= 14 ? 1 : 0);
    // Unsqueeze takes its axes as an attribute before opset 13, as an input from 13 on.
    const unsqueeze = m.graph!.node!.find((n) => n.opType === 'Unsqueeze')!;
    expect(unsqueeze.input).toHaveLength(opset >= 13 ? 2 : 1);
    expect(unsqueeze.attribute?.map((a) => a.name) ?? []).toEqual(opset >= 13 ? [] : ['axes']);
    // Clip (ReLU6) takes its bounds as inputs (opset 11 on).
    expect(m.graph!.node!.find((n) => n.opType === 'Clip')!.input).toHaveLength(3);
  });

  test('a fused graph (after optimize): se nodes (with residual + ReLU, from 1x1 convs), epilogue activations, folded BN', async () => {
    for (const [i, placement] of (['standard', 'post', 'identity', 'pre'] as const).entries()) {
      const g = buildResNet({
        name: `tiny-${placement}`, blocks: [1, 2], se: true, width: 8, reduction: 4, classes: 5, seed: 20 + i, placement,
        squeeze: i % 2 ? 'max' : 'avg', gate: (['sigmoid', 'tanh', 'relu', 'sigmoid'] as const)[i], fcBias: i !== 1,
      });
      const fused = optimize(g);
      expect(count(fused, 'se')).toBe(3);
      expect(count(fused, 'batchnorm')).toBe(0);
      const { m, back } = await agree(fused, {}, { batch: 2, height: 32, width: 40 });
      const h = histogram(m);
      expect(h.BatchNormalization).toBeUndefined();
      expect(h.Reshape).toBe(3); // each se: ... gate, Reshape to [N, C, 1, 1], Mul
      expect([h.GlobalMaxPool ?? 0, h.GlobalAveragePool]).toEqual(i % 2 ? [3, 1] : [0, 4]); // + the head's pool
      // The standard placement fuses the residual sum into the se node; it is written out again.
      if (placement === 'standard') expect(fused.nodes.filter((n) => n.op === 'se' && n.inputs.length === 2)).toHaveLength(3);
      expect(optimize(back).nodes.map((n) => n.op)).toEqual(fused.nodes.map((n) => n.op));
    }
    // The 1x1-conv spelling fused: its weights [C', C, 1, 1] are written as Gemm weights [C', C].
    const fused = optimize(buildModel('mobilenet-v3-small', { seed: 2, width: 0.5, classes: 5 }));
    const { m, back } = await agree(fused, {}, { batch: 2, height: 40, width: 32 });
    expect(histogram(m).Gemm).toBe(2 + 2 * 9);
    expect(optimize(back).nodes.map((n) => n.op)).toEqual(fused.nodes.map((n) => n.op));
  });

  test('a fixed input size and batch: dim values in the file, onnxruntime runs it', async () => {
    const g = everyOp();
    const d = { batch: 1, height: 21, width: 17 };
    const { m, back } = await agree(g, { dynamicBatch: false, height: 21, width: 17 }, d);
    checkFile(m, g, 13, [1, 4, 21, 17]);
    expect(m.graph!.output![0].type!.tensorType!.shape!.dim).toEqual([{ dimValue: 1 }, { dimValue: 6 }]);
    expect(back.source?.inputShape).toEqual([1, 4, 21, 17]);
  });

  test('a 4-D output gets symbolic spatial dims, or exact ones at a fixed size', () => {
    const b = new GraphBuilder('fmap', 'x', 3, { seed: 1 });
    const g = b.build(b.conv('x', 8, { kernel: 3, stride: 2, pad: 1 }));
    const out = (o: SaveOptions) => decode(saveOnnx(g, o)).graph!.output![0].type!.tensorType!.shape!.dim;
    expect(out({})).toEqual([{ dimParam: 'batch' }, { dimValue: 8 }, { dimParam: 'out_height' }, { dimParam: 'out_width' }]);
    expect(out({ height: 9, width: 16 })).toEqual([{ dimParam: 'batch' }, { dimValue: 8 }, { dimValue: 5 }, { dimValue: 8 }]);
  });

  test('errors: structure-only graphs, opsets out of range, bad sizes', () => {
    expect(() => saveOnnx(buildModel('mobilenet-v3-small', { weights: false }))).toThrow(GraphError);
    expect(() => saveOnnx(buildModel('mobilenet-v3-small', { weights: false }))).toThrow(/no weight values/);
    for (const opset of [10, 22, 13.5]) expect(() => saveOnnx(everyOp(), { opset })).toThrow(OptionError);
    expect(() => saveOnnx(everyOp(), { height: 0 })).toThrow(/height/);
  });
});

// ---------------------------------------------------------------------------------------------
// The command line (the bundle `npm test` builds first).

describe('senet-wasm export', () => {
  const CLI = new URL('../dist/cli.js', import.meta.url).pathname;
  test('writes a file onnxruntime runs; prints file, bytes, params', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'senet-export-'));
    const out = join(dir, 'small.onnx');
    const { stdout } = await promisify(execFile)('node', [CLI, 'export', 'mobilenet-v3-small', '--out', out, '--seed', '4', '--classes', '10', '--size', '48']);
    const bytes = readFileSync(out);
    expect(stdout.trim().split('\n')).toHaveLength(1);
    expect(stdout).toContain(`${out}: ${bytes.length} bytes, 1528106 params`);
    const m = decode(bytes);
    expect(m.graph!.input![0].type!.tensorType!.shape!.dim).toEqual([{ dimParam: 'batch' }, { dimValue: 3 }, { dimValue: 48 }, { dimValue: 48 }]);
    const d = { batch: 1, height: 48, width: 48 };
    const x = randomInput(d);
    const ref = await runOrt(bytes, x, d);
    const y = runEngine('simd', buildModel('mobilenet-v3-small', { seed: 4, classes: 10 }), x, d);
    expect(relDiff(y, ref.y)).toBeLessThanOrEqual(TOLERANCE);
  }, 30_000);
});
