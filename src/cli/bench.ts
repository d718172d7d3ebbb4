// Whole-network timing: every engine on the same weights and input, interleaved run by run
// (A B C D A B C D ...) so that a noisy neighbour slows all engines alike; warm-up first, then
// medians, GFLOP/s, the share of the SIMD GEMM peak and ratios. Engines: the senet-wasm builds
// and, with `peers`, onnxruntime-web (wasm backend) and TF.js (tfjs-backend-wasm), both on one
// thread. Before any timing, every engine's output is checked against the reference's
// (senet-simd when it runs): a mismatch throws, since a timing of a wrong computation means nothing.
//
// The peers are devDependencies: their modules (bench/peers/) import the packages with dynamic
// `import()` only when asked for, so the CLI works without them and says what is missing.
import { existsSync } from 'node:fs';
import { OptionError, SenetError } from '../errors.js';
import { complexity } from '../graph/complexity.js';
import type { Graph, InputDims } from '../graph/ir.js';
import type { WeightFormat } from '../graph/storage.js';
import { Random } from '../graph/random.js';
import { createEngine } from '../node.js';
import type { Backend } from '../wasm/load.js';
import { progress } from './progress.js';

export const PEERS = ['onnxruntime-web', 'tfjs-wasm'] as const;
export type Peer = (typeof PEERS)[number];
/** A senet-wasm engine: a build, or 'simd-direct': the SIMD build with the direct algorithms only ({ winograd: false, strassen: false }: the A/B of both). */
export type BenchBuild = Backend | 'simd-direct';
export const BENCH_BUILDS: readonly BenchBuild[] = ['relaxed', 'simd', 'simd-direct', 'scalar'];

/** The engine's backend and compile's `winograd` and `strassen` for a bench build. */
export const buildSettings = (build: BenchBuild): { backend: Backend; winograd: boolean; strassen: boolean } =>
  build === 'simd-direct' ? { backend: 'simd', winograd: false, strassen: false } : { backend: build, winograd: true, strassen: true };
export type EngineName = `senet-${BenchBuild}` | Peer;

/** Outputs may differ by at most this much of the reference's largest magnitude. */
export const AGREEMENT_TOLERANCE = 1e-3;

/** One engine ready to run the graph: NCHW float32 in, NCHW (or [N, K]) float32 out. */
export interface BenchRunner {
  engine: EngineName;
  /** The peer's version, for reports. */
  version?: string;
  run(input: Float32Array): Float32Array | Promise<Float32Array>;
  dispose(): void | Promise<void>;
  /** Threads it runs on (absent: 1). */
  threads?: number;
}

export interface BenchResult {
  engine: EngineName;
  /** Threads the engine ran on. */
  threads: number;
  medianMs: number;
  gflops: number;
  /** gflops over the measured SIMD peak (src/cli/peak.ts), when the bench was given it. */
  peakFraction?: number;
  runsMs: number[];
  /** max |output - reference output| / max |reference output| (absent for the reference). */
  maxRelDiff?: number;
  version?: string;
}

export interface BenchReport {
  model: string;
  batch: number;
  size: number;
  macs: number;
  /** The engine whose output the others are compared with. */
  reference: EngineName;
  results: BenchResult[];
  /** The largest maxRelDiff over the engines (kept for callers of the two-build bench). */
  maxRelDiff?: number;
}

export interface BenchOptions {
  backends: BenchBuild[];
  /** Peer engines to run beside the senet-wasm builds (devDependencies, loaded on demand). */
  peers?: Peer[];
  /** Makes the peers' runners; default: the bundled bench peers beside the CLI. */
  peerRunner?: PeerRunnerFactory;
  runs: number;
  /** Untimed runs of each engine before timing (the first gives the compared output). Default 1, 2 with peers. */
  warmup?: number;
  size: number;
  batch: number;
  /** Default AGREEMENT_TOLERANCE. */
  tolerance?: number;
  /** The SIMD peak measured on this machine (measurePeak), to print each engine's share of it. */
  peakGflops?: number;
  /** How the senet-wasm builds keep their weights (compile option weights). */
  weights?: WeightFormat;
  /** Threads of every engine (createEngine's threads; the peers' own settings). Default 1. */
  threads?: number;
  /**
   * With threads > 1: senet-simd on one thread too, interleaved with the others, so that the
   * threads' speedup is a ratio from one run (the peers cannot: their thread count is fixed per
   * process).
   */
  oneThreadBaseline?: boolean;
}

