// @inline helpers shared by the SIMD paths of several kernels.

/** Stores a block of 32 channels held in 8 vectors, or only its first 4 channels when `wide` is false. */
// @ts-ignore: decorator
@inline export function storeChannels(dst: usize, wide: bool, a0: v128, a1: v128, a2: v128, a3: v128, a4: v128, a5: v128, a6: v128, a7: v128): void {
  v128.store(dst, a0);
  if (wide) {
    v128.store(dst, a1, 16); v128.store(dst, a2, 32); v128.store(dst, a3, 48);
    v128.store(dst, a4, 64); v128.store(dst, a5, 80); v128.store(dst, a6, 96);
    v128.store(dst, a7, 112);
  }
}

/**
 * a * b + c for four lanes: one fused multiply-add in the relaxed-SIMD build (f32x4.relaxed_madd,
 * which may round once or twice: the last bit may differ from mul + add), mul then add elsewhere.
 */
// @ts-ignore: decorator
@inline export function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(c, f32x4.mul(a, b));
}
