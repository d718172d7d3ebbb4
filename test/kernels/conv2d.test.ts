// conv2d_f32 (implicit GEMM: general, grouped, depthwise-as-groups, pointwise, fully connected)
// against the float64 reference, in both builds, plus the packed weight layout it reads; and
// conv2d_im2col_f32 on every case without groups, bitwise against conv2d_f32.

import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { convBlock, PANEL } from '../../src/ops/pack.js';
import { ACT_CODE } from '../../src/ops/activation.js';
import { ACTIVATIONS, type Activation } from '../../src/graph/ir.js';
import { conv2dRef, linearRef, nchwToNhwc, nhwcToNchw } from '../reference/kernels.js';
import { BACKENDS, KernelBench, Random, expectClose, normal, readStrided, storedValues } from './harness.js';
import { WEIGHT_FORMATS, type WeightFormat } from '../../src/graph/storage.js';
import { WEIGHTS_FORMAT } from '../../src/wasm/abi.js';
import { im2colBytes } from '../../src/ops/table.js';

interface ConvCase {
  name: string;
  n: number; c: number; h: number; w: number; o: number;
  k: [number, number];
  stride: [number, number];
  pads: [number, number, number, number];
  dil: [number, number];
  group: number;
  act: Activation;
  bias: boolean;
  /** Weight gain: larger values push the pre-activations into the saturated regions. */
  gain: number;
}

type CaseSpec = Partial<Omit<ConvCase, 'name'>> & Pick<ConvCase, 'c' | 'h' | 'w' | 'o'>;

function conv(spec: CaseSpec, note = ''): ConvCase {
  const k = spec.k ?? [3, 3];
  const cs: Omit<ConvCase, 'name'> = {
    n: 1, k, stride: [1, 1], pads: [(k[0] - 1) >> 1, (k[1] - 1) >> 1, k[0] >> 1, k[1] >> 1], dil: [1, 1],
    group: 1, act: 'none', bias: true, gain: 1, ...spec,
  };
  const name =
    `${note ? note + ': ' : ''}n${cs.n} ${cs.c}x${cs.h}x${cs.w} -> ${cs.o} k${cs.k.join('x')} s${cs.stride} ` +
    `p${cs.pads} d${cs.dil} g${cs.group} ${cs.act}${cs.bias ? '' : ' nobias'}`;
  return { name, ...cs };
}

const CHANNELS = [1, 3, 4, 7, 8, 15, 16, 17];
const CASES: ConvCase[] = [];

// Every pair of awkward channel counts: panels of 8 cut at 1..7 columns, K not a multiple of 4.
for (const c of CHANNELS) for (const o of CHANNELS) CASES.push(conv({ c, h: 5, w: 7, o }, 'channels'));
// Output channels past one and two panels.
for (const o of [9, 24, 33]) CASES.push(conv({ c: 5, h: 7, w: 5, o }, 'panels'));

// Stride, padding, kernel shapes.
CASES.push(
  conv({ c: 3, h: 9, w: 9, o: 8, stride: [2, 2] }, 'stride 2'),
  conv({ c: 4, h: 8, w: 8, o: 7, stride: [2, 2], pads: [0, 0, 1, 1] }, 'stride 2, SAME pads of an even map'),
  conv({ c: 7, h: 9, w: 6, o: 5, stride: [1, 2] }, 'stride 1x2'),
  conv({ c: 7, h: 6, w: 9, o: 5, stride: [2, 1] }, 'stride 2x1'),
  conv({ c: 3, h: 17, w: 15, o: 16, k: [7, 7], stride: [2, 2], pads: [3, 3, 3, 3] }, 'stem 7x7/2'),
  conv({ c: 5, h: 5, w: 7, o: 6, pads: [1, 0, 2, 1] }, 'asymmetric pads'),
  conv({ c: 5, h: 7, w: 5, o: 9, pads: [0, 2, 1, 0], stride: [2, 2] }, 'asymmetric pads, stride 2'),
  conv({ c: 4, h: 6, w: 7, o: 4, k: [5, 5], pads: [2, 1, 0, 3] }, 'asymmetric pads 5x5'),
  conv({ c: 3, h: 5, w: 7, o: 5, k: [1, 3] }, 'kernel 1x3'),
  conv({ c: 3, h: 5, w: 7, o: 5, k: [3, 1] }, 'kernel 3x1'),
  conv({ c: 6, h: 7, w: 7, o: 6, k: [2, 2], pads: [0, 0, 0, 0] }, 'even kernel'),
  conv({ c: 4, h: 9, w: 9, o: 4, k: [2, 2], stride: [3, 3], pads: [0, 0, 0, 0] }, 'stride past the kernel'),
  conv({ c: 4, h: 3, w: 3, o: 5, k: [5, 5], pads: [2, 2, 2, 2] }, 'kernel larger than the map'),
  conv({ c: 3, h: 4, w: 5, o: 4, k: [1, 1], pads: [2, 1, 1, 2] }, 'pixels wholly in the padding (bias only)'),
  // A Pad folded into a 1x1 conv: pads below and right only, so output pixel r is not input pixel
  // r (the plain-GEMM path once took these; found by test/graph-fuzz.test.ts).
  conv({ n: 2, c: 3, h: 4, w: 3, o: 10, k: [1, 1], pads: [0, 0, 2, 1] }, '1x1, pads below and right only'),
  conv({ c: 16, h: 5, w: 6, o: 16, k: [1, 1], pads: [0, 0, 0, 2] }, '1x1, pads right only'),
  conv({ c: 3, h: 1, w: 1, o: 4, k: [3, 3] }, '1x1 map, 3x3 kernel'),
);

