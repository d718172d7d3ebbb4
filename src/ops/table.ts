// The op table: for every op the engine runs, how its buffers are planned (in place, alias,
// workspace), which weights it packs and how it calls its kernel. The planner, the executor, the
// tests and the bench all go through this one table.
import { decodeSource, paramSource, type Activation, type Node, type OpType, type Param, type ParamSource } from '../graph/ir.js';
import { binaryOperands, broadcastShapes, numel, type Shape } from '../graph/shapes.js';
import type { WeightFormat } from '../graph/storage.js';
import { BINARY_OP, POOL_MODE, WEIGHTS_FORMAT, WINOGRAD_POINTS, type Kernels } from '../wasm/abi.js';
import type { Pool, StepKernel } from '../runtime/pool.js';
import { ACT_CODE } from './activation.js';
import { toNhwc } from '../graph/layout.js';
import { convBlock, depthwiseBlock, storageOf, strassenBlock, tensorBlock, winogradBlock, type PackedBlock } from './pack.js';

/** What the compile options let the op table choose (CompileOptions). */
export interface OpContext {
  /**
   * Winograd for the 3x3 stride-1 convolutions it suits, its tile chosen per layer; false: every
   * conv through the implicit GEMM; 2 or 4: that tile for every such conv (to measure errors).
   */
  winograd: boolean | 2 | 4;
  /** How Winograd keeps f32 filters (CompileOptions.winogradFilters); 'auto' when absent. */
  winogradFilters?: WinogradFilters;
  /** Strassen for the 1x1 convs it suits (CompileOptions.strassen); true when absent. */
  strassen?: boolean;
  /** How conv, fc and se weights are stored: as asked, or as their source is (undefined). */
  weights?: WeightFormat;
  /** Threads the engine has (large convs are split across them; each gets its own workspace). */
  threads?: number;
}

/** CompileOptions.winogradFilters' values. */
export const WINOGRAD_FILTERS = ['auto', 'packed', 'per-block'] as const;
export type WinogradFilters = (typeof WINOGRAD_FILTERS)[number];

export const DEFAULT_CONTEXT: OpContext = { winograd: true };

/** Byte offsets an op's call is bound to (decided by the planner). */
export interface Bindings {
  inputs: number[];
  output: number;
  weights: number[]; // one offset per packed block, in the order pack() returned them
  formats: WeightFormat[]; // how each of those blocks is stored
  /** Scratch where a kernel expands int8 or fp16 weights to f32 (the largest block's expandBytes). */
  expand: number;
  /** With a pool: thread t's expand scratch is at expand + t * expandStride. */
  expandStride?: number;
  /** The engine's threads, when it has more than one. */
  pool?: Pool;
  workspace: number;
  zero: number; // at least zeroFloats() zero floats
  /** conv: where its kernel also writes the channel means of its output ([N, C]), for an SE squeeze. */
  means?: number;
  /** se: its squeeze is already there (written by the conv that produced its input). */
  squeezed?: number;
  /**
   * The output is one channel slice of a concatenation's output, written in place: its pixels
   * are this many floats apart (absent: dense, the output's own channel count).
   */
  outputStride?: number;
  /** concat: the inputs whose producers already wrote them into their slices (nothing to copy). */
  written?: boolean[];
}

export interface OpSpec<T extends Node = Node> {
  /** The output shares the buffer of this input (no kernel work or an element-wise op on it). */
  alias?: boolean;
  /** Inputs whose buffer the output may take over when that input dies here (same size). */
  inPlace?: number[];
  /** Scratch bytes the call needs while it runs. */
  workspace?(node: T, ins: Shape[], out: Shape, ctx?: OpContext): number;
  /** Zero floats the call may read in place of padding. */
  zeroFloats?(node: T, ins: Shape[]): number;
  /** Whether the kernel can write its output as a channel slice of a wider tensor (Bindings.outputStride). */
  stridedOutput?(node: T): boolean;
  /**
   * Weights in the kernels' layouts, written into wasm memory once at compile time; conv, fc and
   * se weights stored as `ctx.weights` asks, or as their source is (undefined).
   */
  pack?(node: T, ins: Shape[], ctx?: OpContext): PackedBlock[];
  /** The algorithm the op runs where it has a choice (conv: 'gemm', 'im2col', 'strassen', 'depthwise', 'winograd F(4,3)'), for profiles. */
  algorithm?(node: T, ins: Shape[], ctx?: OpContext): string;
  /** se: where its gates [N, C] are in memory right after its call (in its workspace). */
  gates?(node: T, b: Bindings, ins: Shape[]): { offset: number; shape: [number, number] };
  /** The kernel call, bound to its offsets and sizes. */
  bind(node: T, k: Kernels, b: Bindings, ins: Shape[], out: Shape, ctx?: OpContext): () => void;
}

