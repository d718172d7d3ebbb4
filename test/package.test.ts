// The package as users get it: `npm pack` of this tree (built by `npm test` first), linted by publint
// and @arethetypeswrong/cli, then installed into a temporary project and used there by plain `node`
// through each entry: the Node entry, the web entry (as a worker resolves it), the CLI.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { publint } from 'publint';
import { formatMessage } from 'publint/utils';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { buildModel } from '../src/models/index.js';
import { loadOnnx } from '../src/onnx/reader.js';
import { createEngine } from '../src/runtime/engine.js';
import type { Backend } from '../src/wasm/load.js';
import { installPacked, pkg, root, run } from './packed.js';

// The same model and input in the tree and in the installed package.
const SIZE = 64;
const INPUT = `Float32Array.from({ length: 3 * ${SIZE} * ${SIZE} }, (_, i) => Math.sin(i * 0.01))`;
const MODEL = `buildModel('mobilenet-v3-small', { seed: 0 })`;
const input = new Function(`return ${INPUT}`)() as Float32Array;

async function inTree(backend: Backend): Promise<number[]> {
  const engine = await createEngine({ backend });
  return Array.from(engine.compile(buildModel('mobilenet-v3-small', { seed: 0 }), { height: SIZE, width: SIZE }).run(input));
}

const scripts = {
  // Plain Node: the "node" condition, its wasm read from beside the bundle.
  'node.mjs': `
    const { createEngine, OptionError } = await import('senet-wasm');
    const { buildModel } = await import('senet-wasm/models');
    const engine = await createEngine({ threads: Number(process.env.THREADS ?? 1) });
    const out = engine.compile(${MODEL}, { height: ${SIZE}, width: ${SIZE} }).run(${INPUT});
    engine.dispose();
    let sameErrors = false;
    try { buildModel('nope'); } catch (e) { sameErrors = e instanceof OptionError; }
    console.log(JSON.stringify({ entry: import.meta.resolve('senet-wasm'), models: import.meta.resolve('senet-wasm/models'), sameErrors, backend: engine.backend, threads: engine.threads, out: Array.from(out) }));`,
  // A runtime without WebAssembly SIMD (loaded with --import before the package).
  'no-simd.mjs': 'WebAssembly.validate = () => false;',
  // A browser's fetch for the web entry (Node's takes no file: URLs), loaded with --import.
  'fetch-files.mjs': `
    import { readFile } from 'node:fs/promises';
    globalThis.fetch = async (url) => new Response(await readFile(new URL(url)), { headers: { 'content-type': 'application/wasm' } });`,
  // The web entry as a worker resolves it (--conditions=worker): its wasm fetched from beside the
  // bundle, a precompiled Module from the package's wasm subpath (what edge runtimes import), and an
  // ONNX model from a Response. Node's fetch takes no file: URLs, so fetch is a browser's here.
  'web.mjs': `
    import { readFile } from 'node:fs/promises';
    const fetched = [];
    globalThis.fetch = async (url) => {
      fetched.push(String(url));
      return new Response(await readFile(new URL(url)), { headers: { 'content-type': 'application/wasm' } });
    };
    const { createEngine, loadOnnxFrom, OptionError } = await import('senet-wasm');
    const { buildModel } = await import('senet-wasm/models');
    let sameErrors = false;
    try { buildModel('nope'); } catch (e) { sameErrors = e instanceof OptionError; }
    const engine = await createEngine({ backend: 'simd' });
    const out = engine.compile(${MODEL}, { height: ${SIZE}, width: ${SIZE} }).run(${INPUT});
    const module = await WebAssembly.compile(await readFile(new URL(import.meta.resolve('senet-wasm/senet-simd.wasm'))));
    const fromModule = (await createEngine({ wasm: module })).compile(${MODEL}, { height: ${SIZE}, width: ${SIZE} }).run(${INPUT});
    const onnx = await readFile(new URL('./node_modules/senet-wasm/models/fashion-mnist-se-resnet.onnx', import.meta.url));
    const graph = await loadOnnxFrom(new Response(onnx));
    const logits = engine.compile(graph, { height: 28, width: 28 }).run(new Float32Array(28 * 28).fill(0.5));
    // The writer reads the weights the web entry's reader left undecoded (one ir.js for both): an
    // int8 model saved again stays int8.
    const { saveOnnx } = await import('senet-wasm/onnx-writer');
    const int8 = await loadOnnxFrom(new Response(await readFile(new URL('./node_modules/senet-wasm/models/fashion-mnist-se-resnet.int8.onnx', import.meta.url))));
    const resavedBytes = saveOnnx(int8);
    const resaved = engine.compile(await loadOnnxFrom(new Response(resavedBytes)), { height: 28, width: 28 }).run(new Float32Array(28 * 28).fill(0.5));
    const int8Logits = engine.compile(int8, { height: 28, width: 28 }).run(new Float32Array(28 * 28).fill(0.5));
    console.log(JSON.stringify({ entry: import.meta.resolve('senet-wasm'), models: import.meta.resolve('senet-wasm/models'), sameErrors, fetched, out: Array.from(out),
      fromModule: Array.from(fromModule), logits: Array.from(logits), resaved: Array.from(resaved), int8Logits: Array.from(int8Logits),
      resavedBytes: resavedBytes.length, onnxBytes: onnx.length }));`,
};

