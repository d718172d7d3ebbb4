// How an op is split across the threads of a pool: the op table asks the pool (Pool.splitConv,
// splitStep) when it binds a conv, an FC, an SE block's steps or an add; only the pools import this
// (the web one is its own bundle), so the web entry carries none of it.
import type { Shape } from '../graph/shapes.js';
import { ACT_CODE } from '../ops/activation.js';
import { isDepthwise, nhwc, usesIm2col, WINOGRAD_BLOCK_TILES, winogradTiles, winogradWorkspace, type Bindings, type ConvNode, type OpContext } from '../ops/table.js';
import type { Kernels } from '../wasm/abi.js';
import { MAX_CHUNKS, type Pool, type StepKernel } from './pool.js';

/**
 * Multiply-adds from which a conv is split. An empty split op costs 5 us while the worker spins
 * (it does between the ops of an inference), 29 us when it slept (idle for over ~1 ms); a thread
 * does ~22 GMAC/s in the GEMM (AMD EPYC, 2026-11-29). Measured on 2 threads (`senet-wasm bench
 * mobilenet-v3-small --threads 2`; GEMM / depthwise thresholds): 2M / 1M 2.6 ms, 1M / 512K 2.1,
 * 512K / 256K 2.0 (MobileNetV3-Large 6.4, 6.2, 6.2); below that a share is about a barrier's time.
 */
const SPLIT_MIN_MACS = 1 << 19;

/**
 * The same for a single row (an FC or SE excitation at batch 1, through gemv): it streams its
 * weights once, and a split op costs less than streaming 32 KB. 2 threads, AMD EPYC, 2026-11-29,
 * from 512K: SE steps of SE-ResNet-50 0.95 -> 0.77 ms, EfficientNet-B0 0.45 -> 0.40,
 * MobileNetV3-Small 0.100 -> 0.086 (profiles, batch 1).
 */
const GEMV_SPLIT_MIN_MACS = 1 << 13;

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
  return (pixels > 1 || outC > 8) && macs >= (pixels === 1 ? GEMV_SPLIT_MIN_MACS : SPLIT_MIN_MACS) ? threads : 1;
}

/**
 * Multiply-adds from which a chunk of a split conv is its own: a conv gets up to MAX_CHUNKS
 * chunks a thread, so that a thread slowed by another process or a slower core leaves its last
 * ones to the others (pool.ts: work); a chunk costs about a tenth of a microsecond and its share
 * of a cache block. With 2M (2 threads, AMD EPYC, 2026-11-29, A/B of two checkouts in one
 * process): quiet, SE-ResNet-50 and MobileNetV3-Small within 1% of one chunk a thread; beside a
 * process busy 3 ms in 10, SE-ResNet-50 1.12x; beside one always busy, 1.18-1.24x.
 */
const CHUNK_MIN_MACS = 1 << 21;

/** Chunks of a split conv of `macs` multiply-adds over `units` (tiles, panels, rows): a multiple of the thread count. */
function chunkCount(threads: number, macs: number, units: number): number {
  return threads * Math.max(1, Math.min(MAX_CHUNKS, Math.floor(macs / (threads * CHUNK_MIN_MACS)), Math.floor(units / threads)));
}

/** [begin, end) of part i of n parts of `count` units, the units `unit` apart, clipped at `limit`. */
function share(i: number, n: number, count: number, unit = 1, limit = count * unit): [number, number] {
  return [Math.min(limit, Math.floor((i * count) / n) * unit), Math.min(limit, Math.floor(((i + 1) * count) / n) * unit)];
}

// Output pixels a conv2d_f32 cache block holds (assembly/kernels/conv2d.ts BLOCK_M) and a tile row (TILE_M).
const BLOCK_M = 256, TILE_M = 4;

/**
 * A conv's call split across `pool`'s threads, or undefined where it runs on one (small). `m`,
 * `format` and `strassen`: the op table's Winograd tile (0: the GEMM), the kernels' weight format
 * and whether it runs Strassen, passed in rather than decided again here: the web pool is a bundle
 * of its own, whose copies of the graph modules do not see the entry's weight sources (decided
 * again, an int8 ONNX file's 1x1 convs would look f32 there and take Strassen's kernel).
 */
