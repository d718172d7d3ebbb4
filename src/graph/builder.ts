import { GraphError } from '../errors.js';
import { oneOf } from '../options.js';
import { ACTIVATIONS, type Activation, type Graph, type Node, type Param } from './ir.js';
import { Random } from './random.js';

export interface BuilderOptions {
  seed?: number;
  /** false: a structure-only graph (shapes without values), enough to count parameters and MACs. */
  weights?: boolean;
}

export interface ConvOptions {
  kernel: number | [number, number];
  stride?: number | [number, number];
  /** One number for all sides, [vertical, horizontal], or [top, left, bottom, right]. */
  pad?: number | [number, number] | [number, number, number, number];
  dilation?: number | [number, number];
  group?: number;
  bias?: boolean;
  act?: Activation;
  /** Scales the He-normal weights; `biasMean` centres the random bias (as for `fc`). */
  gain?: number;
  biasMean?: number;
}

export interface PoolOptions {
  kernel: number | [number, number];
  stride?: number | [number, number];
  pad?: number | [number, number] | [number, number, number, number];
  ceilMode?: boolean;
  countIncludePad?: boolean;
}

const pair = (v: number | [number, number]): [number, number] => (typeof v === 'number' ? [v, v] : v);

function pads(v: ConvOptions['pad'] = 0): [number, number, number, number] {
  if (typeof v === 'number') return [v, v, v, v];
  return v.length === 2 ? [v[0], v[1], v[0], v[1]] : v;
}

/**
 * Builds a graph node by node with seeded random weights: He-normal convolutions and FCs, and
 * BatchNorm statistics that are not the identity (so folding them is really tested).
 * Methods take and return tensor names and track each tensor's channel count.
 */
export class GraphBuilder {
  readonly nodes: Node[] = [];
  private readonly channels = new Map<string, number>();
  private readonly rng: Random;
  private readonly withWeights: boolean;
  private count = 0;
  /** Stage label given to every node added from now on. */
  stage?: string;

  constructor(readonly name: string, readonly input: string, inputChannels: number, options: BuilderOptions = {}) {
    this.rng = new Random(options.seed ?? 0);
    this.withWeights = options.weights ?? true;
    this.channels.set(input, inputChannels);
  }

  channelsOf(tensor: string): number {
    const c = this.channels.get(tensor);
    if (c === undefined) throw new GraphError(`builder: unknown tensor '${tensor}'; tensors so far: ${[...this.channels.keys()].join(', ')}`);
    return c;
  }

  private param(shape: number[], init: (r: Random) => number): Param {
    const n = shape.reduce((a, b) => a * b, 1);
    return this.withWeights ? { shape, data: this.rng.fill(n, init) } : { shape };
  }

  private add<T extends Node>(node: T, channels: number): string {
    if (this.stage) node.stage = this.stage;
    this.nodes.push(node);
    this.channels.set(node.output, channels);
    return node.output;
  }

  private fresh(prefix: string): string {
    return `${prefix}_${this.count++}`;
  }

  conv(x: string, outC: number, o: ConvOptions): string {
    const act = oneOf('conv act', o.act, ACTIVATIONS, 'none');
    const [kH, kW] = pair(o.kernel);
    const group = o.group ?? 1;
    const inCg = this.channelsOf(x) / group;
    const std = (o.gain ?? 1) * Math.sqrt(2 / (inCg * kH * kW));
    const name = this.fresh('conv');
    return this.add({
      op: 'conv', name, inputs: [x], output: name,
      weight: this.param([outC, inCg, kH, kW], (r) => r.normal() * std),
      bias: o.bias ? this.param([outC], (r) => (o.biasMean ?? 0) + 0.1 * r.normal()) : undefined,
      stride: pair(o.stride ?? 1), pads: pads(o.pad), dilation: pair(o.dilation ?? 1), group, act,
    }, outC);
  }

  /**
   * `gamma` scales the random BatchNorm weights: small values keep deep random nets in range.
   * `epsilon`: PyTorch's default 1e-5; MobileNetV3 (and TF-ported weights) use 1e-3.
   */
  batchnorm(x: string, gamma = 1, epsilon = 1e-5): string {
    const c = this.channelsOf(x);
    const name = this.fresh('bn');
    return this.add({
      op: 'batchnorm', name, inputs: [x], output: name, epsilon,
      scale: this.param([c], (r) => gamma * (0.5 + r.uniform())),
      bias: this.param([c], (r) => 0.1 * r.normal()),
      mean: this.param([c], (r) => 0.1 * r.normal()),
      variance: this.param([c], (r) => 0.5 + r.uniform()),
    }, c);
  }

  activation(x: string, act: Activation): string {
    oneOf('activation', act, ACTIVATIONS);
    if (act === 'none') return x;
    const name = this.fresh(act);
    return this.add({ op: 'activation', name, inputs: [x], output: name, act }, this.channelsOf(x));
  }

  sum(a: string, b: string, act: Activation = 'none'): string {
    oneOf('sum act', act, ACTIVATIONS);
    const name = this.fresh('add');
    return this.add({ op: 'add', name, inputs: [a, b], output: name, act }, this.channelsOf(a));
  }