let dir: string;
let project: string;
let tarball: string;
let packed: string[];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'senet-package-'));
  project = join(dir, 'project');
  ({ tarball, files: packed } = await installPacked(dir, project));
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
  for (const [name, text] of Object.entries(scripts)) writeFileSync(join(project, name), text);
}, 60_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the packed package', () => {
  test('publint reports nothing, not even a suggestion', async () => {
    const bytes = readFileSync(tarball);
    const { messages } = await publint({ pack: { tarball: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) }, strict: true });
    expect(messages.map((m) => formatMessage(m, pkg, { color: false }))).toEqual([]);
  });

  test('attw reports nothing (ESM-only profile)', async () => {
    // --profile esm-only: the package is ESM only, so a CommonJS require() of it reaching ESM
    // (node16-cjs) and node10 resolution, which predates "exports", are what that means, not faults.
    // The wasm subpaths are assets, not modules TypeScript types: each bundler types its own wasm
    // imports (a WebAssembly.Module in workerd, a URL string with Vite's ?url).
    const attw = join(root, 'node_modules', '@arethetypeswrong', 'cli', 'dist', 'index.js');
    const wasm = Object.keys(JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).exports).filter((e) => e.endsWith('.wasm'));
    expect(wasm).toHaveLength(6); // three builds, each with and without threads
    const { code, stdout, stderr } = await run('node', [attw, tarball, '--profile', 'esm-only', '--format', 'ascii',
      '--exclude-entrypoints', ...wasm], dir);
    expect(code, stdout + stderr).toBe(0);
  });

  test('holds the entries, every wasm build, the pools and their workers, the types, and no bench or demo code', () => {
    const builds = ['relaxed', 'simd', 'scalar'].flatMap((b) => [`dist/senet-${b}.wasm`, `dist/senet-${b}-threads.wasm`]);
    for (const f of ['dist/web.js', 'dist/node.js', 'dist/cli.js', ...builds, 'dist/pool-web.js', 'dist/pool-worker.js', 'dist/pool-worker-node.js', 'dist/types/index.d.ts']) {
      expect(packed).toContain(f);
    }
    expect(packed.filter((f) => /bench|demo/.test(f))).toEqual([]);
  });
});

