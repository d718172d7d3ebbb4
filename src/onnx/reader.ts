// ONNX (PyTorch exports, opsets 11-21) -> the graph IR. Shapes are tracked at the file's input
// size while reading, so that broadcasts can be told apart and the Shape/Gather/Unsqueeze/Concat
// chains PyTorch writes for `x.view(n, c, 1, 1)` fold into constants; the batch stays symbolic.
import { OnnxError } from '../errors.js';
import { lazyParam, type Activation, type BinaryOp, type Graph, type Node, type Param } from '../graph/ir.js';
import { toNhwc } from '../graph/layout.js';
import { broadcastShapes, inferNode, numel, type Shape } from '../graph/shapes.js';
import { decodeModel, DATA_TYPE_NAMES, type AttributeMsg, type GraphMsg, type ModelMsg, type NodeMsg } from './schema.js';
import { readTensor, type Constant } from './tensors.js';

export const MIN_OPSET = 11;
// 18 moved ReduceMean's axes (and Pad's) to an input, 14 added Reshape's allowzero, 19 AveragePool's
// dilations; 19 to 21 otherwise only add element types. PyTorch 2's exporter writes 18.
export const MAX_OPSET = 21;

/** Stands for the batch size in folded shape values: it stays whatever the session compiles for. */
const BATCH = -1e9;

/**
 * A tensor, a constant, or a step of ShuffleNet's channel shuffle (x viewed as [N, g, C / g, H, W],
 * then those two swapped), which only the Reshape that ends the shuffle may read.
 */
type Value = { kind: 'tensor'; name: string; shape: Shape } | { kind: 'const'; c: Constant }
  | { kind: 'shuffle'; step: 'grouped' | 'swapped'; x: { name: string; shape: Shape }; groups: number; shape: Shape }
  /** Expand's output, not made yet: an element-wise op that broadcasts anyway reads `x` instead. */
  | { kind: 'expand'; name: string; x: { name: string; shape: Shape }; shape: Shape }
  /** A map [N, C, H, W] flattened to [N, C * H * W]: only a Gemm or MatMul reads it (from the map). */
  | { kind: 'flat'; x: { name: string; shape: Shape }; shape: Shape };

interface Context {
  file: string;
  opset: number;
  values: Map<string, Value>;
  nodes: Node[];
  /** Activation nodes by output, to see x * sigmoid(x) and x * hardsigmoid(x). */
  activations: Map<string, { act: Activation; input: string }>;
  /** How many node inputs (and graph outputs) read each ONNX tensor name. */
  uses: Map<string, number>;
  /** The file fixes the input's height and width (else shapes are tracked at a nominal 224x224). */
  fixedSize: boolean;
}

type Converter = (ctx: Context, node: NodeMsg, where: string) => void;

const f32 = (v: number) => Math.fround(v);

function attr(node: NodeMsg, name: string): AttributeMsg | undefined {
  return node.attribute?.find((a) => a.name === name);
}
// An attribute that is present without its value holds 0: writers leave proto defaults off the
// wire (PyTorch's ceil_mode 0, keepdims 0), and onnxruntime reads them as 0.
const attrInt = (n: NodeMsg, name: string, d: number) => { const a = attr(n, name); return a ? Number(a.i ?? 0) : d; };
const attrFloat = (n: NodeMsg, name: string, d: number) => { const a = attr(n, name); return a ? a.f ?? 0 : d; };
const attrInts = (n: NodeMsg, name: string) => attr(n, name)?.ints?.map(Number);
const attrString = (n: NodeMsg, name: string) => {
  const s = attr(n, name)?.s;
  return s ? new TextDecoder().decode(s) : undefined;
};

/**
 * Input i: a tensor or a constant (an Expand's output is made here, when it was not read
 * away); a channel shuffle's view only where `views` allows it (Reshape, Transpose).
 */
function input(ctx: Context, node: NodeMsg, i: number, where: string, views: true): Value;
function input(ctx: Context, node: NodeMsg, i: number, where: string): Exclude<Value, { kind: 'shuffle' | 'expand' | 'flat' }>;
function input(ctx: Context, node: NodeMsg, i: number, where: string, views = false): Value {
  const v = operand(ctx, node, i, where, views);
  return v.kind === 'expand' ? materialize(ctx, v, where) : v;
}

/** Input i as it stands, an unmade Expand included; a channel shuffle's view is an error. */
function operand(ctx: Context, node: NodeMsg, i: number, where: string, views = false): Value {
  const name = node.input?.[i];
  if (!name) throw new OnnxError(`${where}: input ${i} is missing`);
  const v = ctx.values.get(name);
  if (!v) throw new OnnxError(`${where}: input '${name}' is neither a graph input, an initializer nor an earlier node's output`);
  if (v.kind === 'shuffle' && !views) throw new OnnxError(`${where}: input ${i} ('${name}') is a 5-D view of a feature map; senet-wasm runs those only as a channel shuffle (Reshape to [N, g, C / g, H, W], Transpose perm [0, 2, 1, 3, 4], Reshape back)`);
  if (v.kind === 'flat' && !views) throw new OnnxError(`${where}: input ${i} ('${name}') is a [${v.x.shape}] map flattened to [${v.shape}]; senet-wasm reads that only in a Gemm or MatMul`);
  return v;
}

/** The input of a Gemm or MatMul: a [N, K] tensor, or a flattened map (read as the map itself). */
function fcInput(ctx: Context, node: NodeMsg, where: string): { name: string; shape: Shape } {
  const v = operand(ctx, node, 0, where, true);
  return v.kind === 'flat' ? v.x : tensorIn(ctx, node, 0, where);
}

/**
 * Makes an Expand's output: x + zeros of the target shape (the batch left to broadcasting). The
 * zeros are as large as the map, and their height and width are the file's: a dynamic size is refused.
 */
function materialize(ctx: Context, v: Extract<Value, { kind: 'expand' }>, where: string): Extract<Value, { kind: 'tensor' }> {
  const made = ctx.values.get(v.name); // made already, for a reader through an Identity
  if (made?.kind === 'tensor') return made;
  const zeros = [1, ...v.shape.slice(1)];
  if (!ctx.fixedSize && v.shape.length > 2 && v.shape.slice(2).join() !== v.x.shape.slice(2).join()) {
    throw new OnnxError(`${where}: '${v.name}' (an Expand of [${v.x.shape}]) is read other than by an element-wise op; with a dynamic input size that is not supported`);
  }
  emit(ctx, { op: 'binary', kind: 'add', name: v.name, inputs: [v.x.name], output: v.name, act: 'none', constant: { at: 1, value: { shape: zeros, data: new Float32Array(numel(zeros)) } } }, where);
  return ctx.values.get(v.name) as Extract<Value, { kind: 'tensor' }>;
}

function tensorIn(ctx: Context, node: NodeMsg, i: number, where: string): { name: string; shape: Shape } {
  const v = input(ctx, node, i, where);
  if (v.kind !== 'tensor') throw new OnnxError(`${where}: input ${i} ('${node.input![i]}') is a constant; senet-wasm runs this op on computed tensors only`);
  return v;
}

function constIn(ctx: Context, node: NodeMsg, i: number, where: string, type?: 'float' | 'int'): Constant {
  const v = input(ctx, node, i, where);
  if (v.kind !== 'const') throw new OnnxError(`${where}: input ${i} ('${node.input![i]}') must be an initializer or a constant`);
  if (type && v.c.type !== type) throw new OnnxError(`${where}: input ${i} must hold ${type === 'float' ? 'FLOAT' : 'integer'} values`);
  return v.c;
}