const data = (p: Param | undefined): Float32Array | undefined => p?.data;

/** A weight as packing reads it (file bytes and a folded BatchNorm's factors are applied while packing). */
const weight = (p: Param): ParamSource => paramSource(p)!;

/** [N, C, H, W] or [N, K] -> the kernels' view: batch, height, width, channels (NHWC). */
export const nhwc = (s: Shape): [number, number, number, number] =>
  s.length === 4 ? [s[0], s[2], s[3], s[1]] : [s[0], 1, 1, s[1]];

export const isDepthwise = (n: Extract<Node, { op: 'conv' }>): boolean =>
  n.group > 1 && n.weight.shape[1] === 1 && n.weight.shape[0] === n.group;

/** Whether a node's kernel can write the channel means of its output (Bindings.means). */
export const writesMeans = (node: Node): boolean => node.op === 'conv' && !isDepthwise(node);

export type ConvNode = Extract<Node, { op: 'conv' }>;

/**
 * The Winograd output tile m of F(m x m, 3 x 3) for a conv, or 0 for the implicit GEMM: only 3x3,
 * stride 1, no dilation, no groups, channels in and out multiples of 4. By the smaller side of the
 * output map, from `npm run bench:winograd` (SIMD, AMD EPYC, 2026-11-29; time of the GEMM over
 * Winograd's): F(4,3) from 5 up (ResNet-50's 56, 28, 14, 7: 3.0, 3.2, 2.1, 2.6x; F(2,3) 1.7, 2.0,
 * 2.0, 1.2x: on 7x7 too, where ncnn takes F(2,3)); F(2,3) on 3 and 4 (1.4, 1.9x; F(4,3) 1.0,
 * 1.4x: one tile, mostly waste); the GEMM below (F(2,3) 0.8x).
 */
export function winogradTile(n: ConvNode, x: Shape, ctx: OpContext = DEFAULT_CONTEXT): 0 | 2 | 4 {
  const [, , kH, kW] = n.weight.shape;
  // Channels in 4s: the SIMD builds' kernels have no scalar tail (assembly/kernels/winograd.ts).
  if (!ctx.winograd || kH !== 3 || kW !== 3 || n.group !== 1 || n.stride.some((s) => s !== 1) || n.dilation.some((d) => d !== 1) ||
    (x[1] | n.weight.shape[0]) & 3) return 0;
  if (ctx.winograd !== true) return ctx.winograd;
  const [outH, outW] = convOutput3x3(n, x);
  const m = Math.min(outH, outW) >= 5 ? 4 : Math.min(outH, outW) >= 3 ? 2 : 0;
  // int8 and fp16 filters are transformed in every call, once per block of tiles
  // (assembly/kernels/winograd.ts), so the choice weighs that against the tiles it serves: per
  // input x output channel, ns (int8, SIMD, AMD EPYC, 2026-11-29, `npm run bench:winograd -- 9
  // simd int8`, 128->128 on 1-7 pixel maps; fp16 within 10%): the GEMM 1.65 + 0.29 an output
  // pixel, F(2,3) 2.75 a block + 0.5 a tile, F(4,3) 5.1 + 1.0 (7x7 at batch 1: F(4,3) 1.8x the
  // GEMM, 5x5 neither, 4x4 F(2,3) 1.2x, 3x3 the GEMM).
  if (!m || weightStorage(n, ctx) === 'fp32') return m;
  const cost = (tile: 2 | 4, block: number, each: number) => {
    const tiles = x[0] * Math.ceil(outH / tile) * Math.ceil(outW / tile);
    return Math.ceil(tiles / WINOGRAD_BLOCK_TILES) * block + tiles * each;
  };
  const f2 = cost(2, 2.75, 0.5), f4 = m === 4 ? cost(4, 5.1, 1) : Infinity, gemm = 1.65 + 0.29 * x[0] * outH * outW;
  return Math.min(f2, f4) >= gemm ? 0 : f4 < f2 ? 4 : 2;
}

