import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { createEngine, type Engine } from '../src/runtime/engine.js';
import { GraphBuilder } from '../src/graph/builder.js';
import { buildModel } from '../src/models/index.js';
import { DisposedError, GraphError, InputError, OptionError, WasmError } from '../src/errors.js';
import { complexity } from '../src/graph/complexity.js';

const wasmUrl = (b: string) => new URL(`../build/senet-${b}.wasm`, import.meta.url);

/** A small SE network: conv-bn-relu, SE block with residual, head. */
function smallNet(seed = 1) {
  const b = new GraphBuilder('small', 'input', 3, { seed });
  const x = b.activation(b.batchnorm(b.conv('input', 12, { kernel: 3, pad: 1, stride: 2 })), 'relu');
  const y = b.squeezeExcite(b.batchnorm(b.conv(x, 12, { kernel: 3, pad: 1 })), 3);
  const z = b.sum(y, x, 'relu');
  return b.build(b.fc(b.flatten(b.globalPool(z)), 5));
}

const input = (n: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37));

describe('createEngine', () => {
  test('under Node the wasm is compiled and instantiated synchronously (the async compile sometimes left a process waiting forever)', async () => {
    // Node's fetch compiles and instantiates its own HTTP parser's wasm asynchronously when first
    // touched: only calls on our build count.
    const ours = readFileSync(new URL('../build/senet-simd.wasm', import.meta.url)).length;
    const isOurs = (x: unknown) => (x instanceof WebAssembly.Module ? WebAssembly.Module.exports(x).some((e) => e.name === 'conv2d_f32')
      : ArrayBuffer.isView(x) || x instanceof ArrayBuffer ? x.byteLength === ours : false);
    const compile = vi.spyOn(WebAssembly, 'compile'), instantiate = vi.spyOn(WebAssembly, 'instantiate');
    try {
      const engine = await createEngine({ backend: 'simd' });
      expect(engine.compile(smallNet(), { height: 8, width: 8 }).run(input(192))).toHaveLength(5);
      engine.dispose();
      expect(compile.mock.calls.filter(([x]) => isOurs(x))).toEqual([]);
      expect(instantiate.mock.calls.filter(([x]) => isOurs(x))).toEqual([]);
    } finally {
      compile.mockRestore();
      instantiate.mockRestore();
    }
  });

  test("'auto' picks the SIMD build where the runtime has SIMD", async () => {
    expect((await createEngine()).backend).toBe('simd');
  });

  test("'auto' falls back to scalar where SIMD does not validate, and that engine runs", async () => {
    const net = smallNet();
    const x = input(3 * 16 * 16);
    const scalar = (await createEngine({ backend: 'scalar' })).compile(net, { height: 16, width: 16 }).run(x);
    const simd = (await createEngine({ backend: 'simd' })).compile(net, { height: 16, width: 16 }).run(x);
    // A runtime without SIMD: the v128 probe does not validate (loading a build does not call validate).
    const spy = vi.spyOn(WebAssembly, 'validate').mockReturnValue(false);
    try {
      const engine = await createEngine();
      expect(engine.backend).toBe('scalar');
      const out = engine.compile(net, { height: 16, width: 16 }).run(x);
      expect(out).toEqual(scalar);
      for (let i = 0; i < out.length; i++) expect(out[i]).toBeCloseTo(simd[i], 4);
      expect(spy).toHaveBeenCalled();
      await expect(createEngine({ backend: 'simd' })).rejects.toThrow(OptionError);
    } finally {
      spy.mockRestore();
    }
  });

  test('loads a build from bytes, a Response, a file URL or a precompiled Module, with equal results', async () => {
    const bytes = readFileSync(wasmUrl('simd'));
    const sources = [
      bytes,
      new Response(bytes, { headers: { 'content-type': 'application/wasm' } }),
      new Response(bytes), // no content type: compiled from the bytes
      wasmUrl('simd'),
      await WebAssembly.compile(bytes),
      { simd: bytes, scalar: readFileSync(wasmUrl('scalar')) },
    ];
    const outputs = [];
    for (const wasm of sources) {
      const engine = await createEngine({ backend: 'simd', wasm });
      outputs.push(engine.compile(smallNet(), { height: 16, width: 16 }).run(input(3 * 16 * 16)));
    }
    for (const out of outputs) expect(out).toEqual(outputs[0]);
  });

  test("without relaxed SIMD (Node 20 without its flag), 'auto' picks SIMD and 'relaxed' is an OptionError saying where it runs", async () => {
    expect((await createEngine()).backend).toBe('simd');
    await expect(createEngine({ backend: 'relaxed' })).rejects.toThrow(OptionError);
    await expect(createEngine({ backend: 'relaxed' })).rejects.toThrow(/no relaxed SIMD \(Chrome 114\+, Firefox 145\+, Node 22\+, or Node 20 with --experimental-wasm-relaxed-simd\)/);
  });

  test('bad options and bad modules are typed errors that say what is wrong', async () => {
    await expect(createEngine({ backend: 'gpu' as never })).rejects.toThrow(/backend must be one of auto, relaxed, simd, scalar; got "gpu"/);
    await expect(createEngine({ backend: 'simd', wasm: new Uint8Array([0, 97, 115, 109, 9]) })).rejects.toThrow(WasmError);
    const noKernels = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]);
    await expect(createEngine({ backend: 'scalar', wasm: noKernels })).rejects.toThrow(/lacks the exports heap_base, build_kind, conv2d_f32/);
    await expect(createEngine({ backend: 'simd', wasm: new Response('', { status: 404 }) })).rejects.toThrow(/HTTP 404/);
  });
});

