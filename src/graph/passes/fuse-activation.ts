import type { Graph, Node } from '../ir.js';
import { consumerCounts, producers, rewrite } from './util.js';

const FUSABLE = new Set<Node['op']>(['conv', 'fc', 'add', 'binary']);

/** Moves an activation into the epilogue of the conv, FC, add or binary op before it. Returns a new graph. */
export function fuseActivation(graph: Graph): Graph {
  const uses = consumerCounts(graph);
  const from = producers(graph);
  const replaced = new Map<Node, Node>();
  const dropped = new Set<Node>();
  for (const node of graph.nodes) {
    if (node.op !== 'activation') continue;
    const prev = from.get(node.inputs[0]);
    if (!prev || !FUSABLE.has(prev.op) || uses.get(prev.output) !== 1) continue;
    const current = replaced.get(prev) ?? prev;
    if (!('act' in current) || current.act !== 'none') continue;
    replaced.set(prev, { ...current, act: node.act, output: node.output } as Node);
    dropped.add(node);
  }
  return rewrite(graph, replaced, dropped);
}
