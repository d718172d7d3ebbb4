// The SE networks people deploy, as torchvision defines them: MobileNetV3-Large/-Small and
// EfficientNet-B0. Exact parameter counts (torchvision's `sum(p.numel())`), MACs at 224x224,
// layer-for-layer agreement with a torchvision ONNX export (the shared MobileNetV3-Small fixture),
// the SE chain written with 1x1 convs fused into one 'se' node, and the engine (both builds)
// against the unoptimized graph and the float64 reference executor.
import { existsSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { GraphBuilder } from '../src/graph/builder.js';
import { complexity } from '../src/graph/complexity.js';
import { paramSource, type Graph, type InputDims, type Node } from '../src/graph/ir.js';
import { fuseActivation, fuseSqueezeExcite, optimize } from '../src/graph/passes/index.js';
import { Random } from '../src/graph/random.js';
import { buildModel, MODELS } from '../src/models/index.js';
import { EFFICIENTNET_B0_SE_BLOCKS } from '../src/models/efficientnet.js';
import { makeDivisible, MOBILENET_V3_SE_BLOCKS } from '../src/models/mobilenetv3.js';
import { createEngine, type Engine } from '../src/runtime/engine.js';
import { runGraph } from './reference/graph.js';
import { OptionError } from '../src/errors.js';

const AT_224: InputDims = { batch: 1, height: 224, width: 224 };
const count = (g: Graph, op: Node['op']) => g.nodes.filter((n) => n.op === op).length;
const maxAbs = (a: ArrayLike<number>) => { let m = 0; for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i])); return m; };
const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return Number.isNaN(m) ? Infinity : m;
};

// [model, options, params (torchvision, exact), MACs at 224 (conv + FC multiply-adds, exact),
//  published GMACs (torchvision's model table: 0.22, 0.06, 0.39 "GFLOPS", which are MACs), SE blocks]
const FIGURES: [string, object, number, number, number, number][] = [
  ['mobilenet-v3-large', {}, 5_483_032, 216_589_760, 0.22, MOBILENET_V3_SE_BLOCKS.large],
  ['mobilenet-v3-small', {}, 2_542_856, 56_510_400, 0.06, MOBILENET_V3_SE_BLOCKS.small],
  ['efficientnet-b0', {}, 5_288_548, 385_814_752, 0.39, EFFICIENTNET_B0_SE_BLOCKS],
];

