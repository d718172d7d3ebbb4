// The SE ablation at inference (the paper's "role of excitation" section): chosen SE blocks run with
// their gates set to 1, i.e. the block becomes the identity (or its residual sum).
import { OptionError } from '../../errors.js';
import type { Graph, Node, SeNode } from '../ir.js';
import { optimize } from './index.js';

/** A fused SE block of an optimized graph, in depth order (the order of session.run's excitations). */
export interface SeBlock {
  index: number;
  name: string;
  /**
   * The graph's stage label where every SE node has one (built-in models: conv2_x ... conv5_x);
   * else 'stage1', 'stage2', ...: consecutive blocks of one channel count (a ResNet's stages
   * differ in width), which is all an ONNX file tells.
   */
  stage: string;
  channels: number;
}

/** The fused SE blocks of an optimized graph (see optimize), in depth order. */
export function seBlocks(graph: Graph): SeBlock[] {
  const nodes = graph.nodes.filter((n): n is SeNode => n.op === 'se');
  const labelled = nodes.every((n) => n.stage !== undefined);
  let stage = 0;
  return nodes.map((n, index) => {
    const channels = n.fc1.weight.shape[1];
    if (index === 0 || channels !== nodes[index - 1].fc1.weight.shape[1]) stage++;
    return { index, name: n.name, stage: labelled ? n.stage! : `stage${stage}`, channels };
  });
}

/**
 * The blocks `select` names: each an index in depth order (a number or its digits), a block name,
 * or a stage label (all of that stage's blocks). An unknown one is an OptionError.
 */
export function selectSeBlocks(blocks: SeBlock[], select: readonly (number | string)[]): Set<number> {
  const chosen = new Set<number>();
  for (const s of select) {
    const text = String(s);
    const hits = /^\d+$/.test(text) ? blocks.filter((b) => b.index === Number(text)) : blocks.filter((b) => b.name === text || b.stage === text);
    if (!hits.length) {
      const stages = [...new Set(blocks.map((b) => b.stage))].join(', ');
      throw new OptionError(blocks.length
        ? `no SE block '${text}': give an index from 0 to ${blocks.length - 1}, a block name, or a stage (${stages})`
        : `no SE block '${text}': the graph has no fused SE blocks`);
    }
    for (const b of hits) chosen.add(b.index);
  }
  return chosen;
}

/**
 * `graph` optimized, with the selected SE blocks' gates set to 1: a block with a fused residual
 * becomes that sum (and its ReLU), one without becomes the identity (its readers read its input).
 * Compile the result like any graph. With nothing selected it is `optimize(graph)`.
 */
export function removeSe(graph: Graph, select: readonly (number | string)[]): Graph {
  const optimized = optimize(graph);
  const chosen = selectSeBlocks(seBlocks(optimized), select);
  const renamed = new Map<string, string>();
  const nodes: Node[] = [];
  let index = 0;
  for (const node of optimized.nodes) {
    const n = { ...node, inputs: node.inputs.map((t) => renamed.get(t) ?? t) } as Node;
    if (n.op !== 'se' || !chosen.has(index++)) nodes.push(n);
    else if (n.inputs.length === 2) nodes.push({ op: 'add', name: n.name, inputs: n.inputs, output: n.output, act: n.residualAct, stage: n.stage });
    else renamed.set(n.output, n.inputs[0]);
  }
  return { ...optimized, nodes, output: renamed.get(optimized.output) ?? optimized.output };
}
