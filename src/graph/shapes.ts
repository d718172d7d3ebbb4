import { GraphError } from '../errors.js';
import { describe, isFloat32Array } from '../options.js';
import { ACTIVATIONS, BINARY_OPS, OP_TYPES, valueCount, type Graph, type InputDims, type Node, type Param } from './ir.js';

export type Shape = number[];

/** Output size of a sliding window along one axis (floor or ceil, as PyTorch and ONNX). */
export function windowOutput(
  size: number, kernel: number, stride: number, padBefore: number, padAfter: number,
  dilation = 1, ceil = false,
): number {
  const span = dilation * (kernel - 1) + 1;
  const room = size + padBefore + padAfter - span;
  let out = (ceil ? Math.ceil(room / stride) : Math.floor(room / stride)) + 1;
  // Ceil mode never starts a window inside the bottom/right padding (PyTorch's rule).
  if (ceil && (out - 1) * stride >= size + padBefore) out--;
  return out;
}

function fail(node: Node, message: string): never {
  throw new GraphError(`node '${node.name}' (${node.op}): ${message}`);
}

function expectRank(node: Node, shape: Shape, rank: number, what = 'input'): void {
  if (shape.length !== rank) fail(node, `${what} must have rank ${rank}, got [${shape}]`);
}

function expectParam(node: Node, param: Param | undefined, shape: Shape, what: string): void {
  if (!param) return;
  if (typeof param !== 'object' || !Array.isArray(param.shape)) fail(node, `${what} must be a { shape, data } parameter, got ${describe(param)}`);
  // data is read through a getter for lazy parameters: look at it only when it is a plain field.
  const own = Object.getOwnPropertyDescriptor(param, 'data');
  if (own && 'value' in own && own.value !== undefined && !isFloat32Array(own.value)) {
    fail(node, `${what} data must be a Float32Array, got ${describe(own.value)}`);
  }
  if (param.shape.join() !== shape.join()) {
    fail(node, `${what} has shape [${param.shape}], expected [${shape}]`);
  }
  const count = valueCount(param);
  if (count !== undefined && count !== shape.reduce((a, b) => a * b, 1)) {
    fail(node, `${what} holds ${count} values, its shape [${shape}] needs ${shape.reduce((a, b) => a * b, 1)}`);
  }
}

/** A node's string fields hold one of their accepted values (hand-made graphs have no type checks). */
function checkChoices(node: Node): void {
  const choice = (field: string, value: unknown, accepted: readonly string[]) => {
    if (!accepted.includes(value as string)) fail(node, `${field} must be one of ${accepted.join(', ')}; got ${JSON.stringify(value)}`);
  };
  if (!OP_TYPES.includes(node.op)) {
    throw new GraphError(`node '${node.name}': unknown op ${JSON.stringify(node.op)}; ops: ${OP_TYPES.join(', ')}`);
  }
  if ('act' in node) choice('act', node.act, ACTIVATIONS);
  switch (node.op) {
    case 'pool': choice('mode', node.mode, ['max', 'avg']); break;
    case 'globalpool': choice('mode', node.mode, ['avg', 'max']); break;
    case 'binary': choice('kind', node.kind, BINARY_OPS); break;
    case 'se':
      choice('squeeze', node.squeeze, ['avg', 'max']);
      choice('gate', node.gate, ACTIVATIONS);
      choice('residualAct', node.residualAct, ['none', 'relu']);
      break;
  }
}

/** numpy's broadcast of two shapes (aligned on the right, each dimension equal or 1), or undefined. */
export function broadcastShapes(a: Shape, b: Shape): Shape | undefined {
  const rank = Math.max(a.length, b.length);
  const out: Shape = [];
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1, db = b[b.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) return undefined;
    out.push(da === 1 ? db : da);
  }
  return out;
}

/** The shapes of a binary node's operands, in order (the constant at its place). */
export function binaryOperands(node: Extract<Node, { op: 'binary' }>, ins: Shape[]): [Shape, Shape] {
  if (!node.constant) return [ins[0], ins[1]];
  return node.constant.at === 0 ? [node.constant.value.shape, ins[0]] : [ins[0], node.constant.value.shape];
}

