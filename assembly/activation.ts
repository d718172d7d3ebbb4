import { madd } from "./simd";

// Activation functions shared by every kernel epilogue, as one scalar and one v128 version.
// The codes are part of the host/wasm contract (src/ops/activation.ts mirrors them).
export const ACT_NONE: i32 = 0;
export const ACT_RELU: i32 = 1;
export const ACT_RELU6: i32 = 2;
export const ACT_SIGMOID: i32 = 3;
export const ACT_HARDSIGMOID: i32 = 4; // relu6(x + 3) / 6, as PyTorch and MobileNetV3
export const ACT_SILU: i32 = 5;
export const ACT_HARDSWISH: i32 = 6;
export const ACT_TANH: i32 = 7;

// exp(x) clamped to the finite f32 range (so that 1 / (1 + exp(-x)) never sees inf).
@inline function expClamped(x: f32): f32 {
  return Mathf.exp(min(max(x, -87.0), 88.0));
}

@inline function sigmoid(x: f32): f32 {
  return 1.0 / (1.0 + expClamped(-x));
}

@inline function hardSigmoid(x: f32): f32 {
  return min(max(x + 3.0, 0.0), 6.0) * (1.0 / 6.0);
}

// @ts-ignore: decorator
@inline export function activate(x: f32, act: i32): f32 {
  switch (act) {
    case ACT_RELU: return max(x, 0.0);
    case ACT_RELU6: return min(max(x, 0.0), 6.0);
    case ACT_SIGMOID: return sigmoid(x);
    case ACT_HARDSIGMOID: return hardSigmoid(x);
    case ACT_SILU: return x * sigmoid(x);
    case ACT_HARDSWISH: return x * hardSigmoid(x);
    case ACT_TANH: return 2.0 * sigmoid(2.0 * x) - 1.0;
    default: return x;
  }
}

// exp's constants (and hard sigmoid's), loaded where used: V8 builds a v128.const anew at each
// use inside a loop (about 4 instructions: it hoists nothing), a splatting load is one or two
// (sigmoid over 3.6M values: 1.18 -> 0.90 ns a value; EfficientNet-B0, SiLU throughout, 6% faster).
const EXP = memory.data<f32>([87.0, -88.0, -1.44269504, 0.001326472614891827, 0.009671512991189957,
  0.05550733581185341, 0.24022242426872253, 0.6931470036506653, 1.0, 12582912.0, 3.0, 6.0, 1.0 / 6.0]);
// @ts-ignore: decorator
@inline function k(i: usize): v128 {
  return v128.load32_splat(EXP + (i << 2));
}

// exp(-x) for four lanes (every curve here needs exp of the negated input): -x log2(e) = n + f
// with |f| <= 1/2, 2^f by a degree-5 polynomial fitted for
// the least largest relative error on that interval (scripts/fit-exp.py: 2.0e-7 evaluated in f32),
// 2^n built in the exponent bits. The polynomial in Estrin's form (three pairs, then f^2), whose
// chain of dependent operations is shorter than Horner's: the activation pass over L1-resident
// values 0.72 -> 0.69 ns a value, EfficientNet-B0 0.5-1.3% faster (2026-11-29). Reducing in base
// 2 takes one subtraction where exp's x - n ln2 (ln2 in two parts) took two multiplies and two;
// the product x log2(e) is rounded, which costs |n| 4e-8 of relative error (5e-6 at the clamp,
// 3e-7 for |x| < 5): the curves built on it (sigmoid, SiLU, tanh) are then within 1e-7 of their
// largest value.
@inline function expNegV(x: v128): v128 {
  // pmin/pmax (one instruction each in V8; min/max take 8 for NaN and -0 rules) keep a NaN x.
  // x clamped to [-88, 87] and multiplied by -log2(e): the bits of -x clamped to [-87, 88] times
  // log2(e) without an f32x4.neg, an xor with a sign mask V8 builds at each use (SiLU's pass over
  // L1-resident values 0.67 -> 0.53-0.56 ns a value, EfficientNet-B0 1.04x; 2026-11-29).
  const t = f32x4.mul(f32x4.pmax(f32x4.pmin(x, k(0)), k(1)), k(2));
  // Adding 1.5 * 2^23 rounds t to the integer n (to nearest, even on ties: as f32x4.nearest) and
  // holds it in v's low mantissa bits.
  const v = f32x4.add(t, k(9));
  const f = f32x4.sub(t, f32x4.sub(v, k(9)));
  // c5 f^5 + ... + c1 f + 1 = ((c5 f + c4) f^2 + (c3 f + c2)) f^2 + (c1 f + 1)
  const f2 = f32x4.mul(f, f);
  // madd: fused in the relaxed build (5 instructions fewer), mul then add (the same bits) elsewhere.
  const hi = madd(k(3), f, k(4));
  const mid = madd(k(5), f, k(6));
  const lo = madd(k(7), f, k(8));
  const p = madd(madd(hi, f2, mid), f2, lo);
  // 2^n: v's low mantissa bits (n) shifted into the exponent and biased by 127 (1.0's bits).
  // Cheaper than trunc_sat (EfficientNet-B0: 43.2 -> 37.9 ms, same outputs).
  const scale = i32x4.add(i32x4.shl(v, 23), k(8));
  return f32x4.mul(p, scale);
}

