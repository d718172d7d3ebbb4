// Whole networks through the engine (both builds) against the float64 reference executor on the
// same graph. The reference runs the graph as built (BatchNorm, separate SE ops); the engine applies
// its passes (fold BN, fuse activations, fuse the SE chain and its residual add) before planning.
// Criterion: max |engine - reference| <= 1e-4 * max |reference| over the output.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GraphBuilder } from '../src/graph/builder.js';
import type { Activation, Graph, InputDims, Node } from '../src/graph/ir.js';
import { Random } from '../src/graph/random.js';
import { inferShapes, windowOutput } from '../src/graph/shapes.js';
import {
  GATES, PLACEMENTS, SQUEEZES, STRIDE_ON, buildResNet, type ResNetConfig,
} from '../src/models/resnet.js';
import { createEngine, type Engine } from '../src/runtime/engine.js';
import { fusedSqueezes } from '../src/runtime/session.js';
import { runGraph, runGraphAll, type RefTensor } from './reference/graph.js';

const BACKENDS = ['simd', 'scalar'] as const;
type Backend = (typeof BACKENDS)[number];
const TOLERANCE = 1e-4;

// Small variants: one block a stage, four stages, narrow; a run takes milliseconds.
const PLAIN = { blocks: [1, 1, 1, 1], width: 8, classes: 10 };
const SMALL = { ...PLAIN, reduction: 4 }; // with SE units
const RESNEXT = { groups: 4, groupWidth: 2 } as const; // conv2_x 3x3: 8 channels in 4 groups

// Every input size and batch, two per configuration (alternating, so every option value meets all four).
const DIMS: InputDims[][] = [
  [{ batch: 1, height: 32, width: 32 }, { batch: 2, height: 40, width: 48 }],
  [{ batch: 2, height: 32, width: 32 }, { batch: 1, height: 40, width: 48 }],
];

interface Case { label: string; config: ResNetConfig; dims: InputDims[]; optimize: boolean }

function cases(): Case[] {
  const out: Case[] = [];
  let i = 0;
  // SE-ResNet: every placement x squeeze x gate x fcBias x strideOn (96 configurations).
  for (const placement of PLACEMENTS) for (const squeeze of SQUEEZES) for (const gate of GATES) {
    for (const fcBias of [true, false]) for (const strideOn of STRIDE_ON) {
      const label = `se-resnet ${placement} ${squeeze} ${gate} ${fcBias ? 'bias' : 'nobias'} stride@${strideOn}`;
      out.push({ label, dims: DIMS[i % 2], optimize: true, config: {
        name: label, se: true, ...SMALL, placement, squeeze, gate, fcBias, strideOn, seed: 100 + i,
      } });
      i++;
    }
  }
  // SE-ResNeXt (grouped 3x3): every placement x squeeze x gate, fcBias and strideOn alternating.
  for (const placement of PLACEMENTS) for (const squeeze of SQUEEZES) for (const gate of GATES) {
    const fcBias = i % 2 === 0, strideOn = STRIDE_ON[(i >> 1) % 2];
    const label = `se-resnext ${placement} ${squeeze} ${gate} ${fcBias ? 'bias' : 'nobias'} stride@${strideOn}`;
    out.push({ label, dims: DIMS[i % 2], optimize: true, config: {
      name: label, se: true, ...SMALL, ...RESNEXT, placement, squeeze, gate, fcBias, strideOn, seed: 100 + i,
    } });
    i++;
  }
  // Plain ResNet and ResNeXt, all four input sizes.
  for (const strideOn of STRIDE_ON) {
    for (const [kind, extra] of [['resnet', {}], ['resnext', RESNEXT]] as const) {
      const label = `${kind} stride@${strideOn}`;
      out.push({ label, dims: [...DIMS[0], ...DIMS[1]], optimize: true, config: {
        name: label, se: false, ...PLAIN, ...extra, strideOn, seed: 100 + i++,
      } });
    }
  }
  // The unfused path (optimize: false: BatchNorm, mul, globalpool, activations as separate ops).
  for (const placement of PLACEMENTS) {
    const label = `se-resnet ${placement} unoptimized`;
    out.push({ label, dims: DIMS[i % 2], optimize: false, config: {
      name: label, se: true, ...SMALL, placement, gate: GATES[i % 3], squeeze: SQUEEZES[i % 2], seed: 100 + i++,
    } });
  }
  return out;
}

