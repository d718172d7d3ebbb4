import { activate, activateSplitV } from "../activation";
import { conv2d_f32 } from "./conv2d";
import { expandRows8, panelRowBytes, panelValues, storedBytes, WEIGHTS_F32 } from "./weights";

// Winograd convolution F(m x m, 3 x 3) for 3x3 stride-1 convolutions without groups or dilation
// (Lavin and Gray 2016): each m x m output tile is A^T [(G g G^T) . (B^T d B)] A over the
// (m + 2) x (m + 2) input tile d. The filter transform (G' g G'^T, below) is made once when the host
// packs f32 weights (winograd_filter_f32, src/ops/pack.ts: winogradBlock); here a block of tiles is transformed, multiplied channel by
// channel as (m + 2)^2 GEMMs through conv2d_f32's 4x8 micro-kernel (a 1x1 conv: a plain GEMM),
// and transformed back with the bias, the activation and the SE squeeze.
//
// The filters come in two layouts. WINOGRAD_POINTS: the host's transform of f32 filters, made once
// (36/9 the 3x3's size for F(4,3)). Or the implicit GEMM's stored 3x3 panels (f32, int8, fp16):
// each block transforms a panel of 8 output channels straight from them (filterPanel) and runs the
// (m + 2)^2 GEMMs of that panel, so a panel's transform is repeated once per block of tiles. The
// op table picks the layout per layer (src/ops/table.ts winogradPoints): on large channel counts
// the panel just transformed, in L2, feeds the GEMMs faster than the points' 36 streams from memory.
//
// F(2,3): points 0, 1, -1, inf. F(4,3): points 0, +-sqrt(2)/2, +-sqrt(2), inf (as ncnn), where
// 0, +-1, +-2 would put 8 in A^T and 1/24 in G: the rounding error grows with the spread of the
// transforms' entries. G = D G' with G' rows of 1, 2 and +-sqrt(2) (F(2,3): 1s) and D diagonal;
// the filters are transformed by G' alone (4 to 8 fewer multiplies a line: the per-call transform
// of stored weights is most of their cost on small maps) and D is folded into A^T on both sides,
// so the output transform makes A^T D [(G' g G'^T) . (B^T d B)] D A (A^T D's non-zero magnitudes
// lie in [0.12, 1], G''s in [1, 2]).
const SQ2: f32 = 1.41421356;
const HSQ2: f32 = 0.707106781;
/**
 * The kernels' `format` for the WINOGRAD_POINTS layout (winogradBlock, src/ops/pack.ts), beside
 * the stored formats of assembly/kernels/weights.ts (WEIGHTS_F32, WEIGHTS_QS8, WEIGHTS_F16).
 */
export const WINOGRAD_POINTS: i32 = 3;
// Floats added to each plane of V and each row of products in the workspace (see winograd()).
const SKEW: i32 = 16;

// Generic over the lane type: v128 (4 channels) in the SIMD builds, f32 in the scalar build. One
// source for both.
// @ts-ignore: decorator
@inline function add<T>(a: T, b: T): T {
  if (isVector<T>()) return f32x4.add(a, b);
  else return a + b;
}
// @ts-ignore: decorator
@inline function sub<T>(a: T, b: T): T {
  if (isVector<T>()) return f32x4.sub(a, b);
  else return a - b;
}
// @ts-ignore: decorator
@inline function mulc<T>(a: T, c: f32): T {
  if (isVector<T>()) return f32x4.mul(a, f32x4.splat(c));
  else return a * c;
}
// @ts-ignore: decorator
@inline function act<T>(a: T, code: i32): T {
  if (isVector<T>()) return activateSplitV(a, code);
  else return activate(a, code);
}
// @ts-ignore: decorator
@inline function zeroOf<T>(): T {
  if (isVector<T>()) return f32x4.splat(0);
  else return 0;
}

