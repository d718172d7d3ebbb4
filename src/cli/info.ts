import { complexity } from '../graph/complexity.js';
import type { Graph, InputDims, Node } from '../graph/ir.js';
import { optimize } from '../graph/passes/index.js';

export interface StageRow {
  stage: string;
  outShape: number[];
  params: number;
  macs: number;
  paperFlops: number;
}

/** One step of the plan the engine runs: a node of the optimized graph. */
export interface PlanRow {
  name: string;
  op: Node['op'];
  detail: string;
  outShape: number[];
  macs: number;
}

export interface ModelInfo {
  model: string;
  input: number[];
  params: number;
  macs: number;
  paperFlops: number;
  stages: StageRow[];
  /** SE blocks of the source graph (its mul nodes) and how many the passes fused into 'se' steps. */
  seBlocks: { found: number; fused: number };
  plan: PlanRow[];
}

function detail(n: Node): string {
  switch (n.op) {
    case 'conv': {
      const [o, i, kh, kw] = n.weight.shape;
      return `${kh}x${kw}/${n.stride[0]} ${i * n.group}->${o}${n.group > 1 ? ` g${n.group}` : ''}${n.act !== 'none' ? ` +${n.act}` : ''}`;
    }
    case 'fc': return `${n.weight.shape[1]}->${n.weight.shape[0]}${n.act !== 'none' ? ` +${n.act}` : ''}`;
    case 'se': return `${n.squeeze} squeeze, ${n.fc1.weight.shape[1]}->${n.fc1.weight.shape[0]} ${n.act}, gate ${n.gate}${n.inputs.length > 1 ? `, +residual${n.residualAct === 'relu' ? ' +relu' : ''}` : ''}`;
    case 'pool': return `${n.mode} ${n.kernel.join('x')}/${n.stride[0]}`;
    case 'globalpool': return n.mode;
    case 'activation': case 'add': return n.act;
    default: return '';
  }
}

/** Parameters and operations of a graph, per stage (the paper's conv1, conv2_x, ...) and in total. */
export function modelInfo(graph: Graph, dims: InputDims): ModelInfo {
  const c = complexity(graph, dims);
  const stages: StageRow[] = [];
  for (const n of c.nodes) {
    const name = n.stage ?? '-';
    let row = stages.find((s) => s.stage === name);
    if (!row) stages.push((row = { stage: name, outShape: n.outShape, params: 0, macs: 0, paperFlops: 0 }));
    row.outShape = n.outShape;
    row.params += n.params;
    row.macs += n.macs;
    row.paperFlops += n.macs + n.seOps;
  }
  const optimized = optimize(graph);
  const steps = complexity(optimized, dims).nodes;
  const plan = optimized.nodes.map((n, i) => ({ name: n.name, op: n.op, detail: detail(n), outShape: steps[i].outShape, macs: steps[i].macs }));
  return {
    model: graph.name, input: [dims.batch, graph.input.channels, dims.height, dims.width],
    params: c.params, macs: c.macs, paperFlops: c.paperFlops, stages,
    seBlocks: { found: graph.nodes.filter((n) => n.op === 'mul').length, fused: plan.filter((p) => p.op === 'se').length },
    plan,
  };
}

export function formatInfo(info: ModelInfo, showPlan: boolean): string {
  const m = (v: number) => (v / 1e6).toFixed(2).padStart(9);
  const g = (v: number) => (v / 1e9).toFixed(3).padStart(8);
  const lines = [
    `${info.model}  input [${info.input}]`,
    `${'stage'.padEnd(14)}${'output'.padEnd(20)}${'params (M)'.padStart(11)}${'GMACs'.padStart(9)}${'GFLOPs*'.padStart(9)}`,
    ...info.stages.map((s) => `${s.stage.padEnd(14)}${`[${s.outShape}]`.padEnd(20)}${m(s.params)}  ${g(s.macs)} ${g(s.paperFlops)}`),
    `${'total'.padEnd(34)}${m(info.params)}  ${g(info.macs)} ${g(info.paperFlops)}`,
    '* the paper\'s convention (Hu et al., Table 2): conv and FC multiply-adds plus SE squeeze and scale',
    `SE blocks: ${info.seBlocks.found}, fused into one step each: ${info.seBlocks.fused}; plan: ${info.plan.length} steps`,
  ];
  if (showPlan) {
    lines.push('', `${'step'.padEnd(6)}${'op'.padEnd(12)}${'detail'.padEnd(46)}${'output'.padEnd(20)}${'MMACs'.padStart(9)}`);
    info.plan.forEach((p, i) => lines.push(
      `${String(i).padEnd(6)}${p.op.padEnd(12)}${p.detail.slice(0, 45).padEnd(46)}${`[${p.outShape}]`.padEnd(20)}${(p.macs / 1e6).toFixed(2).padStart(9)}`));
  }
  return lines.join('\n');
}
