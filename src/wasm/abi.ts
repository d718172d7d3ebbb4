// The host/wasm contract: every export of assembly/index.ts, typed. Pointers are byte offsets
// into the imported memory; see each kernel's doc comment in assembly/kernels/ for the layouts.

export interface Kernels {
  heap_base(): number;
  /** 0 in the scalar build, 1 in the SIMD build, 2 in the relaxed-SIMD build. */
  build_kind(): number;
  /** 1 in the threaded builds (shared memory), else 0. */
  build_threads(): number;
  conv2d_f32(
    input: number, output: number, weights: number, zero: number,
    batch: number, inH: number, inW: number, inC: number, outH: number, outW: number, outC: number,
    kH: number, kW: number, strideH: number, strideW: number, padT: number, padL: number,
    dilH: number, dilW: number, groups: number, act: number, means: number, outStride: number,
    format: number, scratch: number,
  ): void;
  /** conv2d_f32 over pixels [mBegin, mEnd) and panels [pBegin, pEnd), without means (threaded builds). */
  conv2d_f32_part(
    input: number, output: number, weights: number, zero: number,
    batch: number, inH: number, inW: number, inC: number, outH: number, outW: number, outC: number,
    kH: number, kW: number, strideH: number, strideW: number, padT: number, padL: number,
    dilH: number, dilW: number, groups: number, act: number, outStride: number,
    format: number, scratch: number, mBegin: number, mEnd: number, pBegin: number, pEnd: number,
  ): void;
  /** conv2d_f32 without groups through an explicit im2col of IM2COL_ROWS pixels at a time (the 3-channel stems). */
  conv2d_im2col_f32(
    input: number, output: number, weights: number,
    batch: number, inH: number, inW: number, inC: number, outH: number, outW: number, outC: number,
    kH: number, kW: number, strideH: number, strideW: number, padT: number, padL: number,
    dilH: number, dilW: number, act: number, means: number, outStride: number,
    format: number, scratch: number,
  ): void;
  /**
   * A 1x1 conv (no groups, f32 weights) through one level of Strassen's algorithm, weights from
   * strassenBlock; panels [pBegin, pEnd) of each half of the outputs (a thread's share: means 0).
   */
  conv2d_strassen_f32(
    input: number, output: number, weights: number, zero: number, batch: number, plane: number, inC: number, outC: number,
    act: number, means: number, outStride: number, scratch: number, pBegin: number, pEnd: number,
  ): void;
  /** conv2d_im2col_f32 over pixels [mBegin, mEnd), without means (threaded builds). */
  conv2d_im2col_f32_part(
    input: number, output: number, weights: number,
    inH: number, inW: number, inC: number, outH: number, outW: number, outC: number,
    kH: number, kW: number, strideH: number, strideW: number, padT: number, padL: number,
    dilH: number, dilW: number, act: number, outStride: number,
    format: number, scratch: number, mBegin: number, mEnd: number,
  ): void;
  /** conv2d_f32's channel means of an output already written (threaded builds). */
  conv_means_f32(output: number, means: number, batch: number, plane: number, outC: number, outStride: number): void;
  conv3x3_winograd_f32_2x2(
    input: number, output: number, weights: number, zero: number, workspace: number,
    batch: number, inH: number, inW: number, inC: number, outH: number, outW: number, outC: number,
    padT: number, padL: number, act: number, means: number, outStride: number, blockTiles: number,
    format: number, scratch: number,
  ): void;
  conv3x3_winograd_f32_4x4: Kernels['conv3x3_winograd_f32_2x2'];
  /** F(m x m, 3 x 3) for output channels [8 pBegin, 8 pEnd) and tiles [tBegin, tEnd) (threaded builds). */
  conv3x3_winograd_f32_part(
    m: number, input: number, output: number, weights: number, zero: number, workspace: number,
    batch: number, inH: number, inW: number, inC: number, outH: number, outW: number, outC: number,
    padT: number, padL: number, act: number, means: number, outStride: number, blockTiles: number,
    format: number, scratch: number, pBegin: number, pEnd: number, tBegin: number, tEnd: number,
  ): void;
  conv2d_dw_f32(
    input: number, output: number, weights: number,
    batch: number, inH: number, inW: number, c: number, outH: number, outW: number,
    kH: number, kW: number, strideH: number, strideW: number, padT: number, padL: number,
    dilH: number, dilW: number, act: number, format: number, scratch: number,
  ): void;
  /** conv2d_dw_f32 over output rows [rBegin, rEnd), batch folded in, and channels [cBegin, cEnd) (threaded builds). */
  conv2d_dw_f32_part(
    input: number, output: number, weights: number,
    inH: number, inW: number, c: number, outH: number, outW: number,
    kH: number, kW: number, strideH: number, strideW: number, padT: number, padL: number,
    dilH: number, dilW: number, act: number, format: number, scratch: number, rBegin: number, rEnd: number,
    cBegin: number, cEnd: number,
  ): void;
  pool2d_f32(
    input: number, output: number,
    batch: number, inH: number, inW: number, c: number, outH: number, outW: number,
    kH: number, kW: number, strideH: number, strideW: number,
    padT: number, padL: number, padB: number, padR: number, mode: number, outStride: number,
  ): void;
  global_pool_f32(input: number, output: number, batch: number, hw: number, c: number, mode: number): void;
  scale_f32(x: number, s: number, residual: number, out: number, batch: number, hw: number, c: number, relu: number): void;
  add_f32(a: number, b: number, out: number, len: number, act: number): void;
  activation_f32(x: number, out: number, len: number, act: number): void;
  softmax_f32(x: number, out: number, rows: number, cols: number): void;
  binary_f32(
    a: number, b: number, out: number, op: number, act: number,
    n0: number, n1: number, n2: number, n3: number,
    a0: number, a1: number, a2: number, a3: number, b0: number, b1: number, b2: number, b3: number,
  ): void;
  copy2d_f32(src: number, dst: number, rows: number, width: number, srcStride: number, dstStride: number): void;
  channel_shuffle_f32(src: number, dst: number, pixels: number, groups: number, perGroup: number): void;
  pad_f32(src: number, dst: number, batch: number, inH: number, inW: number, c: number,
    padT: number, padL: number, padB: number, padR: number, value: number): void;
  pack_conv_panel_f32(src: number, bias: number, scale: number, dst: number, n: number, inCg: number, taps: number): void;
  pack_conv_panel_stored(src: number, size: number, bias: number, scale: number, zero: number, dst: number, n: number, inCg: number, taps: number): void;
  /** The f32 Winograd filter transform of one packed 3x3 panel into each point's 1x1 panel, pointBytes apart. */
  winograd_filter_f32(m: 2 | 4, panel: number, inC: number, u: number, pointBytes: number): void;
  unpack_weights(format: number, src: number, dst: number, rows: number, cols: number): void;
}

