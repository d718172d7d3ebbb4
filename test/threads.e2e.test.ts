// The web pool in Chromium: the package's web entry, served with COOP and COEP, runs SE-ResNet-50
// on 2 threads (Web Workers on a shared memory) with outputs bitwise equal to one thread's, on the
// page's main thread (which may not block: it spins) and in a module worker (which waits); an int8
// ONNX file whose 1x1 convs have Strassen's shapes (kept int8: no Strassen) split the same way as
// one thread runs them; served without them, 2 threads asked runs 1 and says why on the console.
import { copyFileSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { serve, type Served } from '../demo/server.js';
import { GraphBuilder } from '../src/graph/builder.js';
import { forStorage } from '../src/graph/passes/index.js';
import { saveOnnx } from '../src/onnx/writer.js';
import { launchChromium, problems, ROOT } from './browser.js';

// Runs in the browser: 1 thread against `threads`, the split ops counted through the engine's pool.
const CHECK = `
import { createEngine, loadOnnx } from './web.js';
import { buildModel } from './models.js';
export async function checkOnnx(threads) {
  const graph = loadOnnx(new Uint8Array(await (await fetch('./int8.onnx')).arrayBuffer()));
  const one = await createEngine({ backend: 'simd' }), many = await createEngine({ backend: 'simd', threads });
  const x = Float32Array.from({ length: 512 * 14 * 14 }, (_, i) => Math.sin(i * 0.37));
  const [a, b] = [one, many].map((e) => new Uint32Array(e.compile(graph).run(x).buffer));
  one.dispose();
  many.dispose();
  return { threads: many.threads, same: a.length === 16 * 14 * 14 && a.every((v, i) => v === b[i]) };
}
export async function check(backend, threads, weights) {
  const one = await createEngine({ backend }), many = await createEngine({ backend, threads });
  let parts = 0;
  const pool = many.pool;
  if (pool) { const run = pool.run.bind(pool); pool.run = (kernel, args, scratch) => { parts++; run(kernel, args, scratch); }; }
  const graph = buildModel('se-resnet50');
  const x = Float32Array.from({ length: 3 * 64 * 64 }, (_, i) => Math.sin(i * 0.37));
  const [a, b] = [one, many].map((e) => new Uint32Array(e.compile(graph, { height: 64, width: 64 }, { weights }).run(x).buffer));
  one.dispose();
  many.dispose();
  return { threads: many.threads, parts, same: a.length === 1000 && a.every((v, i) => v === b[i]), isolated: crossOriginIsolated };
}`;
const WORKER = `import { check } from './check.js';
onmessage = ({ data }) => check(...data).then(postMessage, (e) => postMessage({ error: e.message }));`;

let dir: string;
let browser: Browser;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'senet-threads-'));
  const dist = fileURLToPath(new URL('dist/', ROOT));
  for (const f of readdirSync(dist)) {
    if (/^(web|models|web-\w+|pool-web|pool-worker)\.js$|^senet-(simd|scalar)(-threads)?\.wasm$/.test(f)) copyFileSync(join(dist, f), join(dir, f));
  }
  writeFileSync(join(dir, 'check.js'), CHECK);
  // 1x1 convs 512 -> 256 and 256 -> 16 on 14x14, their weights int8 in the file: the page's
  // engine keeps them int8 (no Strassen), and so must the web pool, whose modules do not see the
  // file's weights (it once decided Strassen again there and ran int8 panels as its operands).
  const g = new GraphBuilder('int8-1x1', 'input', 512, { seed: 2 });
  const net = g.build(g.conv(g.conv('input', 256, { kernel: 1, act: 'relu' }), 16, { kernel: 1 }));
  writeFileSync(join(dir, 'int8.onnx'), saveOnnx(forStorage(net, 'int8'), { height: 14, width: 14, weights: 'int8' }));
  writeFileSync(join(dir, 'worker.js'), WORKER);
  writeFileSync(join(dir, 'main.js'), "import { check, checkOnnx } from './check.js';\nObject.assign(globalThis, { check, checkOnnx });");
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>threads</title><link rel="icon" href="data:,"><script type="module" src="main.js"></script>');
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function open(isolated: boolean): Promise<{ page: Page; server: Served; seen: string[]; warnings: string[] }> {
  const server = await serve(dir, { isolated });
  const page = await browser.newPage();
  const seen = problems(page), warnings: string[] = [];
  page.on('console', (m) => { if (m.type() === 'warning') warnings.push(m.text()); });
  await page.goto(server.url);
  await page.waitForFunction(() => 'check' in globalThis);
  return { page, server, seen, warnings };
}

const onMainThread = (page: Page, backend: string, threads: number, weights = 'fp32') =>
  page.evaluate(([b, t, w]) => (globalThis as unknown as { check: (b: string, t: number, w: string) => Promise<unknown> }).check(b, t, w), [backend, threads, weights] as const);

const inWorker = (page: Page, backend: string, threads: number, weights = 'fp32') =>
  page.evaluate(([b, t, w]) => new Promise((resolve) => {
    const worker = new Worker('./worker.js', { type: 'module' });
    worker.onmessage = ({ data }) => { worker.terminate(); resolve(data); };
    worker.postMessage([b, t, w]);
  }), [backend, threads, weights] as const);

describe('cross-origin isolated (COOP and COEP)', () => {
  let page: Page, server: Served, seen: string[];
  beforeAll(async () => ({ page, server, seen } = await open(true)), 60_000);
  afterAll(() => server?.close());

  test.each([['main thread', onMainThread], ['module worker', inWorker]] as const)('%s: 2 threads, split convs, bitwise the one-thread output (simd fp32, simd int8, scalar)', async (_, where) => {
    for (const [backend, weights] of [['simd', 'fp32'], ['simd', 'int8'], ['scalar', 'fp32']]) {
      const r = await where(page, backend, 2, weights) as { threads: number; parts: number; same: boolean; isolated: boolean };
      expect(r).toMatchObject({ threads: 2, same: true, isolated: true });
      expect(r.parts).toBeGreaterThan(10); // SE-ResNet-50 at 64x64: its large convs were split
    }
    expect(seen).toEqual([]);
  });

  test('an int8 ONNX file with 1x1 convs of Strassen\'s shapes: 2 threads bitwise one thread', async () => {
    const r = await page.evaluate(() => (globalThis as unknown as { checkOnnx: (t: number) => Promise<unknown> }).checkOnnx(2));
    expect(r).toEqual({ threads: 2, same: true });
    expect(seen).toEqual([]);
  });
});

describe('not isolated', () => {
  test('2 threads asked: 1, with the reason on the console once', async () => {
    const { page, server, seen, warnings } = await open(false);
    const r = await inWorker(page, 'simd', 2) as { threads: number; parts: number; same: boolean; isolated: boolean };
    expect(r).toMatchObject({ threads: 1, parts: 0, same: true, isolated: false });
    await expect.poll(() => warnings).toEqual([
      'senet-wasm: 2 threads asked, running 1: this runtime has no SharedArrayBuffer (a page must be cross-origin isolated: COOP and COEP headers; workerd has none)',
    ]);
    expect(seen).toEqual([]);
    await server.close();
  });
});