describe('a module handed in as one build is checked to be that build', () => {
  test('the scalar bytes as the simd build, and the reverse, are WasmErrors; the right ones run', async () => {
    const simd = readFileSync(wasmUrl('simd')), scalar = readFileSync(wasmUrl('scalar'));
    await expect(createEngine({ backend: 'simd', wasm: { simd: scalar } })).rejects.toThrow(WasmError);
    await expect(createEngine({ backend: 'simd', wasm: { simd: scalar } })).rejects.toThrow(/the module given as the simd build is the scalar build/);
    await expect(createEngine({ backend: 'scalar', wasm: simd })).rejects.toThrow(/the module given as the scalar build is the simd build/);
    await expect(createEngine({ backend: 'simd', wasm: await WebAssembly.compile(scalar) })).rejects.toThrow(/is the scalar build/);
    expect((await createEngine({ backend: 'scalar', wasm: { scalar } })).backend).toBe('scalar');
  });
});

describe('string options are checked at run time: an unknown name never runs as something else', () => {
  const b = () => new GraphBuilder('t', 'x', 4);
  test.each([
    ['activation gelu', () => b().activation('x', 'gelu' as never), /activation must be one of none, relu, relu6, sigmoid, hardsigmoid, silu, hardswish, tanh; got "gelu"/],
    ['activation Relu (case matters)', () => b().activation('x', 'Relu' as never), /got "Relu"/],
    ['activation leakyrelu', () => b().activation('x', 'leakyrelu' as never), /got "leakyrelu"/],
    ['conv act GELU', () => b().conv('x', 4, { kernel: 1, act: 'GELU' as never }), /conv act must be one of none, relu,.*; got "GELU"/],
    ['sum act', () => { const g = b(); g.sum('x', 'x', 'elu' as never); }, /sum act must be one of/],
    ['globalPool mean', () => b().globalPool('x', 'mean' as never), /globalPool mode must be one of avg, max; got "mean"/],
    ['globalPool AVG', () => b().globalPool('x', 'AVG' as never), /got "AVG"/],
    ['pool mode', () => b().pool('x', 'average' as never, { kernel: 2 }), /pool mode must be one of max, avg; got "average"/],
    ['squeezeExcite gate', () => b().squeezeExcite('x', 2, { gate: 'swish' as never }), /squeezeExcite gate must be one of/],
    ['squeezeExcite squeeze', () => b().squeezeExcite('x', 2, { squeeze: 'mean' as never }), /squeezeExcite squeeze must be one of avg, max/],
    ['squeezeExcite as', () => b().squeezeExcite('x', 2, { as: 'linear' as never }), /squeezeExcite as must be one of fc, conv/],
  ])('GraphBuilder: %s', (_name, call, message) => {
    expect(call).toThrow(OptionError);
    expect(call).toThrow(message);
  });

  test('fc act on a real tensor', () => {
    const g = b();
    const f = g.flatten(g.globalPool('x'));
    expect(() => g.fc(f, 2, { act: 'softmax' as never })).toThrow(/fc act must be one of none, relu/);
  });

  test('createEngine backend', async () => {
    await expect(createEngine({ backend: 'SIMD' as never })).rejects.toThrow(/backend must be one of auto, relaxed, simd, scalar; got "SIMD"/);
    await expect(createEngine({ backend: 3 as never })).rejects.toThrow(/backend must be one of auto, relaxed, simd, scalar; got 3/);
  });

  test('a hand-made graph whose node holds an unknown activation, pool mode or op is a GraphError', async () => {
    const engine = await createEngine();
    const g = b();
    const graph = g.build(g.activation('x', 'relu'));
    const withNode = (change: object) => ({ ...graph, nodes: [{ ...graph.nodes[0], ...change }] }) as never;
    expect(() => engine.compile(withNode({ act: 'gelu' }))).toThrow(GraphError);
    expect(() => engine.compile(withNode({ act: 'gelu' }))).toThrow(/node 'relu_0' \(activation\): act must be one of none, relu, .*; got "gelu"/);
    expect(() => engine.compile(withNode({ op: 'gelu' }))).toThrow(/node 'relu_0': unknown op "gelu"; ops: conv, batchnorm/);
    const pooled = new GraphBuilder('p', 'x', 4);
    const pg = pooled.build(pooled.globalPool('x'));
    expect(() => engine.compile({ ...pg, nodes: [{ ...pg.nodes[0], mode: 'mean' }] } as never)).toThrow(/mode must be one of avg, max; got "mean"/);
    engine.dispose();
  });
});