/** How a conv's weights will be stored; a structure-only graph (planning, counting) has no source: as asked. */
function weightStorage(n: ConvNode, ctx: OpContext = DEFAULT_CONTEXT): WeightFormat {
  const source = paramSource(n.weight);
  return source ? storageOf(source, ctx.weights) : ctx.weights ?? 'fp32';
}

/** The output map [H, W] of a 3x3 stride-1 conv. */
function convOutput3x3(n: ConvNode, x: Shape): [number, number] {
  const [t, l, b, r] = n.pads;
  return [x[2] + t + b - 2, x[3] + l + r - 2];
}

/**
 * Whether a Winograd conv's filters are transformed once, when packed (the WINOGRAD_POINTS layout,
 * (m + 2)^2 / 9 the 3x3's size), or by each block of tiles from the implicit GEMM's 3x3 panels (as
 * int8 and fp16 filters always are: assembly/kernels/winograd.ts). With f32 filters, per block
 * where a block has 8 tiles or more and the layer 256 x 256 channels or more: in ResNet-50
 * (`npm run bench:winograd-layout`, SIMD, AMD EPYC Zen 5, 2026-11-29, each 3x3 conv's time inside
 * the network, F(4,3), packed over per block) 1.16x on 14x14 maps at batch 1 (16 tiles, 256
 * channels), 1.17x at batch 8; 1.21x on 7x7 at batch 2 (8 tiles, 512 channels), 1.10x at batch 8;
 * but 0.64x on 7x7 at batch 1 (4 tiles: the transform is not repaid), 0.93-0.95x on 28x28 and
 * 56x56 (128 and 64 channels: their points fit in L2 or L3, and the transform is repeated for each
 * of their 2 to 7 blocks). The points of one such layer are 9.4 MB (14x14) and 38 MB (7x7); per
 * block the filters stay 3x3-sized.
 */
export function winogradPoints(n: ConvNode, x: Shape, m: 2 | 4, stored: WeightFormat, ctx: OpContext = DEFAULT_CONTEXT): boolean {
  if (stored !== 'fp32') return false;
  if (ctx.winogradFilters && ctx.winogradFilters !== 'auto') return ctx.winogradFilters === 'packed';
  const [outH, outW] = convOutput3x3(n, x);
  const tiles = x[0] * Math.ceil(outH / m) * Math.ceil(outW / m);
  return Math.min(tiles, WINOGRAD_BLOCK_TILES) < 8 || x[1] * n.weight.shape[0] < 256 * 256;
}

/**
 * Tiles a Winograd call transforms and multiplies at a time (its workspace holds one block): 16,
 * 32 and 64 were within 10% of each other on ResNet-50's layers, 32 best or next to it.
 */
export const WINOGRAD_BLOCK_TILES = 32;

/** Floats of a Winograd kernel's workspace for blocks of `tiles` tiles (assembly/kernels/winograd.ts). */
export const winogradWorkspaceFloats = (m: 2 | 4, tiles: number, inC: number, outC: number): number =>
  (m + 2) ** 2 * tiles * (inC + outC) + 16 * ((m + 2) ** 2 + tiles);

/**
 * Bytes of a Winograd conv's scratch with int8 or fp16 weights (kept as the implicit GEMM's stored
 * panels, each transformed per block: assembly/kernels/winograd.ts): a channel's 9 expanded taps
 * and a panel's (m + 2)^2 point panels.
 */
export const winogradScratchBytes = (m: 2 | 4, inC: number): number => 288 + 4 * (m + 2) ** 2 * (8 + 8 * inC);

/** Tiles of F(m x m, 3 x 3) over an output [N, C, H, W], batch folded in. */
export const winogradTiles = (m: 2 | 4, out: Shape): number => out[0] * Math.ceil(out[2] / m) * Math.ceil(out[3] / m);

/** The workspace bytes of one block of a Winograd conv's tiles. */
export function winogradWorkspace(m: 2 | 4, out: Shape, inC: number): number {
  return winogradWorkspaceFloats(m, Math.min(winogradTiles(m, out), WINOGRAD_BLOCK_TILES), inC, out[1]) * 4;
}

/** Output pixels conv2d_im2col_f32 gathers at a time (assembly/kernels/conv2d_im2col.ts). */
export const IM2COL_ROWS = 256;

/** The largest K (taps x input channels) conv2d_im2col_f32 is chosen for. */
const IM2COL_MAX_K = 1024;

