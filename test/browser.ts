// Headless Chromium for the page tests (the demo, the Vite example): Debian's chromium driven by
// playwright-core, and what Node computes for the same image, to compare the page with.
import { existsSync, readFileSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { modelCard, topClasses, type ClassScore } from '../src/image/card.js';
import { decodeImage } from '../src/image/decode.js';
import { toTensor } from '../src/image/preprocess.js';
import { loadOnnx } from '../src/onnx/reader.js';
import { createEngine } from '../src/runtime/engine.js';
import type { Excitation } from '../src/runtime/session.js';

export const CHROMIUM = '/usr/bin/chromium';
export const ROOT = new URL('../', import.meta.url);
export const sample = (file: string) => new URL(`samples/fashion-mnist/${file}`, ROOT);

/** Fails (never skips) without the browser: CI installs it (.ci/run). */
export function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: the page tests drive Debian's chromium (apt-get install chromium; .ci/run installs it)`);
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--headless', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
}

/** Collects what should never happen on a page: console errors (CSP violations among them), uncaught errors, failed requests. */
export function problems(page: Page): string[] {
  const seen: string[] = [];
  page.on('console', (m) => { if (m.type() === 'error') seen.push(`console: ${m.text()}`); });
  page.on('pageerror', (e) => seen.push(`uncaught: ${e.message}`));
  page.on('requestfailed', (r) => seen.push(`request failed: ${r.url()} ${r.failure()?.errorText}`));
  page.on('response', (r) => { if (r.status() >= 400) seen.push(`HTTP ${r.status()}: ${r.url()}`); });
  return seen;
}

/** The bundled model's answer (the int8 file, as the demo and `npm start`) for a sample in Node, through the library's sources: top-5 and the gates. */
export async function nodeAnswer(file: string): Promise<{ top: ClassScore[]; excitations: Excitation[] }> {
  const graph = loadOnnx(readFileSync(new URL('models/fashion-mnist-se-resnet.int8.onnx', ROOT)), { name: 'fashion-mnist-se-resnet' });
  const card = modelCard(graph, JSON.parse(readFileSync(new URL('models/fashion-mnist-se-resnet.json', ROOT), 'utf8')));
  const engine = await createEngine({ backend: 'simd' });
  const { height, width } = card.preprocess;
  const { output, excitations } = engine.compile(graph, { batch: 1, height, width })
    .run(toTensor(decodeImage(readFileSync(sample(file)), file), card.preprocess), { excitations: true });
  engine.dispose();
  return { top: topClasses(output, 5, card.classes), excitations };
}
