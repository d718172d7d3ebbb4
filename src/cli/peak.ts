// Measures the arithmetic limit of each build (the probe in bench/peak/peak.ts) on this machine,
// so every kernel and network figure can be read as a fraction of it.
import { readFileSync } from 'node:fs';
import type { Backend } from '../wasm/load.js';

const FLOPS_PER_ITERATION: Record<Backend, number> = { relaxed: 64, simd: 64, scalar: 16 };

/** Median GFLOP/s of `runs` timed calls of about 50 ms each. From the bundles in dist/ (the probe is build/peak-*.wasm). */
export async function measurePeak(backend: Backend, runs = 7): Promise<number> {
  const bytes = readFileSync(new URL(`../build/peak-${backend}.wasm`, import.meta.url));
  // Synchronously, as the Node entry compiles (docs/design.md "Loading").
  const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes));
  const peak = instance.exports.peak_f32 as (iterations: number, x: number) => number;
  // Warm-up: V8 runs wasm in its baseline compiler first and swaps in optimised code in the
  // background; calls within the first ~300 ms can still be the slow tier.
  for (const start = performance.now(); performance.now() - start < 400;) peak(1e5, 1);
  let iterations = 1e6;
  const t0 = performance.now();
  peak(iterations, 1);
  iterations = Math.max(1e5, Math.round((iterations * 50) / Math.max(performance.now() - t0, 0.1)));
  const rates: number[] = [];
  for (let r = 0; r < runs; r++) {
    const t = performance.now();
    peak(iterations, r);
    rates.push((iterations * FLOPS_PER_ITERATION[backend]) / ((performance.now() - t) * 1e6));
  }
  return rates.sort((a, b) => a - b)[Math.floor(runs / 2)];
}
