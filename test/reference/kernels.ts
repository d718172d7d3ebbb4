// Float64 reference implementations of the operators the wasm kernels compute, written for
// clarity, not speed: NCHW tensors, plain nested loops, double precision, PyTorch/ONNX semantics.
// Independent of assembly/ and src/ops/ on purpose (only the Activation type is shared), so that
// a test comparing a kernel with these functions can fail. Reused by the whole-graph reference
// executor: every function takes plain arrays (Float32Array, Float64Array or number[]) and
// returns a fresh { data: Float64Array, shape } in NCHW order.

import type { Activation } from '../../src/graph/ir.js';

export type { Activation };

/** Any array of numbers: Float32Array (weights, kernel inputs), Float64Array (references), number[]. */
export type Data = ArrayLike<number>;

/** A reference result: NCHW data in double precision and its shape. */
export interface RefTensor {
  data: Float64Array;
  shape: number[];
}

const product = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

function expectLength(data: Data, shape: readonly number[], what: string): void {
  if (data.length !== product(shape)) {
    throw new Error(`${what}: ${data.length} values do not fill the shape [${shape}]`);
  }
}

function expectRank(shape: readonly number[], rank: number, what: string): void {
  if (shape.length !== rank) throw new Error(`${what}: expected rank ${rank}, got [${shape}]`);
}

// ---------------------------------------------------------------------------------------------
// Activations

/** Logistic sigmoid, evaluated without overflow for either sign. */
export function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

/** relu6(x + 3) / 6 (PyTorch Hardsigmoid, MobileNetV3). */
export function hardSigmoid(x: number): number {
  return Math.min(Math.max(x + 3, 0), 6) / 6;
}

/** One activation applied to one value. */
export function activate(x: number, act: Activation): number {
  switch (act) {
    case 'none': return x;
    case 'relu': return x > 0 ? x : (Number.isNaN(x) ? x : 0);
    case 'relu6': return Number.isNaN(x) ? x : Math.min(Math.max(x, 0), 6);
    case 'sigmoid': return sigmoid(x);
    case 'hardsigmoid': return hardSigmoid(x);
    case 'silu': return x * sigmoid(x);
    case 'hardswish': return x * hardSigmoid(x);
    case 'tanh': return Math.tanh(x);
    default: throw new Error(`unknown activation '${act as string}'`);
  }
}

/** Element-wise activation of a tensor of any shape. */
/**
 * a (op) b with numpy broadcasting, then act, in row-major (NCHW) order: for every output index,
 * each operand's element is found by clamping that index to the operand's own dims.
 */
export function binaryRef(a: Data, aShape: readonly number[], b: Data, bShape: readonly number[],
  op: 'add' | 'sub' | 'mul' | 'div' | 'max' | 'min' | 'prelu', act: Activation = 'none'): RefTensor {
  expectLength(a, aShape, 'binary a');
  expectLength(b, bShape, 'binary b');
  const rank = Math.max(aShape.length, bShape.length);
  const pad = (s: readonly number[]) => [...Array(rank - s.length).fill(1), ...s];
  const pa = pad(aShape), pb = pad(bShape);
  const shape = pa.map((d, i) => {
    if (d !== pb[i] && d !== 1 && pb[i] !== 1) throw new Error(`reference: [${aShape}] and [${bShape}] do not broadcast`);
    return Math.max(d, pb[i]);
  });
  const data = new Float64Array(product(shape));
  const index = new Array<number>(rank).fill(0);
  const flat = (dims: number[]) => dims.reduce((acc, d, i) => acc * d + (d === 1 ? 0 : index[i]), 0);
  for (let o = 0; o < data.length; o++) {
    for (let i = rank - 1, r = o; i >= 0; i--) { index[i] = r % shape[i]; r = Math.floor(r / shape[i]); }
    const x = a[flat(pa)], y = b[flat(pb)];
    const v = { add: x + y, sub: x - y, mul: x * y, div: x / y, max: Math.max(x, y), min: Math.min(x, y), prelu: x < 0 ? x * y : x }[op];
    data[o] = activate(v, act);
  }
  return { data, shape };
}