// B^T d for one line of the input tile: 4 (F(2,3)) or 6 (F(4,3)) values `step` bytes apart at src,
// written the same way at dst (which may be src: every value is read before the first store).
// @ts-ignore: decorator
@inline function inputLine<T>(m: i32, src0: usize, src1: usize, src2: usize, src3: usize, src4: usize, src5: usize,
  dst: usize, step: usize): void {
  const d0 = load<T>(src0), d1 = load<T>(src1), d2 = load<T>(src2), d3 = load<T>(src3);
  if (m == 2) {
    store<T>(dst, sub<T>(d0, d2));
    store<T>(dst + step, add<T>(d1, d2));
    store<T>(dst + 2 * step, sub<T>(d2, d1));
    store<T>(dst + 3 * step, sub<T>(d3, d1));
  } else {
    const d4 = load<T>(src4), d5 = load<T>(src5);
    const e1 = sub<T>(d4, add<T>(d2, d2)), o1 = sub<T>(mulc<T>(d1, SQ2), mulc<T>(d3, HSQ2));
    const e2 = sub<T>(d4, mulc<T>(d2, 0.5)), o2 = sub<T>(mulc<T>(d1, HSQ2), mulc<T>(d3, SQ2));
    store<T>(dst, add<T>(sub<T>(d0, mulc<T>(d2, 2.5)), d4));
    store<T>(dst + step, sub<T>(e1, o1));
    store<T>(dst + 2 * step, add<T>(e1, o1));
    store<T>(dst + 3 * step, sub<T>(e2, o2));
    store<T>(dst + 4 * step, add<T>(e2, o2));
    store<T>(dst + 5 * step, add<T>(sub<T>(d1, mulc<T>(d3, 2.5)), d5));
  }
}

// (A^T D) x for one line of a product tile: m + 2 values `step` bytes apart -> m values. D =
// diag(1, 1/2, 1/2, 1) for F(2,3), diag(1, -1/3, -1/3, 1/6, 1/6, 1) for F(4,3) (see above).
// @ts-ignore: decorator
@inline function outputLine<T>(m: i32, src: usize, step: usize, dst: usize, dstStep: usize): void {
  const x0 = load<T>(src), x1 = load<T>(src + step), x2 = load<T>(src + 2 * step), x3 = load<T>(src + 3 * step);
  if (m == 2) {
    store<T>(dst, add<T>(x0, mulc<T>(add<T>(x1, x2), 0.5)));
    store<T>(dst + dstStep, add<T>(mulc<T>(sub<T>(x1, x2), 0.5), x3));
  } else {
    const x4 = load<T>(src + 4 * step), x5 = load<T>(src + 5 * step);
    const s1 = add<T>(x1, x2), d1 = sub<T>(x1, x2), s2 = add<T>(x3, x4), d2 = sub<T>(x3, x4);
    store<T>(dst, add<T>(add<T>(x0, mulc<T>(s1, -1.0 / 3.0)), mulc<T>(s2, 1.0 / 6.0)));
    store<T>(dst + dstStep, add<T>(mulc<T>(d1, -HSQ2 / 3.0), mulc<T>(d2, SQ2 / 6.0)));
    store<T>(dst + 2 * dstStep, add<T>(mulc<T>(s1, -1.0 / 6.0), mulc<T>(s2, 1.0 / 3.0)));
    store<T>(dst + 3 * dstStep, add<T>(add<T>(mulc<T>(d1, -HSQ2 / 6.0), mulc<T>(d2, SQ2 / 3.0)), x5));
  }
}

// G' x for one line of a 3x3 filter: 3 values -> m + 2 values `step` bytes apart at dst (the rows
// of G': x0; x0 + x2 +- x1 (F(2,3)); 2 x0 + x2 +- sqrt(2) x1, x0 + 2 x2 +- sqrt(2) x1 (F(4,3)); x2).
// @ts-ignore: decorator
@inline function filterLine<T>(m: i32, x0: T, x1: T, x2: T, dst: usize, step: usize): void {
  store<T>(dst, x0);
  store<T>(dst + <usize>(m + 1) * step, x2);
  const s = add<T>(x0, x2);
  if (m == 2) {
    store<T>(dst + step, add<T>(s, x1));
    store<T>(dst + 2 * step, sub<T>(s, x1));
  } else {
    const o = mulc<T>(x1, SQ2), e0 = add<T>(s, x0), e1 = add<T>(s, x2);
    store<T>(dst + step, add<T>(e0, o));
    store<T>(dst + 2 * step, sub<T>(e0, o));
    store<T>(dst + 3 * step, add<T>(e1, o));
    store<T>(dst + 4 * step, sub<T>(e1, o));
  }
}