/** A bench whose engines disagree: the message names each engine over the tolerance. */
export class OutputMismatchError extends SenetError {
  constructor(message: string, readonly diffs: Partial<Record<EngineName, number>>) {
    super('mismatch', message);
  }
}

/** `--vs onnxruntime-web,tfjs-wasm`: throws OptionError naming an unknown peer. */
export function parsePeers(list: string): Peer[] {
  const names = list.split(',').map((s) => s.trim()).filter(Boolean);
  for (const n of names) {
    if (!(PEERS as readonly string[]).includes(n)) throw new OptionError(`unknown peer '${n}'; peers: ${PEERS.join(', ')}`);
  }
  return [...new Set(names)] as Peer[];
}

export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

export function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}

/** max |a - b| / max |b|; Infinity for different lengths or a NaN anywhere. */
export function relDiff(a: ArrayLike<number>, ref: ArrayLike<number>): number {
  if (a.length !== ref.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - ref[i]);
    if (!(d <= m)) m = Number.isNaN(d) ? Infinity : d;
  }
  const scale = maxAbs(ref);
  return m === 0 ? 0 : scale > 0 ? m / scale : Infinity;
}

/** Makes a peer's runner: bench/peers/index.ts. */
/** Makes a peer's runner on `threads` threads (the runner's `threads` says what it got). */
export type PeerRunnerFactory = (peer: Peer, graph: Graph, dims: InputDims, threads: number) => Promise<BenchRunner>;

// The peers are bench code (bench/peers/, bundled as dist/bench-peers.js beside the CLI by
// scripts/build.mjs), which the package does not ship: imported by a path computed at run time,
// so esbuild leaves it out of the CLI bundle, and only when a peer is asked for.
const PEERS_BUNDLE = new URL('./bench-peers.js', import.meta.url);

const bundledPeerRunner: PeerRunnerFactory = async (peer, graph, dims, threads) => {
  if (!existsSync(PEERS_BUNDLE)) {
    throw new OptionError(`--vs ${peer}: the peer engines are bench code, not in the installed package; run the bench from a `
      + 'source checkout of senet-wasm, where npm ci installs onnxruntime-web, @tensorflow/tfjs-core and @tensorflow/tfjs-backend-wasm');
  }
  const { createPeerRunner } = await import(PEERS_BUNDLE.href) as { createPeerRunner: PeerRunnerFactory };
  return createPeerRunner(peer, graph, dims, threads);
};

/**
 * The engines for one graph: senet-wasm builds first, then peers (made by `peerRunner`, default:
 * dist/bench-peers.js beside this bundle); `dispose` frees them all.
 */
export async function createRunners(graph: Graph, dims: InputDims, backends: BenchBuild[], peers: Peer[] = [],
  peerRunner = bundledPeerRunner, weights?: WeightFormat, threads = 1): Promise<BenchRunner[]> {
  const runners: BenchRunner[] = [];
  try {
    for (const backend of backends) {
      const { backend: build, winograd, strassen } = buildSettings(backend);
      const engine = await createEngine({ backend: build, threads });
      let session;
      try {
        session = engine.compile(graph, dims, { winograd, strassen, weights });
      } catch (e) {
        engine.dispose();
        throw e;
      }
      runners.push({
        engine: `senet-${backend}`,
        threads: engine.threads,
        run: (x) => session.run(x),
        dispose: () => { session.dispose(); engine.dispose(); },
      });
    }
    for (const peer of peers) runners.push(await peerRunner(peer, graph, dims, threads));
  } catch (e) {
    await disposeRunners(runners);
    throw e;
  }
  return runners;
}

