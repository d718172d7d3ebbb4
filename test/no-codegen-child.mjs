// Run by test/no-codegen.test.ts under `node --disallow-code-generation-from-strings` (what edge
// runtimes and CSPs without 'unsafe-eval' impose): ONNX import and export through the built bundle.
// Reads jobs as JSON on stdin, writes the outputs as JSON on stdout.
// The web entry: what pages and edge runtimes load, its dependencies bundled in.
import { createEngine, loadOnnx } from '../dist/web.js';
import { saveOnnx } from '../dist/onnx-writer.js';
import { buildModel } from '../dist/models.js';
import { readFileSync } from 'node:fs';

const floats = (base64) => { const b = Buffer.from(base64, 'base64'); return new Float32Array(b.buffer, b.byteOffset, b.length / 4); };
const { fixtures, builtIn } = JSON.parse(readFileSync(0, 'utf8'));
const engine = await createEngine({ backend: 'simd', wasm: readFileSync(new URL('../dist/senet-simd.wasm', import.meta.url)) });
const run = (graph, [batch, , height, width], input) => {
  const session = engine.compile(graph, { batch, height, width });
  try {
    return Array.from(session.run(input));
  } finally {
    session.dispose();
  }
};

// The flag must hold here, or the test would prove nothing.
let codegen = 'allowed';
try {
  new Function('return 0');
} catch (e) {
  codegen = `${e.name}: ${e.message}`;
}

const out = { codegen, fixtures: {} };
for (const f of fixtures) out.fixtures[f.name] = run(loadOnnx(new Uint8Array(readFileSync(f.file)), { name: f.name }), f.dims, floats(f.input));
const graph = buildModel(builtIn.model, builtIn.options);
const saved = saveOnnx(graph, { height: builtIn.dims[2], width: builtIn.dims[3] });
const input = floats(builtIn.input);
out.builtIn = { direct: run(graph, builtIn.dims, input), readBack: run(loadOnnx(saved, { name: 'saved.onnx' }), builtIn.dims, input) };
process.stdout.write(JSON.stringify(out));