export const KERNEL_NAMES: readonly (keyof Kernels)[] = [
  'heap_base', 'build_kind', 'conv2d_f32', 'conv3x3_winograd_f32_2x2', 'conv3x3_winograd_f32_4x4', 'conv2d_dw_f32', 'pool2d_f32', 'global_pool_f32', 'scale_f32',
  'add_f32', 'activation_f32', 'softmax_f32', 'binary_f32', 'copy2d_f32', 'channel_shuffle_f32', 'pad_f32', 'pack_conv_panel_f32',
  'pack_conv_panel_stored', 'winograd_filter_f32', 'unpack_weights', 'build_threads', 'conv2d_f32_part', 'conv_means_f32', 'conv3x3_winograd_f32_part',
  'conv2d_dw_f32_part', 'conv2d_im2col_f32', 'conv2d_im2col_f32_part', 'conv2d_strassen_f32',
];

/** Weight storage codes of conv2d_f32's and conv2d_dw_f32's `format` (assembly/kernels/weights.ts). */
export const WEIGHTS_FORMAT = { fp32: 0, int8: 1, fp16: 2 } as const;
/** The Winograd kernels' `format` for their own layout of transformed f32 filters (assembly/kernels/winograd.ts). */
export const WINOGRAD_POINTS = 3;

/** Pool modes of pool2d_f32 and global_pool_f32 (assembly/kernels/pool.ts). */
export const POOL_MODE = { max: 0, avg: 1, avgIncludePad: 2 } as const;

/** Operations of binary_f32 (assembly/kernels/eltwise.ts). */
export const BINARY_OP = { add: 0, sub: 1, mul: 2, div: 3, max: 4, min: 5, prelu: 6 } as const;
