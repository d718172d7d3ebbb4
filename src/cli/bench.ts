// Whole-network timing: every build on the same weights and input, interleaved run by run so
// that a noisy neighbour slows all builds alike; medians, GFLOP/s and the SIMD/scalar ratio.
import type { Graph } from '../graph/ir.js';
import { Random } from '../graph/random.js';
import { createEngine } from '../runtime/engine.js';
import type { Backend } from '../wasm/load.js';

export interface BenchResult {
  engine: `senet-${Backend}`;
  medianMs: number;
  gflops: number;
  runsMs: number[];
}

export interface BenchReport {
  model: string;
  batch: number;
  size: number;
  macs: number;
  results: BenchResult[];
  /** Largest |simd - scalar| over the output, relative to its largest magnitude. */
  maxRelDiff?: number;
}

export interface BenchOptions {
  backends: Backend[];
  runs: number;
  warmup?: number;
  size: number;
  batch: number;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

export async function benchGraph(graph: Graph, o: BenchOptions): Promise<BenchReport> {
  const dims = { batch: o.batch, height: o.size, width: o.size };
  const engines = await Promise.all(o.backends.map((backend) => createEngine({ backend })));
  const sessions = engines.map((e) => e.compile(graph, dims));
  const rng = new Random(1);
  const input = rng.fill(sessions[0].inputShape.reduce((a, b) => a * b, 1), (r) => r.normal());
  const outputs = sessions.map((s) => s.run(input));
  for (let i = 1; i < (o.warmup ?? 1); i++) sessions.forEach((s) => s.run(input));
  const times: number[][] = sessions.map(() => []);
  for (let r = 0; r < o.runs; r++) {
    sessions.forEach((s, i) => {
      const t0 = performance.now();
      s.run(input);
      times[i].push(performance.now() - t0);
    });
  }
  const macs = sessions[0].stats.macs;
  const report: BenchReport = {
    model: graph.name, batch: o.batch, size: o.size, macs,
    results: sessions.map((_, i) => {
      const medianMs = median(times[i]);
      return { engine: `senet-${o.backends[i]}`, medianMs, gflops: (2 * macs) / (medianMs * 1e6), runsMs: times[i] };
    }),
  };
  if (outputs.length > 1) {
    const [a, b] = outputs;
    const scale = Math.max(...a.map(Math.abs));
    report.maxRelDiff = a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0) / scale;
  }
  engines.forEach((e) => e.dispose());
  return report;
}

export function formatBench(r: BenchReport): string {
  const lines = [`${r.model}  batch ${r.batch}, ${r.size}x${r.size}, ${(r.macs / 1e9).toFixed(2)} G multiply-adds`];
  for (const x of r.results) {
    lines.push(`  ${x.engine.padEnd(14)} ${x.medianMs.toFixed(1).padStart(9)} ms   ${x.gflops.toFixed(1).padStart(6)} GFLOP/s   (median of ${x.runsMs.length})`);
  }
  const simd = r.results.find((x) => x.engine === 'senet-simd');
  const scalar = r.results.find((x) => x.engine === 'senet-scalar');
  if (simd && scalar) lines.push(`  SIMD speedup over scalar: ${(scalar.medianMs / simd.medianMs).toFixed(2)}x`);
  if (r.maxRelDiff !== undefined) lines.push(`  outputs agree: max |simd - scalar| = ${r.maxRelDiff.toExponential(1)} of max |output|`);
  return lines.join('\n');
}