/**
 * A weight from a constant; raw_data stays in the file's bytes until read (lazyParam). int8 and
 * fp16 weights stay so (stored as such unless compiled with another `weights`) when their scales
 * run along the first dimension (a conv's or a transB Gemm's output channels) or are one per tensor.
 */
function param(c: Constant, shape = c.dims): Param {
  const q = c.quant;
  if (q && (q.axis <= 0)) return lazyParam(shape, { quant: { data: q.data, signed: q.signed, scale: q.scale, zeroPoint: q.zeroPoint } });
  if (c.half) return lazyParam(shape, { half: c.half });
  return c.bytes ? lazyParam(shape, { bytes: c.bytes }) : { shape, data: c.values as Float32Array };
}

/**
 * The [o, k] weight of a [k, o] constant (a MatMul's, or a Gemm's without transB) times alpha:
 * int8 values (scales per tensor or per output column, axis 1) and fp16 values are moved, not decoded.
 */
function transposedParam(c: Constant, k: number, o: number, alpha: number): Param {
  // [k, o] -> [o, k] is the NCHW -> NHWC permutation of a [1, k, o, 1] tensor.
  const move = <T extends Uint8Array | Uint16Array | Float32Array>(w: T, out: T): T => toNhwc(w, out, [1, k, o, 1]);
  const q = c.quant;
  if (alpha === 1 && q && q.axis !== 0) {
    return lazyParam([o, k], { quant: { data: move(q.data, new Uint8Array(o * k)), signed: q.signed, scale: q.scale, zeroPoint: q.zeroPoint } });
  }
  if (alpha === 1 && c.half) return lazyParam([o, k], { half: new Uint8Array(move(new Uint16Array(c.half.slice().buffer), new Uint16Array(o * k)).buffer) });
  const data = move(c.values as Float32Array, new Float32Array(o * k));
  if (alpha !== 1) for (let i = 0; i < data.length; i++) data[i] *= alpha;
  return { shape: [o, k], data };
}

const ACTIVATION_QUANTIZATION = 'senet-wasm runs weight-only quantized models (int8 or uint8 initializers through DequantizeLinear into Conv, Gemm or MatMul); this model quantizes activations too (QuantizeLinear / DequantizeLinear on computed tensors), which is not supported';

function outName(node: NodeMsg, where: string): string {
  const name = node.output?.[0];
  if (!name) throw new OnnxError(`${where}: has no output`);
  return name;
}

/** Adds an IR node: its shape is inferred now, so a mismatch is reported against this ONNX node. */
function emit(ctx: Context, node: Node, where: string): void {
  const ins = node.inputs.map((t) => (ctx.values.get(t) as { shape: Shape }).shape);
  let shape: Shape;
  try {
    shape = inferNode(node, ins);
  } catch (e) {
    throw new OnnxError(`${where}: ${(e as Error).message.replace(/^node '[^']*' \([a-z]+\): /, '')}`);
  }
  ctx.nodes.push(node);
  ctx.values.set(node.output, { kind: 'tensor', name: node.output, shape });
}

function alias(ctx: Context, node: NodeMsg, v: Value, where: string): void {
  ctx.values.set(outName(node, where), v);
}

const pair = (v: number[] | undefined, d: [number, number]): [number, number] => (v && v.length === 2 ? [v[0], v[1]] : d);

/**
 * A conv's or pool's [top, left, bottom, right] pads: explicit, or from auto_pad. SAME_UPPER and
 * SAME_LOWER (TF and Keras converters) pad so that out = ceil(in / stride), the odd pixel at the
 * end or the start; that depends on the input size, so the file must fix it.
 */
function pads(ctx: Context, node: NodeMsg, where: string, x: Shape, kernel: [number, number], stride: [number, number], dilation: [number, number]): [number, number, number, number] {
  const autoPad = attrString(node, 'auto_pad') ?? 'NOTSET';
  if (autoPad === 'VALID') return [0, 0, 0, 0];
  if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
    if (!ctx.fixedSize) throw new OnnxError(`${where}: auto_pad ${autoPad} depends on the input size, which this file leaves open; export with a fixed size or explicit pads`);
    const [[top, bottom], [left, right]] = [0, 1].map((axis) => {
      const size = x[2 + axis], out = Math.ceil(size / stride[axis]);
      const total = Math.max(0, (out - 1) * stride[axis] + (kernel[axis] - 1) * dilation[axis] + 1 - size);
      const small = Math.floor(total / 2);
      return autoPad === 'SAME_UPPER' ? [small, total - small] : [total - small, small];
    });
    return [top, left, bottom, right];
  }
  if (autoPad !== 'NOTSET') throw new OnnxError(`${where}: auto_pad ${autoPad} is not an ONNX value (NOTSET, SAME_UPPER, SAME_LOWER, VALID)`);
  const p = attrInts(node, 'pads') ?? [0, 0, 0, 0];
  if (p.length !== 4) throw new OnnxError(`${where}: pads [${p}] are not 2-D (4 values)`);
  return [p[0], p[1], p[2], p[3]]; // ONNX: [top, left, bottom, right]
}

function activation(act: Activation): Converter {
  return (ctx, node, where) => {
    const x = tensorIn(ctx, node, 0, where);
    const out = outName(node, where);
    emit(ctx, { op: 'activation', name: node.name || out, inputs: [x.name], output: out, act }, where);
    ctx.activations.set(out, { act, input: x.name });
  };
}

/**
 * A Reshape's target against its input's shape, as ONNX reads it: 0 copies the input's dimension
 * at that place, -1 is what the others leave; BATCH (a symbolic batch read by Shape) is dimension 0.
 */
function resolveTarget(shape: Shape, target: number[]): Shape {
  const dims = target.map((d, i) => (d === BATCH ? shape[0] : d === 0 ? shape[i] : d));
  const known = dims.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
  return dims.map((d) => (d === -1 ? numel(shape) / known : d));
}

/** Target shape of a Reshape, Squeeze or Unsqueeze, resolved against the input shape. */
function reshapeTo(ctx: Context, node: NodeMsg, x: { name: string; shape: Shape }, target: number[], where: string): void {
  const resolved = resolveTarget(x.shape, target);
  if (resolved[0] !== x.shape[0]) throw new OnnxError(`${where}: reshaping across the batch dimension ([${x.shape}] -> [${target}]) is not supported`);
  if (resolved.join() === x.shape.join()) return alias(ctx, node, { kind: 'tensor', ...x }, where);
  const name = outName(node, where);
  if (resolved.length === 2 && x.shape.length === 4 && x.shape[2] * x.shape[3] > 1) {
    alias(ctx, node, { kind: 'flat', x, shape: resolved }, where);
  } else if (resolved.length === 2 && x.shape.length === 4) {
    emit(ctx, { op: 'flatten', name: node.name || name, inputs: [x.name], output: name }, where);
  } else {
    emit(ctx, { op: 'reshape', name: node.name || name, inputs: [x.name], output: name, shape: resolved.slice(1) }, where);
  }
}

/** Axes of Squeeze/Unsqueeze/ReduceMean: an attribute before opset 13 (18 for ReduceMean), an input after. */
function axes(ctx: Context, node: NodeMsg, where: string, inputIndex: number): number[] | undefined {
  return attrInts(node, 'axes') ?? (node.input?.[inputIndex] ? (constIn(ctx, node, inputIndex, where, 'int').values as number[]) : undefined);
}