// G' g G'^T of one input channel's 3x3 filters in the lanes of T (its taps `tapBytes` apart at g,
// row by row): the (m + 2)^2 results `pointBytes` apart at u (point i * (m + 2) + j).
// @ts-ignore: decorator
@inline function filterTile<T>(m: i32, g: usize, tapBytes: usize, u: usize, pointBytes: usize): void {
  const a = m + 2;
  // Columns: G' along each of the 3 columns of g, into points (i, s) s < 3 as scratch.
  for (let s = 0; s < 3; s++) {
    const at = g + <usize>s * tapBytes;
    filterLine<T>(m, load<T>(at), load<T>(at + 3 * tapBytes), load<T>(at + 6 * tapBytes), u + <usize>s * pointBytes, <usize>a * pointBytes);
  }
  // Rows: G' along each row of that, in place (its 3 values are read before the first store).
  for (let i = 0; i < a; i++) {
    const at = u + <usize>(i * a) * pointBytes;
    filterLine<T>(m, load<T>(at), load<T>(at + pointBytes), load<T>(at + 2 * pointBytes), at, pointBytes);
  }
}

// G' g G'^T of one input channel's 3x3 filters for a panel's 8 output channels (the taps
// `tapBytes` apart at g, 8 lanes each): the (m + 2)^2 x 8 results `pointBytes` apart at u.
// @ts-ignore: decorator
@inline function filterChannel(m: i32, g: usize, tapBytes: usize, u: usize, pointBytes: usize): void {
  if (ASC_FEATURE_SIMD) {
    for (let h: usize = 0; h < 32; h += 16) filterTile<v128>(m, g + h, tapBytes, u + h, pointBytes);
  } else {
    for (let j: usize = 0; j < 32; j += 4) filterTile<f32>(m, g + j, tapBytes, u + j, pointBytes);
  }
}

// Every input channel of an f32 panel of 3x3 filters at `panel` -> the points' panels at u (their
// biases untouched).
// @ts-ignore: decorator
@inline function filterChannels(m: i32, panel: usize, inC: i32, u: usize, pointBytes: usize): void {
  const tap = <usize>inC << 5;
  for (let c = 0; c < inC; c++) {
    const at = <usize>c << 5;
    filterChannel(m, panel + 32 + at, tap, u + 32 + at, pointBytes);
  }
}

/**
 * One stored conv2d_f32 panel of 3x3 filters (8 biases, the format's header, then for each tap
 * and input channel 8 weights) -> for each of the (m + 2)^2 points a conv2d_f32 1x1 panel (8
 * biases, left as they are: the caller zeroes them once; then inC x 8 transformed weights),
 * `pointBytes` = (8 + 8 inC) * 4 apart at u. f32 taps are read where they are; int8 and fp16 ones
 * are expanded a channel's 9 at a time into `taps` (288 bytes), not the whole panel: the scratch
 * stays in L1.
 */
// @ts-ignore: decorator
@inline function filterPanel(m: i32, format: i32, panel: usize, inC: i32, u: usize, taps: usize): void {
  const pointBytes = <usize>(8 + 8 * inC) << 2;
  if (format == WEIGHTS_F32) {
    filterChannels(m, panel, inC, u, pointBytes);
    return;
  }
  const row = panelRowBytes(format), values = panel + panelValues(format), tap = <usize>inC * row;
  for (let c = 0; c < inC; c++) {
    expandRows8(format, panel + 32, values + <usize>c * row, tap, taps, 9);
    filterChannel(m, taps, 32, u + 32 + (<usize>c << 5), pointBytes);
  }
}

