// The graph IR: what builders and the ONNX reader produce, passes rewrite, and the planner compiles.
// Tensors are named; logical shapes are NCHW as in PyTorch and ONNX ([N, C, H, W] feature maps,
// [N, K] vectors). The engine's memory layout (NHWC) is its own business and never shows here.

export type Activation =
  | 'none' | 'relu' | 'relu6' | 'sigmoid' | 'hardsigmoid' | 'silu' | 'hardswish' | 'tanh';

export const ACTIVATIONS: readonly Activation[] =
  ['none', 'relu', 'relu6', 'sigmoid', 'hardsigmoid', 'silu', 'hardswish', 'tanh'];

/** A parameter tensor. `data` is absent in a structure-only graph (counting needs shapes only). */
export interface Param {
  shape: number[];
  data?: Float32Array;
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

/** x [N, C, H, W] times s [N, C] or [N, C, 1, 1], broadcast over H and W: the SE scale. */
export interface MulNode extends NodeBase {
  op: 'mul';
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

/** Fully connected: [N, K] -> [N, outK], y = act(x W^T + b). */
export interface FcNode extends NodeBase {
  op: 'fc';
  weight: Param; // [outK, K]
  bias?: Param; // [outK]
  act: Activation;
}

export interface SoftmaxNode extends NodeBase {
  op: 'softmax';
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

export type Node =
  | ConvNode | BatchNormNode | ActivationNode | AddNode | MulNode | PoolNode | GlobalPoolNode
  | FlattenNode | ReshapeNode | FcNode | SoftmaxNode | SeNode;

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
