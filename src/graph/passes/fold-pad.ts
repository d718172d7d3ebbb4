import type { Graph, Node } from '../ir.js';
import { consumerCounts, producers, rewrite } from './util.js';

const add4 = (a: number[], b: number[]) => a.map((v, i) => v + b[i]) as [number, number, number, number];

/**
 * Folds a zero Pad into the conv or average pool that is its one reader (how TF converters and
 * some PyTorch exports write padding): the conv pads with zeros itself; an average pool counts
 * the folded zeros as the original counted them (they were values), which is count_include_pad,
 * so only a pool that counts its own padding too, or has none, takes it. A max pool, a ceil-mode
 * pool, a non-zero value or a pad the pool's window could not span stay a Pad. Returns a new graph.
 */
export function foldPad(graph: Graph): Graph {
  const uses = consumerCounts(graph);
  const from = producers(graph);
  const replaced = new Map<Node, Node>();
  const dropped = new Set<Node>();
  for (const node of graph.nodes) {
    if (node.op !== 'conv' && node.op !== 'pool') continue;
    const pad = from.get(node.inputs[0]);
    if (pad?.op !== 'pad' || pad.value !== 0 || uses.get(pad.output) !== 1) continue;
    const pads = add4(node.pads, pad.pads);
    if (node.op === 'pool') {
      const ownPads = node.pads.some((p) => p > 0);
      const fits = pads[0] < node.kernel[0] && pads[2] < node.kernel[0] && pads[1] < node.kernel[1] && pads[3] < node.kernel[1];
      // Ceil mode: which windows exist depends on where the padding ends, so the sizes could differ.
      if (node.mode !== 'avg' || node.ceilMode || (ownPads && !node.countIncludePad) || !fits) continue;
      replaced.set(node, { ...node, inputs: [pad.inputs[0]], pads, countIncludePad: true });
    } else {
      replaced.set(node, { ...node, inputs: [pad.inputs[0]], pads });
    }
    dropped.add(pad);
  }
  return rewrite(graph, replaced, dropped);
}