describe('torchvision figures at 224x224', () => {
  test.each(FIGURES)('%s %o', (name, options, params, macs, gmacs, seBlocks) => {
    const g = buildModel(name, { weights: false, ...options });
    const c = complexity(g, AT_224);
    expect(c.params).toBe(params);
    expect(c.macs).toBe(macs);
    expect(Math.abs(c.macs / 1e9 - gmacs)).toBeLessThan(0.005); // the published figure, rounded to 0.01
    expect(count(g, 'mul')).toBe(seBlocks);
    expect(inferOutput(g)).toEqual([1, 1000]);
  });

  test('SE blocks: 8 in Large, 9 in Small, 16 in B0', () => {
    expect([MOBILENET_V3_SE_BLOCKS.large, MOBILENET_V3_SE_BLOCKS.small, EFFICIENTNET_B0_SE_BLOCKS]).toEqual([8, 9, 16]);
  });

  test("make_divisible is torchvision's", () => {
    // int(v + 4) // 8 * 8, at least 8, plus 8 when that is more than 10% below v.
    const cases = [[4, 8], [8, 8], [11.9, 16], [12, 16], [18, 24], [19.9, 24], [22, 24], [35, 32], [180, 184], [358.4, 360], [240, 240]];
    expect(cases.map(([v]) => [v, makeDivisible(v)])).toEqual(cases);
  });

  test('options: width and classes shape the graph; others are rejected', () => {
    const g = buildModel('mobilenet-v3-large', { weights: false, width: 0.5, classes: 7 });
    expect(inferOutput(g)).toEqual([1, 7]);
    // The last Linear is make_divisible(1280 * 0.5) wide, the stem make_divisible(16 * 0.5).
    const fcs = g.nodes.filter((n) => n.op === 'fc');
    expect(fcs.map((n) => (n.op === 'fc' ? n.weight.shape : []))).toEqual([[640, 480], [7, 640]]);
    expect(() => buildModel('mobilenet-v3-small', { width: 0 })).toThrow(OptionError);
    expect(() => buildModel('mobilenet-v3-small', { width: Number.NaN })).toThrow(/width/);
    expect(() => buildModel('mobilenet-v3-small', { classes: 0 })).toThrow(/classes/);
    expect(() => buildModel('efficientnet-b0', { width: 0.5 } as object)).toThrow(/no option 'width'/);
    expect(() => buildModel('mobilenet-v3-large', { reduction: 4 } as object)).toThrow(/no option 'reduction'/);
    expect(MODELS['mobilenet-v3-small'].options).toEqual(['seed', 'weights', 'classes', 'width']);
    expect(MODELS['efficientnet-b0'].options).toEqual(['seed', 'weights', 'classes']);
  });

  test('BatchNorm eps: 1e-3 in MobileNetV3, 1e-5 (PyTorch default) in EfficientNet-B0', () => {
    const eps = (name: string) => new Set(buildModel(name, { weights: false }).nodes.flatMap((n) => (n.op === 'batchnorm' ? [n.epsilon] : [])));
    expect([...eps('mobilenet-v3-large')]).toEqual([1e-3]);
    expect([...eps('efficientnet-b0')]).toEqual([1e-5]);
  });
});

function inferOutput(g: Graph): number[] {
  const c = complexity(g, AT_224);
  return c.nodes[c.nodes.length - 1].outShape;
}

// ---------------------------------------------------------------------------------------------
// The shared fixture: torchvision MobileNetV3-Small, width 0.25, 10 classes, exported to ONNX. Its
// Conv and Gemm nodes, in order, must have the shapes, strides, pads and groups of our nodes.

const FIXTURE = '/work/shared/fixtures/mobilenet_v3_small_w025_96px.onnx';

/** Just enough protobuf to list an ONNX graph's nodes, attributes and initializer shapes. */
function readOnnx(bytes: Uint8Array) {
  type Field = [number, number, number | Uint8Array];
  const fields = (b: Uint8Array): Field[] => {
    const out: Field[] = [];
    let i = 0;
    const varint = () => { let v = 0, s = 1; for (;;) { const c = b[i++]; v += (c & 0x7f) * s; s *= 128; if (c < 128) return v; } };
    while (i < b.length) {
      const key = varint(), f = Math.floor(key / 8), t = key & 7;
      if (t === 0) out.push([f, t, varint()]);
      else if (t === 2) { const n = varint(); out.push([f, t, b.subarray(i, i + n)]); i += n; }
      else if (t === 1 || t === 5) { out.push([f, t, b.subarray(i, i + (t === 1 ? 8 : 4))]); i += t === 1 ? 8 : 4; }
      else throw new Error(`protobuf wire type ${t}`);
    }
    return out;
  };
  /** A packed repeated varint field is a run of varints: field 1 of a message made of keys 0x08. */
  const packed = (v: Uint8Array): number[] => {
    const keyed: number[] = [];
    v.forEach((byte, k) => { if (k === 0 || v[k - 1] < 128) keyed.push(8); keyed.push(byte); });
    return fields(Uint8Array.from(keyed)).map((x) => x[2] as number);
  };
  const text = (v: Field[2]) => new TextDecoder().decode(v as Uint8Array);
  const ints = (fs: Field[], f: number) => fs.filter((x) => x[0] === f).flatMap(([, t, v]) => (t === 0 ? [v as number] : packed(v as Uint8Array)));
  const graph = fields(fields(bytes).find((x) => x[0] === 7)![2] as Uint8Array);
  const shapes = new Map(graph.filter((x) => x[0] === 5).map((x) => {
    const t = fields(x[2] as Uint8Array);
    return [text(t.find((y) => y[0] === 8)![2]), ints(t, 1)] as const;
  }));
  const nodes = graph.filter((x) => x[0] === 1).map((x) => {
    const n = fields(x[2] as Uint8Array);
    const attrs = new Map(n.filter((y) => y[0] === 5).map((y) => {
      const a = fields(y[2] as Uint8Array);
      return [text(a.find((z) => z[0] === 1)![2]), [...ints(a, 3), ...ints(a, 8)]] as const;
    }));
    return { op: text(n.find((y) => y[0] === 4)![2]), inputs: n.filter((y) => y[0] === 1).map((y) => text(y[2])), attrs };
  });
  return { nodes, shapes };
}

