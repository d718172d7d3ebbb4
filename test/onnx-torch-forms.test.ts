// The ONNX forms of issue 14 section 3 as PyTorch 2.13's two exporters write them, the
// TorchScript one and torch.export's (PyTorch's default since 2.9, opset 18)
// (test/fixtures/onnx/make_forms.py): the most copied SE code's x * y.expand_as(x), an SE
// squeezing with mean((2, 3)) at opset 18, input normalisation by constants, ZeroPad2d (F.pad's
// pads built with ConstantOfShape, Concat, Reshape, Slice, Transpose and Cast), average pooling
// counting the padding, LeakyReLU, PReLU, Hardsigmoid, clamp, a softmax over channels, a map
// flattened into a Linear, Inception branches concatenated along channels, ShuffleNet's channel
// shuffle with a symbolic batch. Each in both builds against what PyTorch output and against
// onnxruntime on the same file, within 1e-4 of the largest output.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { relDiff } from '../src/cli/bench.js';
import { runOrt } from './ort.js';
import { parseNpy } from '../src/io/npy.js';
import { loadOnnx } from '../src/onnx/reader.js';
import { createEngine, type Engine } from '../src/runtime/engine.js';

const FIXTURES = new URL('./fixtures/onnx/', import.meta.url);
const read = (file: string) => new Uint8Array(readFileSync(new URL(file, FIXTURES)));
const { models } = JSON.parse(readFileSync(new URL('forms.json', FIXTURES), 'utf8')) as {
  models: Record<string, { file: string; dynamoFile: string; opset: number; input: number[]; dynamicBatch: boolean; op_types: Record<string, number> }>;
};
const TOLERANCE = 1e-4;

let engines: Engine[];
beforeAll(async () => { engines = await Promise.all((['simd', 'scalar'] as const).map((backend) => createEngine({ backend }))); });
afterAll(() => engines.forEach((e) => e.dispose()));

test('the fixtures carry the forms they are for', () => {
  const ops = (name: string) => models[name].op_types;
  expect(ops('expand_as_se').Expand).toBe(1);
  expect(models.opset18_se_mean.opset).toBe(18);
  for (const op of ['Pad', 'ConstantOfShape', 'Slice', 'AveragePool', 'LeakyRelu', 'PRelu', 'HardSigmoid', 'Clip', 'Softmax', 'Sub', 'Div']) {
    expect(ops('layers')[op], op).toBeGreaterThan(0);
  }
  expect(ops('inception_concat_se').Concat).toBe(1);
  expect(ops('shufflenet_shuffle').Transpose).toBe(1);
  expect(models.shufflenet_shuffle.dynamicBatch).toBe(true);
});

describe.each(Object.keys(models).flatMap((name) => [[name, models[name].file], [name, models[name].dynamoFile]]))('%s: %s', (name, file) => {
  const { input } = models[name];
  const bytes = read(file);
  const x = parseNpy(readFileSync(new URL(`forms_${name}.input.npy`, FIXTURES))).data as Float32Array;
  const torchOut = parseNpy(readFileSync(new URL(`forms_${name}.torch.npy`, FIXTURES))).data as Float32Array;

  test.each(['simd', 'scalar'])('%s build: PyTorch\'s output and onnxruntime\'s, within 1e-4 of the largest', async (backend) => {
    const engine = engines[backend === 'simd' ? 0 : 1];
    const s = engine.compile(loadOnnx(bytes), { batch: input[0], height: input[2], width: input[3] });
    const out = s.run(x);
    s.dispose();
    expect(relDiff(out, torchOut)).toBeLessThanOrEqual(TOLERANCE);
    expect(relDiff(out, await runOrt(bytes, x, input))).toBeLessThanOrEqual(TOLERANCE);
  });

  if (models[name].dynamicBatch) {
    test('a batch the file was not exported with (3), against onnxruntime', async () => {
      const shape = [3, ...input.slice(1)];
      const x3 = Float32Array.from({ length: shape.reduce((p, q) => p * q, 1) }, (_, i) => Math.sin(0.7 * i));
      const s = engines[0].compile(loadOnnx(bytes), { batch: 3, height: input[2], width: input[3] });
      const out = s.run(x3);
      s.dispose();
      expect(relDiff(out, await runOrt(bytes, x3, shape))).toBeLessThanOrEqual(TOLERANCE);
    });
  }
});
