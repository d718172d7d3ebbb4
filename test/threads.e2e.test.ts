// The web pool in Chromium: the package's web entry, served with COOP and COEP, runs SE-ResNet-50
// on 2 threads (Web Workers on a shared memory) with outputs bitwise equal to one thread's, on the
// page's main thread (which may not block: it spins) and in a module worker (which waits); served
// without them, 2 threads asked runs 1 and says why on the console.
import { copyFileSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { serve, type Served } from '../demo/server.js';
import { launchChromium, problems, ROOT } from './browser.js';

// Runs in the browser: 1 thread against `threads`, the split ops counted through the engine's pool.
const CHECK = `
import { createEngine } from './web.js';
import { buildModel } from './models.js';
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
  writeFileSync(join(dir, 'worker.js'), WORKER);
  writeFileSync(join(dir, 'main.js'), "import { check } from './check.js';\nglobalThis.check = check;");
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
