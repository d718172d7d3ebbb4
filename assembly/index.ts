// Every kernel the host calls. Arguments are byte offsets into the imported memory and sizes;
// no kernel allocates or keeps state. Built as simd, scalar and relaxed, each also with threads
// (shared memory; the *_part kernels, one thread's share of a split op, work only there).
export { conv2d_f32, conv2d_f32_part, conv_means_f32 } from "./kernels/conv2d";
export { conv2d_im2col_f32, conv2d_im2col_f32_part } from "./kernels/conv2d_im2col";
export { conv2d_strassen_f32 } from "./kernels/conv2d_strassen";
export { conv3x3_winograd_f32_2x2, conv3x3_winograd_f32_4x4, conv3x3_winograd_f32_part, winograd_filter_f32 } from "./kernels/winograd";
export { conv2d_dw_f32, conv2d_dw_f32_part } from "./kernels/conv2d_dw";
export { pool2d_f32, global_pool_f32 } from "./kernels/pool";
export { scale_f32 } from "./kernels/se";
export { add_f32, activation_f32, softmax_f32, binary_f32 } from "./kernels/eltwise";
export { pack_conv_panel_f32 } from "./kernels/pack";
export { pack_conv_panel_stored, unpack_weights } from "./kernels/weights";
export { copy2d_f32, channel_shuffle_f32, pad_f32 } from "./kernels/copy";

/** First byte the host may use: static data (math tables) lies below it. */
export function heap_base(): usize {
  return __heap_base;
}

/** Which build this is: 0 scalar, 1 SIMD, 2 relaxed SIMD (the host checks what it was given). */
export function build_kind(): i32 {
  return ASC_FEATURE_RELAXED_SIMD ? 2 : ASC_FEATURE_SIMD ? 1 : 0;
}

/** 1 in the threaded builds (shared memory, the *_part kernels), else 0. */
export function build_threads(): i32 {
  return ASC_FEATURE_THREADS ? 1 : 0;
}