export function splitConv(pool: Pool, n: ConvNode, k: Kernels, b: Bindings, x: Shape, out: Shape, m: 0 | 2 | 4, format: number, strassen: boolean, ctx?: OpContext): (() => void) | undefined {
  const threads = convThreads(n, out, ctx);
  if (threads === 1) return undefined;
  const [batch, inH, inW, inC] = nhwc(x);
  const [, outH, outW, outC] = nhwc(out);
  const [, , kH, kW] = n.weight.shape;
  const [sH, sW] = n.stride, [dH, dW] = n.dilation, [pT, pL] = n.pads;
  const act = ACT_CODE[n.act];
  const macs = batch * outH * outW * n.weight.shape[0] * n.weight.shape[1] * kH * kW;
  const parts: Int32Array[] = [];
  if (isDepthwise(n)) {
    // By output rows (batch folded in), or on small maps by channels in 4s, as the GEMM convs
    // around it split (by pixels from BLOCK_M a thread, else by panels): each thread then reads
    // what it wrote itself (EfficientNet-B0's 7x7 depthwise convs at batch 8 ran 1.4x faster on 2
    // threads than on one by rows). Channels split only in 4s: a scalar tail would round as one
    // call does not. Each thread expands int8 or fp16 weights into its own scratch.
    const byChannels = batch * inH * inW < BLOCK_M * threads && inC % 4 === 0 && inC >= 4 * threads;
    const units = byChannels ? inC / 4 : batch * outH, count = chunkCount(threads, macs, units);
    const head = [b.inputs[0], b.output, b.weights[0], inH, inW, inC, outH, outW, kH, kW, sH, sW, pT, pL, dH, dW, act, format, b.expand];
    for (let i = 0; i < count; i++) {
      parts.push(Int32Array.of(...head, ...(byChannels ? [0, batch * outH, ...share(i, count, units, 4, inC)] : [...share(i, count, units), 0, inC])));
    }
    const scratch = [[head.length - 1, b.expandStride ?? 0]] as const; // the expand scratch, the last before the ranges
    return () => pool.run('conv2d_dw_f32_part', parts, scratch);
  }
  const panels = Math.ceil(outC / n.group / 8);
  if (m) {
    // By tiles where each thread gets WINOGRAD_SPLIT_TILES or more and no means are made (their
    // sums run across every tile): no work repeated (but filters transformed per block, which each
    // thread transforms for its own blocks), in chunks of a block of tiles or more (each block
    // reads every filter). Else by output channels, one chunk a thread: each chunk transforms the
    // whole input and does its channels' filters (per block), products, outputs and means.
    const tiles = winogradTiles(m, out);
    const byTiles = !b.means && tiles >= WINOGRAD_SPLIT_TILES * threads;
    const count = byTiles ? chunkCount(threads, macs, Math.floor(tiles / WINOGRAD_BLOCK_TILES)) : threads;
    const head = [m, b.inputs[0], b.output, b.weights[0], b.zero, b.workspace, batch, inH, inW, inC, outH, outW, outC, pT, pL,
      act, b.means ?? 0, b.outputStride ?? outC, WINOGRAD_BLOCK_TILES, format, b.expand];
    for (let i = 0; i < count; i++) {
      parts.push(Int32Array.of(...head, ...(byTiles ? [0, panels, ...share(i, count, tiles)] : [...share(i, count, panels), 0, tiles])));
    }
    // The workspace (argument 5) and the expand scratch (the last before the ranges): one a thread.
    const scratch = [[5, winogradWorkspace(m, out, inC)], [head.length - 1, b.expandStride ?? 0]] as const;
    return () => pool.run('conv3x3_winograd_f32_part', parts, scratch);
  }
  if (strassen) {
    // By panels of each half of the outputs, one chunk a thread: each chunk forms every left
    // operand itself (about 7/4 K floats a pixel) and makes its columns of the seven products.
    const half = outC / 16;
    const head = [b.inputs[0], b.output, b.weights[0], b.zero, batch, outH * outW, inC, outC, act, 0, b.outputStride ?? outC, b.expand];
    for (let i = 0; i < threads; i++) parts.push(Int32Array.of(...head, ...share(i, threads, half)));
    const scratch = [[head.length - 1, b.expandStride ?? 0]] as const;
    return withMeans(pool, k, b, batch, outH * outW, outC, () => pool.run('conv2d_strassen_f32', parts, scratch));
  }
  // By output pixels in whole tiles when each thread gets a cache block or more; else (small
  // maps: 14x14, 7x7) by panels of output channels, so that each thread reads half the weights.
  // An im2col conv by pixels always: a split by panels would gather every window in each thread.
  const pixels = batch * outH * outW;
  const im2col = usesIm2col(n);
  const byPixels = im2col || n.group > 1 || pixels >= BLOCK_M * threads || panels < threads;
  const units = byPixels ? Math.ceil(pixels / TILE_M) : panels, count = chunkCount(threads, macs, units);
  const kernel = im2col ? 'conv2d_im2col_f32_part' : 'conv2d_f32_part';
  const head = im2col
    ? [b.inputs[0], b.output, b.weights[0], inH, inW, inC, outH, outW, outC, kH, kW, sH, sW, pT, pL, dH, dW, act, b.outputStride ?? outC, format, b.expand]
    : [b.inputs[0], b.output, b.weights[0], b.zero, batch, inH, inW, inC, outH, outW, outC, kH, kW,
      sH, sW, pT, pL, dH, dW, n.group, act, b.outputStride ?? outC, format, b.expand];
  // The chunk's range: pixels (and, for conv2d_f32_part, every panel), or every pixel and panels.
  const range = (i: number) => byPixels
    ? [...share(i, count, units, TILE_M, pixels), ...(im2col ? [] : [0, panels])]
    : [0, pixels, ...share(i, count, panels)];
  for (let i = 0; i < count; i++) parts.push(Int32Array.of(...head, ...range(i)));
  const scratch = [[head.length - 1, b.expandStride ?? 0]] as const; // the expand scratch, the last before the ranges
  return withMeans(pool, k, b, batch, outH * outW, outC, () => pool.run(kernel, parts, scratch));
}

