// Kernel GFLOP/s in both builds, keyed by kernel name: `npm run bench:kernels`.
// Shapes are SE-ResNet-50 and MobileNet layers; each line is a median over interleaved runs.
import { packConv, packDepthwise } from '../src/ops/pack.js';
import { Random } from '../src/graph/random.js';
import { LinearMemory } from '../src/runtime/memory.js';
import { loadKernels, type Backend } from '../src/wasm/load.js';

interface Case {
  kernel: 'conv2d_f32' | 'conv2d_dw_f32';
  label: string;
  hw: number; inC: number; outC: number; k: number; stride: number; group: number;
}

const CASES: Case[] = [
  { kernel: 'conv2d_f32', label: '1x1 256->64 @56', hw: 56, inC: 256, outC: 64, k: 1, stride: 1, group: 1 },
  { kernel: 'conv2d_f32', label: '1x1 64->256 @56', hw: 56, inC: 64, outC: 256, k: 1, stride: 1, group: 1 },
  { kernel: 'conv2d_f32', label: '3x3 64->64 @56', hw: 56, inC: 64, outC: 64, k: 3, stride: 1, group: 1 },
  { kernel: 'conv2d_f32', label: '3x3 256->256 @14', hw: 14, inC: 256, outC: 256, k: 3, stride: 1, group: 1 },
  { kernel: 'conv2d_f32', label: '1x1 1024->256 @14', hw: 14, inC: 1024, outC: 256, k: 1, stride: 1, group: 1 },
  { kernel: 'conv2d_f32', label: '7x7/2 3->64 @224', hw: 224, inC: 3, outC: 64, k: 7, stride: 2, group: 1 },
  { kernel: 'conv2d_f32', label: '3x3 g32 128->128 @56', hw: 56, inC: 128, outC: 128, k: 3, stride: 1, group: 32 },
  { kernel: 'conv2d_dw_f32', label: 'dw 3x3 144 @56', hw: 56, inC: 144, outC: 144, k: 3, stride: 1, group: 144 },
];

const RUNS = Number(process.argv[2] ?? 15);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const builds = await Promise.all((['simd', 'scalar'] as Backend[]).map(async (b) => {
  const { kernels, memory } = await loadKernels(b);
  return { b, kernels, mem: new LinearMemory(memory, kernels.heap_base()) };
}));

console.log(`${'kernel'.padEnd(15)}${'shape'.padEnd(24)}${'simd GFLOP/s'.padStart(13)}${'scalar'.padStart(9)}${'ratio'.padStart(8)}`);
for (const c of CASES) {
  const rng = new Random(1);
  const pad = (c.k - 1) >> 1;
  const out = Math.floor((c.hw + 2 * pad - c.k) / c.stride) + 1;
  const inCg = c.inC / c.group;
  const flops = 2 * out * out * c.outC * inCg * c.k * c.k;
  const w = rng.fill(c.outC * inCg * c.k * c.k, (r) => r.normal() * 0.1);
  const packed = c.kernel === 'conv2d_dw_f32' ? packDepthwise(w, undefined, c.outC, c.k, c.k) : packConv(w, undefined, c.outC, inCg, c.k, c.k, c.group);
  const calls = builds.map(({ kernels, mem }) => {
    const x = mem.alloc(4 * c.hw * c.hw * c.inC), y = mem.alloc(4 * out * out * c.outC);
    const wp = mem.alloc(4 * packed.length), zero = mem.alloc(4 * inCg);
    const heap = mem.f32();
    heap.set(packed, wp / 4);
    heap.fill(0, zero / 4, zero / 4 + inCg);
    heap.set(rng.fill(c.hw * c.hw * c.inC, (r) => r.normal()), x / 4);
    return c.kernel === 'conv2d_dw_f32'
      ? () => kernels.conv2d_dw_f32(x, y, wp, 1, c.hw, c.hw, c.inC, out, out, c.k, c.k, c.stride, c.stride, pad, pad, 1, 1, 0)
      : () => kernels.conv2d_f32(x, y, wp, zero, 1, c.hw, c.hw, c.inC, out, out, c.outC, c.k, c.k, c.stride, c.stride, pad, pad, 1, 1, c.group, 0);
  });
  const times: number[][] = calls.map(() => []);
  calls.forEach((f) => f()); // warm-up
  for (let r = 0; r < RUNS; r++) {
    calls.forEach((f, i) => {
      const t0 = performance.now();
      f();
      times[i].push(performance.now() - t0);
    });
  }
  const [simd, scalar] = times.map((t) => flops / (median(t) * 1e6));
  console.log(`${c.kernel.padEnd(15)}${c.label.padEnd(24)}${simd.toFixed(1).padStart(13)}${scalar.toFixed(1).padStart(9)}${(simd / scalar).toFixed(2).padStart(8)}`);
}