describe('bad arguments are typed errors', () => {
  test('createEngine(null), compile(undefined), compile(graph, null), a plain Array weight, an unknown builder tensor', async () => {
    await expect(createEngine(null as never)).rejects.toThrow(OptionError);
    await expect(createEngine(null as never)).rejects.toThrow(/createEngine options must be an object, got null/);
    const engine = await createEngine();
    expect(() => engine.compile(undefined as never)).toThrow(GraphError);
    expect(() => engine.compile(undefined as never)).toThrow(/compile expects a Graph .* got undefined/);
    expect(() => engine.compile({ nodes: 'x' } as never)).toThrow(/compile expects a Graph/);
    expect(() => engine.compile(smallNet(), null as never)).toThrow(/compile dims must be an object, got null/);
    expect(() => engine.compile(smallNet(), {}, null as never)).toThrow(/compile options must be an object, got null/);
    const net = smallNet();
    const conv = net.nodes.find((n) => n.op === 'conv')!;
    if (conv.op !== 'conv') throw new Error('no conv');
    conv.weight = { shape: conv.weight.shape, data: Array.from(conv.weight.data!) as never };
    expect(() => engine.compile(net)).toThrow(GraphError);
    expect(() => engine.compile(net)).toThrow(/weight data must be a Float32Array, got Array/);
    expect(() => new GraphBuilder('t', 'x', 3).conv('y', 4, { kernel: 1 })).toThrow(GraphError);
    expect(() => new GraphBuilder('t', 'x', 3).conv('y', 4, { kernel: 1 })).toThrow(/builder: unknown tensor 'y'; tensors so far: x/);
    engine.dispose();
  });

  test('a Float32Array from another realm (vm) is accepted as input and as a weight', async () => {
    const { runInNewContext } = await import('node:vm');
    const engine = await createEngine();
    const net = smallNet();
    const session = engine.compile(net, { height: 16, width: 16 });
    const x = input(3 * 16 * 16);
    const foreign = runInNewContext('new Float32Array(n)', { n: x.length }) as Float32Array;
    expect(foreign instanceof Float32Array).toBe(false);
    foreign.set(x);
    expect(session.run(foreign)).toEqual(session.run(x));
    const conv = net.nodes.find((n) => n.op === 'conv')!;
    if (conv.op !== 'conv') throw new Error('no conv');
    const w = runInNewContext('new Float32Array(n)', { n: conv.weight.data!.length }) as Float32Array;
    w.set(conv.weight.data!);
    conv.weight = { shape: conv.weight.shape, data: w };
    expect(engine.compile(net, { height: 16, width: 16 }).run(x)).toEqual(session.run(x));
    engine.dispose();
  });
});