/** Inputs joined along dimension 1 (NCHW channels, or the features of [N, K]). */
export function concatRef(ins: { data: Data; shape: readonly number[] }[]): RefTensor {
  const [n] = ins[0].shape;
  const inner = product(ins[0].shape.slice(2));
  const shape = [n, ins.reduce((c, t) => c + t.shape[1], 0), ...ins[0].shape.slice(2)];
  const data = new Float64Array(product(shape));
  let at = 0;
  for (let b = 0; b < n; b++) {
    for (const t of ins) {
      const per = t.shape[1] * inner;
      for (let i = 0; i < per; i++) data[at++] = t.data[b * per + i];
    }
  }
  return { data, shape };
}

/** ShuffleNet's channel shuffle: output channel a * groups + b is input channel b * (C / groups) + a. */
export function channelShuffleRef(x: Data, shape: readonly number[], groups: number): RefTensor {
  const [n, c, h, w] = shape;
  const per = c / groups, hw = h * w;
  const data = new Float64Array(x.length);
  for (let img = 0; img < n; img++) {
    for (let b = 0; b < groups; b++) {
      for (let a = 0; a < per; a++) {
        const from = (img * c + b * per + a) * hw, to = (img * c + a * groups + b) * hw;
        for (let p = 0; p < hw; p++) data[to + p] = x[from + p];
      }
    }
  }
  return { data, shape: [...shape] };
}

/** Constant padding of NCHW along H and W: [top, left, bottom, right]. */
export function padRef(x: Data, [n, c, h, w]: readonly number[], [t, l, b, r]: readonly number[], value: number): RefTensor {
  const oh = t + h + b, ow = l + w + r;
  const data = new Float64Array(n * c * oh * ow).fill(value);
  for (let p = 0; p < n * c; p++) {
    for (let y = 0; y < h; y++) for (let xx = 0; xx < w; xx++) data[(p * oh + y + t) * ow + xx + l] = x[(p * h + y) * w + xx];
  }
  return { data, shape: [n, c, oh, ow] };
}

export function activationRef(x: Data, shape: readonly number[], act: Activation): RefTensor {
  expectLength(x, shape, 'activation');
  const data = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) data[i] = activate(x[i], act);
  return { data, shape: [...shape] };
}

// ---------------------------------------------------------------------------------------------
// Output sizes

/** Output length of a convolution along one axis: floor((size + pads - span) / stride) + 1. */
export function convOutputSize(
  size: number, kernel: number, stride: number, padBefore: number, padAfter: number, dilation = 1,
): number {
  const span = dilation * (kernel - 1) + 1;
  return Math.floor((size + padBefore + padAfter - span) / stride) + 1;
}

/**
 * Output length of a pooling window along one axis, PyTorch's rule: floor or ceil of
 * (size + pads - kernel) / stride, plus one; in ceil mode a last window that would start in the
 * bottom/right padding (or past it) is dropped.
 */
export function poolOutputSize(
  size: number, kernel: number, stride: number, padBefore: number, padAfter: number, ceilMode = false,
): number {
  const room = size + padBefore + padAfter - kernel;
  if (!ceilMode) return Math.floor(room / stride) + 1;
  let out = Math.ceil(room / stride) + 1;
  const lastStart = (out - 1) * stride - padBefore; // in input coordinates
  if (lastStart >= size) out--;
  return out;
}

// ---------------------------------------------------------------------------------------------
// Convolution and fully connected

export interface ConvOptions {
  /** [strideH, strideW]; default [1, 1]. */
  stride?: readonly [number, number] | readonly number[];
  /** [top, left, bottom, right] (ONNX order of the begin/end pads of H and W); default zeros. */
  pads?: readonly [number, number, number, number] | readonly number[];
  /** [dilationH, dilationW]; default [1, 1]. */
  dilation?: readonly [number, number] | readonly number[];
  /** Groups: inC and outC divisible by it; default 1. */
  group?: number;
  /** Activation applied after the bias; default 'none'. */
  act?: Activation;
}

/**
 * 2-D convolution (cross-correlation, as PyTorch Conv2d and ONNX Conv).
 * x: [N, C, H, W]; weight: [O, C / group, kH, kW]; bias: [O] or absent. Returns [N, O, outH, outW].
 */