// Dilation.
CASES.push(
  conv({ c: 5, h: 9, w: 9, o: 6, dil: [2, 2], pads: [2, 2, 2, 2] }, 'dilation 2'),
  conv({ c: 4, h: 9, w: 8, o: 9, dil: [2, 1], pads: [2, 1, 2, 1] }, 'dilation 2x1'),
  conv({ c: 4, h: 11, w: 11, o: 8, dil: [2, 2], pads: [1, 0, 3, 2], stride: [2, 2] }, 'dilation 2, stride 2, asymmetric'),
  conv({ c: 3, h: 7, w: 7, o: 4, dil: [3, 3], pads: [0, 0, 0, 0] }, 'dilation 3, no padding'),
);

// Groups: ResNeXt-like 32 groups, coutPerGroup 2, 3, 4, 12 (not a multiple of 8), 8, 16.
CASES.push(
  conv({ c: 64, h: 5, w: 7, o: 64, group: 32 }, 'groups 32 (cinG 2, coutG 2)'),
  conv({ c: 64, h: 5, w: 5, o: 128, group: 32, stride: [2, 2] }, 'groups 32 (coutG 4), stride 2'),
  conv({ c: 32, h: 5, w: 7, o: 96, group: 32 }, 'groups 32 (cinG 1, coutG 3)'),
  conv({ c: 6, h: 5, w: 7, o: 6, group: 2 }, 'groups 2 (coutG 3)'),
  conv({ c: 24, h: 5, w: 7, o: 24, group: 2 }, 'groups 2 (coutG 12)'),
  conv({ c: 8, h: 7, w: 5, o: 16, group: 2 }, 'groups 2 (coutG 8)'),
  conv({ c: 16, h: 7, w: 5, o: 48, group: 4, pads: [0, 1, 2, 1] }, 'groups 4 (coutG 12), asymmetric'),
  conv({ c: 14, h: 9, w: 9, o: 34, group: 2, stride: [2, 2], dil: [2, 2], pads: [2, 2, 2, 2] }, 'groups 2 (coutG 17), dilation'),
  conv({ c: 6, h: 5, w: 5, o: 4, group: 2, k: [1, 1] }, 'grouped 1x1'),
);

// Depthwise through the general kernel: groups == channels, multiplier 1 and 2.
for (const c of [1, 3, 7, 16, 17]) CASES.push(conv({ c, h: 7, w: 5, o: c, group: c }, 'depthwise via groups'));
CASES.push(
  conv({ c: 8, h: 9, w: 9, o: 8, group: 8, stride: [2, 2] }, 'depthwise via groups, stride 2'),
  conv({ c: 8, h: 9, w: 7, o: 16, group: 8 }, 'depthwise multiplier 2'),
  conv({ c: 5, h: 9, w: 9, o: 5, group: 5, k: [5, 5], pads: [2, 2, 2, 2], dil: [2, 2] }, 'depthwise 5x5 dilated'),
);

