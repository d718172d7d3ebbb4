// How a conv is split across the threads of a pool: the op table asks the pool (Pool.splitConv)
// when it binds a conv; only the Node entry's pool imports this, so the web entry carries none of it.
import type { Shape } from '../graph/shapes.js';
import { ACT_CODE } from '../ops/activation.js';
import { isDepthwise, nhwc, WINOGRAD_BLOCK_TILES, winogradTile, winogradWorkspace, type Bindings, type ConvNode, type OpContext } from '../ops/table.js';
import { WEIGHTS_FORMAT, type Kernels } from '../wasm/abi.js';
import type { Pool } from './pool.js';

/**
 * Multiply-adds from which a conv is split. An empty split op costs 5 us while the worker spins,
 * 10 us back to back, 29 us when it slept (idle for over ~1 ms); a thread does ~22 GMAC/s (AMD
 * EPYC, 2026-11-29). From 2M MACs the second thread saves ~48 us, more than the worst barrier.
 */
const SPLIT_MIN_MACS = 1 << 21;

/** The threads a conv (not depthwise) is split across: 1 when small or a single GEMM row. */
function convThreads(n: ConvNode, out: Shape, ctx: OpContext | undefined): number {
  const threads = ctx?.threads ?? 1;
  if (threads === 1 || isDepthwise(n)) return 1;
  const [outC, inCg, kH, kW] = n.weight.shape;
  const pixels = out[0] * out[2] * out[3];
  // The format: int8 and fp16 split too (each thread expands into its own scratch).
  return pixels > 1 && pixels * outC * inCg * kH * kW >= SPLIT_MIN_MACS ? threads : 1;
}

/** [begin, end) of part i of n parts of `count` units, the units `unit` apart, clipped at `limit`. */
function share(i: number, n: number, count: number, unit = 1, limit = count * unit): [number, number] {
  return [Math.min(limit, Math.floor((i * count) / n) * unit), Math.min(limit, Math.floor(((i + 1) * count) / n) * unit)];
}

// Output pixels a conv2d_f32 cache block holds (assembly/kernels/conv2d.ts BLOCK_M) and a tile row (TILE_M).
const BLOCK_M = 256, TILE_M = 4;

/** A conv's call split across `pool`'s threads, or undefined where it runs on one (small, depthwise). */
export function splitConv(pool: Pool, n: ConvNode, k: Kernels, b: Bindings, x: Shape, out: Shape, ctx?: OpContext): (() => void) | undefined {
  const threads = convThreads(n, out, ctx);
  if (threads === 1) return undefined;
  const [batch, inH, inW, inC] = nhwc(x);
  const [, outH, outW, outC] = nhwc(out);
  const [, , kH, kW] = n.weight.shape;
  const [sH, sW] = n.stride, [dH, dW] = n.dilation, [pT, pL] = n.pads;
  const act = ACT_CODE[n.act];
  const m = winogradTile(n, x, ctx);
  const parts: Int32Array[] = [];
  const panels = Math.ceil(outC / n.group / 8);
  if (m) {
    // By output channels: each thread transforms the whole input (a few % of the work) and
    // does its channels' products, outputs and means. Tile blocks would need no repeated
    // transform, but a 224x224 image has 1 to 7 blocks of 32 tiles a layer: too few to share.
    const ws = winogradWorkspace(m, x, out, inC);
    for (let t = 0; t < threads; t++) {
      parts.push(Int32Array.of(m, b.inputs[0], b.output, b.weights[0], b.zero, b.workspace + t * ws, batch, inH, inW, inC,
        outH, outW, outC, pT, pL, act, b.means ?? 0, b.outputStride ?? outC, WINOGRAD_BLOCK_TILES,
        WEIGHTS_FORMAT[b.formats[0]], b.expand + t * (b.expandStride ?? 0), ...share(t, threads, panels)));
    }
    return () => pool.run('conv3x3_winograd_f32_part', parts);
  }
  // By output pixels in whole tiles when each thread gets a cache block or more; else (small
  // maps: 14x14, 7x7) by panels of output channels, so that each thread reads half the weights.
  const pixels = batch * outH * outW;
  const byPixels = n.group > 1 || pixels >= BLOCK_M * threads || panels < threads;
  for (let t = 0; t < threads; t++) {
    const range = byPixels ? [...share(t, threads, Math.ceil(pixels / TILE_M), TILE_M, pixels), 0, panels] : [0, pixels, ...share(t, threads, panels)];
    parts.push(Int32Array.of(b.inputs[0], b.output, b.weights[0], b.zero, batch, inH, inW, inC, outH, outW, outC, kH, kW,
      sH, sW, pT, pL, dH, dW, n.group, act, b.outputStride ?? outC, WEIGHTS_FORMAT[b.formats[0]], b.expand + t * (b.expandStride ?? 0), ...range));
  }
  const means = b.means;
  if (!means) return () => pool.run('conv2d_f32_part', parts);
  return () => {
    pool.run('conv2d_f32_part', parts);
    k.conv_means_f32(b.output, means, batch, outH * outW, outC, b.outputStride ?? outC);
  };
}
