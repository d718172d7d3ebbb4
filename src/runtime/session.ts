import { DisposedError, GraphError, InputError, OptionError } from '../errors.js';
import { complexity } from '../graph/complexity.js';
import { valueCount, type Graph, type InputDims, type Node, type Param } from '../graph/ir.js';
import { optimize } from '../graph/passes/index.js';
import { inferShapes, numel, type Shape } from '../graph/shapes.js';
import { checkWeightFormat, type WeightFormat } from '../graph/storage.js';
import { opSpec, stepCall, writesMeans, type OpContext, type WinogradFilters } from '../ops/table.js';
import { toNchw } from '../graph/layout.js';
import type { Kernels } from '../wasm/abi.js';
import { describe, isFloat32Array } from '../options.js';
import type { LinearMemory } from './memory.js';
import type { Pool } from './pool.js';
import { planMemory, type MemoryPlan } from './planner.js';

export interface SessionStats {
  /** Parameters of the graph as given (PyTorch's count: BatchNorm scale and shift included). */
  params: number;
  /** Multiply-accumulates of one run (conv and FC layers, all images of the batch). */
  macs: number;
  /** Bytes of packed weights in wasm memory. */
  weightBytes: number;
  /** Bytes of the activation arena (every intermediate tensor and workspace). */
  arenaBytes: number;
}

/** One step's time in a profile. */
export interface StepTime {
  name: string;
  op: Node['op'];
  /** The algorithm where the op has a choice (conv: 'gemm', 'im2col', 'strassen', 'depthwise', 'winograd F(2,3)', 'winograd F(4,3)'). */
  algorithm?: string;
  ms: number;
  macs: number;
}

/** One SE block's excitation in a run: the gate values the paper's figures of excitations are drawn from. */
export interface Excitation {
  /** The fused SE node's name (its scale's name in the graph as given, + '_se'). */
  name: string;
  /** The stage label, where the graph has one (built-in models: conv2_x ... conv5_x). */
  stage?: string;
  /** [N, C]: gates[n * C + c] scales channel c of image n. */
  shape: [number, number];
  gates: Float32Array;
}

export interface RunOptions {
  /** Also return every fused SE block's gates, in depth (plan) order. */
  excitations?: boolean;
}

export interface CompileOptions {
  /** Apply the graph passes (BatchNorm folding, activation and SE fusion). Default true. */
  optimize?: boolean;
  /**
   * How conv, FC and SE weights are kept in wasm memory: 'fp32', 'int8' (symmetric, a scale per
   * output channel, quantized here when the source is float) or 'fp16'. Default: as the source
   * stores them (an ONNX file's int8 DequantizeLinear or fp16 Cast weights stay so; else fp32).
   */
  weights?: WeightFormat;
  /**
   * Winograd F(2x2,3x3) or F(4x4,3x3) for the 3x3 stride-1 convolutions without groups (the op
   * table picks the tile per layer). Default true; false runs every conv as an implicit GEMM; 2 or
   * 4 forces F(2x2,3x3) or F(4x4,3x3) on every such conv (for error measurements).
   */
  winograd?: boolean | 2 | 4;
  /**
   * How Winograd keeps f32 filters: 'packed', transformed once here ((m + 2)^2 / 9 the 3x3's
   * memory: 4x for F(4x4,3x3)); 'per-block', as 3x3 filters, transformed by each block of tiles of
   * every run; 'auto' (default): per layer, whichever ran faster (int8 and fp16 filters are always
   * transformed per block: their transformed form would be f32).
   */
  winogradFilters?: WinogradFilters;
  /**
   * One level of Strassen's algorithm (7 half-sized products instead of 8) for the 1x1 convs where
   * the op table finds it faster (K of 512 or more, 256 outputs or more, maps of 196 pixels or
   * more, f32 weights). Default true; false keeps them on the direct GEMM, whose packed weights
   * are 4/7 the size (SE-ResNeXt-50 at batch 1: 110 MB of weights instead of 133).
   */
  strassen?: boolean;
}