export function conv2dRef(
  x: Data, xShape: readonly number[], weight: Data, wShape: readonly number[],
  bias: Data | null | undefined, options: ConvOptions = {},
): RefTensor {
  expectRank(xShape, 4, 'conv2d input');
  expectRank(wShape, 4, 'conv2d weight');
  expectLength(x, xShape, 'conv2d input');
  expectLength(weight, wShape, 'conv2d weight');
  const [n, c, h, w] = xShape;
  const [o, cg, kH, kW] = wShape;
  const [sH, sW] = options.stride ?? [1, 1];
  const [pT, pL, pB, pR] = options.pads ?? [0, 0, 0, 0];
  const [dH, dW] = options.dilation ?? [1, 1];
  const group = options.group ?? 1;
  const act = options.act ?? 'none';
  if (c % group !== 0 || o % group !== 0) throw new Error(`conv2d: channels ${c} -> ${o} not divisible by group ${group}`);
  if (cg !== c / group) throw new Error(`conv2d: weight has ${cg} input channels a group, expected ${c / group}`);
  if (bias && bias.length !== o) throw new Error(`conv2d: bias has ${bias.length} values, expected ${o}`);
  const oH = convOutputSize(h, kH, sH, pT, pB, dH);
  const oW = convOutputSize(w, kW, sW, pL, pR, dW);
  if (oH < 1 || oW < 1) throw new Error(`conv2d: empty output ${oH}x${oW}`);
  const og = o / group;
  const out = new Float64Array(n * o * oH * oW);
  for (let b = 0; b < n; b++) {
    for (let oc = 0; oc < o; oc++) {
      const g = Math.floor(oc / og);
      for (let oy = 0; oy < oH; oy++) {
        for (let ox = 0; ox < oW; ox++) {
          let acc = bias ? bias[oc] : 0;
          for (let ic = 0; ic < cg; ic++) {
            const inC = g * cg + ic;
            for (let ky = 0; ky < kH; ky++) {
              const iy = oy * sH - pT + ky * dH;
              if (iy < 0 || iy >= h) continue; // zero padding
              for (let kx = 0; kx < kW; kx++) {
                const ix = ox * sW - pL + kx * dW;
                if (ix < 0 || ix >= w) continue;
                const xv = x[((b * c + inC) * h + iy) * w + ix];
                const wv = weight[((oc * cg + ic) * kH + ky) * kW + kx];
                acc += xv * wv;
              }
            }
          }
          out[((b * o + oc) * oH + oy) * oW + ox] = activate(acc, act);
        }
      }
    }
  }
  return { data: out, shape: [n, o, oH, oW] };
}

/**
 * Fully connected layer (PyTorch Linear, ONNX Gemm with transB = 1): y = act(x W^T + b).
 * x: [N, K]; weight: [O, K]; bias: [O] or absent. Returns [N, O].
 */
export function linearRef(
  x: Data, xShape: readonly number[], weight: Data, wShape: readonly number[],
  bias: Data | null | undefined, act: Activation = 'none',
): RefTensor {
  expectRank(xShape, 2, 'linear input');
  expectRank(wShape, 2, 'linear weight');
  expectLength(x, xShape, 'linear input');
  expectLength(weight, wShape, 'linear weight');
  const [n, k] = xShape;
  const [o, k2] = wShape;
  if (k !== k2) throw new Error(`linear: input has ${k} features, weight expects ${k2}`);
  const out = new Float64Array(n * o);
  for (let b = 0; b < n; b++) {
    for (let j = 0; j < o; j++) {
      let acc = bias ? bias[j] : 0;
      for (let i = 0; i < k; i++) acc += x[b * k + i] * weight[j * k + i];
      out[b * o + j] = activate(acc, act);
    }
  }
  return { data: out, shape: [n, o] };
}

