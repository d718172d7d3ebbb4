/**
 * The excitation applied: out[n, p, c] = x[n, p, c] * s[n, c], then, when `residual` is not 0,
 * + residual[n, p, c], then ReLU when `relu` is set: the SE scale, the residual sum and the
 * block's ReLU in one pass over memory.
 * x, residual, out: [batch, hw, C] (out may alias x or residual); s: [batch, C].
 */
export function scale_f32(
  x: usize, s: usize, residual: usize, out: usize, batch: i32, hw: i32, c: i32, relu: bool,
): void {
  const pixBytes = <usize>c << 2;
  const c4 = c & ~3;
  const lo: f32 = relu ? 0 : -Infinity;
  for (let n = 0; n < batch; n++) {
    const sn = s + <usize>n * pixBytes;
    for (let i = 0; i < hw; i++) {
      const pix = <usize>(n * hw + i) * pixBytes;
      let ch = 0;
      if (ASC_FEATURE_SIMD) {
        const lov = f32x4.splat(lo);
        for (; ch < c4; ch += 4) {
          const off = <usize>ch << 2;
          let v = f32x4.mul(v128.load(x + pix + off), v128.load(sn + off));
          if (residual) v = f32x4.add(v, v128.load(residual + pix + off));
          v128.store(out + pix + off, f32x4.max(v, lov));
        }
      }
      for (; ch < c; ch++) {
        const off = <usize>ch << 2;
        let v = load<f32>(x + pix + off) * load<f32>(sn + off);
        if (residual) v += load<f32>(residual + pix + off);
        store<f32>(out + pix + off, max(v, lo));
      }
    }
  }
}