const align = (n: number): number => Math.ceil(n / 16) * 16;

function params(node: Node): Param[] {
  switch (node.op) {
    case 'conv': case 'fc': return [node.weight, ...(node.bias ? [node.bias] : [])];
    case 'batchnorm': return [node.scale, node.bias, node.mean, node.variance];
    case 'se': return [node.fc1.weight, node.fc2.weight, ...[node.fc1.bias, node.fc2.bias].filter((p): p is Param => !!p)];
    default: return [];
  }
}


/**
 * SE squeezes (average) that the conv producing the SE block's input computes while it writes it
 * (conv2d_f32's `means`): for each such conv and se node, the [N, C] means both refer to. The
 * offsets are set once the session's memory is laid out.
 */
export function fusedSqueezes(nodes: Node[], shapes: Map<string, Shape>): Map<Node, { bytes: number; offset: number }> {
  const producer = new Map(nodes.map((n) => [n.output, n]));
  const fused = new Map<Node, { bytes: number; offset: number }>();
  for (const node of nodes) {
    if (node.op !== 'se' || node.squeeze !== 'avg') continue;
    const conv = producer.get(node.inputs[0]);
    if (!conv || !writesMeans(conv)) continue;
    const [n, c] = shapes.get(node.inputs[0])!;
    const means = fused.get(conv) ?? { bytes: align(4 * n * c), offset: 0 };
    fused.set(conv, means);
    fused.set(node, means);
  }
  return fused;
}

/**
 * A graph compiled for one input size: packed weights, a zero row and the activation arena,
 * carved from the engine's memory once; run() only copies the input in, walks the bound kernel
 * calls and copies the output out.
 */
export class Session {
  readonly inputShape: Shape;
  readonly outputShape: Shape;
  readonly stats: SessionStats;
  readonly graph: Graph;
  readonly plan: MemoryPlan;
  private readonly calls: (() => void)[];
  /** Each step's algorithm where its op has a choice (StepTime.algorithm). */
  private readonly algorithms: (string | undefined)[];
  /** Where each fused SE step leaves its gates, by step index. */
  private readonly gateReads: Map<number, { name: string; stage?: string; offset: number; shape: [number, number] }>;
  private readonly region: number;
  private readonly staging: number;
  private readonly toNhwc: () => void; // the staged NCHW input into the arena as NHWC
  private readonly outputOffset: number;
  private disposed = false;

