import { gemmRange, PANEL, scaleMeans, sumRows } from "./conv2d";

// Output pixels gathered at a time: conv2d_f32's cache block (src/ops/table.ts: IM2COL_ROWS).
const IM2COL_ROWS: i32 = 256;

/**
 * conv2d_f32 without groups through an explicit im2col: each block of IM2COL_ROWS output pixels has
 * its windows gathered into `scratch` (IM2COL_ROWS x K floats, K = kH * kW * inC in the packed
 * weights' order: kernel row, kernel column, channel; padding taps as zeros), then runs as a 1x1
 * conv over them through conv2d_f32's pointwise path. For convs with few input channels (the
 * 3-channel stems), whose taps are too short a K run for the implicit GEMM's tile: 3x3/2 3->16 and
 * 3->32 at 224x224 1.32-1.34x, 7x7/2 3->64 1.25x (SIMD, AMD EPYC, 2026-11-29). Each output is the
 * same sum in the same order as conv2d_f32 makes it (a padding tap there reads a zero too, or is
 * skipped, which adds the same zero): the same bits, and the same channel means when `means` is set.
 * Arguments as conv2d_f32's (groups 1, no `zero`); scratch: the gathered block, then from
 * IM2COL_ROWS * K * 4 bytes rounded up to 16, the panels' expand scratch (int8 and fp16 weights).
 */
export function conv2d_im2col_f32(
  input: usize, output: usize, weights: usize,
  batch: i32, inH: i32, inW: i32, inC: i32, outH: i32, outW: i32, outC: i32,
  kH: i32, kW: i32, strideH: i32, strideW: i32, padT: i32, padL: i32, dilH: i32, dilW: i32,
  act: i32, means: usize, outStride: i32, format: i32, scratch: usize,
): void {
  const plane = outH * outW;
  if (means) memory.fill(means, 0, <usize>(batch * outC) << 2);
  im2colRange(input, output, weights, inH, inW, inC, outH, outW, outC, kH, kW, strideH, strideW, padT, padL,
    dilH, dilW, act, means, outStride, format, scratch, 0, batch * plane);
  if (means) scaleMeans(means, batch * outC, plane);
}

/**
 * conv2d_im2col_f32 over output pixels [mBegin, mEnd) (batch folded in), without means (threaded
 * builds: conv_means_f32 makes them once every share is written): bitwise one call's outputs.
 */
export function conv2d_im2col_f32_part(
  input: usize, output: usize, weights: usize,
  inH: i32, inW: i32, inC: i32, outH: i32, outW: i32, outC: i32,
  kH: i32, kW: i32, strideH: i32, strideW: i32, padT: i32, padL: i32, dilH: i32, dilW: i32,
  act: i32, outStride: i32, format: i32, scratch: usize, mBegin: i32, mEnd: i32,
): void {
  if (!ASC_FEATURE_THREADS) unreachable();
  im2colRange(input, output, weights, inH, inW, inC, outH, outW, outC, kH, kW, strideH, strideW, padT, padL,
    dilH, dilW, act, 0, outStride, format, scratch, mBegin, mEnd);
}

function im2colRange(
  input: usize, output: usize, weights: usize,
  inH: i32, inW: i32, inC: i32, outH: i32, outW: i32, outC: i32,
  kH: i32, kW: i32, strideH: i32, strideW: i32, padT: i32, padL: i32, dilH: i32, dilW: i32,
  act: i32, means: usize, outStride: i32, format: i32, scratch: usize, mBegin: i32, mEnd: i32,
): void {
  const k = kH * kW * inC;
  const panels = (outC + PANEL - 1) / PANEL;
  const rowBytes = <usize>outStride << 2;
  const expand = scratch + ((<usize>(IM2COL_ROWS * k) << 2) + 15 & ~15);
  for (let mb = mBegin; mb < mEnd; mb += IM2COL_ROWS) {
    const rows = min(IM2COL_ROWS, mEnd - mb);
    gather(input, scratch, mb, rows, inH, inW, inC, outH, outW, kH, kW, strideH, strideW, padT, padL, dilH, dilW);
    // A 1x1 conv over the block's rows gathered: a map of 1 x rows pixels with K channels.
    gemmRange(scratch, output + <usize>mb * rowBytes, weights, 0, 1, 1, rows, k, 1, rows, outC,
      1, 1, 1, 1, 0, 0, 1, 1, 1, act, 0, outStride, format, expand, 0, rows, 0, panels);
    if (means) sumRows(output, means, mb, mb + rows, outH * outW, outC, rowBytes);
  }
}