const intConst = (values: number[], dims = [values.length]): Value => ({ kind: 'const', c: { dims, values, type: 'int' } });

/**
 * A constant rearranged: the value at each index of `dims` (row-major) is the one at flat index
 * at(index) of c. For the shape arithmetic exporters write around constants (PyTorch's F.pad
 * builds its pads with ConstantOfShape, Concat, Reshape, Slice, Transpose and Cast).
 */
function remap(c: Constant, dims: number[], at: (index: number[]) => number): Value {
  const idx = dims.map(() => 0), src = c.values;
  const values = Array.from({ length: dims.reduce((p, d) => p * d, 1) }, () => {
    const v = src[at(idx)];
    for (let k = dims.length - 1; k >= 0 && ++idx[k] === dims[k]; k--) idx[k] = 0;
    return v;
  });
  return { kind: 'const', c: { dims, type: c.type, values: c.type === 'float' ? Float32Array.from(values) : values } };
}

/** Row-major strides of dims. */
const strides = (dims: number[]) => dims.map((_, i) => dims.slice(i + 1).reduce((p, d) => p * d, 1));

const CONVERTERS: Record<string, Converter> = {
  Conv(ctx, node, where) {
    const x = tensorIn(ctx, node, 0, where);
    const w = constIn(ctx, node, 1, where, 'float');
    if (w.dims.length !== 4) throw new OnnxError(`${where}: only 2-D convolutions are supported, weight has dims [${w.dims}]`);
    const b = node.input?.[2] ? constIn(ctx, node, 2, where, 'float') : undefined;
    const out = outName(node, where);
    const stride = pair(attrInts(node, 'strides'), [1, 1]), dilation = pair(attrInts(node, 'dilations'), [1, 1]);
    emit(ctx, {
      op: 'conv', name: node.name || out, inputs: [x.name], output: out,
      weight: param(w), bias: b && param(b), act: 'none', group: attrInt(node, 'group', 1), stride, dilation,
      pads: pads(ctx, node, where, x.shape, [w.dims[2], w.dims[3]], stride, dilation),
    }, where);
  },
  BatchNormalization(ctx, node, where) {
    if (attrInt(node, 'training_mode', 0)) throw new OnnxError(`${where}: training_mode BatchNormalization is not an inference graph`);
    const x = tensorIn(ctx, node, 0, where);
    const [scale, bias, mean, variance] = [1, 2, 3, 4].map((i) => param(constIn(ctx, node, i, where, 'float')));
    const out = outName(node, where);
    emit(ctx, { op: 'batchnorm', name: node.name || out, inputs: [x.name], output: out, scale, bias, mean, variance, epsilon: attrFloat(node, 'epsilon', 1e-5) }, where);
  },
  Relu: activation('relu'),
  Sigmoid: activation('sigmoid'),
  Tanh: activation('tanh'),
  HardSwish: activation('hardswish'),
  HardSigmoid(ctx, node, where) {
    const alpha = attrFloat(node, 'alpha', 0.2), beta = attrFloat(node, 'beta', 0.5);
    // PyTorch's hardsigmoid, relu6(x + 3) / 6, is alpha = 1/6, beta = 1/2 (exported as f32).
    if ((alpha === f32(1 / 6) || alpha === 1 / 6) && beta === 0.5) return activation('hardsigmoid')(ctx, node, where);
    // Any other: clamp(alpha x + beta, 0, 1) = hardsigmoid(6 alpha x + 6 beta - 3), two steps.
    const x = tensorIn(ctx, node, 0, where);
    const out = outName(node, where), scaled = `${out}/scaled`;
    const scalar = (v: number) => ({ shape: [], data: Float32Array.of(v) });
    emit(ctx, { op: 'binary', kind: 'mul', name: scaled, inputs: [x.name], output: scaled, constant: { at: 1, value: scalar(6 * alpha) }, act: 'none' }, where);
    emit(ctx, { op: 'binary', kind: 'add', name: node.name || out, inputs: [scaled], output: out, constant: { at: 1, value: scalar(6 * beta - 3) }, act: 'hardsigmoid' }, where);
  },
  Clip(ctx, node, where) {
    const bound = (i: number, a: string): number | undefined => {
      if (ctx.opset < 11) return attr(node, a)?.f;
      if (!node.input?.[i]) return undefined;
      const c = constIn(ctx, node, i, where);
      if (c.values.length !== 1) throw new OnnxError(`${where}: Clip's ${a} must be a scalar, got dims [${c.dims}]`);
      return Number(c.values[0]);
    };
    const lo = bound(1, 'min'), hi = bound(2, 'max');
    if (lo === 0 && hi === 6) return activation('relu6')(ctx, node, where);
    if (lo === 0 && (hi === undefined || hi === Infinity)) return activation('relu')(ctx, node, where);
    // Any other bounds: max(x, lo) then min(., hi), each a step with a scalar constant.
    let x = tensorIn(ctx, node, 0, where).name;
    const out = outName(node, where);
    const steps = [['max', lo], ['min', hi]].filter(([, v]) => v !== undefined) as ['max' | 'min', number][];
    if (!steps.length) return alias(ctx, node, input(ctx, node, 0, where), where);
    steps.forEach(([kind, v], i) => {
      const name = i === steps.length - 1 ? out : `${out}/${kind}`;
      emit(ctx, { op: 'binary', kind, name: i === steps.length - 1 ? node.name || out : name, inputs: [x], output: name, constant: { at: 1, value: { shape: [], data: Float32Array.of(v) } }, act: 'none' }, where);
      x = name;
    });
  },
  LeakyRelu(ctx, node, where) {
    const x = tensorIn(ctx, node, 0, where);
    const out = outName(node, where);
    const alpha = { shape: [], data: Float32Array.of(attrFloat(node, 'alpha', 0.01)) };
    emit(ctx, { op: 'binary', kind: 'prelu', name: node.name || out, inputs: [x.name], output: out, constant: { at: 1, value: alpha }, act: 'none' }, where);
  },
  PRelu: binary('prelu'),
  Max: binary('max'),
  Min: binary('min'),
  Add: binary('add'),
  Sub: binary('sub'),
  Mul: binary('mul'),
  Div: binary('div'),
  MaxPool: (ctx, node, where) => pool(ctx, node, where, 'max'),
  AveragePool: (ctx, node, where) => pool(ctx, node, where, 'avg'),
  GlobalAveragePool: (ctx, node, where) => globalPool(ctx, node, where, 'avg'),
  GlobalMaxPool: (ctx, node, where) => globalPool(ctx, node, where, 'max'),
  ReduceMean: (ctx, node, where) => reduceSpatial(ctx, node, where, 'avg'),
  // timm's SE and eSE with add_maxpool take x.amax((2, 3), keepdim=True) beside the mean.
  ReduceMax: (ctx, node, where) => reduceSpatial(ctx, node, where, 'max'),
  Flatten(ctx, node, where) {
    const x = tensorIn(ctx, node, 0, where);
    const axis = attrInt(node, 'axis', 1);
    if (axis !== 1) throw new OnnxError(`${where}: Flatten with axis ${axis} is not supported (only axis 1)`);
    reshapeTo(ctx, node, x, [BATCH, x.shape.slice(1).reduce((p, d) => p * d, 1)], where);
  },
  Reshape(ctx, node, where) {
    const v = input(ctx, node, 0, where, true);
    const target = constIn(ctx, node, 1, where, 'int').values as number[];
    // allowzero (opset 14): a 0 in the shape is a dimension of size 0, not "copy the input's".
    if (attrInt(node, 'allowzero', 0) && target.includes(0)) throw new OnnxError(`${where}: Reshape with allowzero to [${target}] makes an empty tensor`);
    if (v.kind === 'const') {
      const dims = resolveTarget(v.c.dims, target);
      if (numel(dims) !== numel(v.c.dims)) throw new OnnxError(`${where}: [${v.c.dims}] does not reshape to [${target}]`);
      return alias(ctx, node, { kind: 'const', c: { ...v.c, dims } }, where);
    }
    if (v.kind === 'shuffle') return endShuffle(ctx, node, v, target, where);
    if (v.kind === 'flat') {
      // A flattened map back to its own shape (from Shape(map)): the map.
      if (resolveTarget(v.shape, target).join() !== v.x.shape.join()) throw new OnnxError(`${where}: a [${v.x.shape}] map flattened to [${v.shape}] is reshaped to [${target}]; senet-wasm reads it only in a Gemm or MatMul, or back to [${v.x.shape}]`);
      return alias(ctx, node, { kind: 'tensor', ...v.x }, where);
    }
    const x = tensorIn(ctx, node, 0, where);
    const grouped = groupedView(x.shape, target);
    if (grouped) return alias(ctx, node, { kind: 'shuffle', step: 'grouped', x, groups: grouped[1], shape: grouped }, where);
    reshapeTo(ctx, node, x, target, where);
  },
  Transpose(ctx, node, where) {
    const v = input(ctx, node, 0, where, true);
    const perm = attrInts(node, 'perm');
    if (v.kind === 'const') {
      const p = perm ?? v.c.dims.map((_, i) => v.c.dims.length - 1 - i), st = strides(v.c.dims);
      return alias(ctx, node, remap(v.c, p.map((a) => v.c.dims[a]), (idx) => idx.reduce((sum, k, j) => sum + k * st[p[j]], 0)), where);
    }
    if (v.kind !== 'shuffle' || v.step !== 'grouped' || perm?.join() !== [0, 2, 1, 3, 4].slice(0, v.shape.length).join()) {
      throw new OnnxError(`${where}: Transpose is only supported as the middle of a channel shuffle (perm [0, 2, 1, 3, 4] of a [N, g, C / g, H, W] view)`);
    }
    const [n, g, per, ...space] = v.shape;
    alias(ctx, node, { ...v, step: 'swapped', shape: [n, per, g, ...space] }, where);
  },
  Squeeze(ctx, node, where) {
    const v = input(ctx, node, 0, where);
    const shape = v.kind === 'tensor' ? v.shape : v.c.dims;
    const ax = (axes(ctx, node, where, 1) ?? shape.map((d, i) => (d === 1 ? i : -1)).filter((i) => i >= 0)).map((d) => (d < 0 ? d + shape.length : d));
    const kept = shape.filter((_, i) => !ax.includes(i));
    if (v.kind === 'const') return alias(ctx, node, { kind: 'const', c: { ...v.c, dims: kept } }, where);
    reshapeTo(ctx, node, v, [BATCH, ...kept.slice(1)], where);
  },
  Unsqueeze(ctx, node, where) {
    const v = input(ctx, node, 0, where);
    const shape = v.kind === 'tensor' ? v.shape : v.c.dims;
    const rank = shape.length + (axes(ctx, node, where, 1)?.length ?? 0);
    const ax = (axes(ctx, node, where, 1) ?? []).map((d) => (d < 0 ? d + rank : d));
    const out: number[] = [];
    for (let i = 0, j = 0; i < rank; i++) out.push(ax.includes(i) ? 1 : shape[j++]);
    if (v.kind === 'const') return alias(ctx, node, { kind: 'const', c: { ...v.c, dims: out } }, where);
    reshapeTo(ctx, node, v, [BATCH, ...out.slice(1)], where);
  },
  Gemm(ctx, node, where) {
    const x = fcInput(ctx, node, where);
    if (attrInt(node, 'transA', 0)) throw new OnnxError(`${where}: Gemm with transA is not supported`);
    const w = constIn(ctx, node, 1, where, 'float');
    const alpha = attrFloat(node, 'alpha', 1), beta = attrFloat(node, 'beta', 1);
    const transB = attrInt(node, 'transB', 0) !== 0;
    if (w.dims.length !== 2) throw new OnnxError(`${where}: Gemm with a weight of dims [${w.dims}] is not supported (only 2-D)`);
    const [k, o] = transB ? [w.dims[1], w.dims[0]] : [w.dims[0], w.dims[1]];
    let weight: Param;
    // PyTorch exports Linear as transB = 1, alpha = 1: the initializer already is our [out, in].
    if (transB && alpha === 1) weight = param(w, [o, k]);
    else if (transB) weight = { shape: [o, k], data: (w.values as Float32Array).map((v) => alpha * v) };
    else weight = transposedParam(w, k, o, alpha);
    let bias: Param | undefined;
    if (node.input?.[2]) {
      const c = constIn(ctx, node, 2, where, 'float');
      if (!rowBroadcast(c.dims, o)) throw new OnnxError(`${where}: bias of dims [${c.dims}] does not broadcast to [N, ${o}] independently of the batch`);
      bias = { shape: [o], data: Float32Array.from({ length: o }, (_, i) => beta * c.values[c.values.length === 1 ? 0 : i]) };
    }
    const out = outName(node, where);
    emit(ctx, { op: 'fc', name: node.name || out, inputs: [x.name], output: out, weight, bias, act: 'none' }, where);
  },
  MatMul(ctx, node, where) {
    const x = fcInput(ctx, node, where);
    const w = constIn(ctx, node, 1, where, 'float');
    if (w.dims.length !== 2) throw new OnnxError(`${where}: MatMul with a weight of dims [${w.dims}] is not supported (only [K, N])`);
    const [k, o] = w.dims;
    const out = outName(node, where);
    emit(ctx, { op: 'fc', name: node.name || out, inputs: [x.name], output: out, weight: transposedParam(w, k, o, 1), act: 'none' }, where);
  },
  Softmax(ctx, node, where) {
    const v = operand(ctx, node, 0, where, true);
    const axis = attrInt(node, 'axis', ctx.opset >= 13 ? -1 : 1);
    const out = outName(node, where);
    if (v.kind === 'flat') {
      // Over a flattened map's features: over the whole map, which stays flattened for what follows.
      if (axis !== 1 && axis !== -1) throw new OnnxError(`${where}: Softmax over axis ${axis} of [${v.shape}] is not supported`);
      const map = `${out}/map`;
      emit(ctx, { op: 'softmax', name: node.name || out, inputs: [v.x.name], output: map, whole: true }, where);
      return alias(ctx, node, { kind: 'flat', x: { name: map, shape: v.x.shape }, shape: v.shape }, where);
    }
    const x = tensorIn(ctx, node, 0, where);
    const rank = x.shape.length;
    const a = axis < 0 ? axis + rank : axis;
    const emitSoftmax = (whole: boolean) => emit(ctx, { op: 'softmax', name: node.name || out, inputs: [x.name], output: out, ...(whole && { whole }) }, where);
    // Up to opset 12, Softmax(axis) covers every dimension from axis on (a 2-D coercion).
    const from = ctx.opset < 13 && a === 1;
    if ((rank === 2 && a === 1) || (rank === 4 && from)) return emitSoftmax(rank === 4);
    if (rank === 4 && ctx.opset >= 13 && a === 1) return emitSoftmax(false);
    // Over the last axis of a map whose other trailing dimensions are 1 ([N, C, 1, 1]): the channels.
    if (rank === 4 && x.shape[2] === 1 && x.shape[3] === 1 && a >= 1) return emitSoftmax(false);
    throw new OnnxError(`${where}: Softmax over axis ${axis} of [${x.shape}] is not supported (over the classes of [N, K], or the channels of [N, C, H, W])`);
  },
  DequantizeLinear: dequantize,
  QuantizeLinear(ctx, node, where) {
    throw new OnnxError(`${where}: ${input(ctx, node, 0, where).kind === 'const' ? 'QuantizeLinear of a constant is not supported (store the quantized values as an INT8 or UINT8 initializer)' : ACTIVATION_QUANTIZATION}`);
  },
  Identity: (ctx, node, where) => alias(ctx, node, operand(ctx, node, 0, where, true), where),
  Dropout: (ctx, node, where) => alias(ctx, node, operand(ctx, node, 0, where, true), where),
  Pad(ctx, node, where) {
    const x = tensorIn(ctx, node, 0, where);
    const mode = attrString(node, 'mode') ?? 'constant';
    if (mode !== 'constant') throw new OnnxError(`${where}: Pad mode ${mode} is not supported (only constant)`);
    // Opset 11 on: pads and the value are inputs (18 adds axes); before, attributes.
    const given = ctx.opset >= 11 ? constIn(ctx, node, 1, where, 'int').values as number[] : attrInts(node, 'pads') ?? [];
    const value = ctx.opset >= 11 ? (node.input?.[2] ? Number(constIn(ctx, node, 2, where, 'float').values[0]) : 0) : attrFloat(node, 'value', 0);
    const axes = (node.input?.[3] ? constIn(ctx, node, 3, where, 'int').values as number[] : [0, 1, 2, 3]).map((a) => (a < 0 ? a + 4 : a));
    if (x.shape.length !== 4 || given.length !== 2 * axes.length) throw new OnnxError(`${where}: pads [${given}] do not fit [${x.shape}]`);
    const begin = [0, 0, 0, 0], end = [0, 0, 0, 0];
    axes.forEach((a, i) => { begin[a] = given[i]; end[a] = given[i + axes.length]; });
    if (begin[0] || begin[1] || end[0] || end[1] || [...begin, ...end].some((p) => p < 0)) {
      throw new OnnxError(`${where}: Pad [${given}] is not supported (only padding >= 0 along H and W)`);
    }
    const out = outName(node, where);
    emit(ctx, { op: 'pad', name: node.name || out, inputs: [x.name], output: out, pads: [begin[2], begin[3], end[2], end[3]], value }, where);
  },
  Expand(ctx, node, where) {
    const x = tensorIn(ctx, node, 0, where);
    const target = (constIn(ctx, node, 1, where, 'int').values as number[]).map((d) => (d === BATCH ? x.shape[0] : d));
    const shape = broadcastShapes(x.shape, target);
    if (!shape) throw new OnnxError(`${where}: [${x.shape}] does not expand to [${target}]`);
    if (shape.join() === x.shape.join()) return alias(ctx, node, { kind: 'tensor', ...x }, where);
    if (shape.length !== x.shape.length || shape[0] !== x.shape[0]) throw new OnnxError(`${where}: Expand of [${x.shape}] to [${target}] changes the rank or the batch; not supported`);
    const name = outName(node, where);
    alias(ctx, node, { kind: 'expand', name, x, shape }, where);
  },
  Constant(ctx, node, where) {
    const a = node.attribute?.[0];
    if (a?.name === 'value' && a.t) return alias(ctx, node, { kind: 'const', c: readTensor(a.t, where) }, where);
    if (a?.name === 'value_float') return alias(ctx, node, { kind: 'const', c: { dims: [], values: Float32Array.of(a.f ?? 0), type: 'float' } }, where);
    if (a?.name === 'value_floats') return alias(ctx, node, { kind: 'const', c: { dims: [a.floats?.length ?? 0], values: Float32Array.from(a.floats ?? []), type: 'float' } }, where);
    if (a?.name === 'value_int') return alias(ctx, node, intConst([Number(a.i ?? 0)], []), where);
    if (a?.name === 'value_ints') return alias(ctx, node, intConst(a.ints?.map(Number) ?? []), where);
    throw new OnnxError(`${where}: Constant with attribute '${a?.name}' is not supported`);
  },
  // Shape arithmetic, folded while reading.
  Shape(ctx, node, where) {
    const x = tensorIn(ctx, node, 0, where);
    // start / end (opset 15) slice the shape, negative from the end and clamped: as Array.slice.
    const full = [BATCH, ...x.shape.slice(1)];
    alias(ctx, node, intConst(full.slice(attrInt(node, 'start', 0), attrInt(node, 'end', full.length))), where);
  },
  Gather(ctx, node, where) {
    const data = constIn(ctx, node, 0, where, 'int'), idx = constIn(ctx, node, 1, where, 'int');
    if (attrInt(node, 'axis', 0) !== 0 || data.dims.length !== 1) throw new OnnxError(`${where}: Gather is only supported on 1-D shape values`);
    const values = (idx.values as number[]).map((i) => (data.values as number[])[i < 0 ? i + data.values.length : i]);
    if (values.some((v) => v === undefined)) throw new OnnxError(`${where}: Gather index out of range`);
    alias(ctx, node, intConst(values, idx.dims), where);
  },
  Concat(ctx, node, where) {
    const count = node.input?.length ?? 0;
    if (count === 0) throw new OnnxError(`${where}: Concat has no inputs`);
    if (input(ctx, node, 0, where).kind === 'const') {
      // Shape arithmetic (x.view(n, c, 1, 1) and the like), folded while reading.
      const parts = (node.input ?? []).map((_, i) => constIn(ctx, node, i, where, 'int'));
      return alias(ctx, node, intConst(parts.flatMap((p) => p.values as number[])), where);
    }
    const parts = (node.input ?? []).map((_, i) => tensorIn(ctx, node, i, where));
    const rank = parts[0].shape.length;
    const axis = attrInt(node, 'axis', 1);
    if (axis !== 1 && axis !== 1 - rank) throw new OnnxError(`${where}: Concat along axis ${axis} of [${parts[0].shape}] is not supported (only along the channels, axis 1)`);
    const out = outName(node, where);
    emit(ctx, { op: 'concat', name: node.name || out, inputs: parts.map((p) => p.name), output: out }, where);
  },
  ConstantOfShape(ctx, node, where) {
    const t = attr(node, 'value')?.t, c = t ? readTensor(t, where) : { dims: [], values: [0], type: 'float' as const };
    alias(ctx, node, remap(c, constIn(ctx, node, 0, where, 'int').values as number[], () => 0), where);
  },
  // On constants only (shape arithmetic): starts, ends, axes, steps as ONNX clamps them.
  Slice(ctx, node, where) {
    const c = constIn(ctx, node, 0, where);
    const list = (i: number) => (node.input?.[i] ? constIn(ctx, node, i, where, 'int').values as number[] : undefined);
    const starts = list(1)!, ends = list(2)!, steps = list(4);
    const begin = c.dims.map(() => 0), step = c.dims.map(() => 1), dims = [...c.dims];
    (list(3) ?? starts.map((_, i) => i)).forEach((a0, i) => {
      const a = a0 < 0 ? a0 + c.dims.length : a0, d = c.dims[a], st = steps?.[i] ?? 1, up = st > 0 ? 0 : 1;
      if (!st) throw new OnnxError(`${where}: Slice with step 0`);
      // Negative from the end, then clamped to [0, d] going up, [-1, d - 1] going down.
      const at = (x: number, lo: number) => Math.min(Math.max(x < 0 ? x + d : x, lo), d - up);
      begin[a] = at(starts[i], 0);
      step[a] = st;
      dims[a] = Math.max(0, Math.ceil((at(ends[i], -up) - begin[a]) / st));
    });
    const st = strides(c.dims);
    alias(ctx, node, remap(c, dims, (idx) => idx.reduce((sum, k, a) => sum + (begin[a] + k * step[a]) * st[a], 0)), where);
  },
  Cast(ctx, node, where) {
    const c = constIn(ctx, node, 0, where);
    const to = attrInt(node, 'to', 0);
    if (to === 7 || to === 6) return alias(ctx, node, { kind: 'const', c: { dims: c.dims, values: Array.from(c.values, Math.trunc), type: 'int' } }, where);
    // A FLOAT16 weight to float: kept as its half bytes (c.half), decoded only if read as values.
    if (to === 1 && c.half) return alias(ctx, node, { kind: 'const', c }, where);
    if (to === 1) return alias(ctx, node, { kind: 'const', c: { dims: c.dims, values: Float32Array.from(c.values), type: 'float' } }, where);
    throw new OnnxError(`${where}: Cast to ${DATA_TYPE_NAMES[to] ?? to} is not supported`);
  },
};