/**
 * Whether a conv runs through an explicit im2col (conv2d_im2col_f32) rather than the implicit GEMM:
 * no groups, a kernel of more than one tap, at most 4 input channels (a tap is then too short a K
 * run for the implicit GEMM's tile: the 3-channel stems) and more than one panel of 8 output
 * channels (over one panel the gather is not repaid). Both builds (AMD EPYC, 2026-11-29, against
 * the implicit GEMM, same bits: SIMD 3x3/2 3->16 and 3->32 at 224x224 1.32-1.34x, 7x7/2 3->64
 * 1.25x, 3x3 4->24 1.35x, 5x5 3->8 0.88x; scalar 1.09-1.37x). K at most IM2COL_MAX_K, so that the
 * scratch (IM2COL_ROWS x K floats) stays within 1 MB whatever the kernel's size (an 11x11 stem:
 * K = 363). Sizes only: the same choice at every batch, so a batch of one gives the bits of that
 * image inside a larger batch.
 */
export function usesIm2col(n: ConvNode): boolean {
  const [outC, inCg, kH, kW] = n.weight.shape;
  return n.group === 1 && kH * kW > 1 && inCg <= 4 && outC > 8 && kH * kW * inCg <= IM2COL_MAX_K;
}

/**
 * Whether a conv runs through one level of Strassen's algorithm (conv2d_strassen_f32): a 1x1 conv
 * (stride 1, no padding, no groups) with f32 weights, K a multiple of 8 and outC of 16, where its
 * seven half-sized products repay the sums of blocks they need.
 */
export function usesStrassen(n: ConvNode, x: Shape, ctx: OpContext = DEFAULT_CONTEXT): boolean {
  const [outC, inCg, kH, kW] = n.weight.shape;
  return ctx.strassen !== false && n.group === 1 && kH === 1 && kW === 1 && n.stride.every((v) => v === 1) && n.pads.every((v) => v === 0) &&
    inCg % 8 === 0 && outC % 16 === 0 && weightStorage(n, ctx) === 'fp32' &&
    inCg >= 512 && outC >= 256 && x[2] * x[3] >= 196;
}

/** Output pixels conv2d_strassen_f32 takes at a time (assembly/kernels/conv2d_strassen.ts): two halves of 128. */
const STRASSEN_ROWS = 256;

/** Bytes of conv2d_strassen_f32's scratch: half a block's rows of a left operand (K / 2) and of a product (outC / 2). */
export const strassenBytes = (k: number, outC: number): number => (STRASSEN_ROWS / 2) * ((k + outC) / 2) * 4;

/** Bytes of conv2d_im2col_f32's gathered block of windows of k floats (before the panels' expand scratch). */
export const im2colBytes = (k: number): number => Math.ceil((IM2COL_ROWS * k * 4) / 16) * 16;

