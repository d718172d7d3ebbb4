// The Vite example (examples/vite/) on the packed package, in headless Chromium: `vite build`, its
// output served with the demo's CSP and a single-page-app fallback (so a .wasm fetched from a wrong
// path gets HTML, as on such hosts), and the dev server, which pre-bundles senet-wasm away from its
// .wasm files (vite #8427). Each page must classify a sample as Node does. vite is this checkout's
// (a devDependency of the same major as the example's), linked in: no network.
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { serve } from '../demo/server.js';
import { launchChromium, nodeAnswer, problems } from './browser.js';
import { installPacked, link, root, run } from './packed.js';

const EXAMPLE = join(root, 'examples', 'vite');
const SAMPLE = '7-sneaker.png';
const cores = availableParallelism(); // Chromium's navigator.hardwareConcurrency on this machine

let dir: string;
let app: string;
let vite: string;
let browser: Browser;

beforeAll(async () => {
  const wanted = JSON.parse(readFileSync(join(EXAMPLE, 'package.json'), 'utf8')).devDependencies.vite as string;
  const { version } = JSON.parse(readFileSync(join(root, 'node_modules', 'vite', 'package.json'), 'utf8'));
  expect(version.split('.')[0], `the example wants vite ${wanted}`).toBe(wanted.replace('^', '').split('.')[0]);
  dir = mkdtempSync(join(tmpdir(), 'senet-vite-'));
  app = join(dir, 'app');
  cpSync(EXAMPLE, app, { recursive: true, filter: (f) => !/[/\\](node_modules|dist)$/.test(f) });
  await installPacked(dir, app);
  link(app, 'vite');
  vite = join(app, 'node_modules', 'vite', 'bin', 'vite.js');
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Loads the example's page at `url`, picks the sample, and checks its answer against Node's. */
async function expectNodesAnswer(url: string): Promise<void> {
  const page = await browser.newPage();
  const seen = problems(page);
  await page.goto(url);
  const result = page.locator('#result');
  await page.waitForFunction(() => document.getElementById('result')!.textContent !== 'Loading the model…', undefined, { timeout: 20_000 });
  // Chromium 114+ validates relaxed SIMD, so 'auto' picks that build there; the page is cross-origin
  // isolated, so 'auto' threads are every core (the pool's worker found where the bundler put it).
  expect(await result.textContent()).toBe(`Ready (relaxed build, ${cores} thread${cores > 1 ? 's' : ''}).`);
  await page.locator('#file').setInputFiles(join(app, 'node_modules', 'senet-wasm', 'samples', 'fashion-mnist', SAMPLE));
  await expect.poll(() => result.textContent()).toMatch(new RegExp(`^${SAMPLE}: `));
  const [, label, probability] = /^[^:]+: (.+) \(([\d.]+)\)$/.exec((await result.textContent())!)!;
  const [best] = (await nodeAnswer(SAMPLE)).top;
  expect(label).toBe(best.label);
  expect(Math.abs(Number(probability) - best.probability)).toBeLessThan(1e-5); // shown to 6 decimals
  expect(seen).toEqual([]);
  await page.close();
}

describe('the Vite example on the packed package', () => {
  test('vite build: the wasm builds are emitted as assets, and the page served with the CSP classifies a sample as Node does', async () => {
    const build = await run(process.execPath, [vite, 'build'], app);
    expect(build.code, build.stdout + build.stderr).toBe(0);
    // Each build once, by its name and an 8-character hash (in any order: the hashes sort as they fall).
    const wasm = readdirSync(join(app, 'dist', 'assets')).filter((f) => f.endsWith('.wasm'));
    expect(wasm.map((f) => f.replace(/-[\w-]{8}\.wasm$/, '')).sort())
      .toEqual(['relaxed', 'relaxed-threads', 'scalar', 'scalar-threads', 'simd', 'simd-threads'].map((b) => `senet-${b}`));
    const served = await serve(join(app, 'dist'), { single: true });
    try {
      await expectNodesAnswer(served.url);
    } finally {
      await served.close();
    }
  });

  test('vite dev: senet-wasm is pre-bundled away from its .wasm files, and the page still classifies the sample', async () => {
    const server = spawn(process.execPath, [vite, '--host', '127.0.0.1', '--port', '0'], { cwd: app });
    try {
      let out = '';
      const url = await new Promise<string>((resolve, reject) => {
        server.stdout.on('data', (d: Buffer) => {
          out += d;
          const m = /Local:\s+(http:\/\/\S+\/)/.exec(out.replace(/\x1b\[[0-9;]*m/g, '')); // without colours
          if (m) resolve(m[1]);
        });
        server.stderr.on('data', (d: Buffer) => { out += d; });
        server.on('exit', (code) => reject(new Error(`vite exited (${code}) before listening:\n${out}`)));
      });
      await expectNodesAnswer(url);
      expect(existsSync(join(app, 'node_modules', '.vite', 'deps', 'senet-wasm.js'))).toBe(true);
    } finally {
      server.kill();
    }
  });
});