export async function disposeRunners(runners: BenchRunner[]): Promise<void> {
  for (const r of runners) await r.dispose();
}

/** The bench input: seeded normal values, NCHW. */
export const benchInput = (graph: Graph, dims: InputDims): Float32Array =>
  new Random(1).fill(dims.batch * graph.input.channels * dims.height * dims.width, (r) => r.normal());

/**
 * Untimed runs before each timed run of a bench with threads (benchGraph): a threaded engine's
 * first run after another threaded engine's is slowed by it (onnxruntime-web's pool threads take
 * a core from senet-wasm's worker for ~1 ms at every split op: MobileNetV3-Small on 2 threads
 * 12.6 ms right after an onnxruntime-web run, with or without a pause of up to 200 ms before it,
 * and 2.8 ms in steady state, AMD EPYC, 2026-11-29).
 */
export const SETTLE_RUNS = 3;

/**
 * `runs` rounds, each running every runner once in order (A B C D A B C D ...): times in ms.
 * `alternate`: every other round runs in reverse (A B C D D C B A ...), so that each runner
 * follows the others equally often and what a run leaves in the caches favours no one.
 * `settleRuns`: untimed runs of the same runner before each timed one (see SETTLE_RUNS).
 */
export async function timeInterleaved(runners: { run(x: Float32Array): unknown }[], inputs: Float32Array[], runs: number,
  alternate = false, onRound?: () => void, settleRuns = 0): Promise<number[][]> {
  const times: number[][] = runners.map(() => []);
  for (let k = 0; k < runs; k++) {
    const order = [...runners.entries()];
    if (alternate && k % 2 === 1) order.reverse();
    for (const [i, r] of order) {
      for (let w = 0; w < settleRuns; w++) await r.run(inputs[i]);
      const t0 = performance.now();
      await r.run(inputs[i]);
      times[i].push(performance.now() - t0);
    }
    onRound?.();
  }
  return times;
}

export async function benchGraph(graph: Graph, o: BenchOptions): Promise<BenchReport> {
  const dims: InputDims = { batch: o.batch, height: o.size, width: o.size };
  const peers = o.peers ?? [];
  const tolerance = o.tolerance ?? AGREEMENT_TOLERANCE;
  const macs = complexity(graph, dims).macs; // also checks the graph at this size
  const runners = await createRunners(graph, dims, o.backends, peers, o.peerRunner, o.weights, o.threads);
  try {
    if (o.oneThreadBaseline && (o.threads ?? 1) > 1) runners.push(...await createRunners(graph, dims, ['simd'], [], undefined, o.weights, 1));
    if (!runners.length) throw new OptionError('nothing to bench: no senet-wasm build and no peer');

    const input = benchInput(graph, dims);
    // Warm-up; the first run's outputs are compared before any timing.
    const outputs: Float32Array[] = [];
    for (const r of runners) outputs.push((await r.run(input)).slice());
    const refIndex = Math.max(0, runners.findIndex((r) => r.engine === 'senet-simd'));
    const diffs = runners.map((_, i) => (i === refIndex ? undefined : relDiff(outputs[i], outputs[refIndex])));
    const bad = runners.filter((_, i) => !(diffs[i]! <= tolerance) && i !== refIndex);
    if (bad.length) {
      const list = bad.map((r) => `${r.engine} ${diffs[runners.indexOf(r)]!.toExponential(2)}`).join(', ');
      throw new OutputMismatchError(
        `${graph.name} (batch ${o.batch}, ${o.size}x${o.size}): outputs disagree with ${runners[refIndex].engine}: `
        + `max |diff| / max |ref| = ${list} (tolerance ${tolerance.toExponential(0)})`,
        Object.fromEntries(runners.map((r, i) => [r.engine, diffs[i]]).filter(([, d]) => d !== undefined)));
    }
    const warmup = o.warmup ?? (peers.length ? 2 : 1);
    for (let w = 1; w < warmup; w++) for (const r of runners) await r.run(input);

    const bar = progress(`${graph.name}: timing ${runners.length} engine${runners.length > 1 ? 's' : ''}`, o.runs);
    const settle = (o.threads ?? 1) > 1 ? SETTLE_RUNS : 0;
    const times = await timeInterleaved(runners, runners.map(() => input), o.runs, false, bar.tick, settle);
    bar.stop();
    const results = runners.map((r, i): BenchResult => {
      const medianMs = median(times[i]);
      const gflops = (2 * macs) / (medianMs * 1e6);
      return {
        engine: r.engine, threads: r.threads ?? 1, medianMs, gflops, peakFraction: o.peakGflops ? gflops / o.peakGflops : undefined, runsMs: times[i],
        ...(diffs[i] !== undefined ? { maxRelDiff: diffs[i] } : {}), ...(r.version ? { version: r.version } : {}),
      };
    });
    const worst = diffs.filter((d): d is number => d !== undefined);
    return {
      model: graph.name, batch: o.batch, size: o.size, macs, reference: runners[refIndex].engine, results,
      ...(worst.length ? { maxRelDiff: Math.max(...worst) } : {}),
    };
  } finally {
    await disposeRunners(runners);
  }
}

