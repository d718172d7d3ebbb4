// Cold start: from ONNX bytes in memory to the first result, each measurement in a fresh Node
// process (V8 has compiled nothing yet), against one steady-state run in that same process.
//   npm run bench:cold [-- --model se-resnet50 --processes 5 --steady 7 --backend simd]
// The parent exports the model once (seeded weights) and starts one child per measurement; each
// child times: engine (wasm instantiation), loadOnnx, compile (passes, plan, packing), first run,
// then `--steady` more runs (their median is the steady-state time).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { median } from '../src/cli/bench.js';
import { positiveInt } from '../src/options.js';
import { Random } from '../src/graph/random.js';
import { buildModel } from '../src/models/index.js';
import { loadOnnx } from '../src/onnx/reader.js';
import { saveOnnx } from '../src/onnx/writer.js';
import { createEngine } from '../src/node.js';
import type { Backend } from '../src/wasm/load.js';

const { values } = parseArgs({
  options: {
    model: { type: 'string', default: 'se-resnet50' },
    processes: { type: 'string', default: '5' },
    steady: { type: 'string', default: '7' },
    backend: { type: 'string', default: 'simd' },
    child: { type: 'string' },
  },
});
const PROCESSES = positiveInt('--processes', Number(values.processes), 5), STEADY_RUNS = positiveInt('--steady', Number(values.steady), 7);
const SIZE = 224;
const PHASES = ['engine', 'loadOnnx', 'compile', 'firstRun'] as const;
type Timing = Record<(typeof PHASES)[number] | 'steady', number>;

async function child(file: string): Promise<Timing> {
  const bytes = new Uint8Array(readFileSync(file));
  const input = new Random(1).fill(3 * SIZE * SIZE, (r) => r.normal());
  const marks = [performance.now()];
  const engine = await createEngine({ backend: values.backend as Backend });
  marks.push(performance.now());
  const graph = loadOnnx(bytes, { name: file });
  marks.push(performance.now());
  const session = engine.compile(graph, { batch: 1, height: SIZE, width: SIZE });
  marks.push(performance.now());
  session.run(input);
  marks.push(performance.now());
  const steady: number[] = [];
  for (let i = 0; i < STEADY_RUNS; i++) {
    const t0 = performance.now();
    session.run(input);
    steady.push(performance.now() - t0);
  }
  const t = Object.fromEntries(PHASES.map((p, i) => [p, marks[i + 1] - marks[i]])) as Timing;
  t.steady = median(steady);
  return t;
}

if (values.child) {
  console.log(JSON.stringify(await child(values.child)));
} else {
  const dir = mkdtempSync(join(tmpdir(), 'senet-cold-'));
  try {
    const file = join(dir, `${values.model}.onnx`);
    writeFileSync(file, saveOnnx(buildModel(values.model!, { seed: 0 })));
    const script = fileURLToPath(import.meta.url);
    const runs: Timing[] = [];
    for (let i = 0; i < PROCESSES; i++) {
      const out = execFileSync(process.execPath, [script, '--child', file, '--steady', values.steady!, '--backend', values.backend!], { encoding: 'utf8' });
      runs.push(JSON.parse(out));
    }
    const med = (f: (t: Timing) => number) => median(runs.map(f));
    const total = (t: Timing) => PHASES.reduce((a, p) => a + t[p], 0);
    console.log(`cold start, ${values.model} (ONNX bytes in memory -> first result), senet-${values.backend}, `
      + `${SIZE}x${SIZE} batch 1; medians over ${runs.length} fresh processes, Node ${process.version}`);
    for (const p of PHASES) console.log(`  ${p.padEnd(9)} ${med((t) => t[p]).toFixed(1).padStart(7)} ms`);
    console.log(`  ${'total'.padEnd(9)} ${med(total).toFixed(1).padStart(7)} ms`);
    console.log(`  ${'steady'.padEnd(9)} ${med((t) => t.steady).toFixed(1).padStart(7)} ms (median of ${values.steady} runs after the first)`);
    console.log(`  cold / steady: ${med((t) => total(t) / t.steady).toFixed(2)}x`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
