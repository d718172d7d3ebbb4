import { complexity } from '../graph/complexity.js';
import type { Graph, InputDims } from '../graph/ir.js';

export interface StageRow {
  stage: string;
  outShape: number[];
  params: number;
  macs: number;
  paperFlops: number;
}

export interface ModelInfo {
  model: string;
  input: number[];
  params: number;
  macs: number;
  paperFlops: number;
  stages: StageRow[];
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
  return {
    model: graph.name, input: [dims.batch, graph.input.channels, dims.height, dims.width],
    params: c.params, macs: c.macs, paperFlops: c.paperFlops, stages,
  };
}

export function formatInfo(info: ModelInfo): string {
  const m = (v: number) => (v / 1e6).toFixed(2).padStart(9);
  const g = (v: number) => (v / 1e9).toFixed(3).padStart(8);
  const lines = [
    `${info.model}  input [${info.input}]`,
    `${'stage'.padEnd(10)}${'output'.padEnd(20)}${'params (M)'.padStart(11)}${'GMACs'.padStart(9)}${'GFLOPs*'.padStart(9)}`,
    ...info.stages.map((s) => `${s.stage.padEnd(10)}${`[${s.outShape}]`.padEnd(20)}${m(s.params)}  ${g(s.macs)} ${g(s.paperFlops)}`),
    `${'total'.padEnd(30)}${m(info.params)}  ${g(info.macs)} ${g(info.paperFlops)}`,
    '* the paper\'s convention (Hu et al., Table 2): conv and FC multiply-adds plus SE squeeze and scale',
  ];
  return lines.join('\n');
}
