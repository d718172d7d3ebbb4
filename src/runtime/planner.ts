import type { Graph, Node } from '../graph/ir.js';
import { numel, type Shape } from '../graph/shapes.js';
import { DEFAULT_CONTEXT, opSpec, type OpContext } from '../ops/table.js';

const ALIGN = 16;
const alignUp = (n: number): number => Math.ceil(n / ALIGN) * ALIGN;

/** A block of the activation arena and the steps it lives through (first..last, inclusive). */
export interface ArenaBuffer {
  id: number;
  bytes: number;
  first: number; // -1: written before the first step (the graph input)
  last: number; // steps.length: read after the last step (the graph output)
  offset: number;
}

export interface PlanStep {
  node: Node;
  inputs: number[]; // buffer ids
  output: number;
  workspace?: number;
  /** The output is a channel slice of a concatenation's buffer: where it starts, pixels how many floats apart. */
  outputSlice?: { byteOffset: number; stride: number };
  /** concat: the inputs already written into their slices by their producers. */
  written?: boolean[];
}

export interface MemoryPlan {
  steps: PlanStep[];
  buffers: ArenaBuffer[];
  tensorBuffer: Map<string, number>;
  arenaBytes: number;
}

/**
 * The inputs of each concatenation that their producers can write straight into their channel
 * slice of its output (no copy): 4-D, produced by an op whose kernel writes a strided output, read
 * by nothing but this concatenation, and listed once. Tensor -> the concat and its channel offset.
 */
export function concatSlices(graph: Graph, shapes: Map<string, Shape>): Map<string, { concat: Node; channel: number }> {
  const readers = new Map<string, number>([[graph.output, 1]]);
  for (const n of graph.nodes) for (const t of n.inputs) readers.set(t, (readers.get(t) ?? 0) + 1);
  const producer = new Map(graph.nodes.map((n) => [n.output, n]));
  const slices = new Map<string, { concat: Node; channel: number }>();
  for (const node of graph.nodes) {
    if (node.op !== 'concat') continue;
    let channel = 0;
    for (const t of node.inputs) {
      const p = producer.get(t), shape = shapes.get(t)!;
      if (p && shape.length === 4 && readers.get(t) === 1 && opSpec(p).stridedOutput?.(p as never)) slices.set(t, { concat: node, channel });
      channel += shape[1];
    }
  }
  return slices;
}

/**
 * Gives every tensor a buffer and every buffer an arena offset. A tensor shares its input's
 * buffer when the op is an alias (flatten) or may work in place and that input dies at this step,
 * or is written into its slice of a concatenation (concatSlices); offsets are assigned greedily,
 * largest buffer first, to the lowest gap free for its whole life.
 */
export function planMemory(graph: Graph, shapes: Map<string, Shape>, ctx: OpContext = DEFAULT_CONTEXT): MemoryPlan {
  const lastRead = new Map<string, number>();
  graph.nodes.forEach((n, i) => n.inputs.forEach((t) => lastRead.set(t, i)));
  lastRead.set(graph.output, graph.nodes.length);
  const slices = concatSlices(graph, shapes);
  /** A concatenation's output buffer, made when its first slice is written. */
  const concatBuffer = new Map<Node, number>();

  const buffers: ArenaBuffer[] = [];
  const tensorBuffer = new Map<string, number>();
  const newBuffer = (bytes: number, first: number, last: number): number => {
    buffers.push({ id: buffers.length, bytes: alignUp(bytes), first, last, offset: 0 });
    return buffers.length - 1;
  };
  const bytesOf = (t: string) => 4 * numel(shapes.get(t)!);
  const extend = (id: number, t: string) => {
    buffers[id].last = Math.max(buffers[id].last, lastRead.get(t) ?? buffers[id].first);
  };

  tensorBuffer.set(graph.input.name, newBuffer(bytesOf(graph.input.name), -1, -1));
  extend(0, graph.input.name);

  const steps = graph.nodes.map((node, i): PlanStep => {
    const spec = opSpec(node);
    const inputs = node.inputs.map((t) => tensorBuffer.get(t)!);
    const ins = node.inputs.map((t) => shapes.get(t)!);
    const out = shapes.get(node.output)!;
    let output: number | undefined;
    let outputSlice: PlanStep['outputSlice'];
    const slice = slices.get(node.output);
    if (slice) {
      const whole = shapes.get(slice.concat.output)!;
      output = concatBuffer.get(slice.concat) ?? newBuffer(4 * numel(whole), i, i);
      concatBuffer.set(slice.concat, output);
      outputSlice = { byteOffset: 4 * slice.channel, stride: whole[1] };
    } else if (node.op === 'concat') {
      output = concatBuffer.get(node);
    }
    if (spec.alias) output = inputs[0];
    for (const k of spec.inPlace ?? []) {
      if (output !== undefined || k >= inputs.length) break;
      const b = buffers[inputs[k]];
      // Same shape, not only the same size: a broadcast operand of the output's size may be laid
      // out differently (rank 3 row-major against rank 4 NHWC).
      if (b.last === i && ins[k].join() === out.join()) output = b.id;
    }
    output ??= newBuffer(bytesOf(node.output), i, i);
    tensorBuffer.set(node.output, output);
    extend(output, node.output);
    const ws = spec.workspace?.(node as never, ins, out, ctx) ?? 0;
    return {
      node, inputs, output, workspace: ws > 0 ? newBuffer(ws, i, i) : undefined, outputSlice,
      ...(node.op === 'concat' && { written: node.inputs.map((t) => slices.get(t)?.concat === node) }),
    };
  });

  // Greedy by size (as TFLite's arena planner): each buffer takes the lowest gap that no buffer
  // placed before it and alive at the same time occupies.
  const placed: ArenaBuffer[] = [];
  let arenaBytes = 0;
  for (const b of [...buffers].sort((x, y) => y.bytes - x.bytes || x.first - y.first)) {
    const busy = placed
      .filter((p) => p.first <= b.last && b.first <= p.last)
      .sort((x, y) => x.offset - y.offset);
    let offset = 0;
    for (const p of busy) {
      if (p.offset - offset >= b.bytes) break;
      offset = Math.max(offset, p.offset + p.bytes);
    }
    b.offset = offset;
    placed.push(b);
    arenaBytes = Math.max(arenaBytes, offset + b.bytes);
  }
  return { steps, buffers, tensorBuffer, arenaBytes };
}
