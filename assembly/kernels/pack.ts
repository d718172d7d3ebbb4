/**
 * Packs one panel of conv2d_f32 weights (the layout is conv2d.ts's): `n` (1 to 8) output
 * channels' rows at src, each inCg * taps floats in PyTorch order [inCg][taps], into dst: 8
 * biases (zero when `bias` is 0 or past n), then for each tap and input channel 8 weights (zero
 * past n). With `scale` not 0, row j is multiplied by the f64 scale[j] (a folded BatchNorm),
 * rounded once to f32: the values a float64 fold would store.
 * Writes every float of the panel: 8 + taps * inCg * 8.
 */
export function pack_conv_panel_f32(
  src: usize, bias: usize, scale: usize, dst: usize, n: i32, inCg: i32, taps: i32,
): void {
  for (let j = 0; j < 8; j++) {
    store<f32>(dst + (<usize>j << 2), bias && j < n ? load<f32>(bias + (<usize>j << 2)) : 0);
  }
  const rowBytes = <usize>(inCg * taps) << 2;
  const tapBytes = <usize>taps << 2;
  if (n == 8) {
    // Unrolled, factors in locals (1.0 without scale: an exact product): 3x faster than the loop below.
    const k0 = factor(scale, 0), k1 = factor(scale, 1), k2 = factor(scale, 2), k3 = factor(scale, 3);
    const k4 = factor(scale, 4), k5 = factor(scale, 5), k6 = factor(scale, 6), k7 = factor(scale, 7);
    let out = dst + 32;
    for (let t = 0; t < taps; t++) {
      let from = src + (<usize>t << 2);
      for (let i = 0; i < inCg; i++) {
        store<f32>(out, <f32>(<f64>load<f32>(from) * k0));
        store<f32>(out, <f32>(<f64>load<f32>(from + rowBytes) * k1), 4);
        store<f32>(out, <f32>(<f64>load<f32>(from + 2 * rowBytes) * k2), 8);
        store<f32>(out, <f32>(<f64>load<f32>(from + 3 * rowBytes) * k3), 12);
        store<f32>(out, <f32>(<f64>load<f32>(from + 4 * rowBytes) * k4), 16);
        store<f32>(out, <f32>(<f64>load<f32>(from + 5 * rowBytes) * k5), 20);
        store<f32>(out, <f32>(<f64>load<f32>(from + 6 * rowBytes) * k6), 24);
        store<f32>(out, <f32>(<f64>load<f32>(from + 7 * rowBytes) * k7), 28);
        out += 32;
        from += tapBytes;
      }
    }
    return;
  }
  let out = dst + 32;
  for (let t = 0; t < taps; t++) {
    let from = src + (<usize>t << 2);
    for (let i = 0; i < inCg; i++) {
      let row = from;
      for (let j = 0; j < 8; j++) {
        store<f32>(out, j < n ? <f32>(<f64>load<f32>(row) * factor(scale, j)) : 0);
        out += 4;
        row += rowBytes;
      }
      from += tapBytes;
    }
  }
}

// @ts-ignore: decorator
@inline function factor(scale: usize, j: i32): f64 {
  return scale ? load<f64>(scale + (<usize>j << 3)) : 1.0;
}
