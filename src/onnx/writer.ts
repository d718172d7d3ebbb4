// The graph IR -> an ONNX model (opsets 11-21), so that onnxruntime, Netron or any ONNX tool can
// run or inspect a senet-wasm graph, and `loadOnnx` reads it back. The graph is written as given:
// an unoptimized graph keeps its BatchNorms and separate activations; a fused one (after
// `optimize`) has its epilogue activations and its 'se' nodes written out again as plain ops
// (`se` -> squeeze, Flatten, Gemm, act, Gemm, gate, Reshape, Mul [, Add [, Relu]]).
// Weights are FLOAT initializers in raw_data (little-endian); conv, FC and SE weights stored as
// int8 are INT8 initializers through DequantizeLinear (a scale and zero point per output channel,
// axis 0), as fp16 FLOAT16 initializers through Cast, in the form they have or as `weights` asks
// (the converter, `senet-wasm quantize`). The input's batch, height and width are symbolic unless
// fixed by the options, since our graphs do not depend on the input size.
import { GraphError, OptionError } from '../errors.js';
import { paramSource, type Activation, type Graph, type Node, type Param } from '../graph/ir.js';
import { checkWeightFormat, sourceFormat, storeAs, type WeightFormat } from '../graph/storage.js';
import { inferShapes } from '../graph/shapes.js';
import { MAX_OPSET, MIN_OPSET } from './reader.js';
import { encodeModel } from './encode.js';
import { DATA_TYPE } from './schema.js';

export interface SaveOptions {
  /** Default-domain opset, 11 to 21 (what `loadOnnx` reads). Default 13. */
  opset?: number;
  /** A symbolic batch dimension ('batch'); false writes batch 1. Default true. */
  dynamicBatch?: boolean;
  /** Fix the input's height and width in the file (default: symbolic 'height' and 'width'). */
  height?: number;
  width?: number;
  /** Conv, FC and SE weights as 'fp32', 'int8' (a scale per output channel, from opset 13) or 'fp16'; default: the form each has. */
  weights?: WeightFormat;
}

type Dim = { dimValue: number } | { dimParam: string };
interface Attribute { name: string; type: number; f?: number; i?: number; ints?: number[] }
interface OnnxNode { name: string; opType: string; input: string[]; output: string[]; attribute: Attribute[] }
interface Initializer { name: string; dims: number[]; dataType: number; rawData: Uint8Array }

const ATTR = { FLOAT: 1, INT: 2, INTS: 7 } as const;
const attrInt = (name: string, i: number): Attribute => ({ name, type: ATTR.INT, i });
const attrFloat = (name: string, f: number): Attribute => ({ name, type: ATTR.FLOAT, f });
const attrInts = (name: string, ints: number[]): Attribute => ({ name, type: ATTR.INTS, ints });

const LITTLE_ENDIAN = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

function floatBytes(data: Float32Array): Uint8Array {
  if (LITTLE_ENDIAN) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const out = new Uint8Array(data.length * 4);
  const view = new DataView(out.buffer);
  data.forEach((v, i) => view.setFloat32(4 * i, v, true));
  return out;
}

function int64Bytes(values: number[]): Uint8Array {
  const out = new Uint8Array(values.length * 8);
  const view = new DataView(out.buffer);
  values.forEach((v, i) => view.setBigInt64(8 * i, BigInt(v), true));
  return out;
}

/** Tensor ranks, which do not depend on the input size (so no size has to be assumed). */
function ranks(graph: Graph): Map<string, number> {
  const rank = new Map<string, number>([[graph.input.name, 4]]);
  for (const n of graph.nodes) {
    const r = rank.get(n.inputs[0]);
    if (r === undefined) throw new GraphError(`node '${n.name}' (${n.op}): input '${n.inputs[0]}' is not produced by any earlier node`);
    const out = n.op === 'flatten' || n.op === 'fc' ? 2 : n.op === 'reshape' ? 1 + n.shape.length
      : n.op === 'conv' || n.op === 'pool' || n.op === 'globalpool' || n.op === 'batchnorm' ? 4
        : n.op === 'binary' ? Math.max(r, n.constant ? n.constant.value.shape.length : rank.get(n.inputs[1]) ?? r) : r;
    rank.set(n.output, out);
  }
  return rank;
}