/**
 * A split conv's call, then (where it feeds an SE squeeze) the channel means over its finished
 * output: by images where each thread has one, at batch 1 by ranges of 4 channels (the means of
 * more images lie image by image: [N, outC]).
 */
function withMeans(pool: Pool, k: Kernels, b: Bindings, batch: number, plane: number, outC: number, run: () => void): () => void {
  const means = b.means, threads = pool.threads;
  if (!means) return run;
  const stride = b.outputStride ?? outC;
  const meanParts = batch >= threads ? byImages(pool, batch, (n0, count) => [b.output + 4 * n0 * plane * stride, means + 4 * n0 * outC, count, plane, outC, stride])
    : batch === 1 && Array.from({ length: threads }, (_, t) => {
      const [c0, c1] = share(t, threads, Math.ceil(outC / 4), 4, outC);
      return Int32Array.of(b.output + 4 * c0, means + 4 * c0, 1, plane, c1 - c0, stride);
    });
  return () => {
    run();
    if (meanParts) pool.run('conv_means_f32', meanParts);
    else k.conv_means_f32(b.output, means, batch, plane, outC, stride);
  };
}

/**
 * Floats from which the memory-bound steps are split: below, a share takes about a barrier's time
 * (an add runs about 0.3 ns a float on one thread; a split op costs 5 us while the worker spins).
 * At batch 1, 16K, 64K, 256K and no split ran within noise of each other (2 threads, AMD EPYC,
 * 2026-11-29: MobileNetV3-Large 6.06-6.21 ms); at batch 8 these splits (and the input's layout
 * change) took MobileNetV3-Small from 1.82x one thread to 1.90x.
 */
const STEP_SPLIT_MIN_FLOATS = 1 << 16;

