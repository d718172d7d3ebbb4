// Weight packing: the layouts the kernels read (assembly/kernels/conv2d.ts and conv2d_dw.ts),
// made once when a session is compiled, straight into wasm memory, so that a 112 MB model is not
// packed into a JS array first and copied after. Conv panels are packed by a wasm kernel
// (assembly/kernels/pack.ts): the same loop in JS took 2-4x longer while V8 was still warming it up.
import { decodeFloats, type ParamSource } from '../graph/ir.js';
import type { Kernels } from '../wasm/abi.js';

/** Output channels a GEMM panel holds (PANEL in assembly/kernels/conv2d.ts). */
export const PANEL = 8;

/** Where a block is written: its byte offset in `memory`, and scratch bytes the packer may use meanwhile. */
export interface PackTarget {
  kernels: Kernels;
  memory: WebAssembly.Memory;
  offset: number;
  scratch: number;
}

/** A block of packed weights: its size, known before memory is allocated, and how to write it. */
export interface PackedBlock {
  /** Floats of the block. */
  length: number;
  /** Scratch bytes write() needs (16-byte aligned offset). */
  scratchBytes: number;
  /** Writes every float of the block, whatever the memory held. */
  write(target: PackTarget): void;
}

/** Floats of a packed conv2d_f32 weight. */
export function packedConvLength(outC: number, inCg: number, kH: number, kW: number, group: number): number {
  return group * Math.ceil(outC / group / PANEL) * (PANEL + kH * kW * inCg * PANEL);
}

/**
 * conv2d_f32 layout. weight: [outC, inC / group, kH, kW] (PyTorch/ONNX order), row o times
 * rowScale[o] when given; bias: [outC] or absent. For each group, for each panel of 8 output
 * channels: 8 biases, then for each tap and input channel 8 weights; columns past the group's
 * last output channel are zero. Each panel's rows are copied to the scratch and packed there.
 */
export function convBlock(weight: ParamSource, bias: Float32Array | undefined,
  outC: number, inCg: number, kH: number, kW: number, group: number): PackedBlock {
  const coutG = outC / group, taps = kH * kW, row = inCg * taps;
  const rowsBytes = Math.ceil((PANEL * row + PANEL) / 2) * 8; // 8 rows, 8 biases, 8-byte aligned
  return {
    length: packedConvLength(outC, inCg, kH, kW, group),
    scratchBytes: rowsBytes + 8 * PANEL,
    write({ kernels, memory, offset, scratch }) {
      const biasAt = scratch + 4 * PANEL * row, scaleAt = scratch + rowsBytes;
      const panelBytes = 4 * (PANEL + taps * inCg * PANEL);
      const { values, bytes, rowScale } = weight;
      // Views made once: memory does not grow while a block is written.
      const f32 = new Float32Array(memory.buffer), u8 = new Uint8Array(memory.buffer), f64 = new Float64Array(memory.buffer);
      let dst = offset;
      for (let g = 0; g < group; g++) {
        for (let first = 0; first < coutG; first += PANEL) {
          const o0 = g * coutG + first, n = Math.min(PANEL, coutG - first);
          // The panel's rows into the scratch. Wasm memory is little-endian on every host, as
          // raw_data is: file bytes go in as they are.
          if (values) f32.set(values.subarray(o0 * row, (o0 + n) * row), scratch / 4);
          else u8.set(bytes!.subarray(4 * o0 * row, 4 * (o0 + n) * row), scratch);
          if (bias) f32.set(bias.subarray(o0, o0 + n), biasAt / 4);
          if (rowScale) f64.set(rowScale.subarray(o0, o0 + n), scaleAt / 8);
          kernels.pack_conv_panel_f32(scratch, bias ? biasAt : 0, rowScale ? scaleAt : 0, dst, n, inCg, taps);
          dst += panelBytes;
        }
      }
    },
  };
}

/**
 * G of Winograd F(m x m, 3 x 3) (its filter transform G g G^T), one row per point, for the points
 * whose B^T and A^T the kernels use (assembly/kernels/winograd.ts): F(2,3) 0, 1, -1, inf; F(4,3)
 * 0, +-sqrt(2)/2, +-sqrt(2), inf. Row j of a finite point p is [1, p, p^2] / prod_{q != p} (p - q).
 */
const S2 = Math.SQRT2;
const WINOGRAD_G: Record<2 | 4, number[][]> = {
  2: [[1, 0, 0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0, 0, 1]],
  4: [[1, 0, 0], [-2 / 3, -S2 / 3, -1 / 3], [-2 / 3, S2 / 3, -1 / 3], [1 / 6, S2 / 6, 1 / 3], [1 / 6, -S2 / 6, 1 / 3], [0, 0, 1]],
};