// The windows of output pixels [mb, mb + rows) (batch folded in), K floats each, at dst: the
// block's pixels of one output row at a time, kernel row by kernel row, so that the interior
// pixels' copies step through memory with no index arithmetic (a pixel-by-pixel gather, whose
// sizes V8 kept on the stack, cost a stem as much as its GEMM).
function gather(
  input: usize, dst: usize, mb: i32, rows: i32, inH: i32, inW: i32, inC: i32, outH: i32, outW: i32,
  kH: i32, kW: i32, strideH: i32, strideW: i32, padT: i32, padL: i32, dilH: i32, dilW: i32,
): void {
  const pixBytes = <usize>inC << 2;
  const imgBytes = <usize>(inH * inW) * pixBytes;
  const kBytes = <usize>(kH * kW) * pixBytes;
  // A kernel row's kW taps, contiguous when dilW == 1: one run of kW * inC floats.
  const runBytes = <usize>kW * pixBytes;
  const step = <usize>strideW * pixBytes;
  // Output columns [owLo, owHi) have their whole window row inside the image (dilW == 1).
  const owLo = min(outW, (padL + strideW - 1) / strideW);
  const owHi = dilW != 1 || inW - kW + padL < 0 ? owLo : max(owLo, min(outW, (inW - kW + padL) / strideW + 1));
  const plane = outH * outW;
  let n = mb / plane, oh = (mb - n * plane) / outW, ow = mb - n * plane - oh * outW;
  for (let done = 0; done < rows; ) {
    const len = min(outW - ow, rows - done); // pixels [ow, ow + len) of output row oh of image n
    const img = input + <usize>n * imgBytes;
    const lo = min(max(owLo, ow), ow + len), hi = max(lo, min(owHi, ow + len));
    for (let kh = 0; kh < kH; kh++) {
      const ih = oh * strideH - padT + kh * dilH;
      let at = dst + <usize>kh * runBytes;
      if (<u32>ih >= <u32>inH) {
        for (let i = 0; i < len; i++, at += kBytes) memory.fill(at, 0, runBytes);
        continue;
      }
      const src = img + <usize>(ih * inW) * pixBytes;
      let o = ow;
      for (; o < lo; o++, at += kBytes) taps(at, src, o * strideW - padL, inW, kW, dilW, pixBytes);
      let from = src + <usize>(o * strideW - padL) * pixBytes;
      for (; o < hi; o++, at += kBytes, from += step) copyFloats(at, from, runBytes);
      for (; o < ow + len; o++, at += kBytes) taps(at, src, o * strideW - padL, inW, kW, dilW, pixBytes);
    }
    dst += <usize>len * kBytes;
    done += len;
    ow += len;
    if (ow == outW) {
      ow = 0;
      if (++oh == outH) { oh = 0; n++; }
    }
  }
}

// One kernel row of a window that reaches past the image's left or right edge, tap by tap: input
// row src, first column iw0; columns outside the image as zeros.
function taps(at: usize, src: usize, iw0: i32, inW: i32, kW: i32, dilW: i32, pixBytes: usize): void {
  for (let kw = 0; kw < kW; kw++, at += pixBytes) {
    const iw = iw0 + kw * dilW;
    if (<u32>iw < <u32>inW) copyFloats(at, src + <usize>iw * pixBytes, pixBytes);
    else memory.fill(at, 0, pixBytes);
  }
}

// bytes (a multiple of 4) from src to dst: vectors, the last one overlapping the one before when
// bytes is not a multiple of 16 (a 3x3 stem's run of 9 floats: 3 vector copies); floats below 16.
// @ts-ignore: decorator
@inline function copyFloats(dst: usize, src: usize, bytes: usize): void {
  if (ASC_FEATURE_SIMD && bytes >= 16) {
    let i: usize = 0;
    for (; i + 16 < bytes; i += 16) v128.store(dst + i, v128.load(src + i));
    v128.store(dst + bytes - 16, v128.load(src + bytes - 16));
    return;
  }
  for (let i: usize = 0; i < bytes; i += 4) store<f32>(dst + i, load<f32>(src + i));
}
