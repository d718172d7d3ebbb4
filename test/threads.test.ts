// Threads: an engine with 2 threads (worker_threads on a shared memory, large convs split across
// them) gives outputs bitwise equal to one thread's, in the SIMD and scalar builds, on the ONNX
// fixtures and on built-in models (pixel, panel and Winograd channel splits, the stems' im2col by pixels, depthwise row splits,
// Strassen's 1x1 convs by panels,
// the SE means after a split, the SE steps, adds, pooling and the input's layout by images, pixels or rows, int8
// and fp16 weights); bad thread counts are typed errors; without
// SharedArrayBuffer, or without worker threads, threads > 1 runs one thread and says so once; a
// process that used threads exits.
// The web pool (Web Workers) runs in Chromium: test/threads.e2e.test.ts.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { OptionError, WasmError } from '../src/errors.js';
import { GraphBuilder } from '../src/graph/builder.js';
import type { Graph } from '../src/graph/ir.js';
import { parseNpy } from '../src/io/npy.js';
import { buildModel } from '../src/models/index.js';
import { loadOnnx } from '../src/onnx/reader.js';
import { createEngine, type Engine } from '../src/runtime/engine.js';
import type { LinearMemory } from '../src/runtime/memory.js';
import type { Pool } from '../src/runtime/pool.js';
import type { CompileOptions } from '../src/runtime/session.js';

const FIXTURES = new URL('./fixtures/onnx/', import.meta.url);
const ONNX = ['tiny_se_resnet_64px', 'mobilenet_v3_small_w025_96px', 'tiny_regnet_y_64px'];
const bits = (a: Float32Array) => new Uint32Array(a.buffer, a.byteOffset, a.length);

describe.each(['simd', 'scalar'] as const)('2 threads against 1 (%s)', (backend) => {
  let one: Engine, two: Engine;
  const parts = new Map<string, number>();
  beforeAll(async () => {
    one = await createEngine({ backend });
    two = await createEngine({ backend, threads: 2 });
    // Counts the split ops: a test where nothing was split would prove nothing.
    const pool = (two as unknown as { pool: Pool }).pool;
    const run = pool.run.bind(pool);
    vi.spyOn(pool, 'run').mockImplementation((kernel, args, scratch) => {
      parts.set(kernel, (parts.get(kernel) ?? 0) + 1);
      run(kernel, args, scratch);
    });
  });
  afterAll(() => {
    one.dispose();
    two.dispose();
  });

  function same(graph: Graph, dims: { batch?: number; height?: number; width?: number }, options: CompileOptions = {}, input?: Float32Array): number {
    const a = one.compile(graph, dims, options), b = two.compile(graph, dims, options);
    const x = input ?? Float32Array.from({ length: a.inputShape.reduce((p, q) => p * q) }, (_, i) => Math.sin(i * 0.37));
    const before = [...parts.values()].reduce((p, q) => p + q, 0);
    for (let r = 0; r < 2; r++) expect(bits(b.run(x))).toEqual(bits(a.run(x))); // twice: the second run reuses everything
    a.dispose();
    b.dispose();
    return [...parts.values()].reduce((p, q) => p + q, 0) - before;
  }

  it('has 2 threads', () => expect(two.threads).toBe(2));

  it.each(ONNX)('ONNX fixture %s', (name) => {
    const graph = loadOnnx(new Uint8Array(readFileSync(new URL(`${name}.onnx`, FIXTURES))), { name: `${name}.onnx` });
    const input = parseNpy(readFileSync(new URL(`${name}.input.npy`, FIXTURES))).data as Float32Array;
    same(graph, {}, {}, input);
  });

  it.each([
    ['se-resnet50', { batch: 2, height: 64, width: 64 }, {}],
    ['se-resnet50', { height: 96, width: 96 }, { winograd: false }],
    ['se-resnet50', { height: 64, width: 64 }, { weights: 'int8' }],
    ['se-resnet50', { height: 64, width: 64 }, { winogradFilters: 'per-block' }], // f32 Winograd filters transformed per block
    // 48x48 maps: Winograd by tiles, the GEMM by pixels, 2 or more chunks a thread, each thread's
    // Winograd workspace and int8 expand scratch offset by the thread that runs the chunk.
    ['se-resnet50', { height: 192, width: 192 }, { weights: 'int8' }],
    ['se-resnext50-32x4d', { height: 64, width: 64 }, {}],
    ['mobilenet-v3-large', { batch: 2, height: 96, width: 96 }, {}],
    ['mobilenet-v3-large', { height: 160, width: 160 }, { weights: 'fp16' }],
    ['mobilenet-v3-large', { batch: 3, height: 128, width: 128 }, {}], // steps by images, 2 and 1
    ['se-bn-inception', { height: 128, width: 128 }, {}], // max and average pools by rows
    ['efficientnet-b0', { height: 128, width: 128 }, {}],
  ] as const)('%s %o %o: bitwise, with ops split', (model, dims, options) => {
    expect(same(buildModel(model, { seed: 5 }), dims, options as CompileOptions)).toBeGreaterThan(0);
  });

  it.each([1, 2])('Strassen 1x1 convs (512 -> 256 and 1024 -> 512 on 14x14, squeezed by SE blocks), batch %i: bitwise, split', (batch) => {
    const g = new GraphBuilder('strassen-threads', 'input', 512, { seed: 6 });
    let x = g.squeezeExcite(g.conv('input', 256, { kernel: 1, act: 'relu' }), 16);
    x = g.squeezeExcite(g.conv(g.conv(x, 1024, { kernel: 1 }), 512, { kernel: 1, act: 'silu' }), 32);
    expect(same(g.build(x), { batch, height: 14, width: 14 })).toBeGreaterThan(0);
  });

  it('split every kind of kernel: the GEMM, im2col (the stems), Strassen, Winograd, depthwise, the SE means, scale and squeeze, adds, the input layout', () => {
    for (const kernel of ['conv2d_f32_part', 'conv2d_im2col_f32_part', 'conv2d_strassen_f32', 'conv3x3_winograd_f32_part', 'conv2d_dw_f32_part', 'conv_means_f32', 'scale_f32', 'global_pool_f32', 'add_f32', 'channel_shuffle_f32', 'pool2d_f32']) {
      expect(parts.get(kernel), kernel).toBeGreaterThan(0);
    }
  });
});

