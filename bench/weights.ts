// int8 and fp16 weights against fp32, per model: each format in its own engine (so each engine's
// wasm memory is that format's), the three sessions timed interleaved in one process on the same
// input, with the op table's algorithms (Winograd for 3x3 convs in every format). Prints per model
// and format: median ms and its ratio to fp32, wasm memory, the ONNX file's size (as `export
// --weights` writes it: BatchNorm folded for int8 and fp16) and the output error
// max |y - y_fp32| / max |y_fp32|. Writes bench/results/weights-<date>.json.
// `npm run bench:weights [-- --models a,b --runs N --size S --backend simd|relaxed|scalar]`
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { positiveInt } from '../src/options.js';
import { benchInput, median, relDiff, timeInterleaved } from '../src/cli/bench.js';
import { forStorage } from '../src/graph/passes/index.js';
import { WEIGHT_FORMATS } from '../src/graph/storage.js';
import { buildModel } from '../src/models/index.js';
import { saveOnnx } from '../src/onnx/writer.js';
import { createEngine } from '../src/node.js';
import type { Backend } from '../src/wasm/load.js';

const { values } = parseArgs({
  options: {
    models: { type: 'string', default: 'se-resnet50,se-resnext50-32x4d,mobilenet-v3-large,mobilenet-v3-small,efficientnet-b0' },
    runs: { type: 'string', default: '11' },
    size: { type: 'string', default: '224' },
    backend: { type: 'string', default: 'simd' },
  },
});
const runs = positiveInt('--runs', Number(values.runs), 11), size = positiveInt('--size', Number(values.size), 224);
const backend = values.backend as Backend; // createEngine checks it
const MB = 1e6;
console.log(`weights: ${backend} build, batch 1, ${size}x${size}, medians of ${runs} interleaved runs; Node ${process.version}, ${cpus()[0]?.model}`);
console.log(`  ${'model'.padEnd(20)} ${'format'.padEnd(6)} ${'ms'.padStart(8)} ${'x fp32'.padStart(7)} ${'memory MB'.padStart(10)} ${'file MB'.padStart(8)} ${'file %'.padStart(7)} ${'error'.padStart(8)}`);
const rows: { model: string; format: string; medianMs: number; ratio: number; memoryBytes: number; fileBytes: number; fileShare: number; error: number }[] = [];
for (const name of values.models!.split(',')) {
  const graph = buildModel(name, { seed: 0 });
  const dims = { batch: 1, height: size, width: size };
  const engines = await Promise.all(WEIGHT_FORMATS.map(() => createEngine({ backend })));
  const sessions = WEIGHT_FORMATS.map((weights, i) => engines[i].compile(graph, dims, { weights }));
  const input = benchInput(graph, dims);
  const outputs = sessions.map((s) => s.run(input).slice());
  for (const s of sessions) s.run(input); // V8's optimised tier for every path
  const times = await timeInterleaved(sessions, sessions.map(() => input), runs, true);
  const files = WEIGHT_FORMATS.map((weights) => saveOnnx(forStorage(graph, weights), { height: size, width: size, weights }).length);
  WEIGHT_FORMATS.forEach((format, i) => {
    const row = {
      model: name, format, medianMs: median(times[i]), ratio: median(times[i]) / median(times[0]),
      memoryBytes: engines[i].memoryBytes, fileBytes: files[i], fileShare: files[i] / files[0], error: relDiff(outputs[i], outputs[0]),
    };
    rows.push(row);
    console.log(`  ${name.padEnd(20)} ${format.padEnd(6)} ${row.medianMs.toFixed(1).padStart(8)} ${row.ratio.toFixed(2).padStart(6)}x `
      + `${(row.memoryBytes / MB).toFixed(1).padStart(10)} ${(row.fileBytes / MB).toFixed(1).padStart(8)} ${(100 * row.fileShare).toFixed(1).padStart(6)}% `
      + `${i ? row.error.toExponential(1).padStart(8) : ''}`);
  });
  for (const e of engines) e.dispose();
}
const dir = new URL('../bench/results/', import.meta.url);
mkdirSync(dir, { recursive: true });
const date = new Date().toISOString();
const file = new URL(`weights-${date.slice(0, 19).replace(/:/g, '-')}.json`, dir);
writeFileSync(file, JSON.stringify({ date, node: process.version, cpu: cpus()[0]?.model, backend, size, runs, rows }, null, 2) + '\n');
console.log(`results: ${file.pathname}`);
