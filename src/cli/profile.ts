import type { StepTime } from '../runtime/session.js';

/** A step's op and, where the op has a choice, its algorithm: 'conv winograd F(4,3)', 'conv gemm'. */
const kind = (s: StepTime): string => (s.algorithm ? `${s.op} ${s.algorithm}` : s.op);

/** Each fused op's median time, GFLOP/s and share of the whole run, slowest kinds summed at the end. */
export function formatProfile(model: string, steps: StepTime[]): string {
  const total = steps.reduce((a, s) => a + s.ms, 0);
  const gflops = (s: { macs: number; ms: number }) => (s.macs && s.ms ? ((2 * s.macs) / (s.ms * 1e6)).toFixed(1) : '-');
  const opWidth = Math.max(22, ...steps.map((s) => kind(s).length + 2));
  const lines = [
    `${model}: ${steps.length} steps, ${total.toFixed(2)} ms (sum of per-step medians)`,
    `${'step'.padEnd(6)}${'op'.padEnd(opWidth)}${'name'.padEnd(44)}${'ms'.padStart(9)}${'GFLOP/s'.padStart(9)}${'share'.padStart(8)}`,
    ...steps.map((s, i) => `${String(i).padEnd(6)}${kind(s).padEnd(opWidth)}${s.name.slice(0, 43).padEnd(44)}${s.ms.toFixed(3).padStart(9)}` +
      `${gflops(s).padStart(9)}${`${((100 * s.ms) / total).toFixed(1)}%`.padStart(8)}`),
    '',
    'by op:',
  ];
  const byOp = new Map<string, { ms: number; macs: number; n: number }>();
  for (const s of steps) {
    const e = byOp.get(kind(s)) ?? { ms: 0, macs: 0, n: 0 };
    byOp.set(kind(s), { ms: e.ms + s.ms, macs: e.macs + s.macs, n: e.n + 1 });
  }
  for (const [op, e] of [...byOp].sort((a, b) => b[1].ms - a[1].ms)) {
    lines.push(`  ${op.padEnd(opWidth)}${`${e.n} steps`.padEnd(10)}${e.ms.toFixed(2).padStart(9)} ms${gflops(e).padStart(9)} GFLOP/s${`${((100 * e.ms) / total).toFixed(1)}%`.padStart(8)}`);
  }
  return lines.join('\n');
}