/** Inference batch normalization: (x - mean) / sqrt(var + eps) * scale + bias, per channel. */
export function batchNormRef(
  x: Data, shape: readonly number[], scale: Data, bias: Data, mean: Data, variance: Data, epsilon = 1e-5,
): RefTensor {
  expectLength(x, shape, 'batchnorm input');
  const [n, c] = shape;
  const plane = product(shape.slice(2));
  const out = new Float64Array(x.length);
  for (let b = 0; b < n; b++) {
    for (let ch = 0; ch < c; ch++) {
      const k = scale[ch] / Math.sqrt(variance[ch] + epsilon);
      for (let i = 0; i < plane; i++) {
        const at = (b * c + ch) * plane + i;
        out[at] = (x[at] - mean[ch]) * k + bias[ch];
      }
    }
  }
  return { data: out, shape: [...shape] };
}

// ---------------------------------------------------------------------------------------------
// Pooling

export interface PoolOptions {
  mode: 'max' | 'avg';
  /** [kH, kW]. */
  kernel: readonly [number, number] | readonly number[];
  /** [strideH, strideW]; default: the kernel. */
  stride?: readonly [number, number] | readonly number[];
  /** [top, left, bottom, right]; default zeros. */
  pads?: readonly [number, number, number, number] | readonly number[];
  /** PyTorch ceil_mode (poolOutputSize). Default false. */
  ceilMode?: boolean;
  /**
   * Average only: divide by the window clipped to the padded image (true) or by the taps inside
   * the image (false, the default as in ONNX; PyTorch's default is true).
   */
  countIncludePad?: boolean;
}

/**
 * Max or average pooling as PyTorch MaxPool2d/AvgPool2d (and ONNX with explicit pads).
 * Padding never wins a max; windows running past the padded image in ceil mode are cut there.
 * x: [N, C, H, W]. Returns [N, C, outH, outW].
 */
export function pool2dRef(x: Data, xShape: readonly number[], options: PoolOptions): RefTensor {
  expectRank(xShape, 4, 'pool input');
  expectLength(x, xShape, 'pool input');
  const [n, c, h, w] = xShape;
  const [kH, kW] = options.kernel;
  const [sH, sW] = options.stride ?? options.kernel;
  const [pT, pL, pB, pR] = options.pads ?? [0, 0, 0, 0];
  const ceil = options.ceilMode ?? false;
  const includePad = options.countIncludePad ?? false;
  const oH = poolOutputSize(h, kH, sH, pT, pB, ceil);
  const oW = poolOutputSize(w, kW, sW, pL, pR, ceil);
  if (oH < 1 || oW < 1) throw new Error(`pool: empty output ${oH}x${oW}`);
  const out = new Float64Array(n * c * oH * oW);
  for (let b = 0; b < n; b++) {
    for (let ch = 0; ch < c; ch++) {
      const img = (b * c + ch) * h * w;
      for (let oy = 0; oy < oH; oy++) {
        // The window in input coordinates, cut at the end of the padded image.
        const y0 = oy * sH - pT;
        const y1 = Math.min(y0 + kH, h + pB);
        for (let ox = 0; ox < oW; ox++) {
          const x0 = ox * sW - pL;
          const x1 = Math.min(x0 + kW, w + pR);
          let max = -Infinity;
          let sum = 0;
          let inside = 0;
          for (let iy = y0; iy < y1; iy++) {
            for (let ix = x0; ix < x1; ix++) {
              if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue; // padding
              const v = x[img + iy * w + ix];
              if (v > max) max = v;
              sum += v;
              inside++;
            }
          }
          let value: number;
          if (options.mode === 'max') value = max;
          else value = sum / (includePad ? (y1 - y0) * (x1 - x0) : inside);
          out[((b * c + ch) * oH + oy) * oW + ox] = value;
        }
      }
    }
  }
  return { data: out, shape: [n, c, oH, oW] };
}

/** Global average or max pooling: [N, C, H, W] -> [N, C, 1, 1]. */
export function globalPoolRef(x: Data, xShape: readonly number[], mode: 'avg' | 'max'): RefTensor {
  expectRank(xShape, 4, 'global pool input');
  expectLength(x, xShape, 'global pool input');
  const [n, c, h, w] = xShape;
  const plane = h * w;
  const out = new Float64Array(n * c);
  for (let i = 0; i < n * c; i++) {
    let max = -Infinity;
    let sum = 0;
    for (let p = 0; p < plane; p++) {
      const v = x[i * plane + p];
      if (v > max) max = v;
      sum += v;
    }
    out[i] = mode === 'max' ? max : sum / plane;
  }
  return { data: out, shape: [n, c, 1, 1] };
}