/** The output shape of one node, given its inputs' shapes; throws GraphError naming the node. */
export function inferNode(node: Node, ins: Shape[]): Shape {
  checkChoices(node);
  const [x] = ins;
  switch (node.op) {
    case 'conv': {
      expectRank(node, x, 4);
      const [outC, inCg, kH, kW] = node.weight.shape;
      const [n, c, h, w] = x;
      if (node.group < 1 || c % node.group || outC % node.group) {
        fail(node, `group ${node.group} must divide input channels ${c} and output channels ${outC}`);
      }
      if (inCg !== c / node.group) fail(node, `weight expects ${inCg * node.group} input channels, input has ${c}`);
      expectParam(node, node.weight, [outC, inCg, kH, kW], 'weight');
      expectParam(node, node.bias, [outC], 'bias');
      if ([...node.stride, ...node.dilation, kH, kW].some((v) => !(v >= 1))) fail(node, 'kernel, stride and dilation must be >= 1');
      if (node.pads.some((p) => !(p >= 0))) fail(node, `pads [${node.pads}] must be >= 0`);
      const oh = windowOutput(h, kH, node.stride[0], node.pads[0], node.pads[2], node.dilation[0]);
      const ow = windowOutput(w, kW, node.stride[1], node.pads[1], node.pads[3], node.dilation[1]);
      if (oh < 1 || ow < 1) fail(node, `input ${h}x${w} is too small for a ${kH}x${kW} kernel`);
      return [n, outC, oh, ow];
    }
    case 'batchnorm':
      expectRank(node, x, 4);
      for (const k of ['scale', 'bias', 'mean', 'variance'] as const) expectParam(node, node[k], [x[1]], k);
      return x;
    case 'activation':
    case 'softmax':
      if (node.op === 'softmax' && x.length !== 2 && x.length !== 4) fail(node, `input must have rank 2 or 4, got [${x}]`);
      return x;
    case 'add':
      if (ins[1].join() !== x.join()) fail(node, `inputs differ in shape: [${x}] and [${ins[1]}]`);
      return x;
    case 'mul': {
      expectRank(node, x, 4);
      const s = ins[1];
      const ok = (s.length === 2 || (s.length === 4 && s[2] === 1 && s[3] === 1)) && s[0] === x[0] && s[1] === x[1];
      if (!ok) fail(node, `scale [${s}] does not broadcast over [${x}] by channel`);
      return x;
    }
    case 'binary': {
      const expected = node.constant ? 1 : 2;
      if (ins.length !== expected) fail(node, `takes ${expected} computed input${expected > 1 ? 's' : ''}${node.constant ? ' and a constant' : ''}, got ${ins.length}`);
      if (node.constant) {
        if (node.constant.at !== 0 && node.constant.at !== 1) fail(node, `constant.at must be 0 or 1, got ${node.constant.at}`);
        expectParam(node, node.constant.value, node.constant.value.shape, 'constant');
      }
      const [a, b] = binaryOperands(node, ins);
      const out = broadcastShapes(a, b);
      if (!out) fail(node, `shapes [${a}] and [${b}] do not broadcast`);
      // Memory layouts exist for ranks up to 4 (rank 4 is NHWC, the rest row-major).
      if (out.length > 4) fail(node, `broadcast result [${out}] has rank ${out.length}; at most 4 is supported`);
      return out;
    }
    case 'concat': {
      if (ins.length < 1) fail(node, 'takes at least one input');
      const rank = x.length;
      if (rank !== 2 && rank !== 4) fail(node, `joins [N, C, H, W] or [N, K] tensors along the channels, got [${x}]`);
      for (const s of ins) {
        if (s.length !== rank || s[0] !== x[0] || s.slice(2).join() !== x.slice(2).join()) {
          fail(node, `inputs [${ins.map((t) => `[${t}]`).join(', ')}] differ outside the channels`);
        }
      }
      return [x[0], ins.reduce((c, s) => c + s[1], 0), ...x.slice(2)];
    }
    case 'pad':
      expectRank(node, x, 4);
      if (node.pads.length !== 4 || node.pads.some((p) => !Number.isInteger(p) || p < 0)) fail(node, `pads [${node.pads}] must be 4 integers >= 0`);
      if (typeof node.value !== 'number') fail(node, `value must be a number, got ${describe(node.value)}`);
      return [x[0], x[1], x[2] + node.pads[0] + node.pads[2], x[3] + node.pads[1] + node.pads[3]];
    case 'shuffle':
      expectRank(node, x, 4);
      if (!Number.isInteger(node.groups) || node.groups < 1 || x[1] % node.groups) fail(node, `groups ${node.groups} must divide the ${x[1]} channels`);
      return x;
    case 'pool': {
      expectRank(node, x, 4);
      const [kH, kW] = node.kernel;
      if (node.pads[0] >= kH || node.pads[2] >= kH || node.pads[1] >= kW || node.pads[3] >= kW) {
        fail(node, `pads [${node.pads}] must be smaller than the kernel ${kH}x${kW}`);
      }
      const oh = windowOutput(x[2], kH, node.stride[0], node.pads[0], node.pads[2], 1, node.ceilMode);
      const ow = windowOutput(x[3], kW, node.stride[1], node.pads[1], node.pads[3], 1, node.ceilMode);
      if (oh < 1 || ow < 1) fail(node, `input ${x[2]}x${x[3]} is too small for a ${kH}x${kW} window`);
      return [x[0], x[1], oh, ow];
    }
    case 'globalpool':
      expectRank(node, x, 4);
      return [x[0], x[1], 1, 1];
    case 'flatten':
      expectRank(node, x, 4);
      if (x[2] !== 1 || x[3] !== 1) fail(node, `only [N, C, 1, 1] inputs can be flattened, got [${x}]`);
      return [x[0], x[1]];
    case 'reshape': {
      const vectorLike = (s: Shape) => s.slice(2).every((d) => d === 1);
      const out = [x[0], ...node.shape];
      if (numel(out) !== numel(x) || !vectorLike(x) || !vectorLike(out)) {
        fail(node, `only reshapes between [N, C] and [N, C, 1, ..., 1] are supported, got [${x}] -> [${out}]`);
      }
      return out;
    }
    case 'fc': {
      if (x.length !== 2 && x.length !== 4) fail(node, `input must have rank 2 or 4 (flattened), got [${x}]`);
      const [outK, k] = node.weight.shape;
      if (k !== numel(x) / x[0]) fail(node, `weight expects ${k} inputs, input has ${numel(x) / x[0]}`);
      expectParam(node, node.weight, [outK, k], 'weight');
      expectParam(node, node.bias, [outK], 'bias');
      return [x[0], outK];
    }
    case 'se': {
      expectRank(node, x, 4);
      const c = x[1];
      const hidden = node.fc1.weight.shape[0];
      expectParam(node, node.fc1.weight, [hidden, c], 'fc1 weight');
      expectParam(node, node.fc1.bias, [hidden], 'fc1 bias');
      expectParam(node, node.fc2.weight, [c, hidden], 'fc2 weight');
      expectParam(node, node.fc2.bias, [c], 'fc2 bias');
      if (ins[1] && ins[1].join() !== x.join()) fail(node, `residual [${ins[1]}] differs from input [${x}]`);
      return x;
    }
  }
}

/** Every tensor's shape for the given input dims; checks that each input is defined before use. */
export function inferShapes(graph: Graph, dims: InputDims): Map<string, Shape> {
  const shapes = new Map<string, Shape>([
    [graph.input.name, [dims.batch, graph.input.channels, dims.height, dims.width]],
  ]);
  for (const node of graph.nodes) {
    const ins = node.inputs.map((name) => {
      const s = shapes.get(name);
      if (!s) fail(node, `input '${name}' is not produced by any earlier node`);
      return s;
    });
    if (shapes.has(node.output)) fail(node, `output '${node.output}' is already defined`);
    shapes.set(node.output, inferNode(node, ins));
  }
  if (!shapes.has(graph.output)) throw new GraphError(`graph output '${graph.output}' is not produced by any node`);
  return shapes;
}

export const numel = (shape: Shape): number => shape.reduce((a, b) => a * b, 1);