/**
 * DequantizeLinear of an INT8 or UINT8 initializer: a float constant that keeps its bytes, scale and
 * zero point (per tensor, or per slice along `axis`), decoded only if read as values.
 */
function dequantize(ctx: Context, node: NodeMsg, where: string): void {
  const x = input(ctx, node, 0, where);
  if (x.kind !== 'const') throw new OnnxError(`${where}: ${ACTIVATION_QUANTIZATION}`);
  if (!x.c.q8) throw new OnnxError(`${where}: DequantizeLinear of a constant that is not INT8 or UINT8 is not supported`);
  if (attr(node, 'block_size')) throw new OnnxError(`${where}: blocked DequantizeLinear (block_size) is not supported`);
  const scale = constIn(ctx, node, 1, where, 'float');
  const zero = node.input?.[2] ? constIn(ctx, node, 2, where) : undefined;
  if (zero && (!zero.q8 || zero.q8.signed !== x.c.q8.signed)) throw new OnnxError(`${where}: the zero point must have the type of the quantized values`);
  const { dims } = x.c, rank = dims.length;
  const perTensor = scale.values.length === 1 && scale.dims.length <= 1;
  const a = attrInt(node, 'axis', 1);
  const axis = perTensor ? -1 : a < 0 ? a + rank : a;
  if (!perTensor && (scale.dims.length !== 1 || dims[axis] !== scale.values.length)) {
    throw new OnnxError(`${where}: scale of dims [${scale.dims}] does not fit axis ${a} of [${dims}]`);
  }
  const zeroPoint = Int32Array.from({ length: scale.values.length }, (_, i) => Number(zero?.values[i] ?? 0));
  if (zero && zero.values.length !== scale.values.length) throw new OnnxError(`${where}: zero point of dims [${zero.dims}] does not match the scale's [${scale.dims}]`);
  const quant = { ...x.c.q8, scale: Float32Array.from(scale.values), zeroPoint, axis };
  const inner = axis < 0 ? 0 : dims.slice(axis + 1).reduce((p, d) => p * d, 1);
  let values: Float32Array | undefined;
  const c: Constant = {
    dims, type: 'float', quant,
    get values() {
      return (values ??= Float32Array.from(quant.data, (v, i) => {
        const at = axis < 0 ? 0 : Math.floor(i / inner) % dims[axis];
        return ((quant.signed ? (v << 24) >> 24 : v) - zeroPoint[at]) * quant.scale[at];
      }));
    },
  };
  alias(ctx, node, { kind: 'const', c }, where);
}