/**
 * Dimension 1 of every tensor where it does not depend on the input size (for the ops whose ONNX
 * form spells it out: the channel shuffle); undefined where a broadcast leaves it open.
 */
function channelCounts(graph: Graph, rank: Map<string, number>): Map<string, number | undefined> {
  const c = new Map<string, number | undefined>([[graph.input.name, graph.input.channels]]);
  for (const n of graph.nodes) {
    const first = c.get(n.inputs[0]);
    switch (n.op) {
      case 'conv': case 'fc': c.set(n.output, n.weight.shape[0]); break;
      case 'reshape': c.set(n.output, n.shape[0]); break;
      case 'concat': c.set(n.output, n.inputs.reduce<number | undefined>((sum, t) => (sum === undefined || c.get(t) === undefined ? undefined : sum + c.get(t)!), 0)); break;
      case 'binary': {
        // Dimension 1 of the output, aligned on the right with each operand's dimensions.
        const out = rank.get(n.output)!;
        const dims = (shape: (number | undefined)[]) => shape[1 - (out - shape.length)] ?? 1;
        const sides = n.inputs.map((t) => (rank.get(t) === out ? c.get(t) : undefined));
        if (n.constant) sides.splice(n.constant.at, 0, dims(n.constant.value.shape));
        c.set(n.output, sides.some((d) => d === undefined) ? undefined : Math.max(...(sides as number[])));
        break;
      }
      default: c.set(n.output, first);
    }
  }
  return c;
}

function checkOptions(o: SaveOptions) {
  if (o === null || typeof o !== 'object') throw new OptionError('saveOnnx options must be an object');
  const opset = o.opset ?? 13;
  if (!Number.isInteger(opset) || opset < MIN_OPSET || opset > MAX_OPSET) {
    throw new OptionError(`opset must be an integer from ${MIN_OPSET} to ${MAX_OPSET}, got ${o.opset}`);
  }
  for (const k of ['height', 'width'] as const) {
    const v = o[k];
    if (v !== undefined && (!Number.isInteger(v) || v < 1 || v > 65536)) throw new OptionError(`${k} must be an integer from 1 to 65536, got ${v}`);
  }
  if (o.dynamicBatch !== undefined && typeof o.dynamicBatch !== 'boolean') throw new OptionError(`dynamicBatch must be true or false, got ${o.dynamicBatch}`);
  const weights = checkWeightFormat(o.weights, 'saveOnnx option weights');
  if (weights === 'int8' && opset < 13) throw new OptionError('int8 weights need opset 13 or later (DequantizeLinear with a scale per output channel)');
  return { opset, dynamicBatch: o.dynamicBatch ?? true, height: o.height, width: o.width, weights };
}