/**
 * The WINOGRAD_POINTS layout's filter transform, made once when the host packs (src/ops/pack.ts:
 * winogradBlock): a conv2d_f32 f32 panel of 3x3 filters at `panel` (8 biases, then for each tap
 * and input channel 8 weights) -> each point's 1x1 panel, `pointBytes` apart at u, with zero
 * biases. In f32 as the stored formats' transform is (0.3 s of JavaScript in float64 for
 * SE-ResNet-50's filters, most of its compile).
 */
export function winograd_filter_f32(m: i32, panel: usize, inC: i32, u: usize, pointBytes: i32): void {
  for (let i = 0; i < (m + 2) * (m + 2); i++) memory.fill(u + <usize>i * <usize>pointBytes, 0, 32);
  filterChannels(m, panel, inC, u, <usize>pointBytes);
}

// The input tile of lanes [c, c + lanes) whose top-left pixel is (ih0, iw0) of image img:
// B^T d B into v, its (m + 2)^2 values planeBytes apart. Pixels outside the image read `zero`.
function inputTile<T>(m: i32, img: usize, zero: usize, ih0: i32, iw0: i32, inH: i32, inW: i32,
  inC: i32, c: usize, v: usize, planeBytes: usize): void {
  const a = m + 2;
  // Rows: B^T along each row of d, into v as scratch.
  for (let i = 0; i < a; i++) {
    const ih = ih0 + i;
    const rowIn = <u32>ih < <u32>inH;
    const row = img + (<usize>(ih * inW) * inC << 2) + c;
    let p0 = zero, p1 = zero, p2 = zero, p3 = zero, p4 = zero, p5 = zero;
    if (rowIn) {
      const pc = <usize>inC << 2;
      if (<u32>iw0 < <u32>inW) p0 = row + <usize>iw0 * pc;
      if (<u32>(iw0 + 1) < <u32>inW) p1 = row + <usize>(iw0 + 1) * pc;
      if (<u32>(iw0 + 2) < <u32>inW) p2 = row + <usize>(iw0 + 2) * pc;
      if (<u32>(iw0 + 3) < <u32>inW) p3 = row + <usize>(iw0 + 3) * pc;
      if (m > 2) {
        if (<u32>(iw0 + 4) < <u32>inW) p4 = row + <usize>(iw0 + 4) * pc;
        if (<u32>(iw0 + 5) < <u32>inW) p5 = row + <usize>(iw0 + 5) * pc;
      }
    }
    inputLine<T>(m, p0, p1, p2, p3, p4, p5, v + <usize>(i * a) * planeBytes, planeBytes);
  }
  // Columns: B^T along each column of the row-transformed tile, in place.
  const col = <usize>a * planeBytes;
  for (let j = 0; j < a; j++) {
    const at = v + <usize>j * planeBytes;
    inputLine<T>(m, at, at + col, at + 2 * col, at + 3 * col, at + 4 * col, at + 5 * col, at, col);
  }
}

// The product tile of lanes [k, k + lanes) (its (m + 2)^2 values planeBytes apart at x, used as
// scratch) -> A^T x A + bias, activated, into the output pixels inside the map; adds what it
// stores to sum (the image's channel sums) when sum is not 0.
function outputTile<T>(m: i32, x: usize, planeBytes: usize, bias: T, out: usize, rows: i32, cols: i32,
  pixelBytes: usize, rowBytes: usize, code: i32, sum: usize): void {
  const a = m + 2;
  // Rows: A^T along each row, the m results over the row's first m values.
  for (let i = 0; i < a; i++) {
    const at = x + <usize>(i * a) * planeBytes;
    outputLine<T>(m, at, planeBytes, at, planeBytes);
  }
  // Columns j < m: A^T along each, then bias and activation, stored where inside the map.
  const col = <usize>a * planeBytes;
  let s = zeroOf<T>();
  for (let j = 0; j < cols; j++) {
    const at = x + <usize>j * planeBytes;
    outputLine<T>(m, at, col, at, col);
    for (let i = 0; i < rows; i++) {
      const y = act<T>(add<T>(load<T>(at + <usize>i * col), bias), code);
      store<T>(out + <usize>i * rowBytes + <usize>j * pixelBytes, y);
      s = add<T>(s, y);
    }
  }
  if (sum) store<T>(sum, add<T>(load<T>(sum), s));
}

