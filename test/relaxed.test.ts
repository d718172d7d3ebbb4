// The relaxed-SIMD build (f32x4.relaxed_madd in the GEMM and depthwise micro-kernels), run in the
// vitest project that passes --experimental-wasm-relaxed-simd (vitest.config.ts): 'auto' picks it
// there; the PyTorch fixtures agree with onnxruntime and PyTorch, and small SE networks with the
// float64 reference, within the criterion every build meets (a fused multiply-add rounds once
// where mul + add rounds twice, so the last bits may differ from the SIMD build).
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { WasmError } from '../src/errors.js';
import { parseNpy } from '../src/io/npy.js';
import { buildResNet } from '../src/models/resnet.js';
import { buildModel } from '../src/models/index.js';
import { loadOnnx } from '../src/onnx/reader.js';
import { createEngine, type Engine } from '../src/runtime/engine.js';
import { relaxedSupported } from '../src/wasm/load.js';
import { runGraph } from './reference/graph.js';

const FIXTURES = new URL('./fixtures/onnx/', import.meta.url);
const fixture = (f: string) => new Uint8Array(readFileSync(new URL(f, FIXTURES)));
const relErr = (got: ArrayLike<number>, ref: ArrayLike<number>) => {
  let d = 0, m = 0;
  for (let i = 0; i < ref.length; i++) { d = Math.max(d, Math.abs(got[i] - ref[i])); m = Math.max(m, Math.abs(ref[i])); }
  expect(m).toBeGreaterThan(0);
  return d / m;
};

let relaxed: Engine, simd: Engine;
beforeAll(async () => {
  expect(relaxedSupported(), 'this project runs under --experimental-wasm-relaxed-simd').toBe(true);
  relaxed = await createEngine();
  simd = await createEngine({ backend: 'simd' });
});
afterAll(() => { relaxed.dispose(); simd.dispose(); });

test("'auto' picks the relaxed build where it validates; a SIMD module handed in as it is refused", async () => {
  expect(relaxed.backend).toBe('relaxed');
  const simdBytes = readFileSync(new URL('../build/senet-simd.wasm', import.meta.url));
  await expect(createEngine({ backend: 'relaxed', wasm: simdBytes })).rejects.toThrow(WasmError);
  await expect(createEngine({ backend: 'relaxed', wasm: simdBytes })).rejects.toThrow(/given as the relaxed build is the simd build/);
});

describe.each(['tiny_se_resnet_64px', 'mobilenet_v3_small_w025_96px', 'tiny_regnet_y_64px'])('%s', (name) => {
  test('against onnxruntime and PyTorch, and close to the SIMD build', () => {
    const input = parseNpy(fixture(`${name}.input.npy`));
    const [batch, , height, width] = input.shape;
    const run = (engine: Engine) => engine.compile(loadOnnx(fixture(`${name}.onnx`)), { batch, height, width }).run(input.data);
    const out = run(relaxed);
    for (const ref of ['ort', 'torch']) expect(relErr(out, parseNpy(fixture(`${name}.${ref}.npy`)).data), ref).toBeLessThanOrEqual(1e-4);
    expect(relErr(out, run(simd))).toBeLessThanOrEqual(1e-5);
  });
});

test.each([
  ['SE-ResNet (FC-style SE, residual)', buildResNet({ name: 'r', se: true, blocks: [1, 1, 1, 1], width: 8, classes: 10, reduction: 4, seed: 7 }), 32],
  ['MobileNetV3-Small (depthwise, 1x1-conv SE)', buildModel('mobilenet-v3-small', { seed: 3, classes: 10 }), 64],
] as const)('%s against the float64 reference', (_name, graph, size) => {
  const x = Float32Array.from({ length: 2 * 3 * size * size }, (_, i) => Math.sin(i * 0.37));
  const ref = runGraph(graph, x, [2, 3, size, size]);
  expect(relErr(relaxed.compile(graph, { batch: 2, height: size, width: size }).run(x), ref.data)).toBeLessThanOrEqual(1e-4);
});
