import { lazyParam, paramSource, type BatchNormNode, type ConvNode, type Graph, type Node } from '../ir.js';
import { consumerCounts, producers } from './util.js';

/**
 * The folded weight and bias, or undefined for a structure-only graph (shapes, no values). The
 * weight is lazy: its values are made when read, and packing scales while it copies.
 */
function foldValues(conv: ConvNode, bn: BatchNormNode): Pick<ConvNode, 'weight' | 'bias'> | undefined {
  const [outC] = conv.weight.shape;
  const source = paramSource(conv.weight);
  const g = bn.scale.data, beta = bn.bias.data, mean = bn.mean.data, v = bn.variance.data;
  if (!source || !g || !beta || !mean || !v) return undefined;
  const rowScale = new Float64Array(outC);
  const bias = new Float32Array(outC);
  for (let o = 0; o < outC; o++) {
    rowScale[o] = g[o] / Math.sqrt(v[o] + bn.epsilon);
    bias[o] = ((conv.bias?.data?.[o] ?? 0) - mean[o]) * rowScale[o] + beta[o];
  }
  // A weight scaled already (a second fold) is made first: one factor per row.
  const base = source.rowScale ? { values: conv.weight.data } : source;
  return { weight: lazyParam(conv.weight.shape, { ...base, rowScale }), bias: { shape: [outC], data: bias } };
}

/**
 * Folds a BatchNorm into the convolution before it (when the conv feeds nothing else):
 * w' = w * g / sqrt(v + eps) per output channel, b' = (b - mean) * g / sqrt(v + eps) + beta.
 * Returns a new graph; the input graph and its weight arrays are left untouched. A structure-only
 * graph folds too (shapes only), so `info` shows the plan the engine would run.
 */
export function foldBatchNorm(graph: Graph): Graph {
  const uses = consumerCounts(graph);
  const from = producers(graph);
  const folded = new Map<string, ConvNode>(); // bn output -> folded conv
  const dropped = new Set<Node>();
  for (const node of graph.nodes) {
    if (node.op !== 'batchnorm') continue;
    const conv = from.get(node.inputs[0]);
    if (conv?.op !== 'conv' || conv.act !== 'none' || uses.get(conv.output) !== 1) continue;
    const [outC] = conv.weight.shape;
    folded.set(node.output, {
      ...conv, output: node.output, name: conv.name,
      ...(foldValues(conv, node) ?? { weight: { shape: conv.weight.shape }, bias: { shape: [outC] } }),
    });
    dropped.add(conv);
  }
  const nodes = graph.nodes
    .filter((n) => !dropped.has(n))
    .map((n) => folded.get(n.output) ?? n);
  return { ...graph, nodes };
}
