// Whole networks, senet-wasm (SIMD and scalar builds) against onnxruntime-web and TF.js
// (tfjs-backend-wasm), all on one thread (or --threads N: every engine asked for N; the report says
// what each got, and senet-simd also runs on one thread, interleaved, for the threads' speedup),
// the same weights and input, interleaved runs, medians:
//   npm run bench [-- --models a,b|paper --runs N --batch 1,8 --batch-runs N --size S --vs list|none --threads N --quick]
// Defaults: six models at 224x224, batch 1 (10 runs) and batch 8 (5 runs), both peers. --quick:
// batch 1 only, 5 runs. Writes bench/results/<date>.json and the chart bench/results/latest.svg,
// and measures the SE cost (SE-ResNet-50 time / ResNet-50 time) per engine, the two networks
// interleaved. The machines are shared and noisy: compare engines within one model's bench (they
// are interleaved), not across models or runs.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import {
  benchGraph, benchInput, createRunners, disposeRunners, formatBench, median, OutputMismatchError, parsePeers, SETTLE_RUNS,
  timeInterleaved, type BenchReport, type BenchRunner, type EngineName, type Peer,
  type BenchBuild,
} from '../src/cli/bench.js';
import { buildModel } from '../src/models/index.js';
import { measurePeak } from '../src/cli/peak.js';
import { relaxedSupported } from '../src/wasm/load.js';
import { groupedBarChartSvg } from './chart.js';

const MODELS = ['se-resnet50', 'se-resnext50-32x4d', 'resnet50', 'mobilenet-v3-large', 'mobilenet-v3-small', 'efficientnet-b0'];
const LABELS: Record<string, string> = {
  'se-resnet50': 'SE-ResNet-50', 'se-resnext50-32x4d': 'SE-ResNeXt-50', 'resnet50': 'ResNet-50',
  'mobilenet-v3-large': 'MobileNetV3-L', 'mobilenet-v3-small': 'MobileNetV3-S', 'efficientnet-b0': 'EfficientNet-B0',
  'senet154': 'SENet-154', 'bn-inception': 'BN-Inception', 'se-bn-inception': 'SE-BN-Inception',
  'inception-resnet-v2': 'Inc-ResNet-v2', 'se-inception-resnet-v2': 'SE-Inc-ResNet-v2', 'mobilenet-v1': 'MobileNet',
  'se-mobilenet-v1': 'SE-MobileNet', 'shufflenet-v1': 'ShuffleNet', 'se-shufflenet-v1': 'SE-ShuffleNet',
};
/** `--models paper`: the paper's other networks (not in the default list: SENet-154 alone takes minutes). */
const PAPER_MODELS = ['se-bn-inception', 'bn-inception', 'se-mobilenet-v1', 'mobilenet-v1', 'se-shufflenet-v1', 'shufflenet-v1',
  'se-inception-resnet-v2', 'inception-resnet-v2', 'senet154'];

const { values } = parseArgs({
  options: {
    models: { type: 'string', default: MODELS.join(',') },
    runs: { type: 'string' },
    batch: { type: 'string' },
    'batch-runs': { type: 'string' },
    size: { type: 'string', default: '224' },
    vs: { type: 'string', default: 'onnxruntime-web,tfjs-wasm' },
    // The relaxed build where this Node validates it (npm run bench passes Node 20 its flag).
    // simd-direct: the SIMD build without Winograd and Strassen (the A/B of them).
    backend: { type: 'string', default: relaxedSupported() ? 'relaxed,simd,simd-direct,scalar' : 'simd,simd-direct,scalar' },
    threads: { type: 'string', default: '1' },
    quick: { type: 'boolean', default: false },
  },
});

