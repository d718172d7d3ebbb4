import type { Graph, InputDims, Node } from './ir.js';
import { inferShapes, numel, type Shape } from './shapes.js';

export interface NodeComplexity {
  name: string;
  op: Node['op'];
  stage?: string;
  outShape: Shape;
  params: number;
  /** Multiply-accumulates of conv and FC layers. */
  macs: number;
  /** The SE squeeze additions and scale multiplications, which the paper adds to its GFLOPs. */
  seOps: number;
}

export interface Complexity {
  params: number;
  macs: number;
  /** The paper's convention (Hu et al., Table 2): conv and FC multiply-adds plus SE squeeze and scale. */
  paperFlops: number;
  nodes: NodeComplexity[];
}

const size = (p?: { shape: number[] }): number => (p ? numel(p.shape) : 0);

/**
 * Parameters as PyTorch counts them (BatchNorm: scale and shift; running statistics are buffers),
 * and multiply-accumulates at the given input size.
 */
export function complexity(graph: Graph, dims: InputDims): Complexity {
  const shapes = inferShapes(graph, dims);
  const nodes = graph.nodes.map((node): NodeComplexity => {
    const out = shapes.get(node.output)!;
    const x = shapes.get(node.inputs[0])!;
    let params = 0, macs = 0, seOps = 0;
    switch (node.op) {
      case 'conv': {
        const [, inCg, kH, kW] = node.weight.shape;
        params = size(node.weight) + size(node.bias);
        macs = numel(out) * inCg * kH * kW;
        break;
      }
      case 'fc':
        params = size(node.weight) + size(node.bias);
        macs = numel(out) * node.weight.shape[1];
        break;
      case 'batchnorm':
        params = 2 * x[1];
        break;
      case 'mul':
        seOps = 2 * numel(x); // the scale, and the squeeze that read the same map
        break;
      case 'se':
        params = size(node.fc1.weight) + size(node.fc1.bias) + size(node.fc2.weight) + size(node.fc2.bias);
        macs = x[0] * (size(node.fc1.weight) + size(node.fc2.weight));
        seOps = 2 * numel(x);
        break;
    }
    return { name: node.name, op: node.op, stage: node.stage, outShape: out, params, macs, seOps };
  });
  const sum = (f: (n: NodeComplexity) => number) => nodes.reduce((a, n) => a + f(n), 0);
  const macs = sum((n) => n.macs);
  return { params: sum((n) => n.params), macs, paperFlops: macs + sum((n) => n.seOps), nodes };
}
