// Moving channels between NHWC tensors: concatenation (a branch copied into its channel slice)
// and ShuffleNet's channel shuffle.

/**
 * rows x width floats from src (rows srcStride floats apart) to dst (rows dstStride floats apart):
 * one branch of a channel concatenation copied into its slice of every pixel. No aliasing.
 */
export function copy2d_f32(src: usize, dst: usize, rows: i32, width: i32, srcStride: i32, dstStride: i32): void {
  const bytes = <usize>width << 2;
  for (let r = 0; r < rows; r++) {
    memory.copy(dst + (<usize>(r * dstStride) << 2), src + (<usize>(r * srcStride) << 2), bytes);
  }
}

/**
 * ShuffleNet's channel shuffle of each of `pixels` pixels of groups x perGroup channels:
 * out[a * groups + b] = in[b * perGroup + a] (reshape to [groups, perGroup], transpose, flatten).
 * No aliasing.
 */
export function channel_shuffle_f32(src: usize, dst: usize, pixels: i32, groups: i32, perGroup: i32): void {
  const c = groups * perGroup;
  for (let p = 0; p < pixels; p++) {
    const s = src + (<usize>(p * c) << 2), d = dst + (<usize>(p * c) << 2);
    for (let b = 0; b < groups; b++) {
      for (let a = 0; a < perGroup; a++) {
        store<f32>(d + (<usize>(a * groups + b) << 2), load<f32>(s + (<usize>(b * perGroup + a) << 2)));
      }
    }
  }
}
