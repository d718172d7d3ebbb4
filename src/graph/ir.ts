// The graph IR: what builders and the ONNX reader produce, passes rewrite, and the planner compiles.
// Tensors are named; logical shapes are NCHW as in PyTorch and ONNX ([N, C, H, W] feature maps,
// [N, K] vectors). The engine's memory layout (NHWC) is its own business and never shows here.

export type Activation =
  | 'none' | 'relu' | 'relu6' | 'sigmoid' | 'hardsigmoid' | 'silu' | 'hardswish' | 'tanh';

export const ACTIVATIONS: readonly Activation[] =
  ['none', 'relu', 'relu6', 'sigmoid', 'hardsigmoid', 'silu', 'hardswish', 'tanh'];

/** Every op type of the IR (the op table has one entry each). */
export const OP_TYPES = [
  'conv', 'batchnorm', 'activation', 'add', 'mul', 'binary', 'pool', 'globalpool', 'flatten', 'reshape', 'fc', 'softmax', 'se',
  'concat', 'shuffle', 'pad',
] as const;

/** A parameter tensor. `data` is absent in a structure-only graph (counting needs shapes only). */
export interface Param {
  shape: number[];
  data?: Float32Array;
}

/**
 * 8-bit weights as ONNX's DequantizeLinear reads them: value = (q - zeroPoint) * scale, with one
 * scale and zero point for the whole tensor or one per row (first dimension: output channel).
 */
export interface QuantSource {
  /** The q values, one byte each: int8 when `signed`, else uint8 (an ONNX file's raw_data, not copied). */
  data: Uint8Array;
  signed: boolean;
  /** Length 1 (per tensor) or the row count. */
  scale: Float32Array;
  /** Same length as scale; each in the range of the data's type. */
  zeroPoint: Int32Array;
}

/**
 * Where a lazy parameter's values come from: float32 `values`, their little-endian `bytes` (an
 * ONNX file's raw_data, not copied), IEEE half floats (`half`, little-endian bytes) or 8-bit
 * quantized values (`quant`); row o (first dimension) times rowScale[o] when given (a BatchNorm
 * folded into the conv before it).
 */
export interface ParamSource {
  values?: Float32Array;
  bytes?: Uint8Array;
  half?: Uint8Array;
  quant?: QuantSource;
  rowScale?: Float64Array;
}

const sources = new WeakMap<Param, ParamSource>();

/** Decodes little-endian float32 bytes (any alignment) into `out` (a copy of the bytes on little-endian hosts). */
export function decodeFloats(bytes: Uint8Array, out = new Float32Array(bytes.length / 4)): Float32Array {
  if (LITTLE_ENDIAN) new Uint8Array(out.buffer, out.byteOffset, bytes.length).set(bytes);
  else {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(4 * i, true);
  }
  return out;
}

const LITTLE_ENDIAN = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

/**
 * A parameter whose values are made from `source` when `data` is first read. Packing reads the
 * source instead (paramSource) and decodes and scales while it copies into wasm memory, so the
 * weights of a 100 MB model are not copied twice more only to be packed and dropped.
 */
export function lazyParam(shape: number[], source: ParamSource): Param {
  let data: Float32Array | undefined;
  const param: Param = {
    shape,
    get data() {
      if (!data) {
        const values = scaledValues(source);
        data = values === source.values ? values.slice() : values; // its own copy
      }
      return data;
    },
  };
  sources.set(param, source);
  return param;
}

/** Where a parameter's values come from without making them; undefined for a structure-only one. */
export function paramSource(p: Param): ParamSource | undefined {
  const lazy = sources.get(p);
  if (lazy) return lazy;
  return p.data ? { values: p.data } : undefined;
}

/** The same values under another shape, read from the same source (int8 and fp16 stay so, nothing is decoded). */
export function reshapeParam(p: Param, shape: number[]): Param {
  const source = paramSource(p);
  return source ? lazyParam(shape, source) : { shape };
}

/** How many values a parameter holds (undefined: none, structure only), without making them. */
export function valueCount(p: Param): number | undefined {
  const source = paramSource(p);
  return source && sourceLength(source);
}

