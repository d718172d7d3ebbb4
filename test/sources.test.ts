// Loading without a file system: loadOnnxFrom takes bytes, a fetch Response or a URL, as
// createEngine({ wasm }) does; under Node (the Node entry, test/setup.ts) file: URLs are read from
// disk, elsewhere every URL is fetched.
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, test } from 'vitest';
import { OnnxError, WasmError } from '../src/errors.js';
import { loadOnnxFrom } from '../src/onnx/source.js';
import { currentPlatform, setPlatform } from '../src/platform.js';
import { createEngine } from '../src/runtime/engine.js';

const MODEL = new URL('./fixtures/onnx/tiny_regnet_y_64px.onnx', import.meta.url);
const bytes = readFileSync(MODEL);
const x = Float32Array.from({ length: 3 * 64 * 64 }, (_, i) => Math.cos(i * 0.11));

describe('loadOnnxFrom', () => {
  test('bytes, an ArrayBuffer, a Response and a file URL give the same model', async () => {
    const engine = await createEngine({ backend: 'simd' });
    const sources = [
      bytes,
      bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
      new Response(bytes),
      MODEL,
    ];
    const outputs = [];
    for (const source of sources) outputs.push(engine.compile(await loadOnnxFrom(source), { height: 64, width: 64 }).run(x));
    for (const out of outputs) expect(out).toEqual(outputs[0]);
  });

  test('the graph is named after the URL\'s file, unless a name is given', async () => {
    expect((await loadOnnxFrom(MODEL)).name).toBe('tiny_regnet_y_64px'); // as loadOnnx names a file
    expect((await loadOnnxFrom(MODEL, { name: 'regnet' })).name).toBe('regnet');
  });

  test('a missing file and a failed fetch are OnnxErrors naming the model', async () => {
    const missing = new URL('./fixtures/onnx/missing.onnx', import.meta.url);
    await expect(loadOnnxFrom(missing)).rejects.toThrow(OnnxError);
    await expect(loadOnnxFrom(missing)).rejects.toThrow(/^missing\.onnx: cannot read file:.*missing\.onnx: ENOENT/);
    await expect(loadOnnxFrom(new Response('', { status: 404 }), { name: 'm.onnx' })).rejects.toThrow(/^m\.onnx: fetching the Response failed: HTTP 404/);
  });
});

describe('without the Node platform (browsers, workers, edge runtimes)', () => {
  const node = currentPlatform();
  afterEach(() => setPlatform(node));

  test('URLs are fetched: a file: URL is not read from disk, and the error names it', async () => {
    setPlatform({ wasmUrl: (backend) => new URL(`../build/senet-${backend}.wasm`, import.meta.url) });
    await expect(createEngine({ backend: 'scalar' })).rejects.toThrow(WasmError);
    await expect(createEngine({ backend: 'scalar' })).rejects.toThrow(/cannot read file:.*senet-scalar\.wasm: fetch failed/);
    // Bytes still work there: what a page or a worker passes when it has its own way to get them.
    const wasm = readFileSync(new URL('../build/senet-scalar.wasm', import.meta.url));
    expect((await createEngine({ backend: 'scalar', wasm })).backend).toBe('scalar');
  });
});
