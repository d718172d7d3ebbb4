// Weight packing: the layouts the kernels read (assembly/kernels/conv2d.ts and conv2d_dw.ts),
// made once when a session is compiled, straight into wasm memory, so that a 112 MB model is not
// packed into a JS array first and copied after. Conv panels are packed by a wasm kernel
// (assembly/kernels/pack.ts): the same loop in JS took 2-4x longer while V8 was still warming it up.
import { decodeSource, scaledValues, type ParamSource } from '../graph/ir.js';
import { fitsHalf, rowsF32, rowsHalf, rowsInt8, sourceFormat, type WeightFormat } from '../graph/storage.js';
import type { Kernels } from '../wasm/abi.js';
import { toNhwc } from '../graph/layout.js';

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
  /** Bytes of the block. */
  bytes: number;
  /** How its weights are stored (the kernels' `format` argument); fp32 for every non-weight constant. */
  format: WeightFormat;
  /** Bytes the kernel needs to expand the block to f32 while it runs (0 for fp32). */
  expandBytes: number;
  /** Scratch bytes write() needs (16-byte aligned offset). */
  scratchBytes: number;
  /** Writes every float of the block, whatever the memory held. */
  write(target: PackTarget): void;
}

/** Bytes of a block of `rows` x `cols` weights and cols biases in `format` (storedBytes in assembly/kernels/weights.ts). */
export const storedBytes = (format: WeightFormat, rows: number, cols: number): number =>
  (format === 'int8' ? 12 * cols + rows * cols : format === 'fp16' ? 8 * cols + 2 * rows * cols : 4 * cols + 4 * rows * cols);

/**
 * The storage of a weight: as asked, or (undefined) the form its source has (an int8 or fp16 ONNX
 * file); fp32 for fp16 where a value is not a finite half (fitsHalf: the kernels decode finite halves only).
 */
export function storageOf(weight: ParamSource, asked: WeightFormat | undefined): WeightFormat {
  const format = asked ?? sourceFormat(weight);
  return format === 'fp16' && !fitsHalf(weight) ? 'fp32' : format;
}

/** Bytes of a packed conv2d_f32 weight. */
export function packedConvBytes(outC: number, inCg: number, kH: number, kW: number, group: number, format: WeightFormat = 'fp32'): number {
  return group * Math.ceil(outC / group / PANEL) * storedBytes(format, kH * kW * inCg, PANEL);
}

/**
 * conv2d_f32 layout. weight: [outC, inC / group, kH, kW] (PyTorch/ONNX order), row o times
 * rowScale[o] when given; bias: [outC] or absent. For each group, for each panel of 8 output
 * channels: 8 biases, then for each tap and input channel 8 weights; columns past the group's
 * last output channel are zero. Stored as `format` (assembly/kernels/weights.ts: int8 panels hold
 * 8 scales and 8 zero points after the biases, fp16 panels 8 scales). Each panel's rows are made in the scratch (f32,
 * int8 or half: rowsF32, rowsInt8, rowsHalf) and packed from there by a wasm kernel.
 */
export function convBlock(weight: ParamSource, bias: Float32Array | undefined,
  outC: number, inCg: number, kH: number, kW: number, group: number, format: WeightFormat = 'fp32'): PackedBlock {
  const coutG = outC / group, taps = kH * kW;
  const panelBytes = storedBytes(format, inCg * taps, PANEL);
  return {
    bytes: packedConvBytes(outC, inCg, kH, kW, group, format),
    format,
    // 4 panels: conv2d_f32's one-row GEMM expands 4 at a time.
    expandBytes: format === 'fp32' ? 0 : 4 * storedBytes('fp32', inCg * taps, PANEL),
    scratchBytes: panelScratchBytes(inCg * taps),
    write(target) {
      let dst = target.offset;
      for (let g = 0; g < group; g++) {
        for (let first = 0; first < coutG; first += PANEL) {
          packPanel(target, weight, bias, format, g * coutG + first, Math.min(PANEL, coutG - first), inCg, taps, dst);
          dst += panelBytes;
        }
      }
    },
  };
}

/**
 * conv2d_strassen_f32's weights (assembly/kernels/conv2d_strassen.ts) for a 1x1 conv [outC, K]:
 * Strassen's seven right operands (B = the weight transposed, K x outC, in quadrants B11 B12; B21
 * B22), B11 + B22, B11, B12 - B22, B21 - B11, B22, B11 + B12, B21 + B22, each K / 2 x outC / 2,
 * packed as conv2d_f32 packs the 7 groups of a grouped 1x1 conv, with the biases (0, lo, hi, 0,
 * 0, lo, lo) that give the output quadrants the conv's (lo, hi: its halves). Each weight rounded
 * to f32 as the plain conv's (rowScale applied), each sum of two rounded once.
 */