// Pointwise and fully connected (1x1 kernel on a 1x1 map).
CASES.push(
  conv({ c: 17, h: 5, w: 7, o: 33, k: [1, 1] }, 'pointwise'),
  conv({ c: 16, h: 9, w: 9, o: 24, k: [1, 1], stride: [2, 2] }, 'pointwise stride 2 (shortcut)'),
  // 45 pixels: the row past the last tile (gemv's) lies in the last image, 2 rows down.
  conv({ n: 5, c: 12, h: 5, w: 6, o: 40, k: [1, 1], stride: [2, 2] }, 'pointwise stride 2, batch 5'),
  conv({ n: 2, c: 64, h: 1, w: 1, o: 10, k: [1, 1] }, 'fc'),
  conv({ n: 1, c: 17, h: 1, w: 1, o: 3, k: [1, 1] }, 'fc'),
  conv({ n: 3, c: 128, h: 1, w: 1, o: 100, k: [1, 1] }, 'fc'),
  conv({ n: 1, c: 40, h: 1, w: 1, o: 100, k: [1, 1] }, 'fc at batch 1: 13 panels (a split by panels starts mid-group of 4)'),
  conv({ n: 2, c: 64, h: 1, w: 1, o: 4, k: [1, 1], act: 'relu' }, 'fc SE squeeze'),
  conv({ n: 2, c: 4, h: 1, w: 1, o: 64, k: [1, 1], act: 'sigmoid' }, 'fc SE excite'),
  // One row, 13 panels: 3 chunks of 4 and one of 1 through gemv (its weights expanded 4 panels at a time).
  conv({ n: 1, c: 37, h: 1, w: 1, o: 100, k: [1, 1] }, 'fc batch 1, 13 panels'),
);

// M = batch * outH * outW: below a tile, not a multiple of 4, around and across the 256-pixel block.
for (const [n, h, w] of [
  [1, 1, 2], [1, 1, 3], [1, 1, 5], [1, 11, 11], [1, 1, 127], [1, 1, 128], [1, 1, 129], [1, 1, 255], [1, 1, 256], [1, 1, 257], [1, 13, 10], [2, 13, 11],
  [1, 12, 12], [1, 16, 16], [2, 9, 9], [1, 19, 23], [3, 7, 13],
] as const) {
  CASES.push(conv({ n, c: 3, h, w, o: 9, k: [1, 1] }, `M=${n * h * w}`));
}
CASES.push(
  conv({ n: 2, c: 5, h: 11, w: 13, o: 12 }, 'M=286, 3x3'),
  conv({ n: 2, c: 4, h: 19, w: 17, o: 6, stride: [2, 2], group: 2 }, 'M=180, grouped, stride 2'),
);

// Batch 2 (pixels of two images inside one tile when plane % 4 != 0).
CASES.push(
  conv({ n: 2, c: 3, h: 5, w: 7, o: 8 }, 'batch 2'),
  conv({ n: 2, c: 7, h: 3, w: 3, o: 15, pads: [1, 0, 0, 1] }, 'batch 2, asymmetric'),
  conv({ n: 2, c: 4, h: 9, w: 9, o: 4, group: 4, stride: [2, 2] }, 'batch 2, depthwise via groups'),
);

// Deep K: accumulation error over 64 * 9 taps.
CASES.push(conv({ c: 64, h: 5, w: 5, o: 17 }, 'deep K'));

// No bias.
CASES.push(
  conv({ c: 7, h: 5, w: 7, o: 9, bias: false }),
  conv({ c: 64, h: 3, w: 5, o: 64, group: 32, bias: false }),
);

// Every activation in the epilogue, with pre-activations spread over about [-12, 12] so that
// relu6, the hard functions and the sigmoids all saturate somewhere; panel edge (o = 11) and a
// tile edge (M = 35) included. The SIMD tile applies the activations with exp after each block
// of 256 pixels, over its channels of each group: groups of more than 4 channels (not paired) and
// more than a block of pixels too.
for (const act of ACTIVATIONS) {
  CASES.push(conv({ c: 8, h: 5, w: 7, o: 11, act, gain: 4 }, 'act'));
  CASES.push(conv({ n: 2, c: 6, h: 3, w: 3, o: 6, group: 3, act, gain: 4 }, 'act grouped'));
  CASES.push(conv({ c: 4, h: 3, w: 5, o: 14, group: 2, act, gain: 4 }, 'act grouped, 7 a group'));
  CASES.push(conv({ n: 2, c: 3, h: 13, w: 11, o: 9, k: [1, 1], act, gain: 4 }, 'act, 286 pixels'));
  CASES.push(conv({ c: 9, h: 7, w: 7, o: 35, k: [1, 1], act, gain: 4 }, 'act, 49 pixels'));
}