@inline function sigmoidV(x: v128): v128 {
  const one = k(8);
  return f32x4.div(one, f32x4.add(one, expNegV(x)));
}

// ReLU6 with pmax/pmin, one instruction each in V8 (f32x4.max/min take about 8 for their NaN and
// -0 rules). pmax(v, lo) is v < lo ? lo : v, so a NaN v passes through as max would give it; the
// only difference is -0 for +0 at zero. 6 loaded as exp's constants are (0 is one instruction
// either way; with 3 and 1/6 loaded too, MobileNetV3's hard swish convs ran 1.5-2% faster).
@inline function relu6V(v: v128): v128 {
  return f32x4.pmin(f32x4.pmax(v, f32x4.splat(0.0)), k(11));
}

@inline function hardSigmoidV(x: v128): v128 {
  return f32x4.mul(relu6V(f32x4.add(x, k(10))), k(12));
}

// @ts-ignore: decorator
@inline export function activateV(x: v128, act: i32): v128 {
  switch (act) {
    case ACT_RELU: return f32x4.pmax(x, f32x4.splat(0.0));
    case ACT_RELU6: return relu6V(x);
    case ACT_SIGMOID: return sigmoidV(x);
    case ACT_HARDSIGMOID: return hardSigmoidV(x);
    // x / (1 + exp(-x)): one division where x * sigmoid(x) takes a division and a multiply
    // (EfficientNet-B0 2% faster; one rounding fewer).
    case ACT_SILU: return f32x4.div(x, f32x4.add(k(8), expNegV(x)));
    case ACT_HARDSWISH: return f32x4.mul(x, hardSigmoidV(x));
    case ACT_TANH: {
      const s = sigmoidV(f32x4.add(x, x));
      return f32x4.sub(f32x4.add(s, s), f32x4.splat(1.0));
    }
    default: return x;
  }
}

// The same, with ReLU and ReLU6 inline and the curves through one call: for the epilogues that are
// not the GEMM tile's (one-row GEMM, Winograd's output, element-wise ops), where a call per vector
// costs next to nothing and each inlined copy of the exp polynomial about 1 KB of the build (the
// whole-inline version at every site made the SIMD build 68 KB; the page budget is
// test/payload.test.ts). The 4x8 tile takes the cheap activations inline (activateCheapV) and the
// others in a pass after each block of rows (conv2d.ts, through activation_f32): with a call in
// its loop nest V8 spilled around it (ResNet-50 6-7% slower).
// @ts-ignore: decorator
@inline export function activateSplitV(x: v128, act: i32): v128 {
  if (act == ACT_NONE) return x;
  if (act == ACT_RELU) return f32x4.pmax(x, f32x4.splat(0.0));
  if (act == ACT_RELU6) return relu6V(x);
  return activateCurveV(x, act);
}

// The activations cheap enough to inline at every store of the GEMM tile: none, ReLU, ReLU6 and
// hard swish (MobileNetV3's; applied after the tile's block it cost 2-4% of their time). The
// others (exp's polynomial: 12 KB of the SIMD build inlined there) the tile applies after.
// @ts-ignore: decorator
@inline export function isCheap(act: i32): bool {
  return act <= ACT_RELU6 || act == ACT_HARDSWISH;
}

// activateV for the cheap codes; x as it is for the others (the caller applies them apart).
// @ts-ignore: decorator
@inline export function activateCheapV(x: v128, act: i32): v128 {
  switch (act) {
    case ACT_RELU: return f32x4.pmax(x, f32x4.splat(0.0));
    case ACT_RELU6: return relu6V(x);
    case ACT_HARDSWISH: return f32x4.mul(x, hardSigmoidV(x));
    default: return x;
  }
}

function activateCurveV(x: v128, act: i32): v128 {
  return activateV(x, act);
}