/** Thread t's images [n0, n0 + count) of `batch`, as one part each (empty parts included). */
const byImages = (pool: Pool, batch: number, part: (n0: number, count: number) => number[]): Int32Array[] =>
  Array.from({ length: pool.threads }, (_, t) => {
    const [n0, n1] = share(t, pool.threads, batch);
    return Int32Array.from(part(n0, n1 - n0));
  });

/**
 * A memory-bound step's call split across the pool's threads, or undefined when small (each
 * value computed as in one call: bitwise the same). The SE scale (scale_f32: each image's pixels
 * times its gates, + residual, ReLU) by images, or at a batch under the thread count each image by
 * pixels (a split op an image); the squeeze (global_pool_f32) by images, at batch 1 not at all
 * (its channels are one row a pixel); an add (add_f32) by ranges of 4 floats; the input's
 * NCHW -> NHWC (channel_shuffle_f32 with an image as its pixel) by images; pooling (pool2d_f32) by
 * images, at batch 1 by output rows (a share's windows start padT - r0 * strideH rows up).
 */
export function splitStep(pool: Pool, kernel: StepKernel, args: readonly number[]): (() => void) | undefined {
  const threads = pool.threads;
  if (kernel === 'add_f32') {
    const [a, b, out, len, act] = args;
    if (len < STEP_SPLIT_MIN_FLOATS) return undefined;
    const parts = Array.from({ length: threads }, (_, t) => {
      const [i0, i1] = share(t, threads, Math.ceil(len / 4), 4, len);
      return Int32Array.of(a + 4 * i0, b + 4 * i0, out + 4 * i0, i1 - i0, act);
    });
    return () => pool.run(kernel, parts);
  }
  if (kernel === 'global_pool_f32' || kernel === 'channel_shuffle_f32') {
    // [x, out, batch, hw, c, mode] and [x, out, batch, c, hw]: both hw * c floats an image.
    const [x, out, batch, d0, d1] = args, image = d0 * d1;
    if (batch < threads || batch * image < STEP_SPLIT_MIN_FLOATS) return undefined;
    const outImage = kernel === 'global_pool_f32' ? d1 : image;
    const parts = byImages(pool, batch, (n0, count) => [x + 4 * n0 * image, out + 4 * n0 * outImage, count, ...args.slice(3)]);
    return () => pool.run(kernel, parts);
  }
  if (kernel === 'pool2d_f32') {
    const [x, out, batch, inH, inW, c, outH, outW, , , sH, , pT, , , , , stride] = args;
    if (batch * inH * inW * c < STEP_SPLIT_MIN_FLOATS || batch > 1 && batch < threads) return undefined;
    const outImage = outH * outW * stride;
    const parts = batch > 1
      ? byImages(pool, batch, (n0, count) => [x + 4 * n0 * inH * inW * c, out + 4 * n0 * outImage, count, ...args.slice(3)])
      : Array.from({ length: threads }, (_, t) => {
        const [r0, r1] = share(t, threads, outH), part = Int32Array.from(args);
        part[1] = out + 4 * r0 * outW * stride; // output
        part[6] = r1 - r0; // outH
        part[12] = pT - r0 * sH; // padT
        return part;
      });
    return () => pool.run(kernel, parts);
  }
  const [x, s, residual, out, batch, hw, c, relu] = args;
  if (batch * hw * c < STEP_SPLIT_MIN_FLOATS) return undefined;
  const at = (n: number, p: number) => 4 * (n * hw + p) * c;
  const part = (n: number, images: number, p0: number, p1: number) =>
    [x + at(n, p0), s + 4 * n * c, residual && residual + at(n, p0), out + at(n, p0), images, p1 - p0, c, relu];
  if (batch >= threads) {
    const parts = byImages(pool, batch, (n0, count) => part(n0, count, 0, hw));
    return () => pool.run(kernel, parts);
  }
  const images = Array.from({ length: batch }, (_, n) => Array.from({ length: threads }, (_, t) => Int32Array.from(part(n, 1, ...share(t, threads, hw)))));
  return () => { for (const parts of images) pool.run(kernel, parts); };
}