/**
 * split: the conv made as two threads of a pool make it (threaded builds): conv2d_f32_part over the
 * first and the second half of the output pixels (in whole 4-pixel tiles) or of each group's
 * panels, then conv_means_f32; checked against the reference, and bitwise against one conv2d_f32.
 */
function runConv(b: KernelBench, cs: ConvCase, seed: number, gap = 0, format: WeightFormat = 'fp32', split?: 'pixels' | 'panels'): void {
  const rng = new Random(seed);
  const { n, c, h, w, o, k: [kH, kW], stride, pads, dil, group, act } = cs;
  const cg = c / group;
  const xShape = [n, c, h, w];
  const wShape = [o, cg, kH, kW];
  const x = normal(rng, n * c * h * w);
  const weight = normal(rng, o * cg * kH * kW, cs.gain / Math.sqrt(cg * kH * kW));
  const bias = cs.bias ? normal(rng, o, 0.5 * cs.gain) : undefined;
  const ref = conv2dRef(x, xShape, storedValues(weight, o, format), wShape, bias, { stride, pads, dilation: dil, group, act });
  const [, , oH, oW] = ref.shape;

  const xp = b.input('input', nchwToNhwc(x, xShape));
  const block = convBlock({ values: weight }, bias, o, cg, kH, kW, group, format);
  const wp = b.packed('weights', block);
  // The expansion scratch between guard bands: a panel expanded past its end shows there.
  const ep = block.expandBytes ? b.output('expand', block.expandBytes / 4) : 0;
  const zp = b.input('zero', new Float32Array(cg)); // exactly inC / groups zeros, then NaN guard
  // gap > 0: the output is one slice of a wider tensor (a concatenation written in place).
  const yp = b.output('output', n * oH * oW * (o + gap));
  const mp = b.output('means', n * o); // every case also asks for the channel means (the SE squeeze)
  const call = (y: number, means: number) => b.kernels.conv2d_f32(
    xp, y, wp, zp, n, h, w, c, oH, oW, o, kH, kW, stride[0], stride[1], pads[0], pads[1], dil[0], dil[1],
    group, ACT_CODE[act], means, o + gap, WEIGHTS_FORMAT[format], ep,
  );
  const pixels = n * oH * oW, panels = Math.ceil(o / group / PANEL);
  if (split) {
    const half = split === 'pixels' ? Math.min(pixels, Math.floor(Math.ceil(pixels / 4) / 2) * 4) : Math.floor(panels / 2);
    for (const [begin, end] of [[0, half], [half, split === 'pixels' ? pixels : panels]]) {
      b.kernels.conv2d_f32_part(xp, yp, wp, zp, n, h, w, c, oH, oW, o, kH, kW, stride[0], stride[1], pads[0], pads[1], dil[0], dil[1],
        group, ACT_CODE[act], o + gap, WEIGHTS_FORMAT[format], ep, ...(split === 'pixels' ? [begin, end, 0, panels] : [0, pixels, begin, end]) as [number, number, number, number]);
    }
    b.kernels.conv_means_f32(yp, mp, n, oH * oW, o, o + gap);
  } else {
    call(yp, mp);
  }
  b.check();
  const got = nhwcToNchw(readStrided(b, yp, n * oH * oW, o, o + gap, `${b.backend} ${cs.name}`), ref.shape);
  expectClose(got, ref.data, `${b.backend} ${cs.name}`, ref.shape);
  const plane = oH * oW;
  const means = Float64Array.from({ length: n * o }, (_, i) => {
    let sum = 0;
    for (let p = 0; p < plane; p++) sum += ref.data[i * plane + p]; // NCHW: image-major, then channel
    return sum / plane;
  });
  expectClose(b.read(mp, n * o), means, `${b.backend} ${cs.name} means`, [n, o]);
  const bits = (at: number, len: number) => new Uint32Array(b.read(at, len).buffer);
  if (split) {
    const yOne = b.output('one call', n * oH * oW * (o + gap)), mOne = b.output('one call means', n * o);
    call(yOne, mOne);
    expect(bits(yp, n * oH * oW * (o + gap)), 'outputs bitwise those of one call').toEqual(bits(yOne, n * oH * oW * (o + gap)));
    expect(bits(mp, n * o), 'means bitwise those of one call').toEqual(bits(mOne, n * o));
  }
  if (group === 1 && kH * kW > 1) {
    // conv2d_im2col_f32 (or its parts: two halves of the pixels, in whole tiles, then the means)
    // over every case without groups: the same sums in the same order, so conv2d_f32's bits.
    const sp = b.output('im2col scratch', (im2colBytes(c * kH * kW) + block.expandBytes) / 4);
    const yi = b.output('im2col output', n * oH * oW * (o + gap)), mi = b.output('im2col means', n * o);
    const head = [xp, yi, wp] as const;
    const shape = [h, w, c, oH, oW, o, kH, kW, stride[0], stride[1], pads[0], pads[1], dil[0], dil[1], ACT_CODE[act]] as const;
    if (split) {
      const half = Math.min(pixels, Math.floor(Math.ceil(pixels / 4) / 2) * 4);
      for (const [begin, end] of [[0, half], [half, pixels]]) {
        b.kernels.conv2d_im2col_f32_part(...head, ...shape, o + gap, WEIGHTS_FORMAT[format], sp, begin, end);
      }
      b.kernels.conv_means_f32(yi, mi, n, oH * oW, o, o + gap);
    } else {
      b.kernels.conv2d_im2col_f32(...head, n, ...shape, mi, o + gap, WEIGHTS_FORMAT[format], sp);
    }
    b.check();
    expect(bits(yi, n * oH * oW * (o + gap)), 'im2col outputs bitwise conv2d_f32\'s').toEqual(bits(yp, n * oH * oW * (o + gap)));
    expect(bits(mi, n * o), 'im2col means bitwise conv2d_f32\'s').toEqual(bits(mp, n * o));
  }
}

