// Whole networks in both builds: `npm run bench [-- --runs N --size S --models a,b]`.
// Writes bench/results/<date>.json; report ratios from one run (the machines are shared and noisy).
import { mkdirSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { benchGraph, formatBench } from '../src/cli/bench.js';
import { buildModel } from '../src/models/index.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '10' },
    size: { type: 'string', default: '224' },
    batch: { type: 'string', default: '1' },
    models: { type: 'string', default: 'se-resnet50,resnet50,se-resnext50-32x4d' },
  },
});
const reports = [];
for (const name of values.models!.split(',')) {
  const report = await benchGraph(buildModel(name, { seed: 0 }), {
    backends: ['simd', 'scalar'], runs: Number(values.runs), size: Number(values.size), batch: Number(values.batch),
  });
  console.log(formatBench(report) + '\n');
  reports.push(report);
}
const dir = new URL('./results/', import.meta.url);
mkdirSync(dir, { recursive: true });
const file = new URL(`${new Date().toISOString().slice(0, 19).replace(/:/g, '-')}.json`, dir);
writeFileSync(file, JSON.stringify({ node: process.version, reports }, null, 2));
console.log(`results: ${file.pathname}`);
