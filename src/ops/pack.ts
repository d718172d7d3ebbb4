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