describe.skipIf(!existsSync(FIXTURE))('torchvision export (shared fixture mobilenet_v3_small_w025_96px)', () => {
  test('every Conv and Linear matches ours, in order', () => {
    const onnx = readOnnx(readFileSync(FIXTURE));
    const theirs = onnx.nodes.filter((n) => n.op === 'Conv' || n.op === 'Gemm').map((n) => ({
      weight: onnx.shapes.get(n.inputs[1]),
      group: n.attrs.get('group')?.[0] ?? 1,
      stride: n.attrs.get('strides') ?? [1, 1],
      pads: n.attrs.get('pads') ?? [0, 0, 0, 0],
    }));
    const g = buildModel('mobilenet-v3-small', { weights: false, width: 0.25, classes: 10 });
    const ours = g.nodes.flatMap((n) => (n.op === 'conv'
      ? [{ weight: n.weight.shape, group: n.group, stride: n.stride, pads: n.pads }]
      : n.op === 'fc' ? [{ weight: n.weight.shape, group: 1, stride: [1, 1], pads: [0, 0, 0, 0] }] : []));
    expect(theirs).toHaveLength(54); // 52 Conv, 2 Gemm
    expect(ours).toEqual(theirs);
    expect(count(g, 'mul')).toBe(onnx.nodes.filter((n) => n.op === 'GlobalAveragePool').length - 1);
    // models.json says 117,874 parameters: the export folded each BatchNorm into its conv (2C -> C:
    // 1,600 fewer) and stored the SE biases that torchvision initialises to zero once (368 fewer).
    expect(complexity(g, { batch: 1, height: 96, width: 96 }).params).toBe(117_874 + 1_600 + 368);
  });
});

// ---------------------------------------------------------------------------------------------
// The fuse-SE pass on the 1x1-conv spelling.

