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

  test('bad options and bad modules are typed errors that say what is wrong', async () => {
    await expect(createEngine({ backend: 'gpu' as never })).rejects.toThrow(/backend must be one of auto, simd, scalar, got 'gpu'/);
    await expect(createEngine({ backend: 'simd', wasm: new Uint8Array([0, 97, 115, 109, 9]) })).rejects.toThrow(WasmError);
    const noKernels = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]);
    await expect(createEngine({ backend: 'scalar', wasm: noKernels })).rejects.toThrow(/lacks the exports heap_base, conv2d_f32/);
    await expect(createEngine({ backend: 'simd', wasm: new Response('', { status: 404 }) })).rejects.toThrow(/HTTP 404/);
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