/**
 * The shared body of the F(2x2,3x3) and F(4x4,3x3) kernels (m = 2 or 4, a compile-time constant
 * in each export). Tiles (batch folded in) are processed in blocks of at most blockTiles, split
 * evenly: the block's transformed input V [(m+2)^2][tiles][inC] and products [tiles][(m+2)^2][outC]
 * lie in the workspace, so it needs (m+2)^2 * b * (inC + outC) + 16 * ((m+2)^2 + b) floats, b =
 * min(tiles, blockTiles). Only tiles [tBegin, tEnd) and output channels [8 pBegin, 8 pEnd) are made
 * (a thread's share: by channels, each thread transforms the whole input, its products and
 * outputs are its channels'; by tiles, without means, each its tiles' of every channel).
 * format: WINOGRAD_POINTS (the host's transformed layout) or a stored format (the implicit GEMM's
 * panels, transformed a panel at a time into scratch).
 */
function winograd(m: i32, input: usize, output: usize, weights: usize, zero: usize, workspace: usize,
  batch: i32, inH: i32, inW: i32, inC: i32, outH: i32, outW: i32, outC: i32, padT: i32, padL: i32,
  act: i32, means: usize, outStride: i32, blockTiles: i32, format: i32, scratch: usize, pBegin: i32, pEnd: i32,
  tBegin: i32, tEnd: i32): void {
  // The SIMD builds take channels 4 at a time, with no scalar tail (0.5 KB of the page's gzip
  // budget): the op table gives other convs the GEMM (src/ops/table.ts winogradTile).
  if (ASC_FEATURE_SIMD && (inC | outC) & 3) unreachable();
  const a = m + 2, a2 = a * a;
  const tilesH = (outH + m - 1) / m, tilesW = (outW + m - 1) / m, perImage = tilesH * tilesW;
  const blocks = (tEnd - tBegin + blockTiles - 1) / blockTiles;
  const tb = blocks ? (tEnd - tBegin + blocks - 1) / blocks : 1; // an empty share has no block
  // Per point: one conv2d_f32 1x1 weight (panels of 8: 8 zero biases, then inC x 8), then the bias.
  const panelBytes = <usize>(8 + inC * 8) << 2;
  const pointBytes = <usize>((outC + 7) >> 3) * panelBytes;
  const transformed = format == WINOGRAD_POINTS;
  // Stored panels: one panel at a time transformed into scratch, after a channel's expanded taps.
  const storedPanel = storedBytes(format, 9 * inC, 8);
  const taps = scratch, u = scratch + 288;
  // Channel k's bias is at bias + (k >> 3) * biasStride + (k & 7) * 4: after the points, in a row
  // (f32); the first 8 floats of each stored panel (int8, fp16).
  const bias = transformed ? weights + <usize>a2 * pointBytes : weights;
  const biasStride: usize = transformed ? 32 : storedPanel;
  // The point panels' biases: zero (the bias is added after the output transform).
  if (!transformed) for (let p = 0; p < a2; p++) memory.fill(u + <usize>p * panelBytes, 0, 32);
  const imgBytes = <usize>(inH * inW * inC) << 2;
  const pixelBytes = <usize>outStride << 2, rowBytes = <usize>(outW * outStride) << 2;
  const c0 = pBegin * 8, c1 = min(pEnd * 8, outC), cBytes = <usize>(c1 - c0) << 2;
  if (means) {
    for (let n = 0; n < batch; n++) memory.fill(means + (<usize>(n * outC + c0) << 2), 0, cBytes);
  }
  for (let t0 = tBegin; t0 < tEnd; t0 += tb) {
    const nt = min(tb, tEnd - t0);
    // Planes of V and rows of products SKEW floats longer than they need: with power-of-two channel
    // and tile counts their starts fell on one L1 set (3x3 32->32 @112, F(4,3): 5.5 ms, 2.0 skewed).
    const vPlane = <usize>(nt * inC + SKEW) << 2, prodRow = a2 * outC + SKEW;
    const v = workspace, prod = workspace + <usize>a2 * vPlane;
    for (let t = 0; t < nt; t++) {
      const n = (t0 + t) / perImage, r = (t0 + t) % perImage;
      const ih0 = r / tilesW * m - padT, iw0 = r % tilesW * m - padL;
      const img = input + <usize>n * imgBytes, vt = v + (<usize>(t * inC) << 2);
      if (ASC_FEATURE_SIMD) {
        for (let c = 0; c < inC; c += 4) inputTile<v128>(m, img, zero, ih0, iw0, inH, inW, inC, <usize>c << 2, vt + (<usize>c << 2), vPlane);
      } else {
        for (let c = 0; c < inC; c++) inputTile<f32>(m, img, zero, ih0, iw0, inH, inW, inC, <usize>c << 2, vt + (<usize>c << 2), vPlane);
      }
    }
    if (transformed) {
      for (let p = 0; p < a2; p++) {
        conv2d_f32(v + <usize>p * vPlane, prod + (<usize>(p * outC + c0) << 2), weights + <usize>p * pointBytes + <usize>pBegin * panelBytes,
          zero, 1, nt, 1, inC, nt, 1, c1 - c0, 1, 1, 1, 1, 0, 0, 1, 1, 1, 0, 0, prodRow, WEIGHTS_F32, 0);
      }
    } else {
      for (let q = pBegin; q < pEnd; q++) {
        // A literal m: each copy's transform is specialised to its tile.
        const panel = weights + <usize>q * storedPanel;
        if (m == 4) filterPanel(4, format, panel, inC, u, taps);
        else filterPanel(2, format, panel, inC, u, taps);
        const k0 = q * 8;
        for (let p = 0; p < a2; p++) {
          conv2d_f32(v + <usize>p * vPlane, prod + (<usize>(p * outC + k0) << 2), u + <usize>p * panelBytes,
            zero, 1, nt, 1, inC, nt, 1, min(8, outC - k0), 1, 1, 1, 1, 0, 0, 1, 1, 1, 0, 0, prodRow, WEIGHTS_F32, 0);
        }
      }
    }
    const pPlane = <usize>outC << 2;
    for (let t = 0; t < nt; t++) {
      const n = (t0 + t) / perImage, r = (t0 + t) % perImage;
      const oh0 = r / tilesW * m, ow0 = r % tilesW * m;
      const rows = min(m, outH - oh0), cols = min(m, outW - ow0);
      const out = output + <usize>((n * outH + oh0) * outW + ow0) * pixelBytes;
      const pt = prod + (<usize>(t * prodRow) << 2);
      const sum = means ? means + (<usize>(n * outC) << 2) : 0;
      if (ASC_FEATURE_SIMD) {
        for (let k = c0; k < c1; k += 4) {
          const o = <usize>k << 2;
          const b = bias + <usize>(k >> 3) * biasStride + (<usize>(k & 7) << 2);
          outputTile<v128>(m, pt + o, pPlane, v128.load(b), out + o, rows, cols, pixelBytes, rowBytes, act, sum ? sum + o : 0);
        }
      } else {
        for (let k = c0; k < c1; k++) {
          const o = <usize>k << 2;
          const b = bias + <usize>(k >> 3) * biasStride + (<usize>(k & 7) << 2);
          outputTile<f32>(m, pt + o, pPlane, load<f32>(b), out + o, rows, cols, pixelBytes, rowBytes, act, sum ? sum + o : 0);
        }
      }
    }
  }
  if (means) {
    const inv: f32 = 1.0 / <f32>(outH * outW);
    for (let n = 0; n < batch; n++) {
      for (let c = c0; c < c1; c++) {
        const at = means + (<usize>(n * outC + c) << 2);
        store<f32>(at, load<f32>(at) * inv);
      }
    }
  }
}

