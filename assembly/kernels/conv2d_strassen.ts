import { ACT_NONE } from "../activation";
import { activation_f32 } from "./eltwise";
import { gemmRange, PANEL, scaleMeans, sumRows } from "./conv2d";
import { storedBytes, WEIGHTS_F32 } from "./weights";

// Output pixels a block: conv2d_f32's cache block; its two halves are Strassen's row blocks.
const BLOCK_ROWS: i32 = 256;

/**
 * A 1x1 conv (stride 1, no padding, no groups, f32 weights) as one level of Strassen's algorithm:
 * per block of an image's pixels, with A = the block's inputs [A11 A12; A21 A22] (top and bottom
 * half of its rows, first and second half of the K = inC channels) and B = the weights
 * [B11 B12; B21 B22] (K x outC), seven products of half-sized blocks instead of eight:
 *   M1 = (A11 + A22)(B11 + B22)  M2 = (A21 + A22) B11  M3 = A11 (B12 - B22)  M4 = A22 (B21 - B11)
 *   M5 = (A11 + A12) B22  M6 = (A21 - A11)(B11 + B12)  M7 = (A12 - A22)(B21 + B22)
 *   C11 = M1 + M4 - M5 + M7  C12 = M3 + M5  C21 = M2 + M4  C22 = M1 - M2 + M3 + M6
 * 7/8 of the multiply-adds, for sums of blocks that stay in cache. Each product runs through
 * conv2d_f32's pointwise path (gemmRange) on a left operand summed into scratch.
 *
 * weights: the seven right operands, packed by the host as conv2d_f32 packs a 1x1 conv of 7 groups
 *          of outC / 2 outputs and K / 2 inputs, M1's first; their biases are chosen so that the
 *          quadrants' sums carry the conv's (0, lo, hi, 0, 0, lo, lo: lo and hi the bias's halves).
 * zero:    K zero floats (the bottom half's missing row when a block has an odd number of rows).
 * scratch: BLOCK_ROWS / 2 x (K + outC) / 2 floats (a left operand, then a product).
 * K a multiple of 8, outC of 16 (the host checks). Blocks never straddle two images: an image's
 * outputs are the same bits whatever the batch. [pBegin, pEnd): the panels of each half of the
 * outputs made (columns 8 pBegin to 8 pEnd of each quadrant; all: 0 to outC / 16): a thread's share
 * of a split conv forms every left operand itself and makes its columns of each product, so that
 * every output is the same bits as from one call (then without means: conv_means_f32 makes them
 * once every share is written). Other arguments as conv2d_f32's.
 */
export function conv2d_strassen_f32(
  input: usize, output: usize, weights: usize, zero: usize,
  batch: i32, plane: i32, inC: i32, outC: i32, act: i32, means: usize, outStride: i32, scratch: usize, pBegin: i32, pEnd: i32,
): void {
  if (means) memory.fill(means, 0, <usize>(batch * outC) << 2);
  const k2 = inC >> 1, n2 = outC >> 1;
  const inRow = <usize>inC << 2, rowBytes = <usize>outStride << 2;
  const product = scratch + (<usize>((BLOCK_ROWS >> 1) * k2) << 2);
  const operandBytes = <usize>(n2 / PANEL) * storedBytes(WEIGHTS_F32, k2, PANEL);
  // This share's columns of each half of the outputs (and of each product).
  const c0 = <usize>(pBegin * PANEL) << 2, cols = (pEnd - pBegin) * PANEL, half = <usize>n2 << 2;
  for (let img = 0; img < batch; img++) {
    for (let r = 0; r < plane; r += BLOCK_ROWS) {
      const mb = img * plane + r, rows = min(BLOCK_ROWS, plane - r);
      // h rows on top, hb = h or h - 1 below (a missing bottom row reads zeros, its outputs are not stored).
      const h = (rows + 1) >> 1, hb = rows - h;
      const top = input + <usize>mb * inRow, bottom = top + <usize>h * inRow;
      const out = output + <usize>mb * rowBytes + c0;
      for (let i = 0; i < 7; i++) {
        leftOperand(i, scratch, top, bottom, zero, h, hb, k2, inRow);
        gemmRange(scratch, product, weights + <usize>i * operandBytes, 0, 1, 1, h, k2, 1, h, n2,
          1, 1, 1, 1, 0, 0, 1, 1, 1, ACT_NONE, 0, n2, WEIGHTS_F32, 0, 0, h, pBegin, pEnd);
        addProduct(i, product + c0, out, out + <usize>h * rowBytes, h, hb, cols, half, rowBytes);
      }
      if (act != ACT_NONE) {
        for (let q = 0; q < rows; q++) {
          const row = out + <usize>q * rowBytes;
          activation_f32(row, row, cols, act);
          activation_f32(row + half, row + half, cols, act);
        }
      }
      if (means) sumRows(output, means, mb, mb + rows, plane, outC, rowBytes);
    }
  }
  if (means) scaleMeans(means, batch * outC, plane);
}