describe('an ONNX file that fixes its input size', () => {
  test('compiles at its size by default; another fixed size is an InputError naming both shapes, as onnxruntime refuses it', async () => {
    const { loadOnnx } = await import('../src/onnx/reader.js');
    const graph = loadOnnx(new Uint8Array(readFileSync(new URL('../models/fashion-mnist-se-resnet.onnx', import.meta.url))), { name: 'fm.onnx' });
    expect(graph.source?.inputShape).toEqual(['batch', 1, 28, 28]);
    const engine = await createEngine();
    const session = engine.compile(graph, { batch: 3 }); // the batch is dynamic in this file
    expect(session.inputShape).toEqual([3, 1, 28, 28]);
    expect(() => engine.compile(graph, { height: 600, width: 800 })).toThrow(InputError);
    expect(() => engine.compile(graph, { height: 600, width: 800 })).toThrow(/fm\.onnx fixes its input to \[batch,1,28,28\]; asked for \[1,1,600,800\]/);
    const fixedBatch = loadOnnx(new Uint8Array(readFileSync(new URL('./fixtures/onnx/tiny_se_resnet_64px.onnx', import.meta.url))), { name: 'tiny.onnx' });
    expect(() => engine.compile(fixedBatch, { batch: 2 })).toThrow(/tiny\.onnx fixes its input to \[1,3,64,64\]; asked for \[2,3,64,64\]/);
    engine.dispose();
  });
});

describe('session.profile', () => {
  test('a round count that is not a positive integer is an OptionError', async () => {
    const engine = await createEngine();
    const session = engine.compile(smallNet(), { height: 16, width: 16 });
    const x = input(3 * 16 * 16);
    for (const runs of [0, -1, 1.5, NaN, '3']) {
      expect(() => session.profile(x, runs as never)).toThrow(OptionError);
    }
    expect(() => session.profile(x, 0)).toThrow(/profile runs must be an integer from 1 to 1000000, got 0/);
    expect(session.profile(x, 1).steps.every((s) => s.ms >= 0)).toBe(true);
    engine.dispose();
  });
});