describe('fuseSqueezeExcite: SE written with 1x1 convs on [N, C, 1, 1]', () => {
  const seNet = (as: 'fc' | 'conv', edit?: (b: GraphBuilder, x: string) => string) => {
    const b = new GraphBuilder('se', 'input', 3, { seed: 5 });
    const x = b.conv('input', 16, { kernel: 3, pad: 1 });
    const y = edit ? edit(b, x) : b.squeezeExcite(x, 4, { act: 'silu', gate: 'hardsigmoid', as });
    return b.build(b.fc(b.flatten(b.globalPool(y)), 3));
  };
  const fuse = (g: Graph) => fuseSqueezeExcite(fuseActivation(g));

  test('both spellings become the same se node; conv weights are reshaped, not copied', () => {
    const [fc, conv] = [seNet('fc'), seNet('conv')];
    expect(count(conv, 'flatten')).toBe(1); // the head's only
    expect(count(conv, 'conv')).toBe(3);
    const [a, b] = [fuse(fc), fuse(conv)];
    for (const g of [a, b]) {
      expect(g.nodes.map((n) => n.op)).toEqual(['conv', 'se', 'globalpool', 'flatten', 'fc']);
    }
    const [seA, seB] = [a.nodes[1], b.nodes[1]];
    if (seA.op !== 'se' || seB.op !== 'se') throw new Error('no se node');
    expect([seB.act, seB.gate, seB.squeeze]).toEqual(['silu', 'hardsigmoid', 'avg']);
    expect(seB.fc1.weight.shape).toEqual([4, 16]);
    expect(seB.fc2.weight.shape).toEqual([16, 4]);
    const [, excite1, excite2] = conv.nodes.flatMap((n) => (n.op === 'conv' ? [n] : []));
    // Packed from the same array, only the shape differs (int8 and fp16 sources stay so too).
    expect(paramSource(seB.fc1.weight)!.values).toBe(excite1.weight.data);
    expect(paramSource(seB.fc2.weight)!.values).toBe(excite2.weight.data);
    expect(seB.fc2.bias).toBe(excite2.bias);
    expect(excite1.weight.shape).toEqual([4, 16, 1, 1]); // the source graph is untouched
    // One builder seed, one random stream: the two spellings hold the same numbers.
    expect(seB.fc1.weight.data).toEqual(seA.fc1.weight.data);
    expect(seB.fc2.weight.data).toEqual(seA.fc2.weight.data);
    expect(seB.fc1.bias!.data).toEqual(seA.fc1.bias!.data);
  });

  const notPointwise: [string, (b: GraphBuilder, x: string) => string][] = [
    ['a 3x3 excitation conv', (b, x) => b.mul(x, b.conv(b.conv(b.globalPool(x), 4, { kernel: 3, pad: 1, bias: true, act: 'relu' }), 16, { kernel: 1, act: 'sigmoid' }))],
    ['padding', (b, x) => b.mul(x, b.conv(b.conv(b.globalPool(x), 4, { kernel: 1, bias: true, act: 'relu' }), 16, { kernel: 1, pad: 1, act: 'sigmoid' }))],
    ['stride 2', (b, x) => b.mul(x, b.conv(b.conv(b.globalPool(x), 4, { kernel: 1, stride: 2, act: 'relu' }), 16, { kernel: 1, act: 'sigmoid' }))],
    ['a grouped conv', (b, x) => b.mul(x, b.conv(b.conv(b.globalPool(x), 4, { kernel: 1, group: 2, act: 'relu' }), 16, { kernel: 1, act: 'sigmoid' }))],
    ['a shared hidden tensor', (b, x) => {
      const h = b.conv(b.globalPool(x), 16, { kernel: 1, act: 'relu' });
      return b.sum(b.mul(x, b.conv(h, 16, { kernel: 1, act: 'sigmoid' })), b.mul(x, h));
    }],
    ['a squeeze of another tensor', (b, x) => b.mul(x, b.conv(b.conv(b.globalPool(b.activation(x, 'relu')), 4, { kernel: 1, act: 'relu' }), 16, { kernel: 1, act: 'sigmoid' }))],
  ];
  test.each(notPointwise)('not fused: %s', (_label, edit) => {
    const g = fuse(seNet('conv', edit));
    expect(count(g, 'se')).toBe(0);
  });

  test('flatten and reshape ([N, C] <-> [N, C, 1, 1]) may sit anywhere between squeeze and scale', () => {
    // conv1x1 -> flatten -> fc: the same values as two FCs.
    const mixed = fuse(seNet('conv', (b, x) => b.mul(x, b.fc(b.flatten(b.conv(b.globalPool(x), 4, { kernel: 1, act: 'relu' })), 16, { act: 'sigmoid' }))));
    expect(mixed.nodes.map((n) => n.op)).toEqual(['conv', 'se', 'globalpool', 'flatten', 'fc']);
    // The paper's SE-ResNet as ONNX exports write it: ... fc(gate) -> Reshape(N, C, 1, 1) -> Mul.
    const g = seNet('fc');
    const mul = g.nodes.find((n) => n.op === 'mul')!;
    const reshape = { op: 'reshape', name: 'view', inputs: [mul.inputs[1]], output: 'view', shape: [16, 1, 1] } as unknown as Node;
    const viewed: Graph = { ...g, nodes: g.nodes.flatMap((n) => (n === mul ? [reshape, { ...mul, inputs: [mul.inputs[0], 'view'] }] : [n])) };
    expect(fuse(viewed).nodes.map((n) => n.op)).toEqual(['conv', 'se', 'globalpool', 'flatten', 'fc']);
  });
});

