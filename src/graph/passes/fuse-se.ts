import type { Graph, Node, SeNode } from '../ir.js';
import { consumerCounts, producers } from './util.js';

const GATES = new Set(['sigmoid', 'hardsigmoid', 'tanh', 'relu', 'none']);

/**
 * Recognises the SE chain  x -> globalpool -> flatten -> fc(act) -> fc(gate) -> mul(x, s)  (after
 * activations were fused into the FCs) and replaces it with one 'se' node. Every intermediate must
 * feed only the next step. Returns a new graph.
 */
export function fuseSqueezeExcite(graph: Graph): Graph {
  const uses = consumerCounts(graph);
  const from = producers(graph);
  const only = (t: string) => uses.get(t) === 1;
  const fused = new Map<Node, SeNode>();
  const dropped = new Set<Node>();
  for (const mul of graph.nodes) {
    if (mul.op !== 'mul') continue;
    const [x, s] = mul.inputs;
    const fc2 = from.get(s);
    if (fc2?.op !== 'fc' || !only(fc2.output) || !GATES.has(fc2.act)) continue;
    const fc1 = from.get(fc2.inputs[0]);
    if (fc1?.op !== 'fc' || !only(fc1.output)) continue;
    const flat = from.get(fc1.inputs[0]);
    if (flat?.op !== 'flatten' || !only(flat.output)) continue;
    const pool = from.get(flat.inputs[0]);
    if (pool?.op !== 'globalpool' || !only(pool.output) || pool.inputs[0] !== x) continue;
    fused.set(mul, {
      op: 'se', name: `${mul.name}_se`, inputs: [x], output: mul.output, stage: mul.stage,
      squeeze: pool.mode, fc1: { weight: fc1.weight, bias: fc1.bias }, act: fc1.act,
      fc2: { weight: fc2.weight, bias: fc2.bias }, gate: fc2.act, residualAct: 'none',
    });
    for (const n of [pool, flat, fc1, fc2]) dropped.add(n);
  }
  return { ...graph, nodes: graph.nodes.filter((n) => !dropped.has(n)).map((n) => fused.get(n) ?? n) };
}

/**
 * Folds the residual sum (and its ReLU) that follows an SE block into the block's scale, so the
 * excitation, the sum and the ReLU are one pass over memory. The fused node takes the add's place
 * in the order, where both of its inputs exist.
 */
export function fuseSeResidual(graph: Graph): Graph {
  const uses = consumerCounts(graph);
  const from = producers(graph);
  const fused = new Map<Node, SeNode>();
  const dropped = new Set<Node>();
  for (const add of graph.nodes) {
    if (add.op !== 'add' || (add.act !== 'none' && add.act !== 'relu')) continue;
    for (const side of [0, 1]) {
      const se = from.get(add.inputs[side]);
      if (se?.op !== 'se' || se.inputs.length !== 1 || uses.get(se.output) !== 1 || dropped.has(se)) continue;
      fused.set(add, { ...se, inputs: [se.inputs[0], add.inputs[1 - side]], output: add.output, residualAct: add.act });
      dropped.add(se);
      break;
    }
  }
  return { ...graph, nodes: graph.nodes.filter((n) => !dropped.has(n)).map((n) => fused.get(n) ?? n) };
}
