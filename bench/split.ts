// How far threads can take each network: from a one-thread profile (SIMD build, one process), the
// share of the time in steps a 2-thread session splits (each of its steps run alone with the
// pool's split ops counted: src/runtime/split.ts decides; a step with any split counts whole, as
// an SE block whose scale splits and FCs do not: an upper bound), the split ops per inference, the best
// speedup Amdahl's law leaves at 2, 4 and 8 threads with perfect splits, and the measured cost of
// an empty split op on 2 threads (the barrier: back to back, and after the worker slept).
// `npm run bench:split [-- --models a,b --size S --runs N]`
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { positiveInt } from '../src/options.js';
import { benchInput, median } from '../src/cli/bench.js';
import { buildModel } from '../src/models/index.js';
import { createEngine } from '../src/node.js';
import type { Pool } from '../src/runtime/pool.js';

const { values } = parseArgs({
  options: {
    models: { type: 'string', default: 'se-resnet50,se-resnext50-32x4d,mobilenet-v3-large,mobilenet-v3-small,efficientnet-b0' },
    size: { type: 'string', default: '224' },
    runs: { type: 'string', default: '11' },
  },
});
const size = positiveInt('--size', Number(values.size), 224), runs = positiveInt('--runs', Number(values.runs), 11);
console.log(`split: SIMD build, batch 1, ${size}x${size}, one-thread profile medians of ${runs} runs; ${cpus()[0]?.model}, ${cpus().length} cores`);
console.log(`  ${'model'.padEnd(20)} ${'split ops'.padStart(9)} ${'split share'.padStart(11)} ${'Amdahl 2 / 4 / 8 threads'.padStart(26)}`);
for (const name of values.models!.split(',')) {
  const graph = buildModel(name, { seed: 0 });
  const dims = { batch: 1, height: size, width: size };
  const engine = await createEngine({ backend: 'simd' });
  const session = engine.compile(graph, dims);
  const x = benchInput(graph, dims);
  for (let i = 0; i < 2; i++) session.run(x);
  const { steps } = session.profile(x, runs);
  engine.dispose();
  // The same plan on 2 threads, each step's call run alone (the session's private calls, in plan
  // order, after one whole run placed an input) with the pool's split ops counted around it.
  const two = await createEngine({ backend: 'simd', threads: 2 });
  const pool = (two as unknown as { pool: Pool }).pool;
  let ops = 0;
  const run = pool.run.bind(pool);
  pool.run = (kernel, args, scratch) => { ops++; run(kernel, args, scratch); };
  const threaded = two.compile(graph, dims);
  threaded.run(x);
  const counts = (threaded as unknown as { calls: (() => void)[] }).calls.map((call) => { const before = ops; call(); return ops - before; });
  two.dispose();
  if (counts.length !== steps.length) throw new Error(`${name}: ${counts.length} steps on 2 threads, ${steps.length} on one`);
  const total = steps.reduce((s, st) => s + st.ms, 0);
  const share = steps.reduce((s, st, i) => s + (counts[i] ? st.ms : 0), 0) / total;
  const amdahl = (p: number) => 1 / (1 - share + share / p);
  console.log(`  ${name.padEnd(20)} ${String(counts.reduce((a, b) => a + b, 0)).padStart(9)} ${(100 * share).toFixed(1).padStart(10)}% `
    + `${[2, 4, 8].map((p) => `${amdahl(p).toFixed(2)}x`).join(' / ').padStart(26)}`);
}

// The barrier: conv2d_f32_part over empty ranges on both threads.
const engine = await createEngine({ backend: 'simd', threads: 2 });
if (engine.threads < 2) throw new Error('the barrier needs 2 threads: this machine or runtime gives 1');
const pool = (engine as unknown as { pool: Pool }).pool;
// input, output, weights, zero, batch, inH, inW, inC, outH, outW, outC, kH, kW, sH, sW, pT, pL, dH, dW,
// groups, act, outStride, format, scratch, then empty pixel and panel ranges.
const empty = Int32Array.of(0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1, 0, 1, 0, 0, 0, 0, 0, 0);
const time = (gapMs: number) => {
  const t: number[] = [];
  for (let i = 0; i < 200; i++) {
    if (gapMs) { const until = performance.now() + gapMs; while (performance.now() < until); }
    const t0 = performance.now();
    pool.run('conv2d_f32_part', [empty, empty]);
    t.push(performance.now() - t0);
  }
  return median(t) * 1000;
};
console.log(`barrier (an empty split op on 2 threads, median of 200): back to back ${time(0).toFixed(1)} us, `
  + `after 0.2 ms ${time(0.2).toFixed(1)} us, after 3 ms (the worker asleep) ${time(3).toFixed(1)} us`);
engine.dispose();