const conv: OpSpec<ConvNode> = {
  zeroFloats: (n) => n.weight.shape[1],
  stridedOutput: (n) => !isDepthwise(n),
  workspace(n, [x], out, ctx) {
    const m = winogradTile(n, x, ctx);
    // A workspace a thread: a split conv's threads each transform blocks of their own.
    return m ? winogradWorkspace(m, out, x[1]) * (ctx?.threads ?? 1) : 0;
  },
  algorithm(n, [x], ctx) {
    const m = winogradTile(n, x, ctx);
    if (!m) return isDepthwise(n) ? 'depthwise' : usesIm2col(n) ? 'im2col' : usesStrassen(n, x, ctx) ? 'strassen' : 'gemm';
    return `winograd F(${m},3)${winogradPoints(n, x, m, weightStorage(n, ctx), ctx) ? '' : ', filters per block'}`;
  },
  pack(n, [x], ctx) {
    const [outC, inCg, kH, kW] = n.weight.shape;
    const m = winogradTile(n, x, ctx);
    const w = weight(n.weight), format = storageOf(w, ctx?.weights);
    if (m) {
      // The filters transformed once here, or (int8 and fp16 always, f32 where the GEMMs run faster
      // so) kept as the 3x3 panels, which the kernel transforms a panel at a time.
      if (winogradPoints(n, x, m, format, ctx)) return [winogradBlock(w, data(n.bias), outC, inCg, m)];
      return [{ ...convBlock(w, data(n.bias), outC, inCg, kH, kW, 1, format), expandBytes: winogradScratchBytes(m, inCg) }];
    }
    if (isDepthwise(n)) return [depthwiseBlock(w, data(n.bias), outC, kH, kW, format)];
    if (usesStrassen(n, x, ctx)) return [{ ...strassenBlock(w, data(n.bias), outC, inCg), expandBytes: strassenBytes(inCg, outC) }];
    const block = convBlock(w, data(n.bias), outC, inCg, kH, kW, n.group, format);
    // im2col: the gathered block, then the panels' expand scratch.
    return [usesIm2col(n) ? { ...block, expandBytes: im2colBytes(inCg * kH * kW) + block.expandBytes } : block];
  },
  bind(n, k, b, [x], out, ctx) {
    const [batch, inH, inW, inC] = nhwc(x);
    const [, outH, outW, outC] = nhwc(out);
    const [, , kH, kW] = n.weight.shape;
    const [sH, sW] = n.stride, [dH, dW] = n.dilation, [pT, pL] = n.pads;
    const act = ACT_CODE[n.act];
    const m = winogradTile(n, x, ctx);
    // Large convs of an engine with threads: split across them (src/runtime/split.ts, Node only).
    const format = m && winogradPoints(n, x, m, b.formats[0], ctx) ? WINOGRAD_POINTS : WEIGHTS_FORMAT[b.formats[0]];
    const strassen = !m && usesStrassen(n, x, ctx);
    const split = b.pool?.splitConv(n, k, b, x, out, m, format, strassen, ctx);
    if (split) return split;
    if (m) {
      return k[m === 4 ? 'conv3x3_winograd_f32_4x4' : 'conv3x3_winograd_f32_2x2'].bind(null, b.inputs[0], b.output, b.weights[0],
        b.zero, b.workspace, batch, inH, inW, inC, outH, outW, outC, pT, pL, act, b.means ?? 0, b.outputStride ?? outC, WINOGRAD_BLOCK_TILES,
        format, b.expand);
    }
    if (isDepthwise(n)) {
      return k.conv2d_dw_f32.bind(null, b.inputs[0], b.output, b.weights[0],
        batch, inH, inW, inC, outH, outW, kH, kW, sH, sW, pT, pL, dH, dW, act, format, b.expand);
    }
    if (strassen) {
      return k.conv2d_strassen_f32.bind(null, b.inputs[0], b.output, b.weights[0], b.zero,
        batch, outH * outW, inC, outC, act, b.means ?? 0, b.outputStride ?? outC, b.expand, 0, outC / 16);
    }
    if (usesIm2col(n)) {
      return k.conv2d_im2col_f32.bind(null, b.inputs[0], b.output, b.weights[0],
        batch, inH, inW, inC, outH, outW, outC, kH, kW, sH, sW, pT, pL, dH, dW, act, b.means ?? 0, b.outputStride ?? outC,
        format, b.expand);
    }
    return k.conv2d_f32.bind(null, b.inputs[0], b.output, b.weights[0], b.zero,
      batch, inH, inW, inC, outH, outW, outC, kH, kW, sH, sW, pT, pL, dH, dW, n.group, act, b.means ?? 0, b.outputStride ?? outC,
      format, b.expand);
  },
};

// A map input is read as it lies in memory (NHWC: each image's H x W x C values in a row), so
// the weight's columns, in ONNX's NCHW flattening order, are permuted to that order when packed.
const fc: OpSpec<Extract<Node, { op: 'fc' }>> = {
  zeroFloats: (n) => n.weight.shape[1],
  pack(n, [x], ctx) {
    const [outK, kIn] = n.weight.shape;
    const spatial = x.length === 4 && x[2] * x[3] > 1;
    const w = spatial ? toNhwcColumns(weight(n.weight), x) : weight(n.weight);
    return [convBlock(w, data(n.bias), outK, kIn, 1, 1, 1, storageOf(w, ctx?.weights))];
  },
  bind: (n, k, b, [x], out, ctx) => fcCall(n, k, b, b.inputs[0], b.output, 0, x[0], numel(x) / x[0], out[1], n.act, ctx),
};

/** A memory-bound step's call, split across the pool's threads where that pays (src/runtime/split.ts splitStep). */
export function stepCall(k: Kernels, pool: Pool | undefined, kernel: StepKernel, ...args: number[]): () => void {
  return pool?.splitStep(kernel, args) ?? (k[kernel] as (...a: number[]) => void).bind(null, ...args);
}

