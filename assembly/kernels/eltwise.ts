import { activate, activateV } from "../activation";

/** out[i] = act(a[i] + b[i]) for i < len; out may alias a or b. */
export function add_f32(a: usize, b: usize, out: usize, len: i32, act: i32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    for (; i + 4 <= len; i += 4) {
      const off = <usize>i << 2;
      v128.store(out + off, activateV(f32x4.add(v128.load(a + off), v128.load(b + off)), act));
    }
  }
  for (; i < len; i++) {
    const off = <usize>i << 2;
    store<f32>(out + off, activate(load<f32>(a + off) + load<f32>(b + off), act));
  }
}

/** out[i] = act(x[i]) for i < len; out may alias x. */
export function activation_f32(x: usize, out: usize, len: i32, act: i32): void {
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
