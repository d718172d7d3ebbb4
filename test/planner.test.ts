// Property tests of planMemory on random graphs, plus hand-made graphs whose reuse is known.
// The checks never trust the planner's own bookkeeping: every tensor's life is recomputed from
// the graph (produced at step p, last read at step L; the input is produced at -1, the graph
// output is read at steps.length), and memory safety is checked byte by byte between tensors.
import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../src/graph/builder.js';
import type { Activation, Graph, InputDims } from '../src/graph/ir.js';
import { optimize } from '../src/graph/passes/index.js';
import { Random } from '../src/graph/random.js';
import { inferShapes, numel, windowOutput, type Shape } from '../src/graph/shapes.js';
import { opSpec, type OpContext } from '../src/ops/table.js';
import { planMemory, type MemoryPlan } from '../src/runtime/planner.js';

// ---------------------------------------------------------------------------------------------
// Random graphs

const ACTS: Activation[] = ['relu', 'relu6', 'sigmoid', 'hardsigmoid', 'silu', 'hardswish', 'tanh'];

interface RandomCase {
  graph: Graph;
  dims: InputDims;
  optimized: boolean;
}

function randomGraph(seed: number): RandomCase {
  const r = new Random(seed * 7919 + 13);
  const int = (lo: number, hi: number) => lo + Math.floor(r.uniform() * (hi - lo + 1));
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r.uniform() * xs.length)];
  const chance = (p: number) => r.uniform() < p;

  const dims: InputDims = { batch: int(1, 2), height: int(3, 14), width: int(3, 14) };
  const inC = int(1, 8);
  const b = new GraphBuilder(`random-${seed}`, 'input', inC, { seed, weights: chance(0.25) });
  // Shapes without N: [C, H, W] for feature maps, [K] for vectors.
  const shape = new Map<string, number[]>([['input', [inC, dims.height, dims.width]]]);
  const order: string[] = ['input'];
  const put = (t: string, s: number[]) => {
    if (!shape.has(t)) order.push(t);
    shape.set(t, s);
    return t;
  };
  // Mostly the newest tensors (chains), sometimes any earlier one (long lifetimes, many reads).
  const choose = (rank: 1 | 3 | 0): string | undefined => {
    const ok = order.filter((t) => rank === 0 || shape.get(t)!.length === rank);
    if (!ok.length) return undefined;
    return chance(0.65) ? ok[ok.length - 1 - Math.min(ok.length - 1, Math.floor(r.uniform() * 2))] : pick(ok);
  };

  const steps = int(2, 24);
  for (let s = 0; s < steps; s++) {
    const kind = pick(['conv', 'conv', 'act', 'act', 'bn', 'add', 'add', 'se', 'pool', 'head', 'vec'] as const);
    const x4 = choose(3)!; // the input is always rank 3 here, so there is one
    const [c, h, w] = shape.get(x4)!;
    switch (kind) {
      case 'conv': {
        const k = pick([1, 3, 3, 5]);
        const stride = pick([1, 1, 2]);
        const pad = chance(0.8) ? (k - 1) >> 1 : int(0, k - 1);
        const oh = windowOutput(h, k, stride, pad, pad), ow = windowOutput(w, k, stride, pad, pad);
        if (oh < 1 || ow < 1) break;
        let outC = chance(0.4) ? c : int(1, 16);
        let group = 1;
        if (chance(0.2) && c > 1) { group = c; outC = c; } // depthwise
        else if (chance(0.2) && c % 2 === 0) { group = 2; outC = 2 * int(1, 6); }
        const act = chance(0.3) ? pick(ACTS) : 'none';
        put(b.conv(x4, outC, { kernel: k, stride, pad, group, act, bias: chance(0.5) }), [outC, oh, ow]);
        break;
      }
      case 'act': {
        const x = choose(0)!;
        put(b.activation(x, pick(ACTS)), shape.get(x)!);
        break;
      }
      case 'bn':
        put(b.batchnorm(x4), [c, h, w]);
        break;
      case 'add': {
        // Two earlier tensors of one shape (maybe the same tensor twice); else make a partner.
        const same = order.filter((t) => shape.get(t)!.join() === shape.get(x4)!.join());
        const other = chance(0.3) ? x4 : same.length > 1 && chance(0.7)
          ? pick(same) : put(b.activation(x4, pick(ACTS)), [c, h, w]);
        const [a1, a2] = chance(0.5) ? [x4, other] : [other, x4];
        put(b.sum(a1, a2, chance(0.5) ? pick(['relu', 'none'] as const) : 'none'), [c, h, w]);
        break;
      }
      case 'se': {
        const o = {
          squeeze: pick(['avg', 'max'] as const), act: pick(['relu', 'silu'] as const),
          gate: pick(['sigmoid', 'hardsigmoid', 'tanh', 'relu'] as const), bias: chance(0.5),
        };
        const y = put(b.squeezeExcite(x4, int(1, Math.max(1, c)), o), [c, h, w]);
        // Its intermediates (later nodes may read them, which must stop the SE fusion).
        const known = inferShapes(b.build(y), dims);
        for (const n of b.nodes) if (!shape.has(n.output)) put(n.output, known.get(n.output)!.slice(1));
        // The SE-residual pattern (add after the SE's mul) sometimes.
        if (chance(0.5)) {
          const same = order.filter((t) => t !== y && shape.get(t)!.join() === [c, h, w].join());
          put(b.sum(y, chance(0.5) ? x4 : pick(same), chance(0.7) ? 'relu' : 'none'), [c, h, w]);
        }
        break;
      }
      case 'pool': {
        const k = pick([2, 3]);
        const stride = pick([1, 2]);
        const pad = chance(0.5) ? int(0, k - 1) : 0;
        const ceilMode = chance(0.3);
        const oh = windowOutput(h, k, stride, pad, pad, 1, ceilMode);
        const ow = windowOutput(w, k, stride, pad, pad, 1, ceilMode);
        if (oh < 1 || ow < 1) break;
        put(b.pool(x4, pick(['max', 'avg'] as const), { kernel: k, stride, pad, ceilMode, countIncludePad: chance(0.5) }), [c, oh, ow]);
        break;
      }
      case 'head': {
        const g = put(b.globalPool(x4, pick(['avg', 'max'] as const)), [c, 1, 1]);
        const f = put(b.flatten(g), [c]);
        const k = int(1, 12);
        put(b.fc(f, k, { bias: chance(0.5), act: chance(0.3) ? pick(ACTS) : 'none' }), [k]);
        break;
      }
      case 'vec': {
        const v = choose(1);
        if (!v) break;
        if (chance(0.5)) put(b.softmax(v), shape.get(v)!);
        else { const k = int(1, 12); put(b.fc(v, k, { bias: chance(0.5) }), [k]); }
        break;
      }
    }
  }
  if (!b.nodes.length) put(b.activation('input', 'relu'), shape.get('input')!);
  // The graph output: usually the last tensor, sometimes an earlier one that later nodes still read.
  const outputs = b.nodes.map((n) => n.output);
  const output = chance(0.8) ? outputs[outputs.length - 1] : pick(outputs);
  let graph = b.build(output);
  const optimized = chance(0.5);
  if (optimized) graph = optimize(graph);
  return { graph, dims, optimized };
}