/** Whether constant dims broadcast against [N, k] to [N, k] without depending on N: [], [k'], [1, k'] with k' in {1, k}. */
const rowBroadcast = (dims: number[], k: number) =>
  dims.length <= 2 && (dims.length < 2 || dims[0] === 1) && [undefined, 1, k].includes(dims.at(-1));

/**
 * Add, Sub, Mul, Div. Forms the engine runs faster are matched on full shapes first: x * sigmoid(x)
 * (SiLU), x * hardsigmoid(x) (hard-swish), the SE scale x [N, C, H, W] * s [N, C, 1, 1], a
 * MatMul's bias, a residual sum of two tensors of one shape. Anything else runs as a 'binary'
 * node with ONNX's (numpy) broadcasting: shapes aligned on the right, so that an [N, C] gate
 * times [N, C, H, W] scales along W, as onnxruntime and PyTorch do, not by channel.
 */
function binary(kind: BinaryOp): Converter {
  return (ctx, node, where) => {
    const count = node.input?.length ?? 0;
    // Max and Min are variadic in ONNX: one input is the identity; more than two are not supported.
    if ((kind === 'max' || kind === 'min') && count === 1) return alias(ctx, node, input(ctx, node, 0, where), where);
    if (count !== 2) throw new OnnxError(`${where}: ${node.opType} of ${count} inputs is not supported (two)`);
    const [a, b] = readThroughExpand(ctx, operand(ctx, node, 0, where), operand(ctx, node, 1, where), where);
    const out = outName(node, where);
    const name = node.name || out;
    if (a.kind === 'const' && b.kind === 'const') return alias(ctx, node, { kind: 'const', c: foldConstants(a.c, b.c, kind, where) }, where);
    if (kind === 'mul' && a.kind === 'tensor' && b.kind === 'tensor') {
      for (const [x, g] of [[a, b], [b, a]]) {
        const gate = ctx.activations.get(g.name);
        const fused = gate?.input === x.name ? { sigmoid: 'silu', hardsigmoid: 'hardswish' }[gate.act as 'sigmoid'] : undefined;
        if (fused) return emit(ctx, { op: 'activation', name, inputs: [x.name], output: out, act: fused as Activation }, where);
      }
      // Both are computed, so dimension 0 of each is the batch (a symbolic one stays equal).
      const isScale = (s: Shape, x: Shape) => x.length === 4 && s.length === 4 && s[0] === x[0] && s[1] === x[1] && s[2] === 1 && s[3] === 1;
      const [x, s] = isScale(b.shape, a.shape) ? [a, b] : isScale(a.shape, b.shape) ? [b, a] : [];
      if (x && s && x.shape.join() !== s.shape.join()) {
        // A name of its own: a file we wrote from a graph read before already holds `${out}/scale`.
        let scale = `${out}/scale`;
        for (let i = 1; ctx.values.has(scale); i++) scale = `${out}/scale_${i}`;
        emit(ctx, { op: 'flatten', name: scale, inputs: [s.name], output: scale }, where);
        return emit(ctx, { op: 'mul', name, inputs: [x.name, scale], output: out }, where);
      }
    }
    if (kind === 'add') {
      // MatMul + Add (a bias): the constant goes into the FC before it, when this Add is that
      // FC's one reader and the constant broadcasts along the rows only.
      for (const [t, c] of [[a, b], [b, a]]) {
        const prev = t.kind === 'tensor' ? ctx.nodes.find((n) => n.output === t.name) : undefined;
        const only = t.kind === 'tensor' && ctx.uses.get(t.name) === 1;
        if (c.kind === 'const' && prev?.op === 'fc' && only && !prev.bias && c.c.type === 'float' && c.c.values.length === prev.weight.shape[0] && rowBroadcast(c.c.dims, prev.weight.shape[0])) {
          prev.bias = { shape: [c.c.values.length], data: c.c.values as Float32Array };
          return alias(ctx, node, t, where);
        }
      }
      if (a.kind === 'tensor' && b.kind === 'tensor' && a.shape.join() === b.shape.join()) {
        return emit(ctx, { op: 'add', name, inputs: [a.name, b.name], output: out, act: 'none' }, where);
      }
    }
    const at = a.kind === 'const' ? 0 : b.kind === 'const' ? 1 : undefined;
    if (at === undefined) {
      return emit(ctx, { op: 'binary', name, kind, inputs: [(a as { name: string }).name, (b as { name: string }).name], output: out, act: 'none' }, where);
    }
    // The operands as read through an Expand: reading the inputs again would make it.
    const [c, t] = (at === 0 ? [a, b] : [b, a]) as [{ c: Constant }, { name: string }];
    if (c.c.type !== 'float') throw new OnnxError(`${where}: input ${at} must hold FLOAT values`);
    emit(ctx, { op: 'binary', name, kind, inputs: [t.name], constant: { at: at as 0 | 1, value: param(c.c) }, output: out, act: 'none' }, where);
  };
}

