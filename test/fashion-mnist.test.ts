// The bundled trained model: senet-wasm gives PyTorch's accuracy on the bundled test subset and
// agrees with onnxruntime-node image by image; the PNG path gives what the raw pixels give.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import jpeg from 'jpeg-js';
import * as ort from 'onnxruntime-node';
import { describe, expect, test } from 'vitest';
import { decodeImage } from '../src/image/decode.js';
import { toTensor } from '../src/image/preprocess.js';
import { loadOnnx } from '../src/onnx/reader.js';
import { saveOnnx } from '../src/onnx/writer.js';
import { optimize } from '../src/graph/passes/index.js';
import { createEngine } from '../src/runtime/engine.js';

const root = new URL('../', import.meta.url).pathname;
const modelPath = join(root, 'models/fashion-mnist-se-resnet.onnx');
const card = JSON.parse(readFileSync(join(root, 'models/fashion-mnist-se-resnet.json'), 'utf8'));
const bytes = readFileSync(modelPath);
const graph = loadOnnx(bytes, { name: modelPath });

// test-subset.u8.gz: the labels (one byte each), then the 28x28 uint8 images, as train.py wrote them.
const subset = gunzipSync(readFileSync(join(root, 'test/fixtures/fashion-mnist/test-subset.u8.gz')));
const count = card.subset.images as number;
const labels = subset.subarray(0, count);
const pixels = subset.subarray(count);
const { mean, std } = card.input.preprocessing as { mean: number; std: number };

/** The model's input for images [from, to) of the subset, preprocessed as in training. */
function batch(from: number, to: number): Float32Array {
  return Float32Array.from(pixels.subarray(from * 784, to * 784), (p) => (p / 255 - mean) / std);
}

const argmax = (v: Float32Array, row: number, k = 10) => {
  let best = 0;
  for (let j = 1; j < k; j++) if (v[row * k + j] > v[row * k + best]) best = j;
  return best;
};

describe('the bundled Fashion-MNIST SE-ResNet', () => {
  test('its card and its subset agree (every class present)', () => {
    expect(card.classes).toHaveLength(10);
    expect(new Set(labels).size).toBe(10);
    expect(pixels.length).toBe(count * 784);
    expect(card.testAccuracy.se).toBeGreaterThanOrEqual(0.92);
  });

  test('every SE block of the export runs as one fused step', () => {
    const blocks = (card.training.blocks as number[]).reduce((a, b) => a + b, 0);
    const fused = optimize(graph).nodes;
    expect(fused.filter((n) => n.op === 'se')).toHaveLength(blocks);
    expect(fused.filter((n) => n.op === 'mul')).toHaveLength(0);
  });

  let ortTop1: number[] = [];
  test('onnxruntime-node on the subset', async () => {
    const session = await ort.InferenceSession.create(bytes);
    const out = await session.run({ input: new ort.Tensor('float32', batch(0, count), [count, 1, 28, 28]) });
    const logits = out.logits.data as Float32Array;
    ortTop1 = Array.from({ length: count }, (_, i) => argmax(logits, i));
  });

  test.each(['simd', 'scalar'] as const)('%s build: PyTorch\'s accuracy on the subset, top-1 as onnxruntime', async (backend) => {
    const engine = await createEngine({ backend });
    const size = 100;
    const session = engine.compile(graph, { batch: size, height: 28, width: 28 });
    let correct = 0, agree = 0;
    for (let from = 0; from < count; from += size) {
      const logits = session.run(batch(from, from + size));
      for (let i = 0; i < size; i++) {
        const top = argmax(logits, i);
        if (top === labels[from + i]) correct++;
        if (top === ortTop1[from + i]) agree++;
      }
    }
    expect(correct).toBe(card.subset.pytorchCorrect);
    expect(agree).toBeGreaterThanOrEqual(count - 1);
    engine.dispose();
  });

  // int8 (quantized at compile, and the converter's file read back) and fp16 weights: within 0.5
  // points of the fp32 accuracy on the subset (SIMD build: the kernel tests show both builds
  // compute the same from the same stored weights; the scalar build would add 15 s here).
  test('int8 and fp16 weights keep the accuracy within 0.5 points', async () => {
    const engine = await createEngine({ backend: 'simd' });
    const accuracy = (g: typeof graph, weights?: 'int8' | 'fp16') => {
      const session = engine.compile(g, { batch: 100, height: 28, width: 28 }, { weights });
      let correct = 0;
      for (let from = 0; from < count; from += 100) {
        const logits = session.run(batch(from, from + 100));
        for (let i = 0; i < 100; i++) if (argmax(logits, i) === labels[from + i]) correct++;
      }
      session.dispose();
      return (100 * correct) / count;
    };
    const fp32 = accuracy(graph);
    for (const weights of ['int8', 'fp16'] as const) {
      const file = loadOnnx(saveOnnx(graph, { weights, height: 28, width: 28 }), { name: `${weights}.onnx` });
      for (const a of [accuracy(graph, weights), accuracy(file)]) expect(Math.abs(a - fp32)).toBeLessThanOrEqual(0.5);
    }
    // The shipped int8 file (the CLI's default model) too, and it is what the converter writes today.
    const shipped = new Uint8Array(readFileSync(join(root, 'models/fashion-mnist-se-resnet.int8.onnx')));
    expect(Math.abs(accuracy(loadOnnx(shipped, { name: 'fashion-mnist-se-resnet.int8.onnx' })) - fp32)).toBeLessThanOrEqual(0.5);
    const fromCli = await promisify(execFile)(process.execPath, [join(root, 'dist/cli.js'), 'quantize', join(root, 'models/fashion-mnist-se-resnet.onnx'),
      '--out', join(tmpdir(), `fm-int8-${process.pid}.onnx`), '--weights', 'int8']);
    expect(fromCli.stdout).toMatch(/28\.1% of/);
    expect(new Uint8Array(readFileSync(join(tmpdir(), `fm-int8-${process.pid}.onnx`)))).toEqual(shipped);
    engine.dispose();
  });

  test('the bundled sample PNGs give what their raw pixels give', async () => {
    const engine = await createEngine();
    const session = engine.compile(graph, { batch: 1, height: 28, width: 28 });
    const dir = join(root, 'samples/fashion-mnist');
    const files = readdirSync(dir).filter((f) => f.endsWith('.png')).sort();
    expect(files).toHaveLength(10);
    for (const [cls, file] of files.entries()) {
      const index = labels.indexOf(cls); // make-samples.mjs took the first image of each class
      const raw = session.run(batch(index, index + 1));
      const png = session.run(toTensor(decodeImage(readFileSync(join(dir, file)), file), { channels: 1, height: 28, width: 28, mean: [mean], std: [std] }));
      expect(argmax(png, 0)).toBe(argmax(raw, 0));
      png.forEach((v, i) => expect(Math.abs(v - raw[i])).toBeLessThan(1e-4));
    }
  });
});