// ---------------------------------------------------------------------------------------------
// Independent checks

const overlaps = (a0: number, a1: number, b0: number, b1: number) => a0 < b1 && b0 < a1; // [a0, a1) vs [b0, b1)

/** Throws (through expect) on any violation; returns a few facts for the statistics. */
function checkPlan(graph: Graph, shapes: Map<string, Shape>, plan: MemoryPlan, ctx?: OpContext): { inPlace: number; aliases: number } {
  const n = graph.nodes.length;
  const where = (msg: string) => `${graph.name}: ${msg}`;

  // Steps follow the graph's order one for one.
  expect(plan.steps.length, where('step count')).toBe(n);
  plan.steps.forEach((s, i) => expect(s.node, where(`step ${i}`)).toBe(graph.nodes[i]));

  // Lives, recomputed from the graph.
  const produced = new Map<string, number>([[graph.input.name, -1]]);
  const lastRead = new Map<string, number>();
  graph.nodes.forEach((node, i) => produced.set(node.output, i));
  graph.nodes.forEach((node, i) => node.inputs.forEach((t) => lastRead.set(t, Math.max(lastRead.get(t) ?? -Infinity, i))));
  lastRead.set(graph.output, n);
  const life = (t: string): [number, number] => [produced.get(t)!, lastRead.get(t) ?? produced.get(t)!];

  const buffers = new Map(plan.buffers.map((b) => [b.id, b]));
  expect(buffers.size, where('buffer ids unique')).toBe(plan.buffers.length);

  // Every tensor has a buffer big enough; steps name the buffers of their tensors.
  for (const [t] of produced) {
    const id = plan.tensorBuffer.get(t);
    expect(id, where(`tensor ${t} has a buffer`)).toBeDefined();
    const buf = buffers.get(id!)!;
    expect(buf, where(`buffer ${id} exists`)).toBeDefined();
    expect(buf.bytes, where(`buffer of ${t} holds it`)).toBeGreaterThanOrEqual(4 * numel(shapes.get(t)!));
  }
  plan.steps.forEach((s, i) => {
    const node = graph.nodes[i];
    expect(s.inputs, where(`step ${i} inputs`)).toEqual(node.inputs.map((t) => plan.tensorBuffer.get(t)));
    expect(s.output, where(`step ${i} output`)).toBe(plan.tensorBuffer.get(node.output));
    const ins = node.inputs.map((t) => shapes.get(t)!);
    const need = opSpec(node).workspace?.(node as never, ins, shapes.get(node.output)!, ctx) ?? 0;
    if (need > 0) {
      expect(s.workspace, where(`step ${i} (${node.op}) has a workspace`)).toBeDefined();
      expect(buffers.get(s.workspace!)!.bytes, where(`step ${i} workspace size`)).toBeGreaterThanOrEqual(need);
    }
  });

  // Values: a tensor and its aliases (flatten outputs) are one value; a value lives from its first
  // production to the last read of any member.
  const rootOf = new Map<string, string>();
  const root = (t: string): string => rootOf.get(t) ?? t;
  for (const node of graph.nodes) if (opSpec(node).alias) rootOf.set(node.output, root(node.inputs[0]));
  interface Region { name: string; from: number; to: number; start: number; end: number; buffer: number; workspaceOf?: number }
  const values = new Map<string, Region>();
  for (const [t] of produced) {
    const r = root(t);
    const [p, l] = life(t);
    const buf = buffers.get(plan.tensorBuffer.get(t)!)!;
    const start = buf.offset, end = buf.offset + 4 * numel(shapes.get(t)!);
    const v = values.get(r);
    if (!v) values.set(r, { name: r, from: p, to: l, start, end, buffer: buf.id });
    else {
      // An alias must sit on the same bytes as what it aliases.
      expect(start, where(`alias ${t} of ${r} at its offset`)).toBe(v.start);
      v.from = Math.min(v.from, p); v.to = Math.max(v.to, l); v.end = Math.max(v.end, end);
    }
  }
  const regions = [...values.values()];
  plan.steps.forEach((s, i) => {
    if (s.workspace === undefined) return;
    const buf = buffers.get(s.workspace)!;
    regions.push({ name: `workspace@${i}`, from: i, to: i, start: buf.offset, end: buf.offset + buf.bytes, buffer: buf.id, workspaceOf: i });
  });

  // (a)+(b)+(c) byte-level: two regions that share bytes have disjoint lives, or one hands over to
  // the next at step i in place: the node at i reads the first through an in-place input, the
  // first dies at i, the second is that node's output, on exactly the same bytes.
  let inPlace = 0;
  for (let x = 0; x < regions.length; x++) {
    for (let y = x + 1; y < regions.length; y++) {
      let [a, b] = [regions[x], regions[y]];
      if (!overlaps(a.start, a.end, b.start, b.end)) continue;
      if (a.to < b.from || b.to < a.from) continue; // lives disjoint
      if (a.from > b.from || (a.from === b.from && a.to > b.to)) [a, b] = [b, a];
      const i = a.to;
      const node = graph.nodes[i];
      const ok = a.workspaceOf === undefined && b.workspaceOf === undefined && b.from === i && node !== undefined
        && root(node.output) === b.name && a.start === b.start && a.end === b.end
        && (opSpec(node).inPlace ?? []).some((k) => root(node.inputs[k]) === a.name);
      expect(ok, where(`${a.name} [${a.from},${a.to}] bytes [${a.start},${a.end}) and ${b.name} [${b.from},${b.to}] `
        + `bytes [${b.start},${b.end}) overlap in memory and in time`)).toBe(true);
      inPlace++;
    }
  }

  // Buffer level, with the planner's lifetimes: they cover the real lives, and buffers that are
  // alive together do not share bytes.
  for (const reg of regions) {
    const buf = buffers.get(reg.buffer)!;
    expect(buf.first <= reg.from && reg.to <= buf.last, where(`buffer ${buf.id} [${buf.first},${buf.last}] covers ${reg.name} [${reg.from},${reg.to}]`)).toBe(true);
  }
  for (const p of plan.buffers) {
    for (const q of plan.buffers) {
      if (p.id >= q.id || p.last < q.first || q.last < p.first) continue;
      expect(overlaps(p.offset, p.offset + p.bytes, q.offset, q.offset + q.bytes),
        where(`buffers ${p.id} [${p.first},${p.last}] and ${q.id} [${q.first},${q.last}] alive together share bytes`)).toBe(false);
    }
  }

  // (b) every input of step i is in a buffer alive at i.
  plan.steps.forEach((s, i) => s.inputs.forEach((id) => {
    const buf = buffers.get(id)!;
    expect(buf.first <= i && i <= buf.last, where(`step ${i} reads buffer ${id} [${buf.first},${buf.last}]`)).toBe(true);
  }));

  // (c) a step whose output shares an input's buffer: an alias op, or an in-place input that dies here.
  let aliases = 0;
  plan.steps.forEach((s, i) => {
    const node = graph.nodes[i];
    const spec = opSpec(node);
    node.inputs.forEach((t, k) => {
      if (s.inputs[k] !== s.output) return;
      if (spec.alias && k === 0) { aliases++; return; }
      expect(spec.inPlace?.includes(k), where(`step ${i} (${node.op}) writes over input ${k} in place`)).toBe(true);
      expect(lastRead.get(t), where(`step ${i} (${node.op}) reuses ${t}, which is read later`)).toBe(i);
      expect(t === graph.output, where(`step ${i} overwrites the graph output`)).toBe(false);
    });
  });

  // (d) the arena holds every buffer and is no bigger than all buffers side by side.
  const ends = plan.buffers.map((b) => b.offset + b.bytes);
  expect(plan.arenaBytes, where('arena holds every buffer')).toBeGreaterThanOrEqual(Math.max(...ends));
  expect(plan.arenaBytes, where('arena at most the sum of buffers')).toBeLessThanOrEqual(plan.buffers.reduce((a, b) => a + b.bytes, 0));
  for (const b of plan.buffers) {
    expect(b.offset % 4, where(`buffer ${b.id} offset f32-aligned`)).toBe(0);
    expect(b.offset, where(`buffer ${b.id} offset >= 0`)).toBeGreaterThanOrEqual(0);
  }
  // Any valid plan needs at least the bytes alive at one step.
  for (let i = -1; i <= n; i++) {
    const live = regions.filter((r) => r.from <= i && i <= r.to && !(r.to === i && regions.some((q) => q !== r && q.from === i && q.start === r.start && q.end === r.end)));
    expect(plan.arenaBytes, where(`bytes live at step ${i}`)).toBeGreaterThanOrEqual(live.reduce((a, r) => a + (r.end - r.start), 0));
  }

  // (e) the input buffer exists before step 0; the output buffer lives past the last step, and
  // nothing written after the output was produced touches its bytes (checked above via its life).
  const inBuf = buffers.get(plan.tensorBuffer.get(graph.input.name)!)!;
  expect(inBuf.first, where('input buffer alive before step 0')).toBeLessThanOrEqual(-1);
  const outBuf = buffers.get(plan.tensorBuffer.get(graph.output)!)!;
  expect(outBuf.last, where('output buffer alive after the last step')).toBeGreaterThanOrEqual(n);
  expect(values.get(root(graph.output))!.to, where('output read at the end')).toBe(n);
  return { inPlace, aliases };
}

