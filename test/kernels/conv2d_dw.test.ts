// conv2d_dw_f32 (depthwise: one filter a channel, lanes along channels) against the float64
// reference, in both builds, plus the packed weight layout it reads.

import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { depthwiseBlock } from '../../src/ops/pack.js';
import { ACT_CODE } from '../../src/ops/activation.js';
import { ACTIVATIONS, type Activation } from '../../src/graph/ir.js';
import { conv2dRef, nchwToNhwc, nhwcToNchw } from '../reference/kernels.js';
import { BACKENDS, KernelBench, Random, expectClose, normal, storedValues } from './harness.js';
import { WEIGHT_FORMATS, type WeightFormat } from '../../src/graph/storage.js';
import { WEIGHTS_FORMAT } from '../../src/wasm/abi.js';

interface DwCase {
  name: string;
  n: number; c: number; h: number; w: number;
  k: [number, number];
  stride: [number, number];
  pads: [number, number, number, number];
  dil: [number, number];
  act: Activation;
  bias: boolean;
  gain: number;
}

type DwSpec = Partial<Omit<DwCase, 'name'>> & Pick<DwCase, 'c' | 'h' | 'w'>;

function dw(spec: DwSpec, note = ''): DwCase {
  const k = spec.k ?? [3, 3];
  const cs: Omit<DwCase, 'name'> = {
    n: 1, k, stride: [1, 1], pads: [(k[0] - 1) >> 1, (k[1] - 1) >> 1, k[0] >> 1, k[1] >> 1], dil: [1, 1],
    act: 'none', bias: true, gain: 1, ...spec,
  };
  const name =
    `${note ? note + ': ' : ''}n${cs.n} ${cs.c}x${cs.h}x${cs.w} k${cs.k.join('x')} s${cs.stride} ` +
    `p${cs.pads} d${cs.dil} ${cs.act}${cs.bias ? '' : ' nobias'}`;
  return { name, ...cs };
}

const CHANNELS = [1, 3, 4, 7, 8, 15, 16, 17];
const CASES: DwCase[] = [];