// Strassen's table, per product: its left operand (blocks x and y, op: x, x + y or x - y; blocks
// 0 A11, 1 A12, 2 A21, 3 A22), then the output quadrants it goes to (0 C11, 1 C12, 2 C21, 3 C22,
// 4 none) with how (set, add or subtract).
const LEFT = memory.data<u8>([0, 3, 1, 2, 3, 1, 0, 0, 0, 3, 3, 0, 0, 1, 1, 2, 0, 2, 1, 3, 2]);
const TO = memory.data<u8>([0, 0, 3, 0, 2, 0, 3, 2, 1, 0, 3, 1, 0, 1, 2, 1, 0, 2, 1, 1, 3, 1, 4, 0, 0, 1, 4, 0]);
const OP_SET: i32 = 0, OP_ADD: i32 = 1, OP_SUB: i32 = 2;

// Product i's left operand, h rows of k2 floats at dst, from the block's top and bottom halves
// (rows past hb of the bottom one read `zero`).
function leftOperand(i: i32, dst: usize, top: usize, bottom: usize, zero: usize, h: i32, hb: i32, k2: i32, inRow: usize): void {
  const half = <usize>k2 << 2, at = LEFT + <usize>(3 * i);
  const x = <i32>load<u8>(at), y = <i32>load<u8>(at, 1), op = <i32>load<u8>(at, 2);
  for (let q = 0; q < h; q++) {
    const t = top + <usize>q * inRow, b = q < hb ? bottom + <usize>q * inRow : zero;
    rowOp(dst + <usize>q * half, block(x, t, b, half), block(y, t, b, half), k2, op);
  }
}

// @ts-ignore: decorator
@inline function block(code: i32, top: usize, bottom: usize, half: usize): usize {
  return (code >= 2 ? bottom : top) + ((code & 1) ? half : 0);
}

// Product i (h rows n2 floats apart, `cols` of them here) set into, added to or subtracted from
// the output quadrants it goes to: C11 (and C12, `half` bytes right) from row 0 of `top`, C21 and
// C22 from row 0 of `bottom` (hb rows of them).
function addProduct(i: i32, p: usize, top: usize, bottom: usize, h: i32, hb: i32, cols: i32, half: usize, rowBytes: usize): void {
  for (let j = 0; j < 2; j++) {
    const at = TO + <usize>(4 * i + 2 * j);
    const quad = <i32>load<u8>(at), op = <i32>load<u8>(at, 1);
    if (quad == 4) break;
    const rows = quad >= 2 ? hb : h, c0 = block(quad, top, bottom, half);
    for (let q = 0; q < rows; q++) {
      const c = c0 + <usize>q * rowBytes;
      rowOp(c, c, p + <usize>q * half, cols, op);
    }
  }
}

// dst[0, n) = b (OP_SET), a + b or a - b; dst may be a; n a multiple of 4 (the host's K and outC).
// Not binary_f32: its broadcasting strides and its switch on the op in every vector are what a
// row of one op does not need (a per-vector dispatch cost activation_f32 a quarter of its time).
function rowOp(dst: usize, a: usize, b: usize, n: i32, op: i32): void {
  if (op == OP_SET) {
    memory.copy(dst, b, <usize>n << 2);
    return;
  }
  const sub = op == OP_SUB;
  let j = 0;
  if (ASC_FEATURE_SIMD) {
    for (; j + 4 <= n; j += 4) {
      const o = <usize>j << 2;
      const x = v128.load(a + o), y = v128.load(b + o);
      v128.store(dst + o, sub ? f32x4.sub(x, y) : f32x4.add(x, y));
    }
  }
  for (; j < n; j++) {
    const o = <usize>j << 2;
    const x = load<f32>(a + o), y = load<f32>(b + o);
    store<f32>(dst + o, sub ? x - y : x + y);
  }
}
