import { madd } from "../../assembly/simd";
// The machine's f32 arithmetic limit for each build, measured with the GEMM micro-kernel's own
// inner loop on L1-resident data: SIMD, 4 splatted inputs times 2 weight vectors into 8
// accumulators (the 4x8 tile); scalar, 2 inputs times 4 weights (the 2x4 tile). Nothing waits on
// memory, so the kernels' GFLOP/s read as a fraction of this. Measured here: register-only loops
// ran slower (18 live v128 values spill, V8 gives wasm 15 xmm registers; v128 constants are
// rebuilt in the loop), and weights read from memory ran faster than weights held in registers.

const INPUTS: usize = 512; // 4 inputs and 8 weights a round: 2 KB + 4 KB, L1-resident

/** `iterations` rounds of 8 multiply-adds on v128 (SIMD build) or f32 (scalar build); returns a sum so nothing is dead code. FLOPs: iterations * 64 (SIMD) or * 16 (scalar). */
export function peak_f32(iterations: i32, x: f32): f32 {
  for (let i: usize = 0; i < 3 * INPUTS; i++) store<f32>(i << 2, x + <f32>i * 1e-4);
  if (ASC_FEATURE_SIMD) {
    let a0 = f32x4.splat(0), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
    let p: usize = 0, q: usize = INPUTS << 2;
    for (let i = 0; i < iterations; i++) {
      const b0 = v128.load(q), b1 = v128.load(q, 16);
      let v = v128.load32_splat(p);
      a0 = madd(v, b0, a0); a1 = madd(v, b1, a1);
      v = v128.load32_splat(p, 4);
      a2 = madd(v, b0, a2); a3 = madd(v, b1, a3);
      v = v128.load32_splat(p, 8);
      a4 = madd(v, b0, a4); a5 = madd(v, b1, a5);
      v = v128.load32_splat(p, 12);
      a6 = madd(v, b0, a6); a7 = madd(v, b1, a7);
      p += 16;
      q += 32;
      if (p == <usize>(INPUTS << 2)) { p = 0; q = INPUTS << 2; }
    }
    const s = f32x4.add(f32x4.add(f32x4.add(a0, a1), f32x4.add(a2, a3)), f32x4.add(f32x4.add(a4, a5), f32x4.add(a6, a7)));
    return f32x4.extract_lane(s, 0) + f32x4.extract_lane(s, 3);
  } else {
    // The scalar GEMM's 2x4 tile: 2 inputs times 4 weights a round.
    let a0: f32 = 0, a1: f32 = 0, a2: f32 = 0, a3: f32 = 0, a4: f32 = 0, a5: f32 = 0, a6: f32 = 0, a7: f32 = 0;
    let p: usize = 0, q: usize = INPUTS << 2;
    for (let i = 0; i < iterations; i++) {
      const u = load<f32>(p), v = load<f32>(p, 4);
      const b0 = load<f32>(q), b1 = load<f32>(q, 4), b2 = load<f32>(q, 8), b3 = load<f32>(q, 12);
      a0 += u * b0; a1 += u * b1; a2 += u * b2; a3 += u * b3;
      a4 += v * b0; a5 += v * b1; a6 += v * b2; a7 += v * b3;
      p += 8;
      q += 16;
      if (p == <usize>(INPUTS << 2)) { p = 0; q = INPUTS << 2; }
    }
    return a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7;
  }
}