/**
 * 3x3 stride-1 convolution without groups or dilation by Winograd F(2x2, 3x3), over NHWC tensors.
 * input [batch, inH, inW, inC]; output [batch, outH, outW, outC], pixels outStride floats apart;
 * weights: winogradBlock(m = 2) of src/ops/pack.ts (format WINOGRAD_POINTS), or conv2d_f32's stored
 * 3x3 panels (format WEIGHTS_F32, WEIGHTS_QS8, WEIGHTS_F16) with a scratch of 72 + 16 (8 + 8 inC)
 * floats (36 for 16 with F(4,3): src/ops/table.ts winogradScratchBytes);
 * zero: at least max(inC, 4) zero floats;
 * workspace: 16 * b * (inC + outC) + 16 * (16 + b) floats, b = min(tiles, blockTiles), tiles = batch * ceil(outH / 2) *
 * ceil(outW / 2); padT, padL: the padding above and left (outH, outW give the rest); act, means as
 * conv2d_f32's. Preconditions: every size >= 1, blockTiles >= 1; SIMD builds: inC and outC
 * multiples of 4 (else a trap).
 */
export function conv3x3_winograd_f32_2x2(input: usize, output: usize, weights: usize, zero: usize, workspace: usize,
  batch: i32, inH: i32, inW: i32, inC: i32, outH: i32, outW: i32, outC: i32, padT: i32, padL: i32,
  act: i32, means: usize, outStride: i32, blockTiles: i32, format: i32, scratch: usize): void {
  winograd(2, input, output, weights, zero, workspace, batch, inH, inW, inC, outH, outW, outC, padT, padL,
    act, means, outStride, blockTiles, format, scratch, 0, (outC + 7) >> 3, 0, batch * ((outH + 1) >> 1) * ((outW + 1) >> 1));
}