describe.each(['simd', 'scalar'] as const)('session (%s build)', (backend) => {
  let engine: Engine;
  afterEach(() => engine?.dispose());

  test('a second run allocates nothing and gives the same output', async () => {
    engine = await createEngine({ backend });
    const session = engine.compile(smallNet(), { batch: 2, height: 15, width: 17 });
    const x = input(2 * 3 * 15 * 17);
    const first = session.run(x);
    const bytes = engine.memoryBytes, used = engine.usedBytes;
    const second = session.run(x);
    expect(engine.memoryBytes).toBe(bytes);
    expect(engine.usedBytes).toBe(used);
    expect(second).toEqual(first);
  });

  test('each image of a batch gives what it gives alone', async () => {
    engine = await createEngine({ backend });
    const g = smallNet();
    const one = 3 * 9 * 11;
    const x = input(2 * one);
    const both = engine.compile(g, { batch: 2, height: 9, width: 11 }).run(x);
    const single = engine.compile(g, { batch: 1, height: 9, width: 11 });
    const a = single.run(x.slice(0, one)), b = single.run(x.slice(one));
    expect(Array.from(both)).toEqual([...a, ...b]);
  });

  test('dispose gives the memory back: a new session reuses it, and run() afterwards throws', async () => {
    engine = await createEngine({ backend });
    const g = smallNet();
    const s1 = engine.compile(g, { height: 32, width: 32 });
    const used = engine.usedBytes;
    s1.dispose();
    expect(engine.usedBytes).toBe(0);
    const bytes = engine.memoryBytes;
    const s2 = engine.compile(g, { height: 32, width: 32 });
    expect(engine.usedBytes).toBe(used);
    expect(engine.memoryBytes).toBe(bytes);
    expect(() => s1.run(input(3 * 32 * 32))).toThrow(DisposedError);
    s2.dispose();
    engine.dispose();
    expect(() => engine.compile(g)).toThrow(DisposedError);
  });

  test('profile: one time per plan step, the MACs add up, and the results stay right', async () => {
    engine = await createEngine({ backend });
    const s = engine.compile(smallNet(), { batch: 2, height: 16, width: 16 });
    const x = input(2 * 3 * 16 * 16);
    const expected = s.run(x);
    const { steps } = s.profile(x, 3);
    expect(steps.map((t) => t.op)).toEqual(s.plan.steps.map((p) => p.node.op));
    // Each round starts from the input, whose bytes the arena reuses once it is dead (checked
    // here, so the test means something): the profile's output is a real run's.
    const inputBuffer = s.plan.buffers[s.plan.tensorBuffer.get(s.graph.input.name)!];
    expect(s.plan.buffers.some((b) => b !== inputBuffer && b.offset < inputBuffer.offset + inputBuffer.bytes
      && inputBuffer.offset < b.offset + b.bytes)).toBe(true);
    expect(s.profile(x, 3).output).toEqual(expected);
    expect(steps.every((t) => t.ms >= 0)).toBe(true);
    expect(steps.reduce((a, t) => a + t.macs, 0)).toBe(s.stats.macs);
    expect(s.run(x)).toEqual(expected);
  });

  test('a session compiled into memory a disposed one used gives what a fresh engine gives', async () => {
    engine = await createEngine({ backend });
    const big = new GraphBuilder('big', 'input', 3, { seed: 7 });
    const before = engine.compile(big.build(big.conv(big.conv('input', 64, { kernel: 3, pad: 1 }), 64, { kernel: 3, pad: 1 })), { height: 24, width: 24 });
    before.run(input(3 * 24 * 24));
    before.dispose();
    const g = smallNet(3); // 12 and 3 output channels: panels with padding columns
    const reused = engine.compile(g, { height: 16, width: 16 }).run(input(3 * 16 * 16));
    const fresh = await createEngine({ backend });
    expect(reused).toEqual(fresh.compile(g, { height: 16, width: 16 }).run(input(3 * 16 * 16)));
    fresh.dispose();
  });

  test('stats count what the graph holds', async () => {
    engine = await createEngine({ backend });
    const g = smallNet();
    const s = engine.compile(g, { height: 16, width: 16 });
    const c = complexity(g, { batch: 1, height: 16, width: 16 });
    expect(s.stats.params).toBe(c.params);
    expect(s.stats.macs).toBe(c.macs);
    expect(s.stats.weightBytes).toBeGreaterThan(0);
    expect(s.stats.arenaBytes).toBeGreaterThanOrEqual(4 * 3 * 16 * 16);
    expect(s.outputShape).toEqual([1, 5]);
  });

  test('the NCHW input is staged inside the arena, not in memory of its own', async () => {
    engine = await createEngine({ backend });
    const dims = { batch: 16, height: 32, width: 32 }, inputBytes = 4 * 16 * 3 * 32 * 32;
    const before = engine.usedBytes;
    const s = engine.compile(smallNet(), dims);
    // The region: weights, the zero row, the SE means and the arena (the staging used to add inputBytes).
    expect(engine.usedBytes - before).toBeLessThan(s.stats.weightBytes + s.stats.arenaBytes + inputBytes / 2);
    // And it runs as a batch of one does, image by image.
    const x = input(16 * 3 * 32 * 32);
    const one = engine.compile(smallNet(), { ...dims, batch: 1 });
    const out = s.run(x);
    for (const i of [0, 7, 15]) expect(Array.from(out.subarray(5 * i, 5 * i + 5))).toEqual(Array.from(one.run(x.slice(i * 3072, (i + 1) * 3072))));
  });

  test('bad input: a typed error naming the problem, and nothing left allocated', async () => {
    engine = await createEngine({ backend });
    const s = engine.compile(smallNet(), { batch: 1, height: 8, width: 8 });
    expect(() => s.run(input(10))).toThrow(new InputError('input has 10 values, expected 192 for shape [1,3,8,8] (NCHW)'));
    expect(() => s.run(new Float64Array(192) as never)).toThrow(/must be a Float32Array .*got Float64Array/);
    expect(() => s.run([1, 2, 3] as never)).toThrow(/got Array/);
    expect(() => s.run(null as never)).toThrow(/got null/);
    const used = engine.usedBytes;
    expect(() => engine.compile(smallNet(), { batch: 0 })).toThrow(new OptionError('batch must be an integer from 1 to 65536, got 0'));
    expect(() => engine.compile(smallNet(), { height: 2.5 })).toThrow(OptionError);
    expect(() => engine.compile(buildModel('se-resnet50', { weights: false }))).toThrow(/has no weight values/);
    const b = new GraphBuilder('unpadded', 'input', 3);
    const tooSmall = b.build(b.conv('input', 4, { kernel: 5 }));
    expect(() => engine.compile(tooSmall, { height: 3, width: 9 })).toThrow(
      new GraphError("node 'conv_0' (conv): input 3x9 is too small for a 5x5 kernel"));
    expect(engine.usedBytes).toBe(used);
    expect(() => buildModel('se-resnet51')).toThrow(/unknown model 'se-resnet51'; known models: resnet50, se-resnet50/);
  });
});