/**
 * An FC layer's call (the fc op's, the SE block's two): conv2d_f32 as a 1x1 conv of 1x1 maps, or
 * split as one (src/runtime/split.ts reads shapes only) from input to output with packed block i.
 */
function fcCall(n: Node, k: Kernels, b: Bindings, input: number, output: number, i: number, batch: number, kIn: number, outK: number,
  act: Activation, ctx?: OpContext): () => void {
  const conv = { ...n, op: 'conv', act, weight: { shape: [outK, kIn, 1, 1] }, stride: [1, 1], pads: [0, 0, 0, 0], dilation: [1, 1], group: 1 } as ConvNode;
  const at = { ...b, inputs: [input], output, weights: [b.weights[i]], formats: [b.formats[i]] }; // no means or output stride: an fc's or se's
  return b.pool?.splitConv(conv, k, at, [batch, kIn, 1, 1], [batch, outK, 1, 1], 0, WEIGHTS_FORMAT[b.formats[i]], false, ctx) ?? k.conv2d_f32.bind(null, input, output, b.weights[i], b.zero,
    batch, 1, 1, kIn, 1, 1, outK, 1, 1, 1, 1, 0, 0, 1, 1, 1, ACT_CODE[act], 0, outK, WEIGHTS_FORMAT[b.formats[i]], b.expand);
}

/**
 * FC weight rows [outK, C * H * W] with their columns from NCHW order to NHWC (h, w, c) order, in
 * the form the source has (int8 and half values are moved, not decoded; fc weights have no rowScale).
 */
function toNhwcColumns(s: ParamSource, [, c, h, wd]: Shape): ParamSource {
  // Each row is one [c, h, w] map: the rows are a batch of them.
  const rows = (length: number): Shape => [length / (c * h * wd), c, h, wd];
  if (s.quant) return { quant: { ...s.quant, data: toNhwc(s.quant.data, new Uint8Array(s.quant.data.length), rows(s.quant.data.length)) } };
  if (s.half) {
    const half = new Uint16Array(s.half.slice().buffer);
    return { half: new Uint8Array(toNhwc(half, new Uint16Array(half.length), rows(half.length)).buffer) };
  }
  const w = decodeSource(s);
  return { values: toNhwc(w, new Float32Array(w.length), rows(w.length)) };
}

// A BatchNorm left unfolded (no conv before it) is a per-channel affine map: a 1x1 depthwise conv.
const batchnorm: OpSpec<Extract<Node, { op: 'batchnorm' }>> = {
  inPlace: [0],
  pack(n) {
    const c = n.scale.shape[0];
    const g = data(n.scale)!, beta = data(n.bias)!, mean = data(n.mean)!, v = data(n.variance)!;
    const w = new Float32Array(c), bias = new Float32Array(c);
    for (let i = 0; i < c; i++) {
      w[i] = g[i] / Math.sqrt(v[i] + n.epsilon);
      bias[i] = beta[i] - mean[i] * w[i];
    }
    return [depthwiseBlock({ values: w }, bias, c, 1, 1)];
  },
  bind(_n, k, b, [x]) {
    const [batch, h, w, c] = nhwc(x);
    return k.conv2d_dw_f32.bind(null, b.inputs[0], b.output, b.weights[0],
      batch, h, w, c, h, w, 1, 1, 1, 1, 0, 0, 1, 1, 0, WEIGHTS_FORMAT.fp32, 0);
  },
};

const activation: OpSpec<Extract<Node, { op: 'activation' }>> = {
  inPlace: [0],
  bind: (n, k, b, [x]) => k.activation_f32.bind(null, b.inputs[0], b.output, numel(x), ACT_CODE[n.act]),
};

const add: OpSpec<Extract<Node, { op: 'add' }>> = {
  inPlace: [0, 1],
  bind: (n, k, b, [x]) => stepCall(k, b.pool, 'add_f32', b.inputs[0], b.inputs[1], b.output, numel(x), ACT_CODE[n.act]),
};

const mul: OpSpec<Extract<Node, { op: 'mul' }>> = {
  inPlace: [0],
  bind(_n, k, b, [x]) {
    const [batch, h, w, c] = nhwc(x);
    return k.scale_f32.bind(null, b.inputs[0], b.inputs[1], 0, b.output, batch, h * w, c, 0);
  },
};

/** `shape` with leading 1s up to `rank` (numpy broadcasting aligns shapes on the right). */
const expand = (shape: Shape, rank: number): Shape => [...Array(rank - shape.length).fill(1), ...shape];