  mul(x: string, s: string): string {
    const name = this.fresh('mul');
    return this.add({ op: 'mul', name, inputs: [x, s], output: name }, this.channelsOf(x));
  }

  pool(x: string, mode: 'max' | 'avg', o: PoolOptions): string {
    oneOf('pool mode', mode, ['max', 'avg']);
    const name = this.fresh(`${mode}pool`);
    return this.add({
      op: 'pool', name, inputs: [x], output: name, mode,
      kernel: pair(o.kernel), stride: pair(o.stride ?? o.kernel), pads: pads(o.pad),
      ceilMode: o.ceilMode ?? false, countIncludePad: o.countIncludePad ?? false,
    }, this.channelsOf(x));
  }

  globalPool(x: string, mode: 'avg' | 'max' = 'avg'): string {
    oneOf('globalPool mode', mode, ['avg', 'max']);
    const name = this.fresh(`global${mode}pool`);
    return this.add({ op: 'globalpool', name, inputs: [x], output: name, mode }, this.channelsOf(x));
  }

  flatten(x: string): string {
    const name = this.fresh('flatten');
    return this.add({ op: 'flatten', name, inputs: [x], output: name }, this.channelsOf(x));
  }

  /** Joins tensors along the channels (Inception's branches, ShuffleNet's stride-2 units). */
  concat(inputs: string[]): string {
    const name = this.fresh('concat');
    return this.add({ op: 'concat', name, inputs: [...inputs], output: name }, inputs.reduce((c, t) => c + this.channelsOf(t), 0));
  }

  /** Constant padding along H and W: [top, left, bottom, right]. */
  pad(x: string, pads: [number, number, number, number], value = 0): string {
    const name = this.fresh('pad');
    return this.add({ op: 'pad', name, inputs: [x], output: name, pads: [...pads], value }, this.channelsOf(x));
  }

  /** ShuffleNet's channel shuffle: channels as [groups, C / groups], transposed. */
  channelShuffle(x: string, groups: number): string {
    const name = this.fresh('shuffle');
    return this.add({ op: 'shuffle', name, inputs: [x], output: name, groups }, this.channelsOf(x));
  }

  /** `gain` scales the He-normal weights; `biasMean` centres the random bias. */
  fc(x: string, outK: number, o: { bias?: boolean; act?: Activation; gain?: number; biasMean?: number } = {}): string {
    const k = this.channelsOf(x);
    const act = oneOf('fc act', o.act, ACTIVATIONS, 'none');
    const std = (o.gain ?? 1) * Math.sqrt(2 / k);
    const name = this.fresh('fc');
    return this.add({
      op: 'fc', name, inputs: [x], output: name,
      weight: this.param([outK, k], (r) => r.normal() * std),
      bias: (o.bias ?? true) ? this.param([outK], (r) => (o.biasMean ?? 0) + 0.1 * r.normal()) : undefined,
      act,
    }, outK);
  }

  softmax(x: string): string {
    const name = this.fresh('softmax');
    return this.add({ op: 'softmax', name, inputs: [x], output: name }, this.channelsOf(x));
  }

  /**
   * The SE block as separate ops (squeeze, FC, act, FC, gate, scale), as exports write it.
   * `as: 'fc'` (default) flattens the squeezed [N, C, 1, 1] and uses FC layers (the paper's Caffe
   * models); `as: 'conv'` keeps [N, C, 1, 1] and uses 1x1 convolutions (torchvision, timm).
   */
  squeezeExcite(x: string, hidden: number, o: {
    squeeze?: 'avg' | 'max'; act?: Activation; gate?: Activation; bias?: boolean; as?: 'fc' | 'conv';
  } = {}): string {
    const c = this.channelsOf(x);
    const squeeze = oneOf('squeezeExcite squeeze', o.squeeze, ['avg', 'max'], 'avg');
    const act = oneOf('squeezeExcite act', o.act, ACTIVATIONS, 'relu');
    const gate = oneOf('squeezeExcite gate', o.gate, ACTIVATIONS, 'sigmoid');
    const as = oneOf('squeezeExcite as', o.as, ['fc', 'conv'], 'fc');
    const bias = o.bias ?? true;
    const linear = (t: string, outK: number, gain = 1, biasMean = 0) => (as === 'conv'
      ? this.conv(t, outK, { kernel: 1, bias, gain, biasMean })
      : this.fc(t, outK, { bias, gain, biasMean }));
    let s = this.globalPool(x, squeeze);
    if (as !== 'conv') s = this.flatten(s);
    s = this.activation(linear(s, hidden), act);
    // An unbounded gate (relu) would let random weights scale every block by a factor that grows
    // with its input, and deep random nets overflow (SE-ResNet-152 reached inf): start it near 1.
    const unbounded = gate === 'relu' || gate === 'none';
    s = linear(s, c, unbounded ? 0.002 : 1, unbounded ? 1 : 0);
    s = this.activation(s, gate);
    return this.mul(x, s);
  }

  build(output: string): Graph {
    return {
      name: this.name,
      input: { name: this.input, channels: this.channelsOf(this.input) },
      output,
      nodes: this.nodes,
    };
  }
}