describe('a chunk of a split op that traps', () => {
  // Thread 0 (the caller) owns chunk 0 and thread 1 chunk 1; a thread stops at its first trap, so
  // the caller never takes chunk 1 after trapping in chunk 0: both cases run the same way every time.
  it.each([
    ['the calling thread', [true, false]],
    ['the calling thread and a worker thread', [true, true]],
  ] as const)('in %s: a WasmError once every thread is done, and the pool works on', async (who, traps) => {
    const engine = await createEngine({ backend: 'simd', threads: 2 });
    const pool = (engine as unknown as { pool: Pool }).pool;
    // conv2d_f32_part: empty ranges, or one pixel of a 1x1 conv read from far past the memory's end.
    const chunk = (trap: boolean) => Int32Array.of(trap ? 0x7ff00000 : 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1, 0, 1, 0, 0, 0, trap ? 1 : 0, 0, trap ? 1 : 0);
    expect(() => pool.run('conv2d_f32_part', traps.map(chunk)))
      .toThrow(new WasmError(`${who} failed in conv2d_f32_part (a chunk of a split op): memory access out of bounds`));
    pool.run('conv2d_f32_part', [chunk(false), chunk(false)]); // no failure left behind
    const graph = buildModel('se-resnet50', { seed: 5 });
    const x = Float32Array.from({ length: 3 * 64 * 64 }, (_, i) => Math.sin(i));
    const one = await createEngine({ backend: 'simd' });
    expect(engine.compile(graph, { height: 64, width: 64 }).run(x)).toEqual(one.compile(graph, { height: 64, width: 64 }).run(x));
    one.dispose();
    engine.dispose();
  });
});

describe('the chunks of a split op', () => {
  it('each runs once, on whichever thread takes it, with that thread\'s scratch', async () => {
    const engine = await createEngine({ backend: 'simd', threads: 2 });
    const { pool, mem } = engine as unknown as { pool: Pool; mem: LinearMemory };
    const chunks = 32, len = 1024, floats = chunks * len;
    // add_f32 chunks: out = a + b over one range each, `out` named as a per-thread scratch (each
    // thread writes into its own copy of the output), so where each chunk ran shows.
    const a = mem.alloc(4 * floats), b = mem.alloc(4 * floats), out = mem.alloc(8 * floats);
    const f32 = mem.f32();
    for (let i = 0; i < floats; i++) { f32[a / 4 + i] = i; f32[b / 4 + i] = 0.5; }
    const args = Array.from({ length: chunks }, (_, i) => Int32Array.of(a + 4 * i * len, b + 4 * i * len, out + 4 * i * len, len, 0));
    const ran = [0, 0];
    for (let round = 0; round < 20; round++) {
      f32.fill(0, out / 4, out / 4 + 2 * floats);
      pool.run('add_f32', args, [[2, 4 * floats]]);
      for (let i = 0; i < chunks; i++) {
        const by = [0, 1].filter((t) => f32[out / 4 + t * floats + i * len] !== 0);
        expect(by, `chunk ${i} ran on threads [${by}]`).toHaveLength(1);
        const at = out / 4 + by[0] * floats + i * len;
        for (let j = 0; j < len; j++) if (f32[at + j] !== i * len + j + 0.5) expect.fail(`chunk ${i} value ${j}: ${f32[at + j]}`);
        ran[by[0]]++;
      }
    }
    // Both threads took chunks (each starts on its own half).
    expect(Math.min(...ran)).toBeGreaterThan(0);
    engine.dispose();
  });
});