/**
 * An element-wise op's operands with an Expand read away where broadcasting gives the same result
 * (x * y.expand_as(x), as the most copied PyTorch SE layer writes it); else made.
 */
function readThroughExpand(ctx: Context, a: Value, b: Value, where: string): [Exclude<Value, { kind: 'shuffle' | 'expand' | 'flat' }>, Exclude<Value, { kind: 'shuffle' | 'expand' | 'flat' }>] {
  const shape = (v: Value) => (v.kind === 'const' ? v.c.dims : v.shape);
  const resolve = (v: Value, other: Value): Exclude<Value, { kind: 'shuffle' | 'expand' | 'flat' }> => {
    // operand() has refused a shuffle's or a flattened map's view already.
    if (v.kind !== 'expand') return v as Exclude<Value, { kind: 'shuffle' | 'expand' | 'flat' }>;
    const full = broadcastShapes(v.shape, shape(other)), direct = broadcastShapes(v.x.shape, shape(other));
    return full && direct && full.join() === direct.join() ? { kind: 'tensor', ...v.x } : materialize(ctx, v, where);
  };
  return [resolve(a, b), resolve(b, a)];
}

/** A binary op on two constants (shape arithmetic), folded while reading: one side a single value or both of one shape. */
function foldConstants(a: Constant, b: Constant, kind: BinaryOp, where: string): Constant {
  const n = Math.max(a.values.length, b.values.length);
  const same = a.dims.join() === b.dims.join();
  if (!same && a.values.length !== 1 && b.values.length !== 1) throw new OnnxError(`${where}: ${kind} of constants of dims [${a.dims}] and [${b.dims}] is not supported (only one of one value, or both of one shape)`);
  if (a.type !== b.type) throw new OnnxError(`${where}: ${kind} of a float and an integer constant`);
  const at = (c: Constant, i: number) => c.values[c.values.length === 1 ? 0 : i];
  const dims = a.values.length >= b.values.length ? a.dims : b.dims;
  const values = Array.from({ length: n }, (_, i) => {
    const x = at(a, i), y = at(b, i);
    const v = kind === 'add' ? x + y : kind === 'sub' ? x - y : kind === 'mul' ? x * y : x / y;
    return a.type === 'int' ? Math.trunc(v) : v;
  });
  return a.type === 'int' ? { dims, values, type: 'int' } : { dims, values: Float32Array.from(values), type: 'float' };
}