// ---------------------------------------------------------------------------------------------
// Element-wise

/**
 * The SE excitation applied: x [N, C, H, W] times s [N, C] (or [N, C, 1, 1]) broadcast over H
 * and W, then + residual [N, C, H, W] when given, then ReLU when `relu`.
 */
export function scaleRef(
  x: Data, xShape: readonly number[], s: Data, residual?: Data | null, relu = false,
): RefTensor {
  expectRank(xShape, 4, 'scale input');
  expectLength(x, xShape, 'scale input');
  const [n, c, h, w] = xShape;
  if (s.length !== n * c) throw new Error(`scale: s has ${s.length} values, expected ${n * c}`);
  if (residual) expectLength(residual, xShape, 'scale residual');
  const plane = h * w;
  const out = new Float64Array(x.length);
  for (let b = 0; b < n; b++) {
    for (let ch = 0; ch < c; ch++) {
      const k = s[b * c + ch];
      for (let p = 0; p < plane; p++) {
        const at = (b * c + ch) * plane + p;
        let v = x[at] * k;
        if (residual) v += residual[at];
        out[at] = relu ? activate(v, 'relu') : v;
      }
    }
  }
  return { data: out, shape: [...xShape] };
}

/** act(a + b) for two tensors of one shape (any rank). */
export function addRef(a: Data, b: Data, shape: readonly number[], act: Activation = 'none'): RefTensor {
  expectLength(a, shape, 'add a');
  expectLength(b, shape, 'add b');
  const data = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) data[i] = activate(a[i] + b[i], act);
  return { data, shape: [...shape] };
}

/** Softmax over the last axis (max subtracted first, as every careful implementation does). */
export function softmaxRef(x: Data, shape: readonly number[]): RefTensor {
  expectLength(x, shape, 'softmax input');
  const cols = shape[shape.length - 1];
  const rows = x.length / cols;
  const data = new Float64Array(x.length);
  for (let r = 0; r < rows; r++) {
    let max = -Infinity;
    for (let i = 0; i < cols; i++) max = Math.max(max, x[r * cols + i]);
    let sum = 0;
    for (let i = 0; i < cols; i++) sum += Math.exp(x[r * cols + i] - max);
    for (let i = 0; i < cols; i++) data[r * cols + i] = Math.exp(x[r * cols + i] - max) / sum;
  }
  return { data, shape: [...shape] };
}

// ---------------------------------------------------------------------------------------------
// Layouts

type FloatArray = Float32Array | Float64Array;

function sameKind<T extends FloatArray>(like: T, n: number): T {
  return (like instanceof Float64Array ? new Float64Array(n) : new Float32Array(n)) as T;
}

/** [N, C, H, W] data -> NHWC data (same array type). */
export function nchwToNhwc<T extends FloatArray>(x: T, shape: readonly number[]): T {
  expectRank(shape, 4, 'nchwToNhwc');
  expectLength(x, shape, 'nchwToNhwc');
  const [n, c, h, w] = shape;
  const out = sameKind(x, x.length);
  for (let b = 0; b < n; b++) {
    for (let ch = 0; ch < c; ch++) {
      for (let y = 0; y < h; y++) {
        for (let xx = 0; xx < w; xx++) out[((b * h + y) * w + xx) * c + ch] = x[((b * c + ch) * h + y) * w + xx];
      }
    }
  }
  return out;
}

/** NHWC data of the NCHW shape [N, C, H, W] -> NCHW data (same array type). */
export function nhwcToNchw<T extends FloatArray>(x: T, shape: readonly number[]): T {
  expectRank(shape, 4, 'nhwcToNchw');
  expectLength(x, shape, 'nhwcToNchw');
  const [n, c, h, w] = shape;
  const out = sameKind(x, x.length);
  for (let b = 0; b < n; b++) {
    for (let ch = 0; ch < c; ch++) {
      for (let y = 0; y < h; y++) {
        for (let xx = 0; xx < w; xx++) out[((b * c + ch) * h + y) * w + xx] = x[((b * h + y) * w + xx) * c + ch];
      }
    }
  }
  return out;
}