/** As conv3x3_winograd_f32_2x2 with F(4x4, 3x3): weights winogradBlock(m = 4), workspace with 36 for 16. */
export function conv3x3_winograd_f32_4x4(input: usize, output: usize, weights: usize, zero: usize, workspace: usize,
  batch: i32, inH: i32, inW: i32, inC: i32, outH: i32, outW: i32, outC: i32, padT: i32, padL: i32,
  act: i32, means: usize, outStride: i32, blockTiles: i32, format: i32, scratch: usize): void {
  winograd(4, input, output, weights, zero, workspace, batch, inH, inW, inC, outH, outW, outC, padT, padL,
    act, means, outStride, blockTiles, format, scratch, 0, (outC + 7) >> 3, 0, batch * ((outH + 3) >> 2) * ((outW + 3) >> 2));
}

/**
 * The Winograd kernels for output channels [8 pBegin, 8 pEnd) and tiles [tBegin, tEnd) only (batch
 * folded in: tile n * perImage + r), means included when the share has every tile: one thread's
 * share of a conv split across threads (threaded builds only), each with its own workspace and
 * scratch. The outputs and means are bitwise those of one call (the same sums in the same order).
 */
export function conv3x3_winograd_f32_part(m: i32, input: usize, output: usize, weights: usize, zero: usize, workspace: usize,
  batch: i32, inH: i32, inW: i32, inC: i32, outH: i32, outW: i32, outC: i32, padT: i32, padL: i32,
  act: i32, means: usize, outStride: i32, blockTiles: i32, format: i32, scratch: usize, pBegin: i32, pEnd: i32,
  tBegin: i32, tEnd: i32): void {
  if (!ASC_FEATURE_THREADS) unreachable();
  if (m == 4) {
    winograd(4, input, output, weights, zero, workspace, batch, inH, inW, inC, outH, outW, outC, padT, padL,
      act, means, outStride, blockTiles, format, scratch, pBegin, pEnd, tBegin, tEnd);
  } else {
    winograd(2, input, output, weights, zero, workspace, batch, inH, inW, inC, outH, outW, outC, padT, padL,
      act, means, outStride, blockTiles, format, scratch, pBegin, pEnd, tBegin, tEnd);
  }
}