/**
 * The target of a Reshape of [N, C, H, W] to [N, g, C / g, H, W] or [N, g, C / g, H * W] (the first
 * step of a channel shuffle, as PyTorch and our writer spell it), resolved. g = 1 and g = C, where
 * the shuffle leaves the channels in place, are shuffles too (channel_shuffle(x, C) exports so),
 * but not a Reshape to x's own shape ([N, C, 1, 1] to itself reads as g = C).
 */
function groupedView(x: Shape, target: number[]): Shape | undefined {
  if (x.length !== 4 || (target.length !== 5 && target.length !== 4)) return undefined;
  const [n, c, h, w] = x;
  const resolved = resolveTarget(x, target);
  const [rn, g, per, ...space] = resolved;
  const sameSpace = space.length === 2 ? space[0] === h && space[1] === w : space[0] === h * w;
  return rn === n && g * per === c && sameSpace && Number.isInteger(g) && g >= 1 && resolved.join() !== x.join() ? resolved : undefined;
}

/** The Reshape that ends a channel shuffle: back to the shape of the map it started from. */
function endShuffle(ctx: Context, node: NodeMsg, v: Extract<Value, { kind: 'shuffle' }>, target: number[], where: string): void {
  if (v.step !== 'swapped' || resolveTarget(v.shape, target).join() !== v.x.shape.join()) {
    throw new OnnxError(`${where}: a Reshape of the [${v.shape}] view to [${target}] is not a channel shuffle (expected Transpose perm [0, 2, 1, 3, 4] then a Reshape back to [${v.x.shape}])`);
  }
  const out = outName(node, where);
  emit(ctx, { op: 'shuffle', name: node.name || out, inputs: [v.x.name], output: out, groups: v.groups }, where);
}

function pool(ctx: Context, node: NodeMsg, where: string, mode: 'max' | 'avg'): void {
  const x = tensorIn(ctx, node, 0, where);
  const kernel = attrInts(node, 'kernel_shape');
  if (!kernel || kernel.length !== 2) throw new OnnxError(`${where}: only 2-D pooling is supported (kernel_shape [${kernel ?? ''}])`);
  if ((attrInts(node, 'dilations') ?? [1, 1]).some((d) => d !== 1)) throw new OnnxError(`${where}: dilated pooling is not supported`);
  const stride = pair(attrInts(node, 'strides'), [1, 1]);
  const p = pads(ctx, node, where, x.shape, [kernel[0], kernel[1]], stride, [1, 1]);
  // Exports write a global max squeeze as MaxPool with the whole map as its window; that can only
  // be recognised where the file fixes the input size.
  const whole = ctx.fixedSize && kernel[0] === x.shape[2] && kernel[1] === x.shape[3] && p.every((v) => v === 0);
  if (whole) return globalPool(ctx, node, where, mode);
  const out = outName(node, where);
  emit(ctx, {
    op: 'pool', name: node.name || out, inputs: [x.name], output: out, mode, kernel: [kernel[0], kernel[1]], stride, pads: p,
    ceilMode: attrInt(node, 'ceil_mode', 0) === 1, countIncludePad: attrInt(node, 'count_include_pad', 0) === 1,
  }, where);
}