// ---------------------------------------------------------------------------------------------

describe('planMemory on random graphs', () => {
  it('keeps every tensor intact while it is still to be read (200 graphs)', () => {
    let nodes = 0, inPlace = 0, aliases = 0, optimized = 0, se = 0;
    // Every failing graph is listed (seed, whether optimized, message), not only the first.
    const failures: string[] = [];
    for (let seed = 0; seed < 200; seed++) {
      const c = randomGraph(seed);
      const shapes = inferShapes(c.graph, c.dims);
      try {
        const plan = planMemory(c.graph, shapes);
        const st = checkPlan(c.graph, shapes, plan);
        inPlace += st.inPlace; aliases += st.aliases;
      } catch (e) {
        failures.push(`seed ${seed}${c.optimized ? ' (optimized)' : ''}: ${(e as Error).message.split('\n')[0]}`);
      }
      nodes += c.graph.nodes.length;
      optimized += c.optimized ? 1 : 0;
      se += c.graph.nodes.filter((x) => x.op === 'se').length;
    }
    // The generator really exercised what it should.
    expect({ nodes, inPlace, aliases, optimized, se }).toEqual({
      nodes: expect.toSatisfy((v: number) => v > 1500), inPlace: expect.toSatisfy((v: number) => v > 100),
      aliases: expect.toSatisfy((v: number) => v > 20), optimized: expect.toSatisfy((v: number) => v > 50),
      se: expect.toSatisfy((v: number) => v > 20),
    });
    expect(failures).toEqual([]);
  });

  it('the checker itself catches a plan that reuses memory too early', () => {
    const c = randomGraph(3);
    const shapes = inferShapes(c.graph, c.dims);
    const plan = planMemory(c.graph, shapes);
    // Put every buffer at offset 0: any graph with two tensors alive together must fail.
    for (const b of plan.buffers) b.offset = 0;
    expect(() => checkPlan(c.graph, shapes, plan)).toThrow();
  });
});