const count = (g: Graph, op: Node['op']) => g.nodes.filter((n) => n.op === op).length;

/** What the passes must have done to a ResNet: everything folded and fused. */
function expectOptimized(source: Graph, compiled: Graph, config: ResNetConfig, dims: InputDims): void {
  const seBlocks = config.se ? config.blocks.reduce((a, b) => a + b, 0) : 0;
  expect(count(source, 'mul'), 'SE units in the source graph').toBe(seBlocks);
  expect(count(source, 'batchnorm'), 'BatchNorms in the source graph').toBe(count(source, 'conv'));
  expect(count(compiled, 'batchnorm'), 'BatchNorms left after folding').toBe(0);
  expect(count(compiled, 'activation'), 'activations left after fusion').toBe(0);
  expect(count(compiled, 'mul'), 'SE scales left unfused').toBe(0);
  expect(count(compiled, 'se'), 'fused SE nodes').toBe(seBlocks);
  expect(count(compiled, 'conv'), 'convs').toBe(count(source, 'conv'));
  expect([count(compiled, 'globalpool'), count(compiled, 'flatten'), count(compiled, 'fc')], 'the head only').toEqual([1, 1, 1]);
  const withResidual = config.placement === 'standard' || config.placement === 'identity' || config.placement === undefined;
  for (const n of compiled.nodes) {
    if (n.op !== 'se') continue;
    expect(n.inputs.length, `${n.name}: residual fused`).toBe(withResidual ? 2 : 1);
    expect(n.residualAct).toBe(withResidual ? 'relu' : 'none');
    expect(n.squeeze).toBe(config.squeeze ?? 'avg');
    expect(n.gate).toBe(config.gate ?? 'sigmoid');
    expect(n.act).toBe('relu');
    expect(!!n.fc1.bias && !!n.fc2.bias).toBe(config.fcBias ?? true);
  }
  // The squeeze runs inside the conv that writes the SE input (conv2d_f32's means) where there is
  // one: after the residual branch's last conv (standard), never after the sum (post) or for max.
  const squeezedByConv = [...fusedSqueezes(compiled.nodes, inferShapes(compiled, dims)).keys()].filter((n) => n.op === 'se').length;
  const placement = config.placement ?? 'standard';
  if (config.squeeze === 'max' || placement === 'post') expect(squeezedByConv, 'squeezes in a conv').toBe(0);
  else if (placement === 'standard') expect(squeezedByConv, 'squeezes in a conv').toBe(seBlocks);
}

const maxAbs = (a: ArrayLike<number>) => { let m = 0; for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i])); return m; };

describe('whole networks: engine vs float64 reference', () => {
  const engines = new Map<Backend, Engine>();
  const worst = new Map<Backend, { ratio: number; abs: number; label: string }>(BACKENDS.map((b) => [b, { ratio: 0, abs: 0, label: '' }]));
  let runs = 0;

  beforeAll(async () => {
    for (const b of BACKENDS) engines.set(b, await createEngine({ backend: b }));
  });
  afterAll(() => {
    for (const e of engines.values()) e.dispose();
    for (const [b, w] of worst) {
      console.log(`networks ${b}: ${runs / 2} runs, max abs error ${w.abs.toExponential(2)}, worst error/max|ref| ${w.ratio.toExponential(2)} (${w.label})`);
    }
  });

  for (const c of cases()) {
    it(c.label, () => {
      const graph = buildResNet(c.config);
      for (const dims of c.dims) {
        const inputShape = [dims.batch, 3, dims.height, dims.width];
        const input = new Random(c.config.seed! * 31 + dims.batch).fill(inputShape.reduce((a, b) => a * b, 1), (r) => r.normal());
        const ref: RefTensor = runGraph(graph, input, inputShape);
        expect(ref.shape).toEqual([dims.batch, 10]);
        const scale = maxAbs(ref.data);
        expect(scale, 'reference output is not degenerate').toBeGreaterThan(1e-3);
        expect(Number.isFinite(scale)).toBe(true);
        for (const backend of BACKENDS) {
          const session = engines.get(backend)!.compile(graph, dims, { optimize: c.optimize });
          try {
            if (c.optimize) expectOptimized(graph, session.graph, c.config, dims);
            else expect(session.graph.nodes.length).toBe(graph.nodes.length);
            expect(session.outputShape).toEqual(ref.shape);
            const out = session.run(input);
            let err = 0;
            for (let i = 0; i < out.length; i++) err = Math.max(err, Math.abs(out[i] - ref.data[i]));
            if (Number.isNaN(err) || out.some((v) => !Number.isFinite(v))) err = Infinity;
            const w = worst.get(backend)!;
            const where = `${c.label} ${dims.batch}x${dims.height}x${dims.width}`;
            if (err / scale > w.ratio) worst.set(backend, { ratio: err / scale, abs: Math.max(w.abs, err), label: where });
            else w.abs = Math.max(w.abs, err);
            runs++;
            expect(err, `${backend} ${where}: max error vs max |ref| ${scale}`).toBeLessThanOrEqual(TOLERANCE * scale);
            // A second run on the same session gives the same bits (no state left behind).
            expect(session.run(input)).toEqual(out);
          } finally {
            session.dispose();
          }
        }
      }
    });
  }
});