/** ReduceMean / ReduceMax over H and W of [N, C, H, W]: a global pool (axes an attribute, or an input from opset 18). */
function reduceSpatial(ctx: Context, node: NodeMsg, where: string, mode: 'avg' | 'max'): void {
  const x = tensorIn(ctx, node, 0, where);
  const ax = (axes(ctx, node, where, 1) ?? []).map((d) => (d < 0 ? d + x.shape.length : d)).sort();
  if (x.shape.length !== 4 || ax.join() !== '2,3') throw new OnnxError(`${where}: ${node.opType} over axes [${ax}] is not supported (only over H and W of [N, C, H, W])`);
  if (attrInt(node, 'keepdims', 1)) return globalPool(ctx, node, where, mode);
  const out = outName(node, where), pooled = `${out}/pooled`;
  emit(ctx, { op: 'globalpool', name: pooled, inputs: [x.name], output: pooled, mode }, where);
  emit(ctx, { op: 'flatten', name: node.name || out, inputs: [pooled], output: out }, where);
}

function globalPool(ctx: Context, node: NodeMsg, where: string, mode: 'max' | 'avg'): void {
  const x = tensorIn(ctx, node, 0, where);
  const out = outName(node, where);
  emit(ctx, { op: 'globalpool', name: node.name || out, inputs: [x.name], output: out, mode }, where);
}

export const SUPPORTED_OPS: readonly string[] = Object.keys(CONVERTERS).sort();

/** Drops nodes whose outputs nothing reads (a sigmoid that became part of a SiLU, say). */
function live(nodes: Node[], output: string): Node[] {
  const needed = new Set([output]);
  const kept: Node[] = [];
  for (let i = nodes.length - 1; i >= 0; i--) {
    if (!needed.has(nodes[i].output)) continue;
    kept.push(nodes[i]);
    nodes[i].inputs.forEach((t) => needed.add(t));
  }
  return kept.reverse();
}

function decode(bytes: Uint8Array, file: string): ModelMsg {
  try {
    return decodeModel(bytes);
  } catch (e) {
    throw new OnnxError(`${file}: not a readable ONNX file (${(e as Error).message})`);
  }
}

export interface LoadOptions {
  /** Names the file in error messages and in the graph. */
  name?: string;
}

/**
 * Reads an ONNX model into a graph the engine compiles like a built-in one. Weights stored as
 * raw_data are not copied: the graph reads them from `bytes` when it is compiled (or a weight's
 * `data` is read), so keep `bytes` unchanged while the graph is in use; compiled sessions hold
 * their own packed copy.
 */
export function loadOnnx(bytes: Uint8Array, options: LoadOptions = {}): Graph {
  const file = options.name ?? 'model.onnx';
  if (!(bytes instanceof Uint8Array)) throw new OnnxError(`${file}: expected the file's bytes as a Uint8Array`);
  const model = decode(bytes, file);
  const g: GraphMsg | undefined = model.graph;
  if (!g || !g.node?.length) throw new OnnxError(`${file}: not an ONNX model (no graph or no nodes)`);
  const opsetEntry = model.opsetImport?.find((o) => !o.domain || o.domain === 'ai.onnx');
  const opset = Number(opsetEntry?.version ?? 0);
  if (opset < MIN_OPSET || opset > MAX_OPSET) {
    throw new OnnxError(`${file}: opset ${opset || 'missing'} is not supported (opsets ${MIN_OPSET} to ${MAX_OPSET}); re-export with torch.onnx.export(..., opset_version=17)`);
  }

  const uses = new Map<string, number>();
  for (const name of [...g.node.flatMap((n) => n.input ?? []), ...(g.output ?? []).map((o) => o.name)]) uses.set(name, (uses.get(name) ?? 0) + 1);
  const ctx: Context = { file, opset, values: new Map(), nodes: [], activations: new Map(), uses, fixedSize: false };
  for (const t of g.initializer ?? []) {
    ctx.values.set(t.name ?? '', { kind: 'const', c: readTensor(t, `${file}: initializer '${t.name}'`) });
  }
  const inputs = (g.input ?? []).filter((v) => !ctx.values.has(v.name));
  if (inputs.length !== 1) {
    throw new OnnxError(`${file}: the graph has ${inputs.length} inputs (${inputs.map((v) => v.name).join(', ') || 'none'}); senet-wasm runs graphs with exactly one image input`);
  }
  if ((g.output ?? []).length !== 1) {
    throw new OnnxError(`${file}: the graph has ${g.output?.length ?? 0} outputs (${(g.output ?? []).map((v) => v.name).join(', ')}); senet-wasm runs graphs with exactly one output`);
  }
  const [inp] = inputs;
  const type = inp.type?.tensorType;
  if (type?.elemType !== 1) throw new OnnxError(`${file}: input '${inp.name}' is ${DATA_TYPE_NAMES[type?.elemType ?? 0] ?? 'of unknown type'}, not FLOAT`);
  const dims = (type.shape?.dim ?? []).map((d) => (d.dimValue !== undefined ? Number(d.dimValue) : d.dimParam ?? '?'));
  if (dims.length !== 4 || typeof dims[1] !== 'number') {
    throw new OnnxError(`${file}: input '${inp.name}' has shape [${dims}]; expected an image batch [N, C, H, W] with a fixed C`);
  }
  ctx.fixedSize = [dims[2], dims[3]].every((d) => typeof d === 'number' && d > 0);
  const num = (d: number | string, fallback: number) => (typeof d === 'number' && d > 0 ? d : fallback);
  ctx.values.set(inp.name, { kind: 'tensor', name: inp.name, shape: [num(dims[0], 1), dims[1] as number, num(dims[2], 224), num(dims[3], 224)] });

  g.node.forEach((node, i) => {
    const where = `${file}: node '${node.name || `#${i}`}' (${node.opType}, opset ${opset})`;
    if (node.domain && node.domain !== 'ai.onnx') throw new OnnxError(`${where}: ops of domain '${node.domain}' are not supported`);
    const convert = Object.hasOwn(CONVERTERS, node.opType) ? CONVERTERS[node.opType] : undefined;
    if (!convert) throw new OnnxError(`${where}: op ${node.opType} is not supported; supported ops: ${SUPPORTED_OPS.join(', ')}`);
    // ONNX graphs are SSA: a name defined twice would otherwise surface at compile, without the file.
    const again = node.output?.find((o) => o && ctx.values.has(o));
    if (again) throw new OnnxError(`${where}: output '${again}' is already defined (by an earlier node, an initializer or the graph input)`);
    try {
      convert(ctx, node, where);
    } catch (e) {
      // A malformed node (a corrupted file) must still end in a typed error that names it.
      if (e instanceof OnnxError) throw e;
      throw new OnnxError(`${where}: malformed node (${(e as Error).message})`);
    }
  });

  const outName = g.output![0].name;
  const out = ctx.values.get(outName);
  if (out?.kind !== 'tensor') throw new OnnxError(`${file}: output '${outName}' is ${!out ? 'not produced by any node' : out.kind === 'const' ? 'a constant' : out.kind === 'flat' ? 'a flattened map (senet-wasm reads those only in a Gemm or MatMul)' : 'a 5-D view inside a channel shuffle'}`);
  const output = out.name;
  if (!ctx.nodes.some((n) => n.output === output)) throw new OnnxError(`${file}: output '${outName}' is the graph input`);
  const nodes = live(ctx.nodes, output);
  return {
    name: file.replace(/^.*[\\/]/, '').replace(/\.onnx$/, ''),
    input: { name: inp.name, channels: dims[1] as number },
    output,
    nodes,
    source: { format: 'onnx', file, opset, producer: `${model.producerName ?? ''}`.trim(), inputShape: dims },
  };
}