export function strassenBlock(weight: ParamSource, bias: Float32Array | undefined, outC: number, k: number): PackedBlock {
  const n2 = outC / 2, k2 = k / 2, w = scaledValues(weight);
  // Each operand as quadrants x, y of B (0 B11, 1 B12, 2 B21, 3 B22) and the sign of y (0: x alone).
  const terms = [0, 3, 1, 0, 0, 0, 1, 3, -1, 2, 0, -1, 3, 3, 0, 0, 1, 1, 2, 3, 1];
  // Row n of quadrant q (over kk) starts at w's row (q & 1) n2 + n, column (q >> 1) k2.
  const start = (q: number, n: number): number => ((q & 1) * n2 + n) * k + (q >> 1) * k2;
  const values = new Float32Array(7 * n2 * k2), biases = new Float32Array(7 * n2);
  for (let i = 0, o = 0; i < 21; i += 3) {
    const sign = terms[i + 2];
    for (let n = 0; n < n2; n++, o += k2) {
      const x = start(terms[i], n), y = start(terms[i + 1], n);
      sumRow(values, o, w, x, y, k2, sign);
    }
  }
  if (bias) for (const [i, half] of [[1, 0], [2, 1], [5, 0], [6, 0]]) biases.set(bias.subarray(half * n2, half * n2 + n2), i * n2);
  return convBlock({ values }, biases, 7 * n2, k2, 1, 1, 7);
}

// out[o, o + n) = w[x..] + sign * w[y..] (sign 0: w[x..]): a function of its own, which V8
// optimises after a few calls, where the same loop inside strassenBlock ran interpreted for a
// layer or more (SE-ResNeXt-50's first compile in a process 161-170 -> 145 ms; SE-ResNet-50's 170-184
// -> 156 ms in `npm run bench:cold`, 140-145 without Strassen).
function sumRow(out: Float32Array, o: number, w: Float32Array, x: number, y: number, n: number, sign: number): void {
  if (!sign) out.set(w.subarray(x, x + n), o);
  else for (let i = 0; i < n; i++) out[o + i] = w[x + i] + sign * w[y + i];
}

/** packPanel's scratch for rows of `row` weights: 8 rows and 8 biases (8-byte aligned), then 8 scales and 8 zero points. */
const panelRowsBytes = (row: number): number => Math.ceil((PANEL * row + PANEL) / 2) * 8;
const panelScratchBytes = (row: number): number => panelRowsBytes(row) + 16 * PANEL;

/**
 * Output channels [o0, o0 + n) of a conv weight (n <= 8) as one conv2d_f32 panel in `format` at
 * dst: its rows made in the target's scratch (f32, int8 or half: rowsF32, rowsInt8, rowsHalf) and
 * packed from there by a wasm kernel.
 */
function packPanel({ kernels, memory, scratch }: PackTarget, weight: ParamSource, bias: Float32Array | undefined,
  format: WeightFormat, o0: number, n: number, inCg: number, taps: number, dst: number): void {
  const row = inCg * taps, buf = memory.buffer;
  const biasAt = scratch + 4 * PANEL * row, scaleAt = scratch + panelRowsBytes(row), zeroAt = scaleAt + 8 * PANEL;
  if (bias) new Float32Array(buf, biasAt, n).set(bias.subarray(o0, o0 + n));
  const biasPtr = bias ? biasAt : 0;
  if (format === 'fp32') {
    const { rowScale } = weight;
    rowsF32(weight, o0, n, row, new Float32Array(buf, scratch, n * row)); // any source: f32 values or bytes, an int8 or fp16 file's
    if (rowScale) new Float64Array(buf, scaleAt, n).set(rowScale.subarray(o0, o0 + n));
    kernels.pack_conv_panel_f32(scratch, biasPtr, rowScale ? scaleAt : 0, dst, n, inCg, taps);
  } else if (format === 'int8') {
    rowsInt8(weight, o0, n, row, new Int8Array(buf, scratch, n * row), new Float32Array(buf, scaleAt, n), new Int32Array(buf, zeroAt, n));
    kernels.pack_conv_panel_stored(scratch, 1, biasPtr, scaleAt, zeroAt, dst, n, inCg, taps);
  } else {
    rowsHalf(weight, o0, n, row, new Uint16Array(buf, scratch, n * row), new Float32Array(buf, scaleAt, n));
    kernels.pack_conv_panel_stored(scratch, 2, biasPtr, scaleAt, 0, dst, n, inCg, taps);
  }
}

