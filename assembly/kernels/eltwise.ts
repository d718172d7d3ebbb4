import {
  activate, activateSplitV, activateV, ACT_HARDSIGMOID, ACT_HARDSWISH, ACT_RELU, ACT_RELU6, ACT_SIGMOID, ACT_SILU, ACT_TANH,
} from "../activation";

/** out[i] = act(a[i] + b[i]) for i < len; out may alias a or b. */
export function add_f32(a: usize, b: usize, out: usize, len: i32, act: i32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    for (; i + 4 <= len; i += 4) {
      const off = <usize>i << 2;
      v128.store(out + off, activateSplitV(f32x4.add(v128.load(a + off), v128.load(b + off)), act));
    }
  }
  for (; i < len; i++) {
    const off = <usize>i << 2;
    store<f32>(out + off, activate(load<f32>(a + off) + load<f32>(b + off), act));
  }
}

/** out[i] = act(x[i]) for i < len; out may alias x. */
export function activation_f32(x: usize, out: usize, len: i32, act: i32): void {
  // One loop per code (act a constant in each after inlining): no dispatch per vector.
  switch (act) {
    case ACT_RELU: activationLoop(x, out, len, ACT_RELU); break;
    case ACT_RELU6: activationLoop(x, out, len, ACT_RELU6); break;
    case ACT_SIGMOID: activationLoop(x, out, len, ACT_SIGMOID); break;
    case ACT_HARDSIGMOID: activationLoop(x, out, len, ACT_HARDSIGMOID); break;
    case ACT_SILU: activationLoop(x, out, len, ACT_SILU); break;
    case ACT_HARDSWISH: activationLoop(x, out, len, ACT_HARDSWISH); break;
    case ACT_TANH: activationLoop(x, out, len, ACT_TANH); break;
    default: if (out != x) memory.copy(out, x, <usize>len << 2);
  }
}

// @ts-ignore: decorator
@inline function activationLoop(x: usize, out: usize, len: i32, act: i32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    for (; i + 4 <= len; i += 4) {
      const off = <usize>i << 2;
      v128.store(out + off, activateV(v128.load(x + off), act));
    }
  }
  for (; i < len; i++) {
    const off = <usize>i << 2;
    store<f32>(out + off, activate(load<f32>(x + off), act));
  }
}

/** Softmax over each of `rows` rows of `cols` values; out may alias x. Subtracts the row max first. */
export function softmax_f32(x: usize, out: usize, rows: i32, cols: i32): void {
  for (let r = 0; r < rows; r++) {
    const src = x + (<usize>(r * cols) << 2);
    const dst = out + (<usize>(r * cols) << 2);
    let hi: f32 = -Infinity;
    for (let i = 0; i < cols; i++) hi = max(hi, load<f32>(src + (<usize>i << 2)));
    let sum: f32 = 0;
    for (let i = 0; i < cols; i++) {
      const e = Mathf.exp(load<f32>(src + (<usize>i << 2)) - hi);
      store<f32>(dst + (<usize>i << 2), e);
      sum += e;
    }
    const inv: f32 = 1.0 / sum;
    for (let i = 0; i < cols; i++) store<f32>(dst + (<usize>i << 2), load<f32>(dst + (<usize>i << 2)) * inv);
  }
}

/** Operation codes of binary_f32 (src/ops/table.ts mirrors them). */
export const BINARY_ADD: i32 = 0;
export const BINARY_SUB: i32 = 1;
export const BINARY_MUL: i32 = 2;
export const BINARY_DIV: i32 = 3;
export const BINARY_MAX: i32 = 4; // NaN in either operand gives NaN, as ONNX Max and Clip
export const BINARY_MIN: i32 = 5;
export const BINARY_PRELU: i32 = 6; // x < 0 ? x * y : x (y the slope: PRelu, LeakyRelu)

// @ts-ignore: decorator
@inline function apply(x: f32, y: f32, op: i32): f32 {
  switch (op) {
    case BINARY_SUB: return x - y;
    case BINARY_MUL: return x * y;
    case BINARY_DIV: return x / y;
    case BINARY_MAX: return max(x, y);
    case BINARY_MIN: return min(x, y);
    case BINARY_PRELU: return x < 0 ? x * y : x;
    default: return x + y;
  }
}

// @ts-ignore: decorator
@inline function applyV(x: v128, y: v128, op: i32): v128 {
  switch (op) {
    case BINARY_SUB: return f32x4.sub(x, y);
    case BINARY_MUL: return f32x4.mul(x, y);
    case BINARY_DIV: return f32x4.div(x, y);
    case BINARY_MAX: return f32x4.max(x, y);
    case BINARY_MIN: return f32x4.min(x, y);
    case BINARY_PRELU: return v128.bitselect(f32x4.mul(x, y), x, f32x4.lt(x, f32x4.splat(0)));
    default: return f32x4.add(x, y);
  }
}

/**
 * out = act(a (op) b) with numpy broadcasting (op: add, sub, mul, div, max, min, prelu), over an output of dims n0 x n1 x n2 x n3 stored
 * contiguously in that order (the host maps logical shapes to memory order: NHWC for rank 4).
 * a0..a3 and b0..b3 are each operand's strides in floats along those dims, 0 where it is
 * broadcast. The innermost dim runs on v128 when each operand's stride there is 0 or 1.
 * out may alias an operand whose strides equal the output's.
 */
export function binary_f32(a: usize, b: usize, out: usize, op: i32, act: i32,
  n0: i32, n1: i32, n2: i32, n3: i32,
  a0: i32, a1: i32, a2: i32, a3: i32, b0: i32, b1: i32, b2: i32, b3: i32): void {
  let o = out;
  for (let i0 = 0; i0 < n0; i0++) {
    for (let i1 = 0; i1 < n1; i1++) {
      for (let i2 = 0; i2 < n2; i2++) {
        const pa = a + (<usize>(i0 * a0 + i1 * a1 + i2 * a2) << 2);
        const pb = b + (<usize>(i0 * b0 + i1 * b1 + i2 * b2) << 2);
        let i = 0;
        if (ASC_FEATURE_SIMD) {
          if ((a3 == 0 || a3 == 1) && (b3 == 0 || b3 == 1)) {
            const sa = f32x4.splat(load<f32>(pa)), sb = f32x4.splat(load<f32>(pb));
            for (; i + 4 <= n3; i += 4) {
              const x = a3 ? v128.load(pa + (<usize>i << 2)) : sa;
              const y = b3 ? v128.load(pb + (<usize>i << 2)) : sb;
              v128.store(o + (<usize>i << 2), activateSplitV(applyV(x, y, op), act));
            }
          }
        }
        for (; i < n3; i++) {
          const x = load<f32>(pa + (<usize>(i * a3) << 2)), y = load<f32>(pb + (<usize>(i * b3) << 2));
          store<f32>(o + (<usize>i << 2), activate(apply(x, y, op), act));
        }
        o += <usize>n3 << 2;
      }
    }
  }
}