/** Floats of a packed Winograd F(m x m, 3 x 3) weight (winogradBlock). */
export function packedWinogradLength(outC: number, inC: number, m: 2 | 4): number {
  return (m + 2) ** 2 * packedConvLength(outC, inC, 1, 1, 1) + outC;
}

/**
 * The layout of conv3x3_winograd_f32_{2x2,4x4}. weight: [outC, inC, 3, 3], row o times
 * rowScale[o] when given. For each of the (m + 2)^2 points, a conv2d_f32 1x1 weight [outC, inC]
 * of the transformed filters (G g G^T, made in float64 and rounded once) with zero biases (the
 * bias is added after the output transform); then the outC biases (zeros when absent).
 */
export function winogradBlock(weight: ParamSource, bias: Float32Array | undefined, outC: number, inC: number, m: 2 | 4): PackedBlock {
  const a = m + 2, g = Float64Array.from(WINOGRAD_G[m].flat()), point = packedConvLength(outC, inC, 1, 1, 1), panel = PANEL + inC * PANEL;
  const length = packedWinogradLength(outC, inC, m);
  return {
    length,
    scratchBytes: 0,
    write({ memory, offset }) {
      const out = new Float32Array(memory.buffer, offset, length);
      out.fill(0); // the points' panel biases, columns past outC
      const row = new Float32Array(9 * inC), t = new Float64Array(3 * a);
      for (let o = 0; o < outC; o++) {
        if (weight.values) row.set(weight.values.subarray(o * 9 * inC, (o + 1) * 9 * inC));
        else decodeFloats(weight.bytes!.subarray(36 * o * inC, 36 * (o + 1) * inC), row);
        const k = weight.rowScale ? weight.rowScale[o] : 1;
        const at = Math.floor(o / PANEL) * panel + PANEL + (o % PANEL);
        for (let c = 0; c < inC; c++) {
          const f = 9 * c;
          // t = G f (a x 3), then u = t G^T (a x a).
          for (let i = 0; i < a; i++) {
            const g0 = g[3 * i], g1 = g[3 * i + 1], g2 = g[3 * i + 2];
            t[3 * i] = g0 * row[f] + g1 * row[f + 3] + g2 * row[f + 6];
            t[3 * i + 1] = g0 * row[f + 1] + g1 * row[f + 4] + g2 * row[f + 7];
            t[3 * i + 2] = g0 * row[f + 2] + g1 * row[f + 5] + g2 * row[f + 8];
          }
          for (let i = 0; i < a; i++) {
            const t0 = t[3 * i] * k, t1 = t[3 * i + 1] * k, t2 = t[3 * i + 2] * k;
            for (let j = 0; j < a; j++) out[(i * a + j) * point + at + c * PANEL] = t0 * g[3 * j] + t1 * g[3 * j + 1] + t2 * g[3 * j + 2];
          }
        }
      }
      if (bias) out.set(bias, a * a * point);
    },
  };
}

/** conv2d_dw_f32 layout. weight: [C, 1, kH, kW]; C biases, then for each tap the C weights. */
export function depthwiseBlock(weight: ParamSource, bias: Float32Array | undefined, c: number, kH: number, kW: number): PackedBlock {
  const taps = kH * kW, length = (1 + taps) * c;
  return {
    length,
    scratchBytes: 0,
    write({ memory, offset }) {
      const out = new Float32Array(memory.buffer, offset, length);
      const w = weight.values ?? decodeFloats(weight.bytes!);
      if (bias) out.set(bias);
      else out.fill(0, 0, c);
      for (let ch = 0; ch < c; ch++) {
        const k = weight.rowScale ? weight.rowScale[ch] : 1;
        for (let t = 0; t < taps; t++) out[(1 + t) * c + ch] = w[ch * taps + t] * k;
      }
    },
  };
}

/**
 * A constant operand in the memory layout a computed tensor of `shape` has (rank 4: NHWC, other
 * ranks row-major), so kernels read it with the same strides. `shape` may have leading 1s the
 * constant's own shape lacks (numpy broadcasting aligns on the right).
 */
export function tensorBlock(source: ParamSource, shape: number[]): PackedBlock {
  const length = shape.reduce((a, b) => a * b, 1);
  return {
    length,
    scratchBytes: 0,
    write({ memory, offset }) {
      const values = source.values ?? decodeFloats(source.bytes!);
      const out = new Float32Array(memory.buffer, offset, length);
      if (shape.length !== 4) return out.set(values);
      const [n, c, h, w] = shape, hw = h * w;
      for (let i = 0; i < n; i++) {
        for (let ch = 0; ch < c; ch++) {
          for (let p = 0; p < hw; p++) out[(i * hw + p) * c + ch] = values[(i * c + ch) * hw + p];
        }
      }
    },
  };
}