const positiveInt = (name: string, v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name}: expected a positive integer, got '${v}'`);
  return n;
};
const quick = values.quick!;
const runs = positiveInt('runs', values.runs ?? (quick ? '5' : '10'));
/** Runs at batch > 1 (8 images a run: fewer runs keep the whole bench within minutes). */
const batchRuns = positiveInt('batch-runs', values['batch-runs'] ?? String(Math.max(3, Math.ceil(runs / 2))));
const batches = (values.batch ?? (quick ? '1' : '1,8')).split(',').map((b) => positiveInt('batch', b));
const size = positiveInt('size', values.size!);
const threads = positiveInt('threads', values.threads!);
const peers: Peer[] = values.vs === 'none' ? [] : parsePeers(values.vs!);
const backends = values.backend!.split(',').map((b) => b.trim()) as BenchBuild[];
const models = values.models!.split(',').flatMap((m) => (m.trim() === 'paper' ? PAPER_MODELS : [m.trim()]));

console.log(`senet-wasm bench: ${models.join(', ')}; ${size}x${size}, batch ${batches.join(' and ')}; `
  + `engines: ${[...backends.map((b) => `senet-${b}`), ...peers].join(', ')}; ${threads === 1 ? 'one thread' : `${threads} threads asked`} each; `
  + `medians of ${runs} interleaved runs (${batchRuns} at batch > 1); Node ${process.version}, ${cpus()[0]?.model ?? 'unknown CPU'}\n`);

const peakGflops = { simd: await measurePeak('simd'), scalar: await measurePeak('scalar') };
console.log(`peak probe (bench/peak): SIMD ${peakGflops.simd.toFixed(1)} GFLOP/s, scalar ${peakGflops.scalar.toFixed(1)} GFLOP/s\n`);
const reports: BenchReport[] = [];
const errors: { model: string; batch: number; message: string }[] = [];
for (const name of models) {
  const graph = buildModel(name, { seed: 0 });
  for (const batch of batches) {
    try {
      const report = await benchGraph(graph, { backends, peers, runs: batch > 1 ? batchRuns : runs, size, batch, peakGflops: peakGflops.simd, threads, oneThreadBaseline: true });
      console.log(formatBench(report) + '\n');
      reports.push(report);
    } catch (e) {
      if (!(e instanceof OutputMismatchError)) throw e;
      // Loud, and the other models still run; the exit code says it failed.
      console.error(`\n*** FAIL: ${e.message}\n`);
      errors.push({ model: name, batch, message: e.message });
      process.exitCode = 1;
    }
  }
}

// The SE cost: SE-ResNet-50 time over ResNet-50 time per engine and batch. The two networks run
// interleaved in one loop (SE A, plain A, SE B, plain B, ..., then the reverse order in the next
// round) and the ratio is the median of the per-round ratios, so that load from other processes
// cancels; the order alternates so that neither network always runs right after another engine
// (what a run leaves in the caches then favours neither). The scalar build is left out (it is 4x slower and
// this is about the SE blocks, not the GEMM).
const seCost: { batch: number; engine: EngineName; seMs: number; plainMs: number; ratio: number }[] = [];
if (models.includes('se-resnet50') && models.includes('resnet50')) {
  const graphs = [buildModel('se-resnet50', { seed: 0 }), buildModel('resnet50', { seed: 0 })];
  for (const batch of batches) {
    const dims = { batch, height: size, width: size };
    const sets: BenchRunner[][] = [];
    try {
      for (const g of graphs) sets.push(await createRunners(g, dims, backends.filter((b) => b === 'simd'), peers, undefined, undefined, threads));
      const pairs = sets[0].flatMap((r, i) => [r, sets[1][i]]);
      const input = benchInput(graphs[0], dims);
      for (let w = 0; w < 2; w++) for (const r of pairs) await r.run(input);
      const times = await timeInterleaved(pairs, pairs.map(() => input), batch > 1 ? batchRuns : runs, true, undefined, threads > 1 ? SETTLE_RUNS : 0);
      sets[0].forEach((r, i) => {
        const [se, plain] = [times[2 * i], times[2 * i + 1]];
        seCost.push({ batch, engine: r.engine, seMs: median(se), plainMs: median(plain), ratio: median(se.map((t, k) => t / plain[k])) });
      });
    } finally {
      for (const set of sets) await disposeRunners(set);
    }
  }
  console.log('SE cost: SE-ResNet-50 time / ResNet-50 time, interleaved, median of per-round ratios '
    + '(the paper counts 3.87 / 3.86 GFLOPs: +0.26%)');
  for (const c of seCost) {
    console.log(`  batch ${c.batch}  ${c.engine.padEnd(16)} ${c.ratio.toFixed(3)}   (${c.seMs.toFixed(1)} / ${c.plainMs.toFixed(1)} ms)`);
  }
  console.log('');
}

// Summary: median ms per model, engine and batch; an engine on other than the threads asked (the
// one-thread senet-simd beside a threaded bench) is its own column.
const column = (x: BenchReport['results'][number]) => (x.threads === threads ? x.engine : `${x.engine} (${x.threads} thr.)`);
const engines = [...new Set(reports.flatMap((r) => r.results.map(column)))];
for (const batch of batches) {
  const rows = reports.filter((r) => r.batch === batch);
  if (!rows.length) continue;
  console.log(`batch ${batch}: median ms (GFLOP/s)`);
  console.log(`  ${'model'.padEnd(16)}${engines.map((e) => e.padStart(20)).join('')}`);
  for (const r of rows) {
    const cells = engines.map((e) => {
      const x = r.results.find((y) => column(y) === e);
      return (x ? `${x.medianMs.toFixed(1)} (${x.gflops.toFixed(1)})` : '-').padStart(20);
    });
    console.log(`  ${(LABELS[r.model] ?? r.model).padEnd(16)}${cells.join('')}`);
  }
  console.log('');
}

// From bench/run.ts and from its bundle dist/bench.js alike: the project's bench/results/.
const dir = new URL('../bench/results/', import.meta.url);
mkdirSync(dir, { recursive: true });
const date = new Date().toISOString();
const file = new URL(`${date.slice(0, 19).replace(/:/g, '-')}.json`, dir);
const versions = Object.fromEntries(reports.flatMap((r) => r.results.filter((x) => x.version).map((x) => [x.engine, x.version])));
writeFileSync(file, JSON.stringify({
  date, node: process.version, v8: process.versions.v8, cpu: cpus()[0]?.model, cores: cpus().length,
  options: { models, size, batches, runs, batchRuns, backends, peers, threads }, versions,
  peakGflops, reports, seCost, errors,
}, null, 2) + '\n');
console.log(`results: ${file.pathname}`);

if (reports.length) {
  const svg = groupedBarChartSvg(batches.map((batch) => ({
    title: `batch ${batch}, ${size}x${size}`,
    groups: reports.filter((r) => r.batch === batch).map((r) => ({
      label: LABELS[r.model] ?? r.model,
      values: Object.fromEntries(r.results.map((x) => [column(x), x.medianMs])),
    })),
  })).filter((p) => p.groups.length), {
    title: `Median latency, ${threads === 1 ? 'one thread' : `${threads} threads`} (${date.slice(0, 10)}, Node ${process.version}; lower is better)`,
    series: engines,
    unit: 'median ms (log scale)',
  });
  const chart = new URL('latest.svg', dir);
  writeFileSync(chart, svg);
  console.log(`chart: ${chart.pathname}`);
}
if (errors.length) console.error(`\n${errors.length} bench(es) FAILED: outputs disagree (see above)`);