/** Bytes of a packed Winograd F(m x m, 3 x 3) weight (winogradBlock). */
export function packedWinogradBytes(outC: number, inC: number, m: 2 | 4): number {
  return (m + 2) ** 2 * packedConvBytes(outC, inC, 1, 1, 1) + 4 * outC;
}

/**
 * The layout of conv3x3_winograd_f32_{2x2,4x4}. weight: [outC, inC, 3, 3], row o times
 * rowScale[o] when given. For each of the (m + 2)^2 points, a conv2d_f32 1x1 weight [outC, inC]
 * of the transformed filters (G' g G'^T, assembly/kernels/winograd.ts) with zero biases (the bias
 * is added after the output transform); then the outC biases (zeros when absent). Each panel of 8
 * output channels is packed as the direct conv's (pack_conv_panel_f32) in the scratch and
 * transformed from there by winograd_filter_f32.
 */
export function winogradBlock(weight: ParamSource, bias: Float32Array | undefined, outC: number, inC: number, m: 2 | 4): PackedBlock {
  const rowsBytes = panelScratchBytes(9 * inC);
  const pointPanel = storedBytes('fp32', inC, PANEL), pointBytes = packedConvBytes(outC, inC, 1, 1, 1);
  return {
    bytes: packedWinogradBytes(outC, inC, m),
    format: 'fp32', // f32 only: the table keeps int8 and fp16 weights off Winograd (winogradTile)
    expandBytes: 0,
    scratchBytes: rowsBytes + storedBytes('fp32', 9 * inC, PANEL),
    write(target) {
      const { kernels, memory, offset, scratch } = target, panelAt = scratch + rowsBytes;
      for (let o0 = 0, p = 0; o0 < outC; o0 += PANEL, p++) {
        packPanel(target, weight, undefined, 'fp32', o0, Math.min(PANEL, outC - o0), inC, 9, panelAt);
        kernels.winograd_filter_f32(m, panelAt, inC, offset + p * pointPanel, pointBytes);
      }
      const biases = new Float32Array(memory.buffer, offset + (m + 2) ** 2 * pointBytes, outC);
      if (bias) biases.set(bias);
      else biases.fill(0);
    },
  };
}

/**
 * conv2d_dw_f32 layout. weight: [C, 1, kH, kW]; C biases, then for each tap the C weights (the
 * int8 format: C scales and C zero points after the biases; fp16: C scales). Small (MobileNetV3-Large: 0.15 MB
 * in f32), written from JS.
 */
export function depthwiseBlock(weight: ParamSource, bias: Float32Array | undefined, c: number, kH: number, kW: number, format: WeightFormat = 'fp32'): PackedBlock {
  const taps = kH * kW;
  return {
    bytes: storedBytes(format, taps, c),
    format,
    expandBytes: format === 'fp32' ? 0 : storedBytes('fp32', taps, c),
    scratchBytes: 0,
    write({ memory, offset }) {
      const buf = memory.buffer;
      const biases = new Float32Array(buf, offset, c);
      if (bias) biases.set(bias);
      else biases.fill(0);
      const at = offset + (format === 'int8' ? 12 : format === 'fp16' ? 8 : 4) * c;
      // Rows are channels: made channel-major, then transposed to tap-major.
      // [c, taps] rows to [taps, c]: the NCHW -> NHWC permutation of a [1, c, taps, 1] tensor.
      const rows = [1, c, taps, 1];
      if (format === 'fp32') {
        toNhwc(scaledValues(weight), new Float32Array(buf, at, taps * c), rows);
      } else if (format === 'int8') {
        const q = new Int8Array(taps * c);
        rowsInt8(weight, 0, c, taps, q, new Float32Array(buf, offset + 4 * c, c), new Int32Array(buf, offset + 8 * c, c));
        toNhwc(q, new Int8Array(buf, at, taps * c), rows);
      } else {
        const h = new Uint16Array(taps * c);
        rowsHalf(weight, 0, c, taps, h, new Float32Array(buf, offset + 4 * c, c));
        toNhwc(h, new Uint16Array(buf, at, taps * c), rows);
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
    bytes: 4 * length,
    format: 'fp32',
    expandBytes: 0,
    scratchBytes: 0,
    write({ memory, offset }) {
      const values = decodeSource(source);
      const out = new Float32Array(memory.buffer, offset, length);
      if (shape.length === 4) toNhwc(values, out, shape);
      else out.set(values);
    },
  };
}