/** Strides in floats of each logical axis in memory: NHWC for rank 4, row-major for the rest. */
function memoryStrides(shape: Shape): number[] {
  if (shape.length === 4) {
    const [, c, h, w] = shape;
    return [h * w * c, 1, w * c, c];
  }
  const strides: number[] = [];
  for (let i = shape.length - 1, acc = 1; i >= 0; acc *= shape[i--]) strides[i] = acc;
  return strides;
}

/** The logical axes of a rank-r tensor in memory order, padded in front to 4 with -1 (size 1). */
const memoryOrder = (rank: number): number[] =>
  (rank === 4 ? [0, 2, 3, 1] : [...Array(4 - rank).fill(-1), ...Array.from({ length: rank }, (_, i) => i)]);

type BinaryNode = Extract<Node, { op: 'binary' }>;
const binaryOut = (n: BinaryNode, ins: Shape[]): Shape => broadcastShapes(...binaryOperands(n, ins))!;

// a (op) b with numpy broadcasting: binary_f32 walks the output in memory order, each operand
// with its own strides (0 along broadcast axes). A constant operand is packed in the layout a
// computed tensor of its shape, expanded to the output's rank, has.
const binary: OpSpec<BinaryNode> = {
  inPlace: [0, 1],
  pack(n, ins) {
    if (!n.constant) return [];
    return [tensorBlock(weight(n.constant.value), expand(n.constant.value.shape, binaryOut(n, ins).length))];
  },
  bind(n, k, b, ins, out) {
    const rank = out.length, order = memoryOrder(rank);
    const operands = binaryOperands(n, ins).map((s, i) => {
      const constant = n.constant?.at === i;
      const shape = expand(s, rank);
      const own = constant ? memoryStrides(shape) : memoryStrides(s);
      // Axes the operand lacks (added in front) or has as 1 where the output does not: stride 0.
      const strides = shape.map((d, axis) => (d === 1 && out[axis] !== 1 ? 0 : constant ? own[axis] : own[axis - (rank - s.length)] ?? 0));
      const pointer = constant ? b.weights[0] : b.inputs[n.constant && n.constant.at < i ? 0 : i];
      return { pointer, strides: order.map((axis) => (axis < 0 ? 0 : strides[axis])) };
    });
    const dims = order.map((axis) => (axis < 0 ? 1 : out[axis]));
    const [a, c] = operands;
    return k.binary_f32.bind(null, a.pointer, c.pointer, b.output, BINARY_OP[n.kind], ACT_CODE[n.act],
      dims[0], dims[1], dims[2], dims[3], ...a.strides as [number, number, number, number], ...c.strides as [number, number, number, number]);
  },
};

const pool: OpSpec<Extract<Node, { op: 'pool' }>> = {
  stridedOutput: () => true,
  bind(n, k, b, [x], out) {
    const [batch, inH, inW, c] = nhwc(x);
    const [, outH, outW] = nhwc(out);
    const mode = n.mode === 'max' ? POOL_MODE.max : n.countIncludePad ? POOL_MODE.avgIncludePad : POOL_MODE.avg;
    const [pT, pL, pB, pR] = n.pads;
    return stepCall(k, b.pool, 'pool2d_f32', b.inputs[0], b.output, batch, inH, inW, c, outH, outW,
      n.kernel[0], n.kernel[1], n.stride[0], n.stride[1], pT, pL, pB, pR, mode, b.outputStride ?? c);
  },
};

const globalpool: OpSpec<Extract<Node, { op: 'globalpool' }>> = {
  bind(n, k, b, [x]) {
    const [batch, h, w, c] = nhwc(x);
    return k.global_pool_f32.bind(null, b.inputs[0], b.output, batch, h * w, c, POOL_MODE[n.mode]);
  },
};

// [N, C, 1, 1] and [N, C] are the same bytes in NHWC: flatten and reshape cost nothing.
const flatten: OpSpec<Extract<Node, { op: 'flatten' }>> = {
  alias: true,
  bind: () => () => {},
};

const reshape: OpSpec<Extract<Node, { op: 'reshape' }>> = {
  alias: true,
  bind: () => () => {},
};