describe('installed into a project', () => {
  test("plain node imports the Node entry and runs a built-in model as the tree does", async () => {
    const { code, stdout, stderr } = await run('node', ['node.mjs'], project);
    expect(code, stderr).toBe(0);
    const r = JSON.parse(stdout);
    expect(r.entry).toMatch(/node_modules\/senet-wasm\/dist\/node\.js$/);
    expect(r.models).toMatch(/node_modules\/senet-wasm\/dist\/node-models\.js$/);
    expect(r.sameErrors, 'an OptionError of senet-wasm/models is an OptionError of senet-wasm').toBe(true);
    expect(r.backend).toBe('simd');
    expect(r.out).toEqual(await inTree('simd'));
  });

  test('threads: the pool\'s worker is found beside the Node entry, the output is the tree\'s', async () => {
    const { code, stdout, stderr } = await run('node', ['node.mjs'], project, { THREADS: '2' });
    expect(code, stderr).toBe(0);
    const r = JSON.parse(stdout);
    expect([r.backend, r.threads]).toEqual(['simd', 2]);
    expect(r.out).toEqual(await inTree('simd'));
  });

  test("without SIMD, 'auto' runs the package's scalar build and matches the tree's", async () => {
    const { code, stdout, stderr } = await run('node', ['--import', './no-simd.mjs', 'node.mjs'], project);
    expect(code, stderr).toBe(0);
    const r = JSON.parse(stdout);
    expect(r.backend).toBe('scalar');
    expect(r.out).toEqual(await inTree('scalar'));
  });

  test("'auto' on both entries: the relaxed build where it validates, else SIMD, else scalar; each fetched or read from beside its entry", async () => {
    const cases = [
      { entry: 'node', flags: ['--experimental-wasm-relaxed-simd'], backend: 'relaxed' },
      { entry: 'web', flags: ['--conditions=worker', '--import', './fetch-files.mjs', '--experimental-wasm-relaxed-simd'], backend: 'relaxed' },
      { entry: 'web', flags: ['--conditions=worker', '--import', './fetch-files.mjs'], backend: 'simd' },
      { entry: 'web', flags: ['--conditions=worker', '--import', './fetch-files.mjs', '--import', './no-simd.mjs'], backend: 'scalar' },
    ];
    for (const c of cases) {
      const { code, stdout, stderr } = await run('node', [...c.flags, 'node.mjs'], project);
      expect(code, stderr).toBe(0);
      const r = JSON.parse(stdout);
      expect([r.entry.replace(/^.*\/dist\//, ''), r.backend], c.flags.join(' ')).toEqual([`${c.entry}.js`, c.backend]);
      // relaxed: a fused multiply-add rounds once, so the last bits may differ from the SIMD build's.
      const expected = await inTree(c.backend === 'scalar' ? 'scalar' : 'simd');
      const worst = Math.max(...r.out.map((v: number, i: number) => Math.abs(v - expected[i])));
      expect(worst, c.flags.join(' ')).toBeLessThanOrEqual(c.backend === 'relaxed' ? 1e-5 * Math.max(...expected.map(Math.abs)) : 0);
    }
  });

  test('a worker gets the web entry: wasm fetched from beside it or given as a Module, ONNX from a Response', async () => {
    const { code, stdout, stderr } = await run('node', ['--conditions=worker', 'web.mjs'], project);
    expect(code, stderr).toBe(0);
    const r = JSON.parse(stdout);
    expect(r.entry).toMatch(/node_modules\/senet-wasm\/dist\/web\.js$/);
    expect(r.models).toMatch(/node_modules\/senet-wasm\/dist\/models\.js$/);
    expect(r.sameErrors, 'an OptionError of senet-wasm/models is an OptionError of senet-wasm').toBe(true);
    expect(r.fetched).toEqual([new URL('node_modules/senet-wasm/dist/senet-simd.wasm', `file://${project}/`).href]);
    const expected = await inTree('simd');
    expect(r.out).toEqual(expected);
    expect(r.fromModule).toEqual(expected);
    const engine = await createEngine({ backend: 'simd' });
    const graph = loadOnnx(readFileSync(join(root, 'models', 'fashion-mnist-se-resnet.onnx')));
    expect(r.logits).toEqual(Array.from(engine.compile(graph, { height: 28, width: 28 }).run(new Float32Array(28 * 28).fill(0.5))));
    expect(r.resaved, 'senet-wasm/onnx-writer saves what senet-wasm read').toEqual(r.int8Logits);
    expect(r.resavedBytes, 'the int8 model saved again is int8 (about a quarter of the fp32 file)').toBeLessThan(r.onnxBytes / 2);
  });

  test('the CLI classifies a bundled sample; bench --vs says in one line where the peers are', async () => {
    const cli = join(project, 'node_modules', 'senet-wasm', 'dist', 'cli.js');
    const sample = join(project, 'node_modules', 'senet-wasm', 'samples', 'fashion-mnist', '8-bag.png');
    const classify = await run('node', [cli, 'classify', sample, '--json'], project);
    expect(classify.code, classify.stderr).toBe(0);
    expect(JSON.parse(classify.stdout)[0].label).toBe('Bag');

    const bench = await run('node', [cli, 'bench', 'mobilenet-v3-small', '--size', '32', '--runs', '1', '--vs', 'onnxruntime-web', '--json'], project);
    expect(bench.code).toBe(1);
    expect(bench.stdout).toBe('');
    expect(bench.stderr).toBe('senet-wasm: --vs onnxruntime-web: the peer engines are bench code, not in the installed package; run the bench '
      + 'from a source checkout of senet-wasm, where npm ci installs onnxruntime-web, @tensorflow/tfjs-core and @tensorflow/tfjs-backend-wasm\n');
  });
});