for (const c of CHANNELS) {
  CASES.push(
    dw({ c, h: 5, w: 7 }, 'channels'),
    dw({ c, h: 9, w: 9, stride: [2, 2] }, 'channels, stride 2'),
  );
}
CASES.push(
  dw({ c: 32, h: 14, w: 14 }, 'MobileNet-like'),
  dw({ c: 64, h: 7, w: 7, stride: [2, 2], pads: [0, 0, 1, 1] }, 'SAME pads of an odd map, stride 2'),
  dw({ c: 12, h: 8, w: 8, stride: [2, 2], pads: [0, 0, 1, 1] }, 'SAME pads of an even map, stride 2'),
  dw({ c: 7, h: 9, w: 6, stride: [1, 2] }, 'stride 1x2'),
  dw({ c: 7, h: 6, w: 9, stride: [2, 1] }, 'stride 2x1'),
  dw({ c: 9, h: 9, w: 9, k: [5, 5], stride: [2, 2] }, '5x5 stride 2'),
  dw({ c: 5, h: 11, w: 10, k: [7, 7] }, '7x7'),
  dw({ c: 6, h: 5, w: 7, pads: [1, 0, 2, 1] }, 'asymmetric pads'),
  dw({ c: 5, h: 7, w: 5, pads: [2, 0, 1, 3] }, 'asymmetric pads past the kernel'),
  dw({ c: 4, h: 6, w: 7, k: [5, 5], pads: [2, 1, 0, 3] }, 'asymmetric pads 5x5'),
  dw({ c: 3, h: 5, w: 7, k: [1, 3] }, 'kernel 1x3'),
  dw({ c: 11, h: 5, w: 7, k: [3, 1] }, 'kernel 3x1'),
  dw({ c: 6, h: 7, w: 7, k: [2, 2], pads: [0, 0, 0, 0] }, 'even kernel'),
  dw({ c: 8, h: 9, w: 9, k: [2, 2], stride: [3, 3], pads: [0, 0, 0, 0] }, 'stride past the kernel'),
  dw({ c: 5, h: 3, w: 3, k: [5, 5], pads: [2, 2, 2, 2] }, 'kernel larger than the map'),
  dw({ c: 5, h: 4, w: 4, pads: [3, 3, 3, 3] }, 'windows wholly in the padding (bias only)'),
  dw({ c: 6, h: 1, w: 1 }, '1x1 map'),
  dw({ c: 17, h: 5, w: 7, k: [1, 1] }, '1x1 kernel'),
  dw({ c: 5, h: 9, w: 9, dil: [2, 2], pads: [2, 2, 2, 2] }, 'dilation 2'),
  dw({ c: 8, h: 9, w: 8, dil: [2, 1], pads: [2, 1, 2, 1] }, 'dilation 2x1'),
  dw({ c: 4, h: 11, w: 11, dil: [2, 2], pads: [1, 0, 3, 2], stride: [2, 2] }, 'dilation 2, stride 2, asymmetric'),
  dw({ c: 9, h: 9, w: 9, k: [5, 5], dil: [2, 2], pads: [4, 4, 4, 4] }, 'dilation 2, 5x5'),
  dw({ c: 7, h: 7, w: 7, dil: [3, 3], pads: [0, 0, 0, 0] }, 'dilation 3, no padding'),
  dw({ c: 7, h: 5, w: 5, dil: [3, 3], pads: [1, 1, 1, 1] }, 'dilation 3, taps skipping the image'),
  dw({ n: 2, c: 3, h: 5, w: 7 }, 'batch 2'),
  dw({ n: 2, c: 17, h: 9, w: 9, stride: [2, 2], pads: [1, 0, 0, 1] }, 'batch 2, stride 2, asymmetric'),
  dw({ n: 3, c: 8, h: 4, w: 6, k: [5, 5], pads: [2, 2, 2, 2] }, 'batch 3, 5x5'),
  // The SIMD fast path: 3x3 and 5x5 interiors in blocks of 16 pixels, channels in groups of 4
  // (the last group overlapping when C is not a multiple of 4).
  dw({ c: 36, h: 11, w: 21 }, '3x3 wide rows: a 16-pixel block and a short one'),
  dw({ c: 20, h: 7, w: 41, stride: [2, 2] }, '3x3/2 rows of 21 outputs: a 16-pixel block and a short one'),
  dw({ c: 67, h: 9, w: 19, stride: [2, 2] }, '3x3/2 wide rows, C % 4 = 3'),
  dw({ c: 37, h: 10, w: 23, k: [5, 5], pads: [2, 2, 2, 2] }, '5x5 wide rows'),
  dw({ c: 40, h: 13, w: 20, k: [5, 5], stride: [2, 2], pads: [1, 2, 2, 1] }, '5x5/2 wide rows, asymmetric pads'),
  dw({ c: 12, h: 9, w: 17, k: [5, 5], pads: [3, 2, 4, 2] }, '5x5, top pad 3 and bottom pad 4'),
  dw({ c: 9, h: 8, w: 18, k: [3, 3], pads: [2, 1, 2, 1] }, '3x3, top pad 2'),
  dw({ c: 7, h: 5, w: 7, bias: false }),
  dw({ c: 16, h: 6, w: 5, bias: false, stride: [2, 2] }),
);
for (const act of ACTIVATIONS) {
  CASES.push(dw({ c: 11, h: 5, w: 7, act, gain: 4 }, 'act'));
  CASES.push(dw({ n: 2, c: 8, h: 3, w: 3, act, gain: 4, stride: [2, 2] }, 'act'));
}

/**
 * split: made as two threads of a pool make it (threaded builds): conv2d_dw_f32_part over the first
 * and the second half of the output rows (batch folded in), or of the channels (in 4s: the split
 * takes channels only where C is a multiple of 4), each with its own scratch; checked against the
 * reference, and bitwise against one call.
 */
function runDw(b: KernelBench, cs: DwCase, seed: number, format: WeightFormat = 'fp32', split?: 'rows' | 'channels'): void {
  const rng = new Random(seed);
  const { n, c, h, w, k: [kH, kW], stride, pads, dil, act } = cs;
  const xShape = [n, c, h, w];
  const x = normal(rng, n * c * h * w);
  const weight = normal(rng, c * kH * kW, cs.gain / Math.sqrt(kH * kW));
  const bias = cs.bias ? normal(rng, c, 0.5 * cs.gain) : undefined;
  const ref = conv2dRef(x, xShape, storedValues(weight, c, format), [c, 1, kH, kW], bias, { stride, pads, dilation: dil, group: c, act });
  const [, , oH, oW] = ref.shape;

  const xp = b.input('input', nchwToNhwc(x, xShape));
  const block = depthwiseBlock({ values: weight }, bias, c, kH, kW, format);
  const wp = b.packed('weights', block);
  const ep = block.expandBytes ? b.output('expand', block.expandBytes / 4) : 0;
  const yp = b.output('output', n * c * oH * oW);
  const call = (y: number) => b.kernels.conv2d_dw_f32(
    xp, y, wp, n, h, w, c, oH, oW, kH, kW, stride[0], stride[1], pads[0], pads[1], dil[0], dil[1], ACT_CODE[act],
    WEIGHTS_FORMAT[format], ep,
  );
  if (split) {
    const rows = n * oH, half = Math.floor(rows / 2), c4 = 4 * Math.floor(Math.ceil(c / 4) / 2);
    const ep2 = block.expandBytes ? b.output('second expand', block.expandBytes / 4) : 0;
    const shares = split === 'rows' ? [[0, half, 0, c], [half, rows, 0, c]] : [[0, rows, 0, c4], [0, rows, c4, c]];
    shares.forEach(([r0, r1, c0, c1], t) => {
      b.kernels.conv2d_dw_f32_part(xp, yp, wp, h, w, c, oH, oW, kH, kW, stride[0], stride[1], pads[0], pads[1], dil[0], dil[1],
        ACT_CODE[act], WEIGHTS_FORMAT[format], t ? ep2 : ep, r0, r1, c0, c1);
    });
  } else {
    call(yp);
  }
  b.check();
  const label = `${b.backend} ${format} ${cs.name}${split ? ` split by ${split}` : ''}`;
  const got = nhwcToNchw(b.read(yp, n * c * oH * oW), ref.shape);
  expectClose(got, ref.data, label, ref.shape);
  if (split) {
    const one = b.output('one call', n * c * oH * oW);
    call(one);
    expect(new Uint32Array(b.read(yp, n * c * oH * oW).buffer), `${label}: bitwise one call`).toEqual(new Uint32Array(b.read(one, n * c * oH * oW).buffer));
  }
}

