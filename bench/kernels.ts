// Kernel GFLOP/s in both builds, keyed by kernel name: `npm run bench:kernels [-- RUNS [FILTER]]`.
// Shapes are SE-ResNet-50, SE-ResNeXt-50, MobileNetV3-Large and EfficientNet-B0 layers at 224x224;
// each line is a median over interleaved runs. FILTER keeps the lines whose kernel name and shape contain it.
// KERNEL_BASELINE=dir adds the builds found in dir (senet-simd.wasm, senet-scalar.wasm), run
// interleaved with these, and prints their time over ours: a before/after ratio from one run.
// Napkin limit: the peak probe (bench/peak/) runs the GEMM tile's inner loop on L1-resident data,
// in this same run; each kernel's SIMD figure is also given as a share of it.
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import '../src/node.js'; // the Node platform: loadKernels reads the builds beside this bundle with node:fs
import { convBlock, depthwiseBlock } from '../src/ops/pack.js';
import { ACT_CODE } from '../src/ops/activation.js';
import type { Activation } from '../src/graph/ir.js';
import { Random } from '../src/graph/random.js';
import { LinearMemory } from '../src/runtime/memory.js';
import { loadKernels, type Backend } from '../src/wasm/load.js';
import { measurePeak } from '../src/cli/peak.js';
import { median } from '../src/cli/bench.js';

interface Case {
  kernel: 'conv2d_f32' | 'conv2d_dw_f32';
  label: string;
  hw: number; inC: number; outC: number; k: number; stride: number; group: number; act: Activation;
}

const conv = (hw: number, inC: number, outC: number, k: number, stride = 1, group = 1, act: Activation = 'none'): Case => ({
  kernel: 'conv2d_f32', hw, inC, outC, k, stride, group, act,
  label: `${k}x${k}${stride > 1 ? '/' + stride : ''} ${inC}->${outC}${group > 1 ? ' g' + group : ''} @${hw}${act === 'none' ? '' : ' ' + act}`,
});
const dw = (hw: number, c: number, k: number, stride = 1, act: Activation = 'none'): Case => ({
  kernel: 'conv2d_dw_f32', hw, inC: c, outC: c, k, stride, group: c, act,
  label: `dw ${k}x${k}${stride > 1 ? '/' + stride : ''} ${c} @${hw}${act === 'none' ? '' : ' ' + act}`,
});

const CASES: Case[] = [
  // SE-ResNet-50 / SE-ResNeXt-50
  conv(56, 256, 64, 1), conv(56, 64, 256, 1), conv(56, 64, 64, 3), conv(14, 256, 256, 3),
  conv(14, 1024, 256, 1), conv(7, 512, 512, 3), conv(7, 2048, 512, 1), conv(224, 3, 64, 7, 2),
  conv(56, 128, 128, 3, 1, 32), conv(14, 512, 512, 3, 1, 32),
  // MobileNetV3-Large / EfficientNet-B0: stems and 1x1 convs with few pixels or few channels
  conv(224, 3, 16, 3, 2, 1, 'hardswish'), conv(224, 3, 32, 3, 2, 1, 'silu'),
  conv(112, 16, 64, 1), conv(112, 16, 96, 1, 1, 1, 'silu'), conv(56, 24, 144, 1, 1, 1, 'silu'),
  conv(14, 112, 672, 1, 1, 1, 'hardswish'), conv(7, 160, 960, 1), conv(7, 1152, 192, 1), conv(7, 192, 1152, 1),
  conv(1, 960, 1280, 1), conv(1, 1280, 1000, 1),
  // depthwise
  dw(56, 144, 3), dw(112, 32, 3), dw(112, 64, 3, 2), dw(112, 64, 3, 2, 'relu'), dw(56, 72, 3, 1, 'relu'), dw(56, 72, 3), dw(28, 240, 3, 2), dw(14, 480, 3),
  dw(14, 672, 3, 1, 'hardswish'), dw(7, 1152, 3), dw(56, 72, 5, 2), dw(56, 72, 5, 2, 'relu'), dw(28, 120, 5, 1, 'relu'), dw(14, 672, 5), dw(14, 672, 5, 1, 'hardswish'),
  dw(14, 672, 5, 2), dw(7, 960, 5), dw(7, 960, 5, 1, 'hardswish'), dw(7, 1152, 5, 1, 'silu'),
];

const RUNS = Number(process.argv[2] ?? 15);
const FILTER = process.argv[3] ?? '';

