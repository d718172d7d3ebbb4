/**
 * The excitation applied: out[n, p, c] = x[n, p, c] * s[n, c], then, when `residual` is not 0,
 * + residual[n, p, c], then ReLU when `relu` is set: the SE scale, the residual sum and the
 * block's ReLU in one pass over memory.
 * x, residual, out: [batch, hw, C] (out may alias x or residual); s: [batch, C].
 */
export function scale_f32(
  x: usize, s: usize, residual: usize, out: usize, batch: i32, hw: i32, c: i32, relu: bool,
): void {
  // One loop per case, so that no test and no max(v, -inf) runs per vector (a v128 max is 8 x64
  // instructions in V8, for its NaN and -0 rules).
  if (residual) {
    if (relu) scaleLoop(x, s, residual, out, batch, hw, c, true, true);
    else scaleLoop(x, s, residual, out, batch, hw, c, true, false);
  } else {
    if (relu) scaleLoop(x, s, 0, out, batch, hw, c, false, true);
    else scaleLoop(x, s, 0, out, batch, hw, c, false, false);
  }
}

// @ts-ignore: decorator
@inline function scaleLoop(
  x: usize, s: usize, residual: usize, out: usize, batch: i32, hw: i32, c: i32,
  hasResidual: bool, relu: bool,
): void {
  const pixBytes = <usize>c << 2;
  const c4 = c & ~3;
  for (let n = 0; n < batch; n++) {
    const sn = s + <usize>n * pixBytes;
    for (let i = 0; i < hw; i++) {
      const pix = <usize>(n * hw + i) * pixBytes;
      let ch = 0;
      if (ASC_FEATURE_SIMD) {
        for (; ch < c4; ch += 4) {
          const off = <usize>ch << 2;
          let v = f32x4.mul(v128.load(x + pix + off), v128.load(sn + off));
          if (hasResidual) v = f32x4.add(v, v128.load(residual + pix + off));
          if (relu) v = f32x4.pmax(v, f32x4.splat(0)); // one instruction; keeps a NaN v (activation.ts)
          v128.store(out + pix + off, v);
        }
      }
      for (; ch < c; ch++) {
        const off = <usize>ch << 2;
        let v = load<f32>(x + pix + off) * load<f32>(sn + off);
        if (hasResidual) v += load<f32>(residual + pix + off);
        if (relu) v = max<f32>(v, 0);
        store<f32>(out + pix + off, v);
      }
    }
  }
}