/** Writes `graph` as an ONNX ModelProto; throws GraphError for a structure-only graph. */
export function saveOnnx(graph: Graph, options: SaveOptions = {}): Uint8Array {
  const o = checkOptions(options);
  const { opset } = o;
  const rank = ranks(graph);
  const channels = channelCounts(graph, rank);

  // Every IR tensor keeps its name; everything we add gets a fresh one.
  const tensorNames = new Set<string>([graph.input.name, ...graph.nodes.map((n) => n.output)]);
  const nodeNames = new Set<string>();
  const unique = (used: Set<string>, base: string) => {
    let name = base;
    for (let i = 1; used.has(name); i++) name = `${base}_${i}`;
    used.add(name);
    return name;
  };
  const tensor = (base: string) => unique(tensorNames, base);

  const nodes: OnnxNode[] = [];
  const initializers: Initializer[] = [];
  const add = (name: string, opType: string, input: string[], output: string, attribute: Attribute[] = []) => {
    nodes.push({ name: unique(nodeNames, name), opType, input, output: [output], attribute });
    return output;
  };
  const weight = (owner: string, what: string, p: Param): string => {
    if (!p.data) throw new GraphError(`graph '${graph.name}' node '${owner}' has no weight values (built structure-only?); build it with weights to export it`);
    const name = tensor(`${owner}.${what}`);
    initializers.push({ name, dims: p.shape, dataType: DATA_TYPE.FLOAT, rawData: floatBytes(p.data) });
    return name;
  };
  /** A conv, FC or SE weight: FLOAT, or INT8 through DequantizeLinear, or FLOAT16 through Cast. */
  const matrix = (owner: string, what: string, p: Param): string => {
    const source = paramSource(p);
    const format = o.weights ?? (source ? sourceFormat(source) : 'fp32');
    if (!source || format === 'fp32') return weight(owner, what, p);
    const rows = p.shape[0];
    const stored = format === sourceFormat(source) && !source.rowScale ? source : storeAs(source, format, rows);
    const name = tensor(`${owner}.${what}`), out = tensor(`${name}/float`);
    if (stored.half) {
      initializers.push({ name, dims: p.shape, dataType: DATA_TYPE.FLOAT16, rawData: stored.half });
      return add(`${name}/cast`, 'Cast', [name], out, [attrInt('to', DATA_TYPE.FLOAT)]);
    }
    const q = stored.quant!;
    if (q.scale.length > 1 && opset < 13) throw new OptionError(`node '${owner}': int8 weights with a scale per output channel need opset 13 or later`);
    const perRow = q.scale.length > 1, dims = perRow ? [rows] : [];
    const scale = tensor(`${name}_scale`);
    initializers.push(
      { name, dims: p.shape, dataType: q.signed ? DATA_TYPE.INT8 : DATA_TYPE.UINT8, rawData: q.data },
      { name: scale, dims, dataType: DATA_TYPE.FLOAT, rawData: floatBytes(q.scale) },
    );
    // A symmetric int8 weight's zero points are all 0, DequantizeLinear's default: left out (a byte a
    // channel, which depthwise layers with 9 weights a channel feel in the file's size).
    const inputs = [name, scale];
    if (!q.signed || q.zeroPoint.some((z) => z !== 0)) {
      const zero = tensor(`${name}_zero_point`);
      initializers.push({ name: zero, dims, dataType: q.signed ? DATA_TYPE.INT8 : DATA_TYPE.UINT8, rawData: Uint8Array.from(q.zeroPoint, (v) => v & 255) });
      inputs.push(zero);
    }
    return add(`${name}/dequantize`, 'DequantizeLinear', inputs, out, perRow ? [attrInt('axis', 0)] : []);
  };
  // Constants shared by every node that needs them (Clip bounds, Unsqueeze axes, Reshape shapes).
  const constants = new Map<string, string>();
  const constant = (key: string, make: () => Initializer): string => {
    let name = constants.get(key);
    if (!name) {
      const init = make();
      initializers.push(init);
      constants.set(key, (name = init.name));
    }
    return name;
  };
  const floatScalar = (v: number) => constant(`f:${v}`, () => ({ name: tensor(`const_${v}`), dims: [], dataType: DATA_TYPE.FLOAT, rawData: floatBytes(Float32Array.of(v)) }));
  const int64s = (label: string, values: number[]) => constant(`${label}:${values}`, () => ({
    name: tensor(`${label}_${values.join('_').replace(/-/g, 'm')}`), dims: [values.length], dataType: DATA_TYPE.INT64, rawData: int64Bytes(values),
  }));

  /**
   * `act(x)` written to `out`; the node that writes `out` is named `last` (default: owner/act),
   * any node before it owner/step. Nothing is written for 'none' when x is out.
   */
  const activation = (owner: string, x: string, act: Activation, out: string, last = `${owner}/${act}`): string => {
    const hardSigmoid = (input: string, output: string, name: string) =>
      add(name, 'HardSigmoid', [input], output, [attrFloat('alpha', 1 / 6), attrFloat('beta', 0.5)]);
    switch (act) {
      case 'none': return x === out ? x : add(last, 'Identity', [x], out);
      case 'relu': return add(last, 'Relu', [x], out);
      case 'relu6': return add(last, 'Clip', [x, floatScalar(0), floatScalar(6)], out);
      case 'sigmoid': return add(last, 'Sigmoid', [x], out);
      case 'tanh': return add(last, 'Tanh', [x], out);
      case 'hardsigmoid': return hardSigmoid(x, out, last);
      case 'silu': return add(last, 'Mul', [x, add(`${owner}/sigmoid`, 'Sigmoid', [x], tensor(`${owner}/sigmoid`))], out);
      case 'hardswish':
        if (opset >= 14) return add(last, 'HardSwish', [x], out);
        return add(last, 'Mul', [x, hardSigmoid(x, tensor(`${owner}/hardsigmoid`), `${owner}/hardsigmoid`)], out);
    }
  };
  /** The op's own output: the node's output when no activation follows, else a fresh tensor. */
  const preAct = (n: Node & { act: Activation }) => (n.act === 'none' ? n.output : tensor(`${n.output}/preact`));
  const toNC11 = (owner: string, s: string, channels: number, out = tensor(`${owner}/nc11`)) =>
    add(`${owner}/reshape`, 'Reshape', [s, int64s('shape', [0, channels, 1, 1])], out);
  const unsqueeze = (owner: string, s: string) => (opset >= 13
    ? add(`${owner}/unsqueeze`, 'Unsqueeze', [s, int64s('axes', [2, 3])], tensor(`${owner}/nc11`))
    : add(`${owner}/unsqueeze`, 'Unsqueeze', [s], tensor(`${owner}/nc11`), [attrInts('axes', [2, 3])]));
  const gemm = (owner: string, x: string, w: Param, b: Param | undefined, out: string, what = '') =>
    add(`${owner}${what ? `/${what}` : ''}`, 'Gemm', [x, matrix(owner, `${what ? `${what}.` : ''}weight`, w), ...(b ? [weight(owner, `${what ? `${what}.` : ''}bias`, b)] : [])],
      out, [attrInt('transB', 1)]);

  for (const n of graph.nodes) {
    switch (n.op) {
      case 'conv': {
        const [, , kH, kW] = n.weight.shape;
        const y = add(n.name, 'Conv', [n.inputs[0], matrix(n.name, 'weight', n.weight), ...(n.bias ? [weight(n.name, 'bias', n.bias)] : [])], preAct(n), [
          attrInts('kernel_shape', [kH, kW]), attrInts('strides', n.stride), attrInts('pads', n.pads),
          attrInts('dilations', n.dilation), attrInt('group', n.group),
        ]);
        activation(n.name, y, n.act, n.output);
        break;
      }
      case 'batchnorm':
        add(n.name, 'BatchNormalization', [n.inputs[0], ...(['scale', 'bias', 'mean', 'variance'] as const).map((k) => weight(n.name, k, n[k]))],
          n.output, [attrFloat('epsilon', n.epsilon)]);
        break;
      case 'activation':
        activation(n.name, n.inputs[0], n.act, n.output, n.name);
        break;
      case 'add':
        activation(n.name, add(n.name, 'Add', [n.inputs[0], n.inputs[1]], preAct(n)), n.act, n.output);
        break;
      case 'mul': {
        const [x, s] = n.inputs;
        add(n.name, 'Mul', [x, rank.get(s) === 2 ? unsqueeze(n.name, s) : s], n.output);
        break;
      }
      case 'binary': {
        const operands = [...n.inputs];
        if (n.constant) operands.splice(n.constant.at, 0, weight(n.name, 'constant', n.constant.value));
        const opType = { add: 'Add', sub: 'Sub', mul: 'Mul', div: 'Div', max: 'Max', min: 'Min', prelu: 'PRelu' }[n.kind];
        activation(n.name, add(n.name, opType, operands, preAct(n)), n.act, n.output);
        break;
      }
      case 'concat':
        add(n.name, 'Concat', n.inputs, n.output, [attrInt('axis', 1)]);
        break;
      case 'pad': {
        const [t, l, b, r] = n.pads;
        add(n.name, 'Pad', [n.inputs[0], int64s('pads', [0, 0, t, l, 0, 0, b, r]), floatScalar(n.value)], n.output);
        break;
      }
      case 'shuffle': {
        // [N, C, H, W] viewed as [N, g, C / g, H * W], the middle two swapped, then back to x's shape.
        const [x] = n.inputs;
        const c = channels.get(x);
        if (c === undefined) throw new GraphError(`node '${n.name}' (shuffle): its input's channel count depends on the input size; export with a fixed height and width`);
        const grouped = add(`${n.name}/group`, 'Reshape', [x, int64s('shape', [0, n.groups, c / n.groups, -1])], tensor(`${n.name}/group`));
        const swapped = add(`${n.name}/transpose`, 'Transpose', [grouped], tensor(`${n.name}/transpose`), [attrInts('perm', [0, 2, 1, 3])]);
        add(n.name, 'Reshape', [swapped, add(`${n.name}/shape`, 'Shape', [x], tensor(`${n.name}/shape`))], n.output);
        break;
      }
      case 'pool': {
        const attrs = [attrInts('kernel_shape', n.kernel), attrInts('strides', n.stride), attrInts('pads', n.pads), attrInt('ceil_mode', n.ceilMode ? 1 : 0)];
        if (n.mode === 'avg') attrs.push(attrInt('count_include_pad', n.countIncludePad ? 1 : 0));
        add(n.name, n.mode === 'max' ? 'MaxPool' : 'AveragePool', [n.inputs[0]], n.output, attrs);
        break;
      }
      case 'globalpool':
        add(n.name, n.mode === 'max' ? 'GlobalMaxPool' : 'GlobalAveragePool', [n.inputs[0]], n.output);
        break;
      case 'flatten':
        add(n.name, 'Flatten', [n.inputs[0]], n.output, [attrInt('axis', 1)]);
        break;
      case 'reshape':
        add(n.name, 'Reshape', [n.inputs[0], int64s('shape', [0, ...n.shape])], n.output);
        break;
      case 'fc': {
        // A map input: flattened in NCHW order, which is what the IR's weight columns follow.
        const x = rank.get(n.inputs[0]) === 4 ? add(`${n.name}/flatten`, 'Flatten', [n.inputs[0]], tensor(`${n.name}/flatten`), [attrInt('axis', 1)]) : n.inputs[0];
        activation(n.name, gemm(n.name, x, n.weight, n.bias, preAct(n)), n.act, n.output);
        break;
      }
      case 'softmax': {
        const [x] = n.inputs;
        // Before opset 13 Softmax(axis) covers every dimension from axis on; from 13 on, that one axis.
        if (rank.get(x) === 2 || (n.whole && opset < 13)) {
          add(n.name, 'Softmax', [x], n.output, [attrInt('axis', 1)]);
        } else if (n.whole) {
          const flat = add(`${n.name}/flatten`, 'Flatten', [x], tensor(`${n.name}/flatten`), [attrInt('axis', 1)]);
          const soft = add(`${n.name}/softmax`, 'Softmax', [flat], tensor(`${n.name}/softmax`), [attrInt('axis', 1)]);
          add(n.name, 'Reshape', [soft, add(`${n.name}/shape`, 'Shape', [x], tensor(`${n.name}/shape`))], n.output);
        } else if (opset >= 13) {
          add(n.name, 'Softmax', [x], n.output, [attrInt('axis', 1)]);
        } else {
          throw new OptionError(`node '${n.name}': a softmax over the channels of a map has no single ONNX op before opset 13; export with opset 13 or later`);
        }
        break;
      }
      case 'se': {
        const [x, residual] = n.inputs;
        const channels = n.fc1.weight.shape[1];
        const pooled = add(`${n.name}/squeeze`, n.squeeze === 'max' ? 'GlobalMaxPool' : 'GlobalAveragePool', [x], tensor(`${n.name}/squeeze`));
        const z = add(`${n.name}/flatten`, 'Flatten', [pooled], tensor(`${n.name}/flatten`), [attrInt('axis', 1)]);
        const h1 = gemm(n.name, z, n.fc1.weight, n.fc1.bias, tensor(`${n.name}/fc1`), 'fc1');
        const a1 = n.act === 'none' ? h1 : activation(`${n.name}/fc1`, h1, n.act, tensor(`${n.name}/fc1/act`));
        const h2 = gemm(n.name, a1, n.fc2.weight, n.fc2.bias, tensor(`${n.name}/fc2`), 'fc2');
        const gate = n.gate === 'none' ? h2 : activation(`${n.name}/fc2`, h2, n.gate, tensor(`${n.name}/gate`));
        const scaled = residual ? tensor(`${n.name}/scaled`) : n.output;
        add(`${n.name}/scale`, 'Mul', [x, toNC11(n.name, gate, channels)], scaled);
        if (residual) {
          const sum = add(`${n.name}/residual`, 'Add', [scaled, residual], n.residualAct === 'none' ? n.output : tensor(`${n.name}/sum`));
          activation(`${n.name}/residual`, sum, n.residualAct, n.output);
        }
        break;
      }
      default:
        throw new GraphError(`node '${(n as Node).name}': op '${(n as Node).op}' cannot be written to ONNX`);
    }
  }

  const inputDims: Dim[] = [
    o.dynamicBatch ? { dimParam: 'batch' } : { dimValue: 1 },
    { dimValue: graph.input.channels },
    o.height !== undefined ? { dimValue: o.height } : { dimParam: 'height' },
    o.width !== undefined ? { dimValue: o.width } : { dimParam: 'width' },
  ];
  const model = {
    irVersion: opset <= 13 ? 7 : 8,
    opsetImport: [{ domain: '', version: opset }],
    producerName: 'senet-wasm',
    graph: {
      name: graph.name,
      node: nodes,
      initializer: initializers,
      input: [{ name: graph.input.name, type: { tensorType: { elemType: DATA_TYPE.FLOAT, shape: { dim: inputDims } } } }],
      output: [{ name: graph.output, type: { tensorType: { elemType: DATA_TYPE.FLOAT, shape: { dim: outputDims(graph, o, rank) } } } }],
    },
  };
  return encodeModel(model);
}

/**
 * The output's dims: the batch as the input's, the channels (or classes) from shape inference,
 * spatial dims exact when the input size is fixed, symbolic otherwise.
 */
function outputDims(graph: Graph, o: ReturnType<typeof checkOptions>, rank: Map<string, number>): Dim[] {
  const r = rank.get(graph.output) ?? 0;
  const symbolic: Dim[] = [o.dynamicBatch ? { dimParam: 'batch' } : { dimValue: 1 }];
  for (let i = 1; i < r; i++) symbolic.push({ dimParam: ['', 'channels', 'out_height', 'out_width'][i] ?? `out_dim${i}` });
  let shape: number[];
  try {
    shape = inferShapes(graph, { batch: 1, height: o.height ?? 224, width: o.width ?? 224 }).get(graph.output)!;
  } catch {
    return symbolic; // not valid at the nominal size: leave the dims symbolic
  }
  return symbolic.map((d, i) => (i === 1 || (i > 1 && o.height !== undefined && o.width !== undefined) ? { dimValue: shape[i] } : d));
}