describe.each(BACKENDS)('conv2d_f32 (%s)', (backend) => {
  let bench: KernelBench;
  beforeAll(async () => { bench = await KernelBench.load(backend); });
  afterEach(() => bench.reset());

  it.each(CASES.map((cs, i) => ({ ...cs, i })))('$name', (cs) => {
    runConv(bench, cs, 1000 + cs.i);
  });

  // Every fourth case again, writing a channel slice of a wider output (pixel stride o + 3 or o + 8).
  it.each(CASES.filter((_, i) => i % 4 === 0).map((cs, i) => ({ ...cs, i })))('strided output: $name', (cs) => {
    runConv(bench, cs, 5000 + cs.i, cs.i % 2 ? 3 : 8);
  });

  // Weights stored as int8 and fp16, expanded per panel and block: every case, and a strided output.
  describe.each(WEIGHT_FORMATS.filter((f) => f !== 'fp32'))('weights %s', (format) => {
    it.each(CASES.map((cs, i) => ({ ...cs, i })))('$name', (cs) => {
      runConv(bench, cs, 7000 + cs.i, cs.i % 5 === 0 ? 3 : 0, format);
    });
  });

  it('fc through conv2d_f32 equals linearRef', () => {
    const rng = new Random(7);
    const [n, k, o] = [3, 37, 21];
    const x = normal(rng, n * k);
    const weight = normal(rng, o * k, 1 / Math.sqrt(k));
    const bias = normal(rng, o);
    const ref = linearRef(x, [n, k], weight, [o, k], bias, 'hardswish');
    const xp = bench.input('input', x); // [n, k] is NHWC [n, 1, 1, k]
    const wp = bench.packed('weights', convBlock({ values: weight }, bias, o, k, 1, 1, 1));
    const zp = bench.input('zero', new Float32Array(k));
    const yp = bench.output('output', n * o);
    bench.kernels.conv2d_f32(xp, yp, wp, zp, n, 1, 1, k, 1, 1, o, 1, 1, 1, 1, 0, 0, 1, 1, 1, ACT_CODE.hardswish, 0, o, 0, 0);
    bench.check();
    expectClose(bench.read(yp, n * o), ref.data, `${backend} fc`, ref.shape);
  });

  it('a wrong result fails the comparison (the test can fail)', () => {
    const cs = conv({ c: 3, h: 5, w: 5, o: 5 });
    const rng = new Random(1);
    const x = normal(rng, 3 * 25);
    const weight = normal(rng, 5 * 3 * 9);
    const ref = conv2dRef(x, [1, 3, 5, 5], weight, [5, 3, 3, 3], null, { pads: cs.pads });
    const wrong = Float64Array.from(ref.data);
    wrong[17] += 1e-2 * Math.max(1, ...ref.data.map(Math.abs));
    expect(() => expectClose(wrong, ref.data, 'perturbed', ref.shape)).toThrow(/1 of 125 values/);
    const unwritten = Float64Array.from(ref.data);
    unwritten[3] = NaN;
    expect(() => expectClose(unwritten, ref.data, 'unwritten', ref.shape)).toThrow(/got NaN/);
  });
});

