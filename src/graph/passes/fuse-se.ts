import { reshapeParam, type Activation, type Graph, type Node, type Param, type SeNode } from '../ir.js';
import { consumerCounts, producers, rewrite } from './util.js';

const GATES = new Set(['sigmoid', 'hardsigmoid', 'tanh', 'relu', 'none']);

/** One excitation step as the 'se' node holds it: weight [out, in], bias, fused activation. */
interface Linear { weight: Param; bias?: Param; act: Activation; input: string }

/**
 * An FC on [N, K], or a convolution that is an FC in disguise: 1x1 kernel, stride 1, no padding,
 * one group (on a [N, C, 1, 1] tensor: see fuseSqueezeExcite). The conv's weight [out, in, 1, 1]
 * is the FC's [out, in]: the same values, only the shape differs.
 */
function asLinear(node: Node | undefined): Linear | undefined {
  if (node?.op === 'fc') return { weight: node.weight, bias: node.bias, act: node.act, input: node.inputs[0] };
  if (node?.op !== 'conv') return undefined;
  const [out, inC, kH, kW] = node.weight.shape;
  const pointwise = kH === 1 && kW === 1 && node.group === 1 && node.stride.every((v) => v === 1)
    && node.pads.every((p) => p === 0);
  if (!pointwise) return undefined;
  return { weight: reshapeParam(node.weight, [out, inC]), bias: node.bias, act: node.act, input: node.inputs[0] };
}

/** Reshapes between [N, C] and [N, C, 1, 1]: the same values (and the same bytes in NHWC). */
const RESHAPES: ReadonlySet<string> = new Set(['flatten', 'reshape']);

/**
 * Recognises the SE chain (after activations were fused into the FCs or convs) and replaces it with
 * one 'se' node:  x -> globalpool -> step(act) -> step(gate) -> mul(x, s),  where a step is an FC
 * or a pointwise conv (see asLinear), and flatten / reshape may sit anywhere between the squeeze
 * and the mul. So one matcher takes every spelling exports use:
 *   globalpool -> flatten -> fc(act) -> fc(gate) [-> reshape] -> mul     (Caffe, the paper)
 *   globalpool -> conv1x1(act) -> conv1x1(gate) -> mul                    (torchvision, timm)
 * A conv step only ever sees [N, C, 1, 1] here: the squeeze made it, and reshapes and pointwise
 * convs keep it (a conv on a flattened [N, C] would not pass shape inference). Every intermediate
 * must feed only the next step. Returns a new graph.
 */
export function fuseSqueezeExcite(graph: Graph): Graph {
  const uses = consumerCounts(graph);
  const from = producers(graph);
  const only = (t: string) => uses.get(t) === 1;
  /** The node behind `t`, through reshapes; undefined unless every tensor on the way is read once. */
  const upstream = (t: string): { node?: Node; via: Node[] } | undefined => {
    const via: Node[] = [];
    for (;;) {
      if (!only(t)) return undefined;
      const node = from.get(t);
      if (!node || !RESHAPES.has(node.op)) return { node, via };
      via.push(node);
      t = node.inputs[0];
    }
  };
  const fused = new Map<Node, SeNode>();
  const dropped = new Set<Node>();
  for (const mul of graph.nodes) {
    if (mul.op !== 'mul') continue;
    const [x, s] = mul.inputs;
    const toGate = upstream(s);
    const fc2 = asLinear(toGate?.node);
    if (!toGate || !fc2 || !GATES.has(fc2.act)) continue;
    const toAct = upstream(fc2.input);
    const fc1 = asLinear(toAct?.node);
    if (!toAct || !fc1) continue;
    const toPool = upstream(fc1.input);
    const pool = toPool?.node;
    if (!toPool || pool?.op !== 'globalpool' || pool.inputs[0] !== x) continue;
    fused.set(mul, {
      op: 'se', name: `${mul.name}_se`, inputs: [x], output: mul.output, stage: mul.stage,
      squeeze: pool.mode, fc1: { weight: fc1.weight, bias: fc1.bias }, act: fc1.act,
      fc2: { weight: fc2.weight, bias: fc2.bias }, gate: fc2.act, residualAct: 'none',
    });
    for (const n of [pool, ...toPool.via, toAct.node!, ...toAct.via, toGate.node!, ...toGate.via]) dropped.add(n);
  }
  return rewrite(graph, fused, dropped);
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
  return rewrite(graph, fused, dropped);
}