// ---------------------------------------------------------------------------------------------
// Through the engine: 64x64, batch 2, both builds; every SE block fused; the optimized session
// against the unoptimized one and against the float64 reference executor (same graph object).
// Criterion: max |a - b| <= 1e-4 * max |b| over the 1000 logits.

const BACKENDS = ['simd', 'scalar'] as const;
const DIMS: InputDims = { batch: 2, height: 64, width: 64 };
const TOLERANCE = 1e-4;

describe('through the engine (64x64, batch 2)', () => {
  const engines = new Map<string, Engine>();
  const report: string[] = [];
  beforeAll(async () => {
    for (const b of BACKENDS) engines.set(b, await createEngine({ backend: b }));
  });
  afterAll(() => {
    for (const e of engines.values()) e.dispose();
    console.log(report.join('\n'));
  });

  test.each(FIGURES.map(([name, options, , , , se]) => [name, options, se] as const))('%s %o', (name, options, seBlocks) => {
    const graph = buildModel(name, { seed: 3, ...options });
    const inputShape = [DIMS.batch, 3, DIMS.height, DIMS.width];
    const input = new Random(11).fill(inputShape.reduce((a, b) => a * b, 1), (r) => r.normal());
    // What the passes must do: fold every BN, fuse every activation except the head's hardswish
    // after an FC (fused too) and the SE chain into one node per block.
    const optimized = optimize(graph);
    expect(count(optimized, 'se')).toBe(seBlocks);
    expect([count(optimized, 'mul'), count(optimized, 'batchnorm'), count(optimized, 'activation')]).toEqual([0, 0, 0]);
    expect(count(optimized, 'globalpool')).toBe(1);

    const t0 = performance.now();
    const ref = runGraph(graph, input, inputShape);
    const refMs = performance.now() - t0;
    const scale = maxAbs(ref.data);
    expect(Number.isFinite(scale) && scale > 1e-3, `reference output scale ${scale}`).toBe(true);
    for (const backend of BACKENDS) {
      const engine = engines.get(backend)!;
      const fused = engine.compile(graph, DIMS);
      const plain = engine.compile(graph, DIMS, { optimize: false });
      try {
        expect(count(fused.graph, 'se'), `${backend}: se nodes`).toBe(seBlocks);
        expect(count(plain.graph, 'se')).toBe(0);
        const t1 = performance.now();
        const out = fused.run(input);
        const runMs = performance.now() - t1;
        const unopt = plain.run(input);
        expect(fused.outputShape).toEqual([DIMS.batch, 1000]);
        const vsPlain = maxDiff(out, unopt), vsRef = maxDiff(out, ref.data), plainVsRef = maxDiff(unopt, ref.data);
        report.push(`${name} ${backend}: max|out| ${scale.toExponential(2)}, optimized vs unoptimized ${vsPlain.toExponential(2)}, `
          + `vs reference ${vsRef.toExponential(2)} (unoptimized ${plainVsRef.toExponential(2)}); run ${runMs.toFixed(1)} ms, reference ${refMs.toFixed(0)} ms`);
        expect(vsPlain, `${backend}: optimized vs unoptimized`).toBeLessThanOrEqual(TOLERANCE * maxAbs(unopt));
        expect(vsRef, `${backend}: optimized vs float64 reference`).toBeLessThanOrEqual(TOLERANCE * scale);
        expect(plainVsRef, `${backend}: unoptimized vs float64 reference`).toBeLessThanOrEqual(TOLERANCE * scale);
      } finally {
        fused.dispose();
        plain.dispose();
      }
    }
  });
});