  constructor(private readonly mem: LinearMemory, kernels: Kernels, source: Graph, dims: InputDims,
    options: CompileOptions, private readonly onDispose: (s: Session) => void, pool?: Pool) {
    const asked = checkWeightFormat(options.weights, 'compile option weights');
    const counted = complexity(source, dims);
    const graph = options.optimize === false ? source : optimize(source);
    const shapes = inferShapes(graph, dims);
    for (const node of graph.nodes) {
      if (params(node).some((p) => valueCount(p) === undefined)) {
        throw new GraphError(`graph '${graph.name}' node '${node.name}' has no weight values (built structure-only?)`);
      }
    }
    const threads = pool?.threads ?? 1;
    const ctx: OpContext = { winograd: options.winograd ?? true, winogradFilters: options.winogradFilters ?? 'auto', strassen: options.strassen ?? true, weights: asked, threads };
    const plan = planMemory(graph, shapes, ctx);
    const ins = (n: Node) => n.inputs.map((t) => shapes.get(t)!);
    const packed = plan.steps.map((s) => opSpec(s.node).pack?.(s.node, ins(s.node), ctx) ?? []);
    const zeroFloats = Math.max(4, ...plan.steps.map((s) => opSpec(s.node).zeroFloats?.(s.node, ins(s.node)) ?? 0));
    const weightBytes = packed.flat().reduce((a, block) => a + align(block.bytes), 0);
    // One expand scratch a thread: a split conv's threads expand their panels at once.
    const expandStride = align(Math.max(0, ...packed.flat().map((block) => block.expandBytes)));
    const expandBytes = expandStride * threads;
    const zeroBytes = align(4 * zeroFloats);
    const squeezes = fusedSqueezes(plan.steps.map((st) => st.node), shapes);
    const meansBytes = [...squeezes.values()].reduce((a, m) => a + m.bytes, 0);

    // The arena is free while the weights are packed: the packers' scratch lies there.
    const scratchBytes = Math.max(0, ...packed.flat().map((block) => block.scratchBytes));
    // The NCHW input is copied into the arena and made NHWC there by a kernel (split across threads
    // by images; the JavaScript loop took 1.0 ms at batch 8, 224x224). When an input arrives nothing
    // in the arena is live but the input's own buffer: the copy lies before it, or after it (the
    // arena grows only where it is too small for that), not in memory of its own (38 MB at batch 64).
    const [n, c, h, w] = shapes.get(graph.input.name)!;
    const inputBytes = 4 * n * c * h * w, inputBuffer = plan.buffers[plan.tensorBuffer.get(graph.input.name)!];
    const stagingOffset = inputBuffer.offset >= inputBytes ? 0 : align(inputBuffer.offset + inputBuffer.bytes);
    const arenaBytes = align(Math.max(plan.arenaBytes, scratchBytes, stagingOffset + inputBytes));
    this.region = mem.alloc(weightBytes + zeroBytes + meansBytes + expandBytes + arenaBytes);
    try {
      let cursor = this.region;
      const scratch = this.region + weightBytes + zeroBytes + meansBytes + expandBytes;
      const weightOffsets = packed.map((blocks) => blocks.map((block) => {
        const offset = cursor;
        block.write({ kernels, memory: mem.memory, offset, scratch });
        cursor += align(block.bytes);
        return offset;
      }));
      const zero = cursor;
      mem.f32().fill(0, zero / 4, (zero + zeroBytes) / 4);
      cursor += zeroBytes;
      for (const m of new Set(squeezes.values())) {
        m.offset = cursor;
        cursor += m.bytes;
      }
      const expand = cursor;
      const arena = cursor + expandBytes;
      const at = (buffer: number) => arena + plan.buffers[buffer].offset;
      this.calls = plan.steps.map((s, i) => opSpec(s.node).bind(s.node, kernels, {
        inputs: s.inputs.map(at),
        output: at(s.output) + (s.outputSlice?.byteOffset ?? 0),
        outputStride: s.outputSlice?.stride,
        written: s.written,
        weights: weightOffsets[i],
        formats: packed[i].map((block) => block.format),
        expand,
        expandStride,
        pool,
        workspace: s.workspace === undefined ? 0 : at(s.workspace),
        zero,
        ...(squeezes.has(s.node) && { [s.node.op === 'se' ? 'squeezed' : 'means']: squeezes.get(s.node)!.offset }),
      }, ins(s.node), shapes.get(s.node.output)!, ctx));
      this.algorithms = plan.steps.map((s) => opSpec(s.node).algorithm?.(s.node, ins(s.node), ctx));
      this.gateReads = new Map();
      plan.steps.forEach((s, i) => {
        const where = opSpec(s.node).gates?.(s.node, { inputs: s.inputs.map(at), output: at(s.output), weights: [], formats: [], expand, workspace: s.workspace === undefined ? 0 : at(s.workspace), zero }, ins(s.node));
        if (where) this.gateReads.set(i, { name: s.node.name, stage: s.node.stage, ...where });
      });
      this.staging = arena + stagingOffset;
      this.toNhwc = stepCall(kernels, pool, 'channel_shuffle_f32', this.staging, at(plan.tensorBuffer.get(graph.input.name)!), n, c, h * w);
      this.outputOffset = at(plan.tensorBuffer.get(graph.output)!);
    } catch (e) {
      mem.release(this.region);
      throw e;
    }
    this.graph = graph;
    this.plan = plan;
    this.inputShape = shapes.get(graph.input.name)!;
    this.outputShape = shapes.get(graph.output)!;
    this.stats = { params: counted.params, macs: counted.macs, weightBytes, arenaBytes: plan.arenaBytes };
  }

