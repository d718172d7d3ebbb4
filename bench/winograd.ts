// What the op table's Winograd choice (src/ops/table.ts: winogradTile) rests on: one 3x3 stride-1
// conv per shape through the implicit GEMM (conv2d_f32) and through F(2x2,3x3) and F(4x4,3x3) at
// several tile blocks, interleaved in one process, median ms and the speedup over the GEMM.
// `npm run bench:winograd [-- RUNS [backend [format]]]` (default 15 runs, simd, fp32). With int8
// or fp16 weights both algorithms read the implicit GEMM's stored panels (Winograd transforms
// them in every call); with fp32, F(m,3)/32 per block times that path for f32 filters too (in
// isolation the points stay in cache, unlike in a network: `npm run bench:winograd-layout`).
import '../src/node.js';
import { convBlock, winogradBlock } from '../src/ops/pack.js';
import { Random } from '../src/graph/random.js';
import { WINOGRAD_BLOCK_TILES, winogradScratchBytes, winogradWorkspaceFloats } from '../src/ops/table.js';
import { WEIGHTS_FORMAT, WINOGRAD_POINTS } from '../src/wasm/abi.js';
import { LinearMemory } from '../src/runtime/memory.js';
import { loadKernels, type Backend } from '../src/wasm/load.js';
import { median } from '../src/cli/bench.js';
import type { WeightFormat } from '../src/graph/storage.js';

const RUNS = Number(process.argv[2] ?? 15);
const backend = (process.argv[3] ?? 'simd') as Backend;
const format = (process.argv[4] ?? 'fp32') as WeightFormat;
if (!(format in WEIGHTS_FORMAT)) throw new Error(`format must be one of ${Object.keys(WEIGHTS_FORMAT).join(', ')}, got ${format}`);
const BLOCKS = [16, 32, 64];
// [map, inC, outC]: ResNet-50's and SE-ResNet-50's 3x3 layers, then other maps and channel counts.
const SHAPES: [number, number, number][] = [
  [56, 64, 64], [28, 128, 128], [14, 256, 256], [7, 512, 512],
  [112, 32, 32], [56, 32, 32], [28, 16, 16], [28, 64, 64], [14, 64, 64], [7, 128, 128], [7, 64, 64],
  [6, 128, 128], [5, 128, 128], [4, 128, 128], [3, 128, 128], [2, 128, 128], [1, 128, 128],
];

const { kernels, memory } = await loadKernels(backend);
const mem = new LinearMemory(memory, kernels.heap_base());
console.log(`${backend} build, ${format} weights, batch 1, ${RUNS} interleaved runs, median ms (speedup over gemm)`);
for (const [hw, c, k] of SHAPES) {
  const rng = new Random(1);
  const w = rng.fill(k * c * 9, (r) => r.normal() * 0.1);
  const x = mem.alloc(4 * hw * hw * c), y = mem.alloc(4 * hw * hw * k), zero = mem.alloc(4 * Math.max(c, 4));
  mem.f32().set(rng.fill(hw * hw * c, (r) => r.normal()), x / 4);
  mem.f32().fill(0, zero / 4, zero / 4 + Math.max(c, 4));
  const owned: number[] = [x, y, zero];
  const place = (block: ReturnType<typeof convBlock>) => {
    const at = mem.alloc(block.bytes), scratch = mem.alloc(Math.max(16, block.scratchBytes));
    block.write({ kernels, memory, offset: at, scratch });
    mem.release(scratch);
    owned.push(at);
    return at;
  };
  const code = WEIGHTS_FORMAT[format];
  const gemmBlock = convBlock({ values: w }, undefined, k, c, 3, 3, 1, format);
  const gw = place(gemmBlock), expand = mem.alloc(Math.max(16, gemmBlock.expandBytes, winogradScratchBytes(4, c)));
  owned.push(expand);
  const variants: { name: string; run: () => void }[] = [
    { name: 'gemm', run: () => kernels.conv2d_f32(x, y, gw, zero, 1, hw, hw, c, hw, hw, k, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 0, k, code, expand) },
  ];
  for (const m of [2, 4] as const) {
    const points = format === 'fp32';
    const ww = points ? place(winogradBlock({ values: w }, undefined, k, c, m)) : gw;
    const tiles = Math.ceil(hw / m) ** 2;
    for (const blockTiles of BLOCKS) {
      if (blockTiles > 2 * tiles && blockTiles !== BLOCKS[0]) continue;
      const ws = mem.alloc(4 * winogradWorkspaceFloats(m, Math.min(tiles, blockTiles), c, k));
      owned.push(ws);
      const fn = kernels[m === 4 ? 'conv3x3_winograd_f32_4x4' : 'conv3x3_winograd_f32_2x2'];
      variants.push({ name: `F(${m},3)/${blockTiles}`, run: () => fn(x, y, ww, zero, ws, 1, hw, hw, c, hw, hw, k, 1, 1, 1, 0, k, blockTiles, points ? WINOGRAD_POINTS : code, expand) });
      // f32 filters kept as 3x3 panels, transformed per block (the op table's other f32 layout).
      if (points && blockTiles === WINOGRAD_BLOCK_TILES) {
        variants.push({ name: `F(${m},3)/${blockTiles} per block`, run: () => fn(x, y, gw, zero, ws, 1, hw, hw, c, hw, hw, k, 1, 1, 1, 0, k, blockTiles, code, expand) });
      }
    }
  }
  const reps = Math.max(1, Math.round(2e7 / (hw * hw * c * k * 9)));
  for (const v of variants) {
    const t0 = performance.now();
    for (let j = 0; j < 3 || performance.now() - t0 < 50; j++) v.run();
  }
  const times = variants.map(() => [] as number[]);
  for (let r = 0; r < RUNS; r++) {
    variants.forEach((v, i) => {
      const t0 = performance.now();
      for (let j = 0; j < reps; j++) v.run();
      times[i].push((performance.now() - t0) / reps);
    });
  }
  const base = median(times[0]);
  console.log(`3x3 ${c}->${k} @${hw}: ` + variants.map((v, i) => {
    const ms = median(times[i]);
    return `${v.name} ${ms.toFixed(3)}${i ? ` (${(base / ms).toFixed(2)}x)` : ''}`;
  }).join(', '));
  owned.forEach((p) => mem.release(p));
}
