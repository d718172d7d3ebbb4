// The host/wasm contract: every export of assembly/index.ts, typed. Pointers are byte offsets
// into the imported memory; see each kernel's doc comment in assembly/kernels/ for the layouts.

export interface Kernels {
  heap_base(): number;
  conv2d_f32(
    input: number, output: number, weights: number, zero: number,
    batch: number, inH: number, inW: number, inC: number, outH: number, outW: number, outC: number,
    kH: number, kW: number, strideH: number, strideW: number, padT: number, padL: number,
    dilH: number, dilW: number, groups: number, act: number, means: number,
  ): void;
  conv2d_dw_f32(
    input: number, output: number, weights: number,
    batch: number, inH: number, inW: number, c: number, outH: number, outW: number,
    kH: number, kW: number, strideH: number, strideW: number, padT: number, padL: number,
    dilH: number, dilW: number, act: number,
  ): void;
  pool2d_f32(
    input: number, output: number,
    batch: number, inH: number, inW: number, c: number, outH: number, outW: number,
    kH: number, kW: number, strideH: number, strideW: number,
    padT: number, padL: number, padB: number, padR: number, mode: number,
  ): void;
  global_pool_f32(input: number, output: number, batch: number, hw: number, c: number, mode: number): void;
  scale_f32(x: number, s: number, residual: number, out: number, batch: number, hw: number, c: number, relu: number): void;
  add_f32(a: number, b: number, out: number, len: number, act: number): void;
  activation_f32(x: number, out: number, len: number, act: number): void;
  softmax_f32(x: number, out: number, rows: number, cols: number): void;
  pack_conv_panel_f32(src: number, bias: number, scale: number, dst: number, n: number, inCg: number, taps: number): void;
}

export const KERNEL_NAMES: readonly (keyof Kernels)[] = [
  'heap_base', 'conv2d_f32', 'conv2d_dw_f32', 'pool2d_f32', 'global_pool_f32', 'scale_f32',
  'add_f32', 'activation_f32', 'softmax_f32', 'pack_conv_panel_f32',
];

/** Pool modes of pool2d_f32 and global_pool_f32 (assembly/kernels/pool.ts). */
export const POOL_MODE = { max: 0, avg: 1, avgIncludePad: 2 } as const;
