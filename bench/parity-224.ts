// senet-wasm against onnxruntime at 224x224, batch 1: each model is built (seeded random
// weights), exported with saveOnnx, run by onnxruntime-node (CPU) and by both senet-wasm builds on
// the same input. Prints, per model and build, max |senet-wasm - ort| / max |ort| and the median
// time of each side (senet-wasm is one thread; ort is timed with 1 thread and with its default).
// With --weights int8|fp16 the file stores its weights so (saveOnnx's weights) and senet-wasm runs
// that file as read back (Winograd where a call has the tiles to pay for transforming its filters).
// The SIMD build also runs with Winograd off and with each tile forced on every 3x3 stride-1 conv
// (rows 'simd off', 'simd F(2,3)', 'simd F(4,3)'): the error each tile adds.
// `npm run parity:224 [-- --runs N --models a,b --classes K --seed S --weights int8 --winograd off,2,4]`
import { parseArgs } from 'node:util';
import * as ort from 'onnxruntime-node';
import { maxAbs, median, relDiff } from '../src/cli/bench.js';
import { Random } from '../src/graph/random.js';
import { buildModel } from '../src/models/index.js';
import { loadOnnx } from '../src/onnx/reader.js';
import { saveOnnx } from '../src/onnx/writer.js';
import { checkWeightFormat } from '../src/graph/storage.js';
import { positiveInt } from '../src/options.js';
import { createEngine } from '../src/node.js';
import type { Backend } from '../src/wasm/load.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    models: { type: 'string', default: 'se-resnet50,se-resnext50-32x4d,mobilenet-v3-large,mobilenet-v3-small,efficientnet-b0' },
    classes: { type: 'string', default: '1000' },
    seed: { type: 'string', default: '0' },
    weights: { type: 'string' },
    winograd: { type: 'string', default: 'off,2,4' },
  },
});
const weights = checkWeightFormat(values.weights, '--weights');
const RUNS = positiveInt('--runs', Number(values.runs), 5), SIZE = 224;
/** Each row: a build and its compile option winograd (true: the op table's choice). */
const ROWS: { label: string; backend: Backend; winograd: boolean | 2 | 4 }[] = [
  { label: 'simd', backend: 'simd', winograd: true },
  { label: 'scalar', backend: 'scalar', winograd: true },
  ...values.winograd!.split(',').filter(Boolean).map((w) => (w === 'off'
    ? { label: 'simd off', backend: 'simd' as Backend, winograd: false }
    : { label: `simd F(${w},3)`, backend: 'simd' as Backend, winograd: Number(w) as 2 | 4 })),
];
const BACKENDS: Backend[] = ['simd', 'scalar'];
const dims = { batch: 1, height: SIZE, width: SIZE };

async function time(f: () => unknown | Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await f();
  return performance.now() - t0;
}

const engines = await Promise.all(BACKENDS.map((backend) => createEngine({ backend })));
const input = new Random(1).fill(3 * SIZE * SIZE, (r) => r.normal());
const feeds = (s: ort.InferenceSession) => ({ [s.inputNames[0]]: new ort.Tensor('float32', input, [1, 3, SIZE, SIZE]) });

console.log(`parity at ${SIZE}x${SIZE}, batch 1, seed ${values.seed}, ${values.classes} classes, weights ${weights ?? 'fp32'}; onnxruntime-node ${ort.env.versions.node} (CPU),`
  + ` Node ${process.version}; medians of ${RUNS} interleaved runs after one warm-up`);
console.log(`${'model'.padEnd(20)} ${'build'.padEnd(12)} ${'max|err|/max|ort|'.padStart(17)} ${'max|ort|'.padStart(9)} `
  + `${'senet ms'.padStart(9)} ${'ort ms 1T'.padStart(10)} ${'ort ms'.padStart(8)}`);
let worst = 0;
for (const name of values.models!.split(',')) {
  const built = buildModel(name, { seed: Number(values.seed), classes: positiveInt('--classes', Number(values.classes), 1000) });
  const bytes = saveOnnx(built, { weights });
  const graph = weights ? loadOnnx(bytes, { name }) : built;
  const ortOne = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1, interOpNumThreads: 1 });
  const ortAll = await ort.InferenceSession.create(bytes);
  const ref = (await ortOne.run(feeds(ortOne)))[ortOne.outputNames[0]].data as Float32Array;
  const refAll = (await ortAll.run(feeds(ortAll)))[ortAll.outputNames[0]].data as Float32Array;
  const sessions = ROWS.map((r) => engines[BACKENDS.indexOf(r.backend)].compile(graph, dims, { winograd: r.winograd }));
  const outputs = sessions.map((s) => s.run(input).slice());
  const times = { one: [] as number[], all: [] as number[], senet: sessions.map(() => [] as number[]) };
  for (let r = 0; r < RUNS; r++) {
    times.one.push(await time(() => ortOne.run(feeds(ortOne))));
    times.all.push(await time(() => ortAll.run(feeds(ortAll))));
    for (const [i, s] of sessions.entries()) times.senet[i].push(await time(() => s.run(input)));
  }
  const scale = maxAbs(ref);
  ROWS.forEach(({ label }, i) => {
    const rel = relDiff(outputs[i], ref);
    worst = Math.max(worst, rel);
    console.log(`${(i ? '' : name).padEnd(20)} ${label.padEnd(12)} ${rel.toExponential(2).padStart(17)} ${scale.toPrecision(4).padStart(9)} `
      + `${median(times.senet[i]).toFixed(1).padStart(9)} ${(i ? '' : median(times.one).toFixed(1)).padStart(10)} ${(i ? '' : median(times.all).toFixed(1)).padStart(8)}`);
  });
  const ortSelf = relDiff(refAll, ref);
  if (ortSelf > 0) console.log(`${''.padEnd(20)} (ort 1 thread vs default threads: ${ortSelf.toExponential(2)})`);
  sessions.forEach((s) => s.dispose());
  await ortOne.release();
  await ortAll.release();
}
engines.forEach((e) => e.dispose());
console.log(`worst: ${worst.toExponential(2)} (criterion 1e-4) ${worst <= 1e-4 ? 'OK' : 'FAIL'}`);
if (!(worst <= 1e-4)) process.exitCode = 1;
