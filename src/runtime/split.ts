// How a conv is split across the threads of a pool: the op table asks the pool (Pool.splitConv)
// when it binds a conv; only the pools import this (the web one is its own bundle), so the web
// entry carries none of it.
import type { Shape } from '../graph/shapes.js';
import { ACT_CODE } from '../ops/activation.js';
import { isDepthwise, nhwc, WINOGRAD_BLOCK_TILES, winogradTiles, winogradWorkspace, type Bindings, type ConvNode, type OpContext } from '../ops/table.js';
import { WEIGHTS_FORMAT, type Kernels } from '../wasm/abi.js';
import type { Pool } from './pool.js';

/**
 * Multiply-adds from which a conv is split. An empty split op costs 5 us while the worker spins
 * (it does between the ops of an inference), 29 us when it slept (idle for over ~1 ms); a thread
 * does ~22 GMAC/s in the GEMM (AMD EPYC, 2026-11-29). Measured on 2 threads (`senet-wasm bench
 * mobilenet-v3-small --threads 2`; GEMM / depthwise thresholds): 2M / 1M 2.6 ms, 1M / 512K 2.1,
 * 512K / 256K 2.0 (MobileNetV3-Large 6.4, 6.2, 6.2); below that a share is about a barrier's time.
 */
const SPLIT_MIN_MACS = 1 << 19;

/** The same for a depthwise conv (split by output rows): it runs about half as many a second. */
const DW_SPLIT_MIN_MACS = 1 << 18;

/**
 * Tiles a thread needs for a Winograd conv to be split by tiles rather than by output channels
 * (whose threads each transform the whole input): measured on SE-ResNet-50 (2 threads, AMD EPYC,
 * 2026-11-29), see docs/design.md "Threads".
 */
const WINOGRAD_SPLIT_TILES = 16;

/** The threads a conv is split across: 1 when small, or a single output row of a depthwise conv or a single panel. */
export function convThreads(n: ConvNode, out: Shape, ctx: OpContext | undefined): number {
  const threads = ctx?.threads ?? 1;
  if (threads === 1) return 1;
  const [outC, inCg, kH, kW] = n.weight.shape;
  const pixels = out[0] * out[2] * out[3], macs = pixels * outC * inCg * kH * kW;
  // The format: int8 and fp16 split too (each thread expands into its own scratch).
  if (isDepthwise(n)) return out[0] * out[2] > 1 && macs >= DW_SPLIT_MIN_MACS ? threads : 1;
  // A single row (an FC at batch 1) splits by panels too: conv2d_f32_part runs it through gemv.
  return (pixels > 1 || outC > 8) && macs >= SPLIT_MIN_MACS ? threads : 1;
}

/** [begin, end) of part i of n parts of `count` units, the units `unit` apart, clipped at `limit`. */
function share(i: number, n: number, count: number, unit = 1, limit = count * unit): [number, number] {
  return [Math.min(limit, Math.floor((i * count) / n) * unit), Math.min(limit, Math.floor(((i + 1) * count) / n) * unit)];
}

// Output pixels a conv2d_f32 cache block holds (assembly/kernels/conv2d.ts BLOCK_M) and a tile row (TILE_M).
const BLOCK_M = 256, TILE_M = 4;

/**
 * A conv's call split across `pool`'s threads, or undefined where it runs on one (small). `m`: the
 * op table's Winograd tile (0: the GEMM), passed in rather than decided again here: the web pool is
 * a bundle of its own, whose copies of the graph modules do not see the entry's weight sources.
 */
export function splitConv(pool: Pool, n: ConvNode, k: Kernels, b: Bindings, x: Shape, out: Shape, m: 0 | 2 | 4, ctx?: OpContext): (() => void) | undefined {
  const threads = convThreads(n, out, ctx);
  if (threads === 1) return undefined;
  const [batch, inH, inW, inC] = nhwc(x);
  const [, outH, outW, outC] = nhwc(out);
  const [, , kH, kW] = n.weight.shape;
  const [sH, sW] = n.stride, [dH, dW] = n.dilation, [pT, pL] = n.pads;
  const act = ACT_CODE[n.act];
  const format = WEIGHTS_FORMAT[b.formats[0]];
  const parts: Int32Array[] = [];
  if (isDepthwise(n)) {
    // By output rows (batch folded in); each thread expands int8 or fp16 weights into its own scratch.
    for (let t = 0; t < threads; t++) {
      parts.push(Int32Array.of(b.inputs[0], b.output, b.weights[0], inH, inW, inC, outH, outW, kH, kW, sH, sW, pT, pL, dH, dW,
        act, format, b.expand + t * (b.expandStride ?? 0), ...share(t, threads, batch * outH)));
    }
    return () => pool.run('conv2d_dw_f32_part', parts);
  }
  const panels = Math.ceil(outC / n.group / 8);
  if (m) {
    // By tiles where each thread gets WINOGRAD_SPLIT_TILES or more and no means are made (their
    // sums run across every tile): no work repeated. Else by output channels: each thread
    // transforms the whole input and does its channels' products, outputs and means.
    const tiles = winogradTiles(m, out);
    const byTiles = !b.means && tiles >= WINOGRAD_SPLIT_TILES * threads;
    const ws = winogradWorkspace(m, out, inC);
    for (let t = 0; t < threads; t++) {
      parts.push(Int32Array.of(m, b.inputs[0], b.output, b.weights[0], b.zero, b.workspace + t * ws, batch, inH, inW, inC,
        outH, outW, outC, pT, pL, act, b.means ?? 0, b.outputStride ?? outC, WINOGRAD_BLOCK_TILES,
        format, b.expand + t * (b.expandStride ?? 0), ...(byTiles ? [0, panels, ...share(t, threads, tiles)] : [...share(t, threads, panels), 0, tiles])));
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
      sH, sW, pT, pL, dH, dW, n.group, act, b.outputStride ?? outC, format, b.expand + t * (b.expandStride ?? 0), ...range));
  }
  const means = b.means;
  if (!means) return () => pool.run('conv2d_f32_part', parts);
  return () => {
    pool.run('conv2d_f32_part', parts);
    k.conv_means_f32(b.output, means, batch, outH * outW, outC, b.outputStride ?? outC);
  };
}