const softmax: OpSpec<Extract<Node, { op: 'softmax' }>> = {
  inPlace: [0],
  // NHWC: a pixel's channels are one row; an image's values are one row too, in another order
  // than NCHW, which a softmax over all of them does not see.
  bind: (n, k, b, [x]) => (n.whole
    ? k.softmax_f32.bind(null, b.inputs[0], b.output, x[0], numel(x) / x[0])
    : k.softmax_f32.bind(null, b.inputs[0], b.output, numel(x) / x[1], x[1])),
};

// The fused SE block: squeeze into z, FC + act into h, FC + gate into s (both through the GEMM
// kernel), then scale (+ residual, + ReLU) in one pass. z, h, s live in the op's workspace; when
// the conv before wrote the squeeze (Bindings.squeezed), fc1 reads it from there instead.
const se: OpSpec<Extract<Node, { op: 'se' }>> = {
  inPlace: [0, 1],
  workspace: (n, [x]) => 4 * x[0] * (2 * x[1] + n.fc1.weight.shape[0]),
  zeroFloats: (n, [x]) => Math.max(x[1], n.fc1.weight.shape[0]),
  pack(n, [x], ctx) {
    const c = x[1], hidden = n.fc1.weight.shape[0];
    const w1 = weight(n.fc1.weight), w2 = weight(n.fc2.weight);
    return [
      convBlock(w1, data(n.fc1.bias), hidden, c, 1, 1, 1, storageOf(w1, ctx?.weights)),
      convBlock(w2, data(n.fc2.bias), c, hidden, 1, 1, 1, storageOf(w2, ctx?.weights)),
    ];
  },
  gates: (n, b, [x]) => ({ offset: b.workspace + 4 * x[0] * (x[1] + n.fc1.weight.shape[0]), shape: [x[0], x[1]] }),
  bind(n, k, b, [x], _out, ctx) {
    const [batch, h, w, c] = nhwc(x);
    const hidden = n.fc1.weight.shape[0];
    const hid = b.workspace + 4 * batch * c, s = hid + 4 * batch * hidden;
    const z = b.squeezed ?? b.workspace;
    const squeeze = b.squeezed === undefined ? stepCall(k, b.pool, 'global_pool_f32', b.inputs[0], z, batch, h * w, c, POOL_MODE[n.squeeze]) : () => {};
    const fc1 = fcCall(n, k, b, z, hid, 0, batch, c, hidden, n.act, ctx);
    const fc2 = fcCall(n, k, b, hid, s, 1, batch, hidden, c, n.gate, ctx);
    const scale = stepCall(k, b.pool, 'scale_f32', b.inputs[0], s, b.inputs[1] ?? 0, b.output, batch, h * w, c, n.residualAct === 'relu' ? 1 : 0);
    return () => { squeeze(); fc1(); fc2(); scale(); };
  },
};

// Each input into its channel slice of every pixel ([N, K] vectors: one pixel an image), unless
// its producer already wrote it there (the planner's choice: Bindings.written).
const concat: OpSpec<Extract<Node, { op: 'concat' }>> = {
  bind(_n, k, b, ins, out) {
    const pixels = numel(out) / out[1];
    let offset = 0;
    const copies = ins.map((s, i) => {
      const at = offset;
      offset += s[1];
      return b.written?.[i] ? undefined : k.copy2d_f32.bind(null, b.inputs[i], b.output + 4 * at, pixels, s[1], s[1], out[1]);
    }).filter((c): c is () => void => c !== undefined);
    return () => { for (const c of copies) c(); };
  },
};

const shuffle: OpSpec<Extract<Node, { op: 'shuffle' }>> = {
  bind(n, k, b, [x]) {
    const [batch, h, w, c] = nhwc(x);
    return k.channel_shuffle_f32.bind(null, b.inputs[0], b.output, batch * h * w, n.groups, c / n.groups);
  },
};

const pad: OpSpec<Extract<Node, { op: 'pad' }>> = {
  bind(n, k, b, [x]) {
    const [batch, h, w, c] = nhwc(x);
    const [t, l, bottom, r] = n.pads;
    return k.pad_f32.bind(null, b.inputs[0], b.output, batch, h, w, c, t, l, bottom, r, n.value);
  },
};

export const OPS: { [K in OpType]: OpSpec<Extract<Node, { op: K }>> } = {
  conv, fc, batchnorm, activation, add, mul, binary, pool, globalpool, flatten, reshape, softmax, se, concat, shuffle, pad,
};

export function opSpec(node: Node): OpSpec {
  return OPS[node.op] as OpSpec;
}