// ---------------------------------------------------------------------------------------------
// Small random graphs of every op (depthwise and grouped convs, dilation, every activation, avg
// and max pools in ceil mode, softmax, SE chains with any gate, tensors read many times, outputs
// that are feature maps), optimized or not: the same criterion. Checks the kernels on the in-place
// and aliased buffers the planner hands them, which the planner test cannot.

const ACTS: Activation[] = ['relu', 'relu6', 'sigmoid', 'hardsigmoid', 'silu', 'hardswish', 'tanh'];

function randomNet(seed: number): { graph: Graph; dims: InputDims } {
  const r = new Random(seed * 104729 + 7);
  const int = (lo: number, hi: number) => lo + Math.floor(r.uniform() * (hi - lo + 1));
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r.uniform() * xs.length)];
  const chance = (p: number) => r.uniform() < p;
  const dims: InputDims = { batch: int(1, 2), height: int(4, 13), width: int(4, 13) };
  const inC = int(1, 9);
  const b = new GraphBuilder(`random-${seed}`, 'input', inC, { seed });
  const shape = new Map<string, number[]>([['input', [inC, dims.height, dims.width]]]); // without N
  const maps = () => [...shape.keys()].filter((t) => shape.get(t)!.length === 3);
  const vecs = () => [...shape.keys()].filter((t) => shape.get(t)!.length === 1);
  const recent = (ts: string[]) => (chance(0.7) ? ts[ts.length - 1] : pick(ts));
  let last = 'input';
  const put = (t: string, s: number[]) => { shape.set(t, s); last = t; return t; };
  for (let step = int(3, 14); step > 0; step--) {
    const x = recent(maps());
    const [c, h, w] = shape.get(x)!;
    switch (pick(['conv', 'conv', 'act', 'bn', 'add', 'se', 'pool', 'head', 'vec'] as const)) {
      case 'conv': {
        const k = pick([1, 3, 3, 5]), stride = pick([1, 1, 2]), dil = chance(0.2) ? 2 : 1;
        const pads: [number, number, number, number] = chance(0.7)
          ? [dil * (k >> 1), dil * (k >> 1), dil * (k >> 1), dil * (k >> 1)] : [int(0, 2), int(0, 2), int(0, 2), int(0, 2)];
        const oh = windowOutput(h, k, stride, pads[0], pads[2], dil), ow = windowOutput(w, k, stride, pads[1], pads[3], dil);
        if (oh < 1 || ow < 1) break;
        let outC = int(1, 17), group = 1;
        if (chance(0.25)) { group = c; outC = c; } // depthwise
        else if (chance(0.2) && c % 3 === 0) { group = 3; outC = 3 * int(1, 5); }
        put(b.conv(x, outC, { kernel: k, stride, pad: pads, dilation: dil, group, bias: chance(0.5), act: chance(0.3) ? pick(ACTS) : 'none' }), [outC, oh, ow]);
        break;
      }
      case 'act': { const t = chance(0.7) ? x : recent([...maps(), ...vecs()]); put(b.activation(t, pick(ACTS)), shape.get(t)!); break; }
      case 'bn': put(b.batchnorm(x), [c, h, w]); break;
      case 'add': {
        const same = maps().filter((t) => shape.get(t)!.join() === [c, h, w].join());
        const other = chance(0.25) ? x : pick(same);
        put(b.sum(x, other, chance(0.5) ? pick(ACTS) : 'none'), [c, h, w]);
        break;
      }
      case 'se': {
        const y = put(b.squeezeExcite(x, int(1, c + 2), {
          squeeze: pick(['avg', 'max'] as const), act: pick(['relu', 'silu', 'hardswish'] as const),
          gate: pick(['sigmoid', 'hardsigmoid', 'tanh', 'relu'] as const), bias: chance(0.5),
        }), [c, h, w]);
        if (chance(0.6)) {
          const same = maps().filter((t) => t !== y && shape.get(t)!.join() === [c, h, w].join());
          put(b.sum(chance(0.5) ? y : pick(same), chance(0.5) ? pick(same) : y, pick(['relu', 'none'] as const)), [c, h, w]);
        }
        break;
      }
      case 'pool': {
        const k = pick([2, 3]), stride = pick([1, 2]), pad = chance(0.5) ? int(0, k - 1) : 0, ceilMode = chance(0.4);
        const oh = windowOutput(h, k, stride, pad, pad, 1, ceilMode), ow = windowOutput(w, k, stride, pad, pad, 1, ceilMode);
        if (oh < 1 || ow < 1) break;
        put(b.pool(x, pick(['max', 'avg'] as const), { kernel: k, stride, pad, ceilMode, countIncludePad: chance(0.5) }), [c, oh, ow]);
        break;
      }
      case 'head': { const k = int(1, 12); put(b.fc(b.flatten(b.globalPool(x, pick(['avg', 'max'] as const))), k, { bias: chance(0.5) }), [k]); break; }
      case 'vec': {
        const v = vecs();
        if (!v.length) break;
        const t = recent(v);
        if (chance(0.5)) put(b.softmax(t), shape.get(t)!);
        else { const k = int(1, 12); put(b.fc(t, k, { bias: chance(0.5), act: chance(0.5) ? pick(ACTS) : 'none' }), [k]); }
        break;
      }
    }
  }
  if (last === 'input') put(b.activation('input', 'silu'), shape.get('input')!);
  return { graph: b.build(last), dims };
}

