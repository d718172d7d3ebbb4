// What the op table's choice of Winograd filter layout (src/ops/table.ts: winogradPoints) rests on:
// one model compiled with its f32 filters 'packed' (transformed once), 'per-block' (3x3 panels
// transformed by each block of tiles) and 'auto' (the table's choice), profiled in alternating
// order in one process; each Winograd conv's median ms inside the network (its weights streaming
// as in a real run), the packed layout's time over the per-block one, and the whole network's
// time with each. The outputs must be bitwise equal (one transform, the same float32 operations).
//   npm run bench:winograd-layout [-- --model resnet50 --batch 1 --rounds 6]
import { parseArgs } from 'node:util';
import { median } from '../src/cli/bench.js';
import { positiveInt } from '../src/options.js';
import { Random } from '../src/graph/random.js';
import { buildModel } from '../src/models/index.js';
import { inferShapes } from '../src/graph/shapes.js';
import { createEngine } from '../src/node.js';

const { values } = parseArgs({
  options: {
    model: { type: 'string', default: 'resnet50' },
    batch: { type: 'string', default: '1' },
    rounds: { type: 'string', default: '6' },
  },
});
const BATCH = positiveInt('--batch', Number(values.batch), 1), ROUNDS = positiveInt('--rounds', Number(values.rounds), 6);
const LAYOUTS = ['packed', 'per-block', 'auto'] as const;

const engine = await createEngine({ backend: 'simd' });
try {
  const graph = buildModel(values.model!);
  const sessions = LAYOUTS.map((winogradFilters) => engine.compile(graph, { batch: BATCH }, { winogradFilters }));
  const input = new Random(1).fill(BATCH * graph.input.channels * 224 * 224, (r) => r.normal());
  const [a, ...others] = sessions.map((s) => s.run(input).slice());
  if (others.some((b) => !a.every((v, i) => Object.is(v, b[i])))) throw new Error('the layouts gave different outputs');
  const times = LAYOUTS.map(() => new Map<string, number[]>());
  const totals = LAYOUTS.map(() => [] as number[]);
  for (let r = 0; r < ROUNDS; r++) {
    for (const i of r % 2 ? [2, 1, 0] : [0, 1, 2]) {
      const { steps } = sessions[i].profile(input, 5);
      totals[i].push(steps.reduce((t, s) => t + s.ms, 0));
      for (const s of steps.filter((st) => st.algorithm?.startsWith('winograd'))) {
        times[i].set(s.name, [...(times[i].get(s.name) ?? []), s.ms]);
      }
    }
  }
  console.log(`${values.model}, batch ${BATCH}, SIMD build, ${ROUNDS} rounds of 5 profiled runs; weights ` +
    sessions.map((s, i) => `${LAYOUTS[i]} ${(s.stats.weightBytes / 1e6).toFixed(1)} MB`).join(', '));
  console.log('conv (input shape)            packed ms  per-block ms  packed / per-block  (auto)');
  const shapes = inferShapes(sessions[0].graph, { batch: BATCH, height: 224, width: 224 });
  const inputOf = new Map(sessions[0].graph.nodes.map((n) => [n.name, shapes.get(n.inputs[0])!]));
  const chosen = new Map(sessions[2].profile(input, 1).steps.map((s) => [s.name, s.algorithm]));
  for (const [name, ms] of times[0]) {
    const p = median(ms), q = median(times[1].get(name)!);
    const label = `${name} [${inputOf.get(name)}]`;
    console.log(`${label.padEnd(30)} ${p.toFixed(3).padStart(9)} ${q.toFixed(3).padStart(13)} ${(p / q).toFixed(2).padStart(19)}  ${chosen.get(name)}`);
  }
  console.log('whole network: ' + LAYOUTS.map((l, i) => `${l} ${median(totals[i]).toFixed(2)} ms`).join(', '));
  sessions.forEach((s) => s.dispose());
} finally {
  engine.dispose();
}
