import type { Graph, Node } from '../ir.js';

/** How many times each tensor is read (the graph output counts as one more read). */
export function consumerCounts(graph: Graph): Map<string, number> {
  const uses = new Map<string, number>([[graph.output, 1]]);
  for (const node of graph.nodes) for (const t of node.inputs) uses.set(t, (uses.get(t) ?? 0) + 1);
  return uses;
}

/** The node that produces each tensor. */
export function producers(graph: Graph): Map<string, Node> {
  return new Map(graph.nodes.map((n) => [n.output, n]));
}

/** The graph with `dropped` nodes left out and each node in `replaced` swapped for its rewrite, in order. */
export function rewrite(graph: Graph, replaced: Map<Node, Node>, dropped: Set<Node>): Graph {
  return { ...graph, nodes: graph.nodes.filter((n) => !dropped.has(n)).map((n) => replaced.get(n) ?? n) };
}