// The threaded builds: every case split across two threads' ranges, fp32 and int8 (each part
// expands its own panels), and a strided output.
describe.each(BACKENDS)('conv2d_f32_part, two threads\' shares (%s-threads)', (backend) => {
  let bench: KernelBench;
  beforeAll(async () => { bench = await KernelBench.load(backend, true); });
  afterEach(() => bench.reset());

  it.each(CASES.map((cs, i) => ({ ...cs, i })))('by pixels: $name', (cs) => runConv(bench, cs, 1000 + cs.i, cs.i % 4 ? 0 : 3, 'fp32', 'pixels'));
  it.each(CASES.map((cs, i) => ({ ...cs, i })))('by panels: $name', (cs) => runConv(bench, cs, 1000 + cs.i, cs.i % 4 ? 0 : 3, cs.i % 3 ? 'fp32' : 'int8', 'panels'));
});

describe('convBlock layout', () => {
  // The layout spelled out as the kernel reads it, by walking a cursor: per group, per panel of 8
  // output columns: 8 biases, then per tap (kh, kw) and input channel of the group 8 weights.
  function expectedPacking(
    weight: Float32Array, bias: Float32Array | undefined, o: number, cg: number, kH: number, kW: number, g: number,
  ): number[] {
    const og = o / g;
    const out: number[] = [];
    for (let gi = 0; gi < g; gi++) {
      for (let p0 = 0; p0 < og; p0 += PANEL) {
        const cols = Array.from({ length: PANEL }, (_, j) => p0 + j);
        for (const j of cols) out.push(j < og && bias ? bias[gi * og + j] : 0);
        for (let kh = 0; kh < kH; kh++) {
          for (let kw = 0; kw < kW; kw++) {
            for (let ci = 0; ci < cg; ci++) {
              for (const j of cols) {
                // weight[oc][ci][kh][kw], PyTorch order
                out.push(j < og ? weight[(((gi * og + j) * cg + ci) * kH + kh) * kW + kw] : 0);
              }
            }
          }
        }
      }
    }
    return out;
  }

  /** `values` as little-endian float32 bytes at an odd offset, as raw_data sits in an ONNX file. */
  const fileBytes = (values: Float32Array): Uint8Array => {
    const bytes = new Uint8Array(4 * values.length + 3).subarray(3);
    const view = new DataView(bytes.buffer, bytes.byteOffset);
    values.forEach((v, i) => view.setFloat32(4 * i, v, true));
    return bytes;
  };

  describe.each(BACKENDS)('%s', (backend) => {
    let bench: KernelBench;
    beforeAll(async () => { bench = await KernelBench.load(backend); });
    afterEach(() => bench.reset());

    it.each([
      [11, 3, 3, 2, 1, true], [6, 2, 1, 3, 2, false], [64, 2, 3, 3, 32, true], [24, 12, 1, 1, 2, true], [8, 5, 2, 2, 1, true],
    ])('o=%i cinG=%i k=%ix%i groups=%i bias=%s, from values, and from file bytes with row factors', (o, cg, kH, kW, g, withBias) => {
      const rng = new Random(o * 31 + cg);
      const weight = normal(rng, o * cg * kH * kW);
      const bias = withBias ? normal(rng, o) : undefined;
      const block = (source: Parameters<typeof convBlock>[0]) => {
        const b = convBlock(source, bias, o, cg, kH, kW, g);
        const at = bench.packed('weights', b);
        bench.check(); // nothing written outside the block
        return Array.from(bench.read(at, b.bytes / 4));
      };
      expect(block({ values: weight })).toEqual(expectedPacking(weight, bias, o, cg, kH, kW, g));

      const rowScale = Float64Array.from({ length: o }, () => rng.normal());
      const per = cg * kH * kW;
      const scaled = weight.map((v, i) => v * rowScale[Math.floor(i / per)]); // rounded once to f32
      expect(block({ bytes: fileBytes(weight), rowScale })).toEqual(expectedPacking(scaled, bias, o, cg, kH, kW, g));
    });
  });
});