/** Every conv through conv2d_f32 (Winograd's workspace would add a buffer to the counts below). */
const GEMM: OpContext = { winograd: false };

describe('planMemory on hand-made graphs', () => {
  const dims = { batch: 1, height: 8, width: 8 };

  it('runs a chain of 4 activations on the input in the input buffer', () => {
    const b = new GraphBuilder('acts', 'input', 4, { weights: false });
    let x = 'input';
    for (const a of ['relu', 'sigmoid', 'tanh', 'silu'] as const) x = b.activation(x, a);
    const g = b.build(x);
    const shapes = inferShapes(g, dims);
    const plan = planMemory(g, shapes);
    checkPlan(g, shapes, plan);
    expect(new Set(plan.tensorBuffer.values()).size).toBe(1);
    expect(plan.arenaBytes).toBe(4 * 4 * 8 * 8);
  });

  it('runs conv then 4 activations in two buffers (the conv cannot write over its input)', () => {
    const b = new GraphBuilder('conv-acts', 'input', 4, { weights: false });
    let x = b.conv('input', 8, { kernel: 3, pad: 1 });
    for (const a of ['relu', 'sigmoid', 'tanh', 'silu'] as const) x = b.activation(x, a);
    const g = b.build(x);
    const shapes = inferShapes(g, dims);
    const plan = planMemory(g, shapes, GEMM); // the implicit GEMM: no workspace
    checkPlan(g, shapes, plan, GEMM);
    const ids = g.nodes.map((n) => plan.tensorBuffer.get(n.output));
    expect(new Set(ids).size).toBe(1);
    expect(ids[0]).not.toBe(plan.tensorBuffer.get('input'));
    expect(plan.buffers.length).toBe(2);
    expect(plan.arenaBytes).toBe(4 * (4 + 8) * 64);
  });

  it('ping-pongs a chain of convs between two slots', () => {
    const b = new GraphBuilder('convs', 'input', 4, { weights: false });
    let x = 'input';
    for (let i = 0; i < 5; i++) x = b.conv(x, 4, { kernel: 3, pad: 1 });
    const g = b.build(x);
    const shapes = inferShapes(g, dims);
    const plan = planMemory(g, shapes, GEMM); // the implicit GEMM: no workspace
    checkPlan(g, shapes, plan, GEMM);
    const size = 4 * 4 * 64;
    expect(plan.buffers.length).toBe(6);
    expect(plan.arenaBytes).toBe(2 * size);
    // input, c0, c1, ... alternate between the two offsets.
    const offs = ['input', ...g.nodes.map((n) => n.output)].map((t) => plan.buffers[plan.tensorBuffer.get(t)!].offset);
    offs.forEach((o, i) => expect(o).toBe(offs[i % 2]));
    expect(offs[0]).not.toBe(offs[1]);
  });

  it('does not write in place over a tensor that a later node still reads', () => {
    // x = conv(in); a = relu(x); y = add(a, x): relu must not take x's buffer; the add may take either.
    const b = new GraphBuilder('diamond', 'input', 4, { weights: false });
    const x = b.conv('input', 4, { kernel: 1 });
    const a = b.activation(x, 'relu');
    const y = b.sum(a, x, 'none');
    const z = b.sum(y, y, 'relu'); // one tensor read twice by one node
    const g = b.build(z);
    const shapes = inferShapes(g, dims);
    const plan = planMemory(g, shapes);
    checkPlan(g, shapes, plan);
    const buf = (t: string) => plan.tensorBuffer.get(t);
    expect(buf(a)).not.toBe(buf(x));
    expect([buf(a), buf(x)]).toContain(buf(y));
    expect(buf(z)).toBe(buf(y));
  });

  it('keeps the graph output when later nodes also read it, and the input when it is read late', () => {
    const b = new GraphBuilder('keep', 'input', 4, { weights: false });
    const a = b.activation('input', 'relu'); // input still read by the add below: not in place
    const c = b.activation(a, 'tanh'); // the graph output, yet read again below
    const d = b.activation(c, 'relu'); // must not take c's buffer
    b.sum(d, 'input');
    const g = b.build(c);
    const shapes = inferShapes(g, dims);
    const plan = planMemory(g, shapes);
    checkPlan(g, shapes, plan);
    const buf = (t: string) => plan.tensorBuffer.get(t);
    expect(buf(a)).not.toBe(buf('input'));
    expect(buf(d)).not.toBe(buf(c));
    expect(plan.buffers[buf(c)!].last).toBe(g.nodes.length);
  });

  // Regression: OPS.se.inPlace is [0, 1], but a fused SE without a residual has one input. When
  // input 0 is still read later (so it cannot be taken over), the planner's in-place loop went on
  // to k = 1 and read buffers[undefined]: "TypeError: Cannot read properties of undefined (reading
  // 'last')". SE-ResNets with the 'pre' placement hit it (the block input feeds the SE and the
  // shortcut).
  it('plans a fused SE block without residual whose input is read again later', () => {
    const b = new GraphBuilder('se-pre', 'input', 16, { seed: 2 });
    const x = b.conv('input', 16, { kernel: 1 });
    const s = b.squeezeExcite(x, 4);
    const y = b.sum(b.conv(s, 16, { kernel: 1 }), x, 'relu'); // x read again after the SE
    const g = optimize(b.build(y));
    expect(g.nodes.map((n) => n.op)).toEqual(['conv', 'se', 'conv', 'add']);
    expect(g.nodes[1].inputs.length).toBe(1);
    const shapes = inferShapes(g, dims);
    const plan = planMemory(g, shapes);
    checkPlan(g, shapes, plan);
    expect(plan.steps[1].output).not.toBe(plan.tensorBuffer.get(x));
  });

  it('gives a fused SE block a workspace that overlaps nothing alive at its step', () => {
    const b = new GraphBuilder('se', 'input', 16, { seed: 1 });
    const x = b.conv('input', 16, { kernel: 3, pad: 1 });
    const y = b.sum(b.squeezeExcite(x, 4), 'input', 'relu');
    const g = optimize(b.build(b.fc(b.flatten(b.globalPool(y)), 10)));
    expect(g.nodes.map((n) => n.op)).toEqual(['conv', 'se', 'globalpool', 'flatten', 'fc']);
    const shapes = inferShapes(g, dims);
    const plan = planMemory(g, shapes);
    checkPlan(g, shapes, plan);
    const step = plan.steps[1];
    expect(step.workspace).toBeDefined();
    expect(plan.buffers[step.workspace!].bytes).toBeGreaterThanOrEqual(4 * (2 * 16 + 4));
    // The SE's output takes over the conv output or the input (both die there).
    expect(step.inputs).toContain(step.output);
  });
});
