// SE-ResNet-50 with int8 weights in the edge worker (examples/edge-worker) inside workerd: the
// example bundled with SE-ResNet-50's int8 ONNX export at 224x224 (seeded random weights) and a
// 1000-class card in place of the Fashion-MNIST model. The cat sample's top-5 must be Node's, and
// the isolate's memory (the model's bytes, a Data module, plus what workerd grew by while the
// first request compiled and ran the model: wasm memory, JS heap) must stay under the 128 MB a
// Cloudflare Workers isolate gets; fp32 weights cannot (their file and wasm memory are over it).
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Miniflare } from 'miniflare';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { bundleWorker, differs, rssBytes, startWorker } from '../bench/edge.js';
import { forStorage } from '../src/graph/passes/index.js';
import { decodeImage, modelCard, toTensor, topClasses } from '../src/image/index.js';
import { buildModel } from '../src/models/index.js';
import { loadOnnx } from '../src/onnx/reader.js';
import { saveOnnx } from '../src/onnx/writer.js';
import { createEngine } from '../src/node.js';

const MB = 1e6, ISOLATE = 128 * MB; // Cloudflare's 128 MB read as 10^6 bytes, the stricter reading
const CAT = new Uint8Array(readFileSync(new URL('../samples/chelsea.png', import.meta.url)));
const CARD = {
  model: 'se-resnet50.int8.onnx',
  description: 'SE-ResNet-50, seeded random weights stored as int8 (its classes mean nothing)',
  classes: Array.from({ length: 1000 }, (_, i) => `class ${i}`),
  input: { preprocessing: { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] } },
};

let dir: string, onnx: string, mf: Miniflare, pid: number;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'senet-edge-int8-'));
  onnx = join(dir, 'se-resnet50.int8.onnx');
  // As `senet-wasm export se-resnet50 --size 224 --weights int8` writes it (BatchNorm folded).
  writeFileSync(onnx, saveOnnx(forStorage(buildModel('se-resnet50', { seed: 0 }), 'int8'), { height: 224, width: 224, weights: 'int8' }));
  writeFileSync(join(dir, 'card.json'), JSON.stringify(CARD));
  const out = join(dir, 'out');
  ({ mf, pid } = await startWorker(await bundleWorker(mkdtempSync(`${out}-`), { onnx, card: join(dir, 'card.json') })));
}, 120_000);

afterAll(async () => {
  await mf?.dispose();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('the cat: Node\'s top-5, in an isolate under 128 MB; fp32 weights would not fit', async () => {
  const before = rssBytes(pid);
  const res = await mf.dispatchFetch('http://localhost/', { method: 'POST', body: CAT });
  const body = await res.json() as { top: { label: string; index: number; probability: number }[]; backend: string };
  expect(res.status, JSON.stringify(body)).toBe(200);
  const grown = rssBytes(pid) - before, wasm = Number(res.headers.get('x-wasm-memory-bytes'));

  const graph = loadOnnx(readFileSync(onnx), { name: 'se-resnet50.int8.onnx' });
  const card = modelCard(graph, CARD);
  const engine = await createEngine({ backend: 'simd' });
  const node = topClasses(engine.compile(graph).run(toTensor(decodeImage(CAT), card.preprocess)), 5, card.classes);
  expect(differs(body.top, node)).toBeUndefined();
  expect(body.backend).toBe('simd');
  // The same wasm memory as Node's engine for the same file and input size.
  expect(wasm).toBe(engine.memoryBytes);
  engine.dispose();

  const model = statSync(onnx).size;
  console.log(`SE-ResNet-50 int8 in workerd: model ${(model / MB).toFixed(1)} MB, wasm memory ${(wasm / MB).toFixed(1)} MB, `
    + `workerd grew ${(grown / MB).toFixed(1)} MB on the first request; isolate ${((model + grown) / MB).toFixed(1)} MB of 128`);
  expect(wasm).toBeLessThan(grown + 4 * MB); // the growth holds the wasm memory (pages are touched as the weights are written)
  expect(model + grown).toBeLessThan(ISOLATE);

  // fp32: its file and the wasm memory of its smallest layout (no Winograd) together.
  const fp32 = await createEngine({ backend: 'simd' });
  const net = buildModel('se-resnet50', { seed: 0 });
  fp32.compile(net, { height: 224, width: 224 }, { weights: 'fp32', winograd: false });
  const fp32File = saveOnnx(net, { height: 224, width: 224 }).length;
  console.log(`fp32: model ${(fp32File / MB).toFixed(1)} MB, wasm memory ${(fp32.memoryBytes / MB).toFixed(1)} MB`);
  expect(fp32File + fp32.memoryBytes).toBeGreaterThan(ISOLATE);
  fp32.dispose();
}, 120_000);