describe('createEngine threads', () => {
  it('takes 1 to the core count or auto; anything else is an OptionError', async () => {
    const cores = availableParallelism();
    for (const bad of [0, -1, 1.5, cores + 1, '2', 'all', null]) {
      await expect(createEngine({ threads: bad as never })).rejects.toThrow(OptionError);
    }
    await expect(createEngine({ threads: 0 })).rejects.toThrow(`threads must be 'auto' or an integer from 1 to ${cores}`);
    const auto = await createEngine({ threads: 'auto' });
    expect(auto.threads).toBe(cores);
    auto.dispose();
    const single = await createEngine();
    expect(single.threads).toBe(1);
    single.dispose();
  });
});

/** Runs `code` (an ES module) in a child Node; its exit code, stdout, stderr and how long it took. */
function child(code: string, flags: string[] = []): Promise<{ code: number | null; stdout: string; stderr: string; ms: number }> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    execFile(process.execPath, [...flags, '--input-type=module', '-e', code], { cwd: new URL('..', import.meta.url).pathname, timeout: 20_000 },
      (error, stdout, stderr) => resolve({ code: error ? (error.code as number ?? null) : 0, stdout, stderr, ms: performance.now() - t0 }));
  });
}

describe('without threads', () => {
  it('no SharedArrayBuffer: 1 thread, and one clear line on stderr for two engines', async () => {
    const r = await child(`
      delete globalThis.SharedArrayBuffer;
      const { createEngine } = await import('./dist/node.js');
      const a = await createEngine({ threads: 2 }), b = await createEngine({ threads: 'auto' });
      console.log(a.threads, b.threads);`);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe('1 1');
    expect(r.stderr.trim().split('\n')).toEqual([
      'senet-wasm: 2 threads asked, running 1: this runtime has no SharedArrayBuffer (a page must be cross-origin isolated: COOP and COEP headers; workerd has none)',
    ]);
  });

  it('the web entry where there are no Web Workers (Node 20, as workerd): 1 thread, and says so', async () => {
    const r = await child(`
      import { readFileSync } from 'node:fs';
      const { createEngine } = await import('./dist/web.js');
      const e = await createEngine({ backend: 'simd', threads: 2, wasm: readFileSync('dist/senet-simd.wasm') });
      console.log(e.threads);`);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe('1');
    expect(r.stderr.trim()).toBe('senet-wasm: 2 threads asked, running 1: this runtime has no worker threads (Web Workers or worker_threads)');
  });
});

describe('flags of the process', () => {
  it('a V8 flag (--experimental-wasm-relaxed-simd) and --input-type: the relaxed build on 2 threads, bitwise its one-thread output', async () => {
    const r = await child(`
      import { createEngine } from './dist/node.js';
      import { buildModel } from './dist/node-models.js';
      const x = Float32Array.from({ length: 3 * 64 * 64 }, (_, i) => Math.sin(i * 0.37));
      const out = [];
      for (const threads of [1, 2]) {
        const e = await createEngine({ backend: 'relaxed', threads });
        out.push([e.threads, Array.from(new Uint32Array(e.compile(buildModel('se-resnet50'), { height: 64, width: 64 }).run(x).buffer))]);
        e.dispose();
      }
      console.log(JSON.stringify(out));`, ['--experimental-wasm-relaxed-simd']);
    expect(r.stderr).toBe('');
    const [[t1, a], [t2, b]] = JSON.parse(r.stdout);
    expect([t1, t2]).toEqual([1, 2]);
    expect(b).toEqual(a);
  });
});

describe('a process that used a threaded engine exits by itself', () => {
  it.each([true, false])('dispose() called: %s', async (dispose) => {
    const r = await child(`
      import { createEngine } from './dist/node.js';
      import { buildModel } from './dist/node-models.js';
      const e = await createEngine({ threads: 2 });
      const s = e.compile(buildModel('se-resnet50'), { height: 64, width: 64 });
      s.run(new Float32Array(3 * 64 * 64));
      ${dispose ? 'e.dispose();' : ''}
      console.log('done', e.threads, Date.now());`);
    expect(r.code).toBe(0);
    const [word, threads, at] = r.stdout.trim().split(' ');
    expect([word, threads]).toEqual(['done', '2']);
    // From the last line to the exit: well under the 5 s a hung worker would take to be noticed.
    expect(Date.now() - Number(at)).toBeLessThan(5000);
  });
});
