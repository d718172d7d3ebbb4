import { GraphError } from '../errors.js';
import { valueCount, type Graph, type InputDims, type Node, type Param } from './ir.js';

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
  if (param.shape.join() !== shape.join()) {
    fail(node, `${what} has shape [${param.shape}], expected [${shape}]`);
  }
  const count = valueCount(param);
  if (count !== undefined && count !== shape.reduce((a, b) => a * b, 1)) {
    fail(node, `${what} holds ${count} values, its shape [${shape}] needs ${shape.reduce((a, b) => a * b, 1)}`);
  }
}

/** The output shape of one node, given its inputs' shapes; throws GraphError naming the node. */
export function inferNode(node: Node, ins: Shape[]): Shape {
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
      if (node.op === 'softmax') expectRank(node, x, 2);
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
      expectRank(node, x, 2);
      const [outK, k] = node.weight.shape;
      if (k !== x[1]) fail(node, `weight expects ${k} inputs, input has ${x[1]}`);
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