/** What `bench --json` prints. */
export function benchJson(r: BenchReport) {
  return {
    model: r.model, batch: r.batch, size: r.size,
    results: r.results.map(({ engine, medianMs, gflops, threads }) => ({ engine, medianMs, gflops, threads })),
  };
}

export function formatBench(r: BenchReport): string {
  const lines = [`${r.model}  batch ${r.batch}, ${r.size}x${r.size}, ${(r.macs / 1e9).toFixed(2)} G multiply-adds`];
  const simd = r.results.find((x) => x.engine === 'senet-simd');
  const oneThread = r.results.find((x) => x.engine === 'senet-simd' && x !== simd && x.threads === 1);
  const peers = r.results.some((x) => !x.engine.startsWith('senet-'));
  const peak = r.results.some((x) => x.peakFraction !== undefined);
  lines.push(`  ${'engine'.padEnd(16)} ${'threads'.padStart(7)} ${'median ms'.padStart(10)} ${'GFLOP/s'.padStart(8)} ${peak ? '% peak'.padStart(7) : ''}`
    + (simd ? ` ${'x senet-simd'.padStart(12)}` : '') + `  max|diff|/max|ref|`);
  for (const x of r.results) {
    const ratio = simd ? ` ${(x === simd ? '1' : (x.medianMs / simd.medianMs).toFixed(2)).padStart(11)}x` : '';
    const diff = x.maxRelDiff === undefined ? '(reference)' : x.maxRelDiff.toExponential(1);
    lines.push(`  ${x.engine.padEnd(16)} ${String(x.threads).padStart(7)} ${x.medianMs.toFixed(1).padStart(10)} ${x.gflops.toFixed(1).padStart(8)} `
      + `${x.peakFraction === undefined ? '' : `${(100 * x.peakFraction).toFixed(0).padStart(6)}%`}${ratio}  ${diff}`);
  }
  const runs = [...new Set(r.results.map((x) => x.runsMs.length))].join('/');
  lines.push(`  medians of ${runs} interleaved runs;${peak ? ' % peak: of the SIMD peak measured in this run (bench/peak);' : ''}`
    + (simd ? ' x senet-simd: median / senet-simd median' : ''));
  const scalar = r.results.find((x) => x.engine === 'senet-scalar');
  if (simd && scalar) lines.push(`  SIMD speedup over scalar: ${(scalar.medianMs / simd.medianMs).toFixed(2)}x`);
  if (simd && oneThread) lines.push(`  senet-simd on ${simd.threads} threads over one: ${(oneThread.medianMs / simd.medianMs).toFixed(2)}x`);
  if (simd && peers) {
    for (const x of r.results) {
      if (x.engine.startsWith('senet-')) continue;
      const f = x.medianMs / simd.medianMs;
      lines.push(`  senet-simd vs ${x.engine}: ${f >= 1 ? `${f.toFixed(2)}x faster` : `${(1 / f).toFixed(2)}x slower`}`);
    }
  }
  return lines.join('\n');
}