/** Values a source holds. */
export const sourceLength = (s: ParamSource): number =>
  s.values?.length ?? s.quant?.data.length ?? (s.half ? s.half.length / 2 : s.bytes!.length / 4);

/** A source's values as float32, before its rowScale. */
export function decodeSource(s: ParamSource): Float32Array {
  if (s.values) return s.values;
  if (s.bytes) return decodeFloats(s.bytes);
  const out = new Float32Array(sourceLength(s));
  decodeRange(s, 0, out);
  return out;
}

/**
 * A source's values as float32 with its rowScale applied (each product rounded once to float32):
 * a new array, or `s.values` itself when it has no rowScale.
 */
export function scaledValues(s: ParamSource): Float32Array {
  const { rowScale } = s;
  if (!rowScale) return decodeSource(s);
  const out = s.values ? s.values.slice() : decodeSource(s);
  const per = out.length / rowScale.length;
  for (let o = 0; o < rowScale.length; o++) for (let i = o * per; i < (o + 1) * per; i++) out[i] *= rowScale[o];
  return out;
}

/** Values [from, from + out.length) of a half or quantized source as float32, into `out` (rowScale not applied). */
export function decodeRange(s: ParamSource, from: number, out: Float32Array): void {
  if (s.half) {
    const view = new DataView(s.half.buffer, s.half.byteOffset, s.half.byteLength);
    for (let i = 0; i < out.length; i++) out[i] = halfToFloat(view.getUint16(2 * (from + i), true));
    return;
  }
  const { data, signed, scale, zeroPoint } = s.quant!;
  const rowLength = data.length / scale.length;
  for (let i = 0; i < out.length; i++) {
    const row = Math.floor((from + i) / rowLength);
    const q = signed ? (data[from + i] << 24) >> 24 : data[from + i];
    out[i] = (q - zeroPoint[row]) * scale[row]; // one rounding, as DequantizeLinear in float
  }
}

/** IEEE binary16 bits -> the number (exact). */
export function halfToFloat(h: number): number {
  const e = (h >> 10) & 31, m = h & 1023, sign = h & 0x8000 ? -1 : 1;
  if (e === 31) return m ? NaN : sign * Infinity;
  return sign * (e ? (1024 + m) * 2 ** (e - 25) : m * 2 ** -24);
}

interface NodeBase {
  name: string;
  inputs: string[];
  output: string;
  /** A label for reports (the paper's stage names: conv1, conv2_x, ...). */
  stage?: string;
}

export interface ConvNode extends NodeBase {
  op: 'conv';
  weight: Param; // [outC, inC / group, kH, kW]
  bias?: Param; // [outC]
  stride: [number, number];
  pads: [number, number, number, number]; // top, left, bottom, right
  dilation: [number, number];
  group: number;
  act: Activation;
}

export interface BatchNormNode extends NodeBase {
  op: 'batchnorm';
  scale: Param; bias: Param; mean: Param; variance: Param; // each [C]
  epsilon: number;
}

export interface ActivationNode extends NodeBase {
  op: 'activation';
  act: Activation;
}

/** Element-wise sum of two tensors of one shape, then `act`. */
export interface AddNode extends NodeBase {
  op: 'add';
  act: Activation;
}

/**
 * x [N, C, H, W] times s [N, C] or [N, C, 1, 1], s[n, c] scaling channel c of image n: the SE
 * scale. Not numpy broadcasting ([N, C] would align with [H, W] there): that is 'binary'.
 */
export interface MulNode extends NodeBase {
  op: 'mul';
}

/** prelu: a < 0 ? a * b : a (b the slope: ONNX PRelu, and LeakyRelu with a constant slope). */
export type BinaryOp = 'add' | 'sub' | 'mul' | 'div' | 'max' | 'min' | 'prelu';

export const BINARY_OPS: readonly BinaryOp[] = ['add', 'sub', 'mul', 'div', 'max', 'min', 'prelu'];