describe('senet-wasm classify', () => {
  const CLI = join(root, 'dist/cli.js');
  const run = promisify(execFile);
  const dir = mkdtempSync(join(tmpdir(), 'senet-classify-'));
  const samples = join(root, 'samples/fashion-mnist');
  const sneaker = join(samples, readdirSync(samples).find((f) => f.startsWith('7-'))!);

  test('--json: one object per image with its top-K', async () => {
    const boot = join(samples, readdirSync(samples).find((f) => f.startsWith('9-'))!);
    const { stdout } = await run('node', [CLI, 'classify', sneaker, boot, '--json', '--top', '3']);
    const result = JSON.parse(stdout);
    expect(result.map((r: { file: string }) => r.file)).toEqual([sneaker, boot]);
    for (const r of result) {
      expect(Object.keys(r)).toEqual(['file', 'label', 'index', 'probability', 'top']);
      expect(r.top).toHaveLength(3);
      expect(r.top[0]).toEqual({ label: r.label, index: r.index, probability: r.probability });
      expect(r.top.map((t: { probability: number }) => t.probability)).toEqual([...r.top.map((t: { probability: number }) => t.probability)].sort((a, b) => b - a));
    }
  });

  test('a JPEG and a larger colour image are read, made grey and resized', async () => {
    const img = decodeImage(readFileSync(sneaker), sneaker);
    // Upscale 28 -> 56 by repeating pixels, tinted, as a JPEG: the model still sees a sneaker.
    const big = Buffer.alloc(56 * 56 * 4);
    for (let y = 0; y < 56; y++) for (let x = 0; x < 56; x++) {
      const v = img.data[((y >> 1) * 28 + (x >> 1)) * 4];
      big.set([v, v, v, 255], (y * 56 + x) * 4);
    }
    const file = join(dir, 'sneaker.jpg');
    writeFileSync(file, jpeg.encode({ data: big, width: 56, height: 56 }, 95).data);
    const { stdout } = await run('node', [CLI, 'classify', file, '--json']);
    expect(JSON.parse(stdout)[0].label).toBe('Sneaker');
  });

  test('bad images: one line each, the others still classified, exit code 1', async () => {
    const empty = join(dir, 'empty.png'), text = join(dir, 'text.png'), cut = join(dir, 'cut.png');
    writeFileSync(empty, '');
    writeFileSync(text, 'not an image at all');
    writeFileSync(cut, readFileSync(sneaker).subarray(0, 60));
    const missing = join(dir, 'missing.png');
    const r = await run('node', [CLI, 'classify', empty, sneaker, text, cut, missing, '--json']).catch((e) => e);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).map((p: { file: string }) => p.file)).toEqual([sneaker]);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toEqual([
      `senet-wasm: ${empty}: empty file`,
      `senet-wasm: ${text}: not a PNG or JPEG image`,
      expect.stringMatching(new RegExp(`^senet-wasm: ${cut}: not a readable PNG`)),
      `senet-wasm: ${missing}: cannot read (ENOENT)`,
    ]);
  });
});