describe('random graphs: engine vs float64 reference', () => {
  const engines = new Map<Backend, Engine>();
  beforeAll(async () => {
    for (const b of BACKENDS) engines.set(b, await createEngine({ backend: b }));
  });
  afterAll(() => { for (const e of engines.values()) e.dispose(); });

  it('agrees on 80 random graphs, optimized and not, on both builds', () => {
    const failures: string[] = [];
    const worst: Record<string, number> = { simd: 0, scalar: 0 };
    for (let seed = 0; seed < 80; seed++) {
      const { graph, dims } = randomNet(seed);
      const inputShape = [dims.batch, graph.input.channels, dims.height, dims.width];
      const input = new Random(seed).fill(inputShape.reduce((a, b) => a * b, 1), (r) => r.normal());
      const all = runGraphAll(graph, input, inputShape);
      const ref = all.get(graph.output)!;
      // A tiny output can be what is left of a sum of large terms: f32 rounding of those terms is
      // the error to expect, so the scale is at least 1% of the largest intermediate value.
      const scale = Math.max(maxAbs(ref.data), 0.01 * Math.max(...[...all.values()].map((t) => maxAbs(t.data))));
      for (const backend of BACKENDS) {
        for (const optimize of [true, false]) {
          const what = `seed ${seed} ${backend}${optimize ? '' : ' unoptimized'} (${graph.nodes.map((n) => n.op).join(' ')})`;
          try {
            const session = engines.get(backend)!.compile(graph, dims, { optimize });
            try {
              const out = session.run(input);
              expect(session.outputShape).toEqual(ref.shape);
              let err = 0;
              for (let i = 0; i < out.length; i++) err = Math.max(err, Math.abs(out[i] - ref.data[i]));
              if (!(err <= TOLERANCE * scale)) failures.push(`${what}: error ${err} vs max |ref| ${scale}`);
              else worst[backend] = Math.max(worst[backend], err / scale);
            } finally {
              session.dispose();
            }
          } catch (e) {
            failures.push(`${what}: ${(e as Error).message.split('\n')[0]}`);
          }
        }
      }
    }
    console.log(`random graphs: worst error/max|ref| simd ${worst.simd.toExponential(2)}, scalar ${worst.scalar.toExponential(2)}`);
    expect(failures).toEqual([]);
  });
});