/**
 * a (op) b with ONNX (numpy) broadcasting: shapes aligned on the right, each dimension equal or 1;
 * then `act`. Each operand is a computed tensor (in `inputs`, in order) or a constant: with
 * `constant`, `inputs` holds the one computed operand and the constant stands at `constant.at`.
 */
export interface BinaryNode extends NodeBase {
  op: 'binary';
  kind: BinaryOp;
  constant?: { at: 0 | 1; value: Param };
  act: Activation;
}

export interface PoolNode extends NodeBase {
  op: 'pool';
  mode: 'max' | 'avg';
  kernel: [number, number];
  stride: [number, number];
  pads: [number, number, number, number];
  ceilMode: boolean;
  countIncludePad: boolean;
}

/** [N, C, H, W] -> [N, C, 1, 1]: the squeeze (avg) or the paper's max-squeeze ablation. */
export interface GlobalPoolNode extends NodeBase {
  op: 'globalpool';
  mode: 'avg' | 'max';
}

/** [N, C, 1, 1] -> [N, C]. */
export interface FlattenNode extends NodeBase {
  op: 'flatten';
}

/**
 * A reshape that keeps the bytes in place: the batch stays, and every dimension after the
 * channels is 1 before and after ([N, C] <-> [N, C, 1, 1]), as exports write `x.view(n, c, 1, 1)`.
 */
export interface ReshapeNode extends NodeBase {
  op: 'reshape';
  shape: number[]; // without the batch dimension
}

/**
 * Fully connected: [N, K] -> [N, outK], y = act(x W^T + b). Its input may be a map [N, C, H, W]
 * read as flattened in NCHW order (K = C * H * W: a classifier head without a global pool).
 */
export interface FcNode extends NodeBase {
  op: 'fc';
  weight: Param; // [outK, K]
  bias?: Param; // [outK]
  act: Activation;
}

/**
 * Softmax over dimension 1: the classes of [N, K], or the channels of each pixel of [N, C, H, W];
 * with `whole`, over everything after the batch (ONNX's Softmax before opset 13 on a map).
 */
export interface SoftmaxNode extends NodeBase {
  op: 'softmax';
  whole?: boolean;
}

/**
 * The fused SE block (made by the fuse-SE pass): squeeze, FC, act, FC, gate, scale; then, when a
 * second input is given, + that residual and `residualAct`.
 */
export interface SeNode extends NodeBase {
  op: 'se';
  squeeze: 'avg' | 'max';
  fc1: { weight: Param; bias?: Param };
  act: Activation;
  fc2: { weight: Param; bias?: Param };
  gate: Activation;
  residualAct: 'none' | 'relu';
}

/** Inputs joined along the channels ([N, C_i, H, W] -> [N, sum C_i, H, W], or [N, K_i] -> [N, sum K_i]). */
export interface ConcatNode extends NodeBase {
  op: 'concat';
}

/**
 * ShuffleNet's channel shuffle of [N, C, H, W]: view as [N, groups, C / groups, H, W], swap
 * those two dimensions, view as [N, C, H, W] again.
 */
export interface ShuffleNode extends NodeBase {
  op: 'shuffle';
  groups: number;
}

/** Constant padding of [N, C, H, W] along H and W (ONNX Pad in constant mode). */
export interface PadNode extends NodeBase {
  op: 'pad';
  pads: [number, number, number, number]; // top, left, bottom, right
  value: number;
}

export type Node =
  | ConvNode | BatchNormNode | ActivationNode | AddNode | MulNode | BinaryNode | PoolNode | GlobalPoolNode
  | FlattenNode | ReshapeNode | FcNode | SoftmaxNode | SeNode | ConcatNode | ShuffleNode | PadNode;

export type OpType = Node['op'];

/** Nodes in topological order; one NCHW input whose N, H, W are chosen at compile time. */
export interface Graph {
  name: string;
  /** Where an imported graph came from (absent for built-in models). */
  source?: { format: 'onnx'; file: string; opset: number; producer: string; inputShape: (number | string)[] };
  input: { name: string; channels: number };
  output: string;
  nodes: Node[];
}

export interface InputDims {
  batch: number;
  height: number;
  width: number;
}