describe.each(BACKENDS)('conv2d_dw_f32 (%s)', (backend) => {
  let bench: KernelBench;
  beforeAll(async () => { bench = await KernelBench.load(backend); });
  afterEach(() => bench.reset());

  it.each(CASES.map((cs, i) => ({ ...cs, i })))('$name', (cs) => {
    runDw(bench, cs, 2000 + cs.i);
  });

  describe.each(WEIGHT_FORMATS.filter((f) => f !== 'fp32'))('weights %s', (format) => {
    it.each(CASES.map((cs, i) => ({ ...cs, i })))('$name', (cs) => {
      runDw(bench, cs, 4000 + cs.i, format);
    });
  });
});

// The threaded builds: every case split in two by output rows and by channels, fp32 and int8 alternately.
describe.each(BACKENDS)('conv2d_dw_f32_part, two threads\' shares (%s-threads)', (backend) => {
  let bench: KernelBench;
  beforeAll(async () => { bench = await KernelBench.load(backend, true); });
  afterEach(() => bench.reset());

  it.each(CASES.map((cs, i) => ({ ...cs, i })))('$name', (cs) => {
    runDw(bench, cs, 6000 + cs.i, cs.i % 2 ? 'int8' : 'fp32', 'rows');
    if (cs.c % 4 === 0 && cs.c >= 8) runDw(bench, cs, 8000 + cs.i, cs.i % 2 ? 'fp32' : 'int8', 'channels');
  });
});

describe.each(BACKENDS)('depthwiseBlock layout (%s)', (backend) => {
  let bench: KernelBench;
  beforeAll(async () => { bench = await KernelBench.load(backend); });
  afterEach(() => bench.reset());

  it.each([[7, 3, 3, true], [4, 1, 1, false], [17, 5, 3, true]])('c=%i k=%ix%i bias=%s', (c, kH, kW, withBias) => {
    const rng = new Random(c);
    const weight = normal(rng, c * kH * kW);
    const bias = withBias ? normal(rng, c) : undefined;
    const rowScale = Float64Array.from({ length: c }, () => rng.normal());
    const expected = (scale: (ch: number) => number): number[] => {
      const out: number[] = [];
      for (let ch = 0; ch < c; ch++) out.push(bias ? bias[ch] : 0);
      for (let kh = 0; kh < kH; kh++) {
        for (let kw = 0; kw < kW; kw++) {
          // weight[ch][0][kh][kw], times the row factor, rounded once to f32
          for (let ch = 0; ch < c; ch++) out.push(Math.fround(weight[(ch * kH + kh) * kW + kw] * scale(ch)));
        }
      }
      return out;
    };
    const block = (source: Parameters<typeof depthwiseBlock>[0]) => {
      const b = depthwiseBlock(source, bias, c, kH, kW);
      const at = bench.packed('weights', b);
      bench.check(); // nothing written outside the block
      return Array.from(bench.read(at, b.bytes / 4));
    };
    expect(block({ values: weight })).toEqual(expected(() => 1));
    const bytes = new Uint8Array(4 * weight.length + 1).subarray(1); // odd offset, as in a file
    bytes.set(new Uint8Array(weight.buffer));
    expect(block({ bytes, rowScale })).toEqual(expected((ch) => rowScale[ch]));
  });
});
