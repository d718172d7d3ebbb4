// Weight packing: the layouts the kernels read (assembly/kernels/conv2d.ts and conv2d_dw.ts),
// made once when a session is compiled, straight into wasm memory (`out`: a zeroed view there),
// so that a 112 MB model is not packed into a JS array first and copied after.

/** Output channels a GEMM panel holds (PANEL in assembly/kernels/conv2d.ts). */
export const PANEL = 8;

/**
 * conv2d_f32 layout. weight: [outC, inC / group, kH, kW] (PyTorch/ONNX order); bias: [outC] or
 * absent. For each group, for each panel of 8 output channels: 8 biases, then for each tap and
 * input channel 8 weights; columns past the group's last output channel are zero.
 */
export function packConv(
  weight: Float32Array, bias: Float32Array | undefined,
  outC: number, inCg: number, kH: number, kW: number, group: number,
  out: Float32Array = new Float32Array(packedConvLength(outC, inCg, kH, kW, group)),
): Float32Array {
  const coutG = outC / group;
  const panels = Math.ceil(coutG / PANEL);
  const taps = kH * kW;
  const panelLen = PANEL + taps * inCg * PANEL;
  for (let g = 0; g < group; g++) {
    for (let p = 0; p < panels; p++) {
      const base = (g * panels + p) * panelLen;
      for (let j = 0; j < PANEL && p * PANEL + j < coutG; j++) {
        const o = g * coutG + p * PANEL + j;
        out[base + j] = bias ? bias[o] : 0;
        for (let t = 0; t < taps; t++) {
          for (let i = 0; i < inCg; i++) {
            out[base + PANEL + (t * inCg + i) * PANEL + j] = weight[(o * inCg + i) * taps + t];
          }
        }
      }
    }
  }
  return out;
}

/** Floats packConv writes. */
export function packedConvLength(outC: number, inCg: number, kH: number, kW: number, group: number): number {
  return group * Math.ceil(outC / group / PANEL) * (PANEL + kH * kW * inCg * PANEL);
}

/** conv2d_dw_f32 layout. weight: [C, 1, kH, kW]; out: C biases, then for each tap the C weights. */
export function packDepthwise(
  weight: Float32Array, bias: Float32Array | undefined, c: number, kH: number, kW: number,
  out: Float32Array = new Float32Array((1 + kH * kW) * c),
): Float32Array {
  const taps = kH * kW;
  if (bias) out.set(bias);
  for (let ch = 0; ch < c; ch++) {
    for (let t = 0; t < taps; t++) out[(1 + t) * c + ch] = weight[ch * taps + t];
  }
  return out;
}

/** A block of packed weights: its size, known before memory is allocated, and how to fill it. */
export interface PackedBlock {
  length: number;
  /** Fills `out` (exactly `length` floats, zeroed) in the kernel's layout. */
  write(out: Float32Array): void;
}

export const convBlock = (weight: Float32Array, bias: Float32Array | undefined,
  outC: number, inCg: number, kH: number, kW: number, group: number): PackedBlock => ({
  length: packedConvLength(outC, inCg, kH, kW, group),
  write: (out) => packConv(weight, bias, outC, inCg, kH, kW, group, out),
});

export const depthwiseBlock = (weight: Float32Array, bias: Float32Array | undefined, c: number, kH: number, kW: number): PackedBlock => ({
  length: (1 + kH * kW) * c,
  write: (out) => packDepthwise(weight, bias, c, kH, kW, out),
});