  /**
   * Runs the graph on an NCHW float32 input of `inputShape`; returns the output (NCHW), or with
   * `{ excitations: true }` the output and every fused SE block's gates.
   */
  run(input: Float32Array): Float32Array;
  run(input: Float32Array, options: RunOptions & { excitations: true }): { output: Float32Array; excitations: Excitation[] };
  run(input: Float32Array, options?: RunOptions): Float32Array | { output: Float32Array; excitations: Excitation[] };
  run(input: Float32Array, options: RunOptions = {}): Float32Array | { output: Float32Array; excitations: Excitation[] } {
    if (options === null || typeof options !== 'object') throw new OptionError(`run options must be an object, got ${describe(options)}`);
    if (options.excitations !== undefined && typeof options.excitations !== 'boolean') {
      throw new OptionError(`run option excitations must be true or false, got ${describe(options.excitations)}`);
    }
    this.load(input);
    if (!options.excitations) {
      for (const call of this.calls) call();
      return this.read();
    }
    const excitations: Excitation[] = [];
    this.calls.forEach((call, i) => {
      call();
      const g = this.gateReads.get(i);
      if (!g) return;
      // Copied now: the workspace holding them is reused by later steps.
      const at = g.offset / 4;
      excitations.push({ name: g.name, stage: g.stage, shape: g.shape, gates: this.mem.f32().slice(at, at + g.shape[0] * g.shape[1]) });
    });
    return { output: this.read(), excitations };
  }

  /**
   * Times every step (one fused op each) over `runs` runs of `input`: the median milliseconds of
   * each, in plan order, with its multiply-accumulates; and the output of the last run.
   */
  profile(input: Float32Array, runs = 10): { steps: StepTime[]; output: Float32Array } {
    if (!Number.isInteger(runs) || runs < 1 || runs > 1e6) throw new OptionError(`profile runs must be an integer from 1 to 1000000, got ${runs}`);
    const times = this.calls.map(() => [] as number[]);
    for (let r = 0; r < runs; r++) {
      // Every round from the input: the arena reuses the input's bytes once it is dead.
      this.load(input);
      this.calls.forEach((call, i) => {
        const t0 = performance.now();
        call();
        times[i].push(performance.now() - t0);
      });
    }
    const macs = complexity(this.graph, { batch: this.inputShape[0], height: this.inputShape[2], width: this.inputShape[3] }).nodes;
    const steps = this.plan.steps.map((s, i) => ({
      name: s.node.name, op: s.node.op, macs: macs[i].macs,
      ...(this.algorithms[i] !== undefined && { algorithm: this.algorithms[i] }),
      ms: [...times[i]].sort((a, b) => a - b)[Math.floor(runs / 2)],
    }));
    return { steps, output: this.read() };
  }

  private load(input: Float32Array): void {
    if (this.disposed) throw new DisposedError('session');
    if (!isFloat32Array(input)) throw new InputError(`input must be a Float32Array (NCHW float32), got ${describe(input)}`);
    const expected = numel(this.inputShape);
    if (input.length !== expected) {
      throw new InputError(`input has ${input.length} values, expected ${expected} for shape [${this.inputShape}] (NCHW)`);
    }
    this.mem.f32().set(input, this.staging / 4);
    this.toNhwc();
  }

  private read(): Float32Array {
    const heap = this.mem.f32();
    const out = new Float32Array(numel(this.outputShape));
    const at = this.outputOffset / 4;
    if (this.outputShape.length === 4) toNchw(heap.subarray(at, at + out.length), out, this.outputShape);
    else out.set(heap.subarray(at, at + out.length));
    return out;
  }

  /** Gives the session's memory back to the engine; run() afterwards throws DisposedError. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.mem.release(this.region);
    this.onDispose(this);
  }
}
