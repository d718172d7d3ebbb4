// scale_f32 (the SE excitation applied, optionally + residual and ReLU; in place or not)
// against the float64 reference, in both builds.

import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { nchwToNhwc, nhwcToNchw, scaleRef } from '../reference/kernels.js';
import { BACKENDS, KernelBench, Random, SENTINEL, expectClose, normal, uniform } from './harness.js';

type Alias = 'none' | 'out=x' | 'out=residual';

interface ScaleCase {
  name: string;
  n: number; c: number; h: number; w: number;
  residual: boolean;
  relu: boolean;
  alias: Alias;
}

function scale(n: number, c: number, h: number, w: number, residual: boolean, relu: boolean, alias: Alias = 'none'): ScaleCase {
  const name = `n${n} ${c}x${h}x${w}${residual ? ' +residual' : ''}${relu ? ' relu' : ''}${alias === 'none' ? '' : ` ${alias}`}`;
  return { name, n, c, h, w, residual, relu, alias };
}

const CHANNELS = [1, 3, 4, 7, 8, 15, 16, 17];
const CASES: ScaleCase[] = [];
for (const c of CHANNELS) {
  for (const residual of [false, true]) {
    for (const relu of [false, true]) CASES.push(scale(c === 7 ? 2 : 1, c, 5, 7, residual, relu));
  }
}
CASES.push(
  scale(1, 5, 1, 1, true, true),
  scale(2, 64, 7, 7, true, true),
  scale(2, 17, 3, 3, false, false),
  scale(2, 9, 5, 3, true, true, 'out=x'),
  scale(2, 9, 5, 3, true, true, 'out=residual'),
  scale(1, 16, 4, 4, false, true, 'out=x'),
  scale(2, 7, 3, 5, false, false, 'out=x'),
  scale(1, 20, 3, 3, true, false, 'out=residual'),
);

function runScale(b: KernelBench, cs: ScaleCase, seed: number): void {
  const rng = new Random(seed);
  const { n, c, h, w } = cs;
  const shape = [n, c, h, w];
  const len = n * c * h * w;
  const x = normal(rng, len, 2);
  const s = uniform(rng, n * c, 0, 1); // sigmoid outputs
  const res = cs.residual ? normal(rng, len) : undefined;
  const ref = scaleRef(x, shape, s, res, cs.relu);

  const xNhwc = nchwToNhwc(x, shape);
  const resNhwc = res ? nchwToNhwc(res, shape) : undefined;
  const xp = cs.alias === 'out=x' ? b.inout('x', xNhwc) : b.input('x', xNhwc);
  const sp = b.input('s', s); // [N, C] is the same in both layouts
  let rp = 0;
  if (resNhwc) rp = cs.alias === 'out=residual' ? b.inout('residual', resNhwc) : b.input('residual', resNhwc);
  const yp = cs.alias === 'out=x' ? xp : cs.alias === 'out=residual' ? rp : b.output('output', len);
  b.kernels.scale_f32(xp, sp, rp, yp, n, h * w, c, cs.relu ? 1 : 0);
  b.check();
  const got = nhwcToNchw(b.read(yp, len), shape);
  expectClose(got, ref.data, `${b.backend} scale ${cs.name}`, shape);
}

describe.each(BACKENDS)('scale_f32 (%s)', (backend) => {
  let bench: KernelBench;
  beforeAll(async () => { bench = await KernelBench.load(backend); });
  afterEach(() => bench.reset());

  it.each(CASES.map((cs, i) => ({ ...cs, i })))('$name', (cs) => {
    runScale(bench, cs, 5000 + cs.i);
  });

  it('with residual and ReLU, a NaN input gives NaN, as in PyTorch', () => {
    const c = 9; // two v128 and a scalar tail
    const x = Float32Array.from({ length: c }, (_, i) => (i % 4 === 1 ? NaN : i - 4));
    const yp = bench.output('output', c);
    bench.kernels.scale_f32(bench.input('x', x), bench.input('s', new Float32Array(c).fill(0.5)),
      bench.input('residual', new Float32Array(c).fill(1)), yp, 1, 1, c, 1);
    bench.check();
    const got = bench.read(yp, c);
    const bits = new Uint32Array(got.buffer);
    x.forEach((v, i) => {
      if (Number.isNaN(v)) expect(Number.isNaN(got[i]) && bits[i] !== SENTINEL, `lane ${i}`).toBe(true);
      else expect(got[i]).toBe(Math.max(0, v * 0.5 + 1));
    });
  });
});