const baseline = process.env.KERNEL_BASELINE;
const sources: { name: string; backend: Backend; url?: URL }[] = (['simd', 'scalar'] as Backend[]).flatMap((b) => [
  { name: b, backend: b },
  ...(baseline ? [{ name: `base ${b}`, backend: b, url: pathToFileURL(resolve(baseline, `senet-${b}.wasm`)) }] : []),
]);
const builds = await Promise.all(sources.map(async (s) => {
  const { kernels, memory } = await loadKernels(s.backend, s.url);
  return { ...s, kernels, mem: new LinearMemory(memory, kernels.heap_base()) };
}));

const peak = { simd: await measurePeak('simd'), scalar: await measurePeak('scalar') };
console.log(`peak probe: simd ${peak.simd.toFixed(1)} GFLOP/s, scalar ${peak.scalar.toFixed(1)} GFLOP/s`);
const head = `${'kernel'.padEnd(15)}${'shape'.padEnd(28)}${'simd GFLOP/s'.padStart(13)}${'% peak'.padStart(8)}${'scalar'.padStart(9)}${'ratio'.padStart(8)}`;
console.log(baseline ? `${head}${'base/new simd'.padStart(15)}${'scalar'.padStart(8)}` : head);
for (const c of CASES.filter((x) => `${x.kernel} ${x.label}`.includes(FILTER))) {
  const rng = new Random(1);
  const pad = (c.k - 1) >> 1;
  const out = Math.floor((c.hw + 2 * pad - c.k) / c.stride) + 1;
  const inCg = c.inC / c.group;
  const flops = 2 * out * out * c.outC * inCg * c.k * c.k;
  const w = rng.fill(c.outC * inCg * c.k * c.k, (r) => r.normal() * 0.1);
  const block = c.kernel === 'conv2d_dw_f32' ? depthwiseBlock({ values: w }, undefined, c.outC, c.k, c.k) : convBlock({ values: w }, undefined, c.outC, inCg, c.k, c.k, c.group);
  const act = ACT_CODE[c.act];
  const x0 = rng.fill(c.hw * c.hw * c.inC, (r) => r.normal());
  const calls = builds.map(({ kernels, mem }) => {
    const x = mem.alloc(4 * c.hw * c.hw * c.inC), y = mem.alloc(4 * out * out * c.outC);
    const wp = mem.alloc(block.bytes), zero = mem.alloc(4 * inCg), scratch = mem.alloc(block.scratchBytes);
    block.write({ kernels, memory: mem.memory, offset: wp, scratch });
    mem.release(scratch);
    const heap = mem.f32();
    heap.fill(0, zero / 4, zero / 4 + inCg);
    heap.set(x0, x / 4);
    const release = () => [x, y, wp, zero].forEach((p) => mem.release(p));
    const run = c.kernel === 'conv2d_dw_f32'
      ? () => kernels.conv2d_dw_f32(x, y, wp, 1, c.hw, c.hw, c.inC, out, out, c.k, c.k, c.stride, c.stride, pad, pad, 1, 1, act, 0, 0)
      : () => kernels.conv2d_f32(x, y, wp, zero, 1, c.hw, c.hw, c.inC, out, out, c.outC, c.k, c.k, c.stride, c.stride, pad, pad, 1, 1, c.group, act, 0, c.outC, 0, 0);
    return { run, release };
  });
  // Small shapes repeat inside a timed sample so that one sample lasts about 1 ms or more.
  const reps = Math.max(1, Math.round(3e7 / flops));
  const times: number[][] = calls.map(() => []);
  // Warm-up: V8 first runs Liftoff code and swaps in TurboFan's once its background compile is
  // done; a single warm-up call left the first shape of a run timed partly on Liftoff code.
  calls.forEach((f) => {
    const t0 = performance.now();
    for (let j = 0; j < 3 || performance.now() - t0 < 50; j++) f.run();
  });
  for (let r = 0; r < RUNS; r++) {
    calls.forEach((f, i) => {
      const t0 = performance.now();
      for (let j = 0; j < reps; j++) f.run();
      times[i].push((performance.now() - t0) / reps);
    });
  }
  calls.forEach((f) => f.release());
  const ms = Object.fromEntries(builds.map((b, i) => [b.name, median(times[i])]));
  const rate = (name: string) => flops / (ms[name] * 1e6);
  let line = `${c.kernel.padEnd(15)}${c.label.padEnd(28)}${rate('simd').toFixed(1).padStart(13)}${`${((100 * rate('simd')) / peak.simd).toFixed(0)}%`.padStart(8)}${rate('scalar').toFixed(1).padStart(9)}${(ms.scalar / ms.simd).toFixed(2).padStart(8)}`;
  if (baseline) line += `${(ms['base simd'] / ms.simd).toFixed(2).padStart(15)}${(ms['base scalar'] / ms.scalar).toFixed(2).padStart(8)}`;
  console.log(line);
}
