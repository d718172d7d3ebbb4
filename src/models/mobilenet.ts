// MobileNet (v1, Howard et al. 2017, Table 1) and ShuffleNet (v1, Zhang et al. 2017, Table 1, 1x,
// g = 3), with and without SE units (Hu et al., Table 3). Every conv is bias-free with BatchNorm;
// the classifier is a global average pool and an FC layer.
// Where the SE unit sits, which neither paper text fixes, was chosen by the parameter counts of
// Table 3 (ratio 16, as "in all our models"; docs/design.md works through the alternatives):
// - MobileNet: on each depthwise-separable block's output (after the pointwise conv's ReLU):
//   +0.48M parameters, 4.7M in all; on the depthwise outputs instead it would be 4.6M.
// - ShuffleNet: on each unit's residual branch before the add or concat (SE-ResNet's placement):
//   +0.61M, 2.4M in all; on the unit outputs instead it would be 2.6M.
import { OptionError } from '../errors.js';
import { GraphBuilder } from '../graph/builder.js';
import type { Graph } from '../graph/ir.js';
import { classifierHead, convBn, resolvePaperNet, seUnit, type PaperNetOptions } from './layers.js';
import { makeDivisible } from './mobilenetv3.js';

export interface MobileNetOptions extends PaperNetOptions {
  /** Width multiplier (MobileNet's alpha, ShuffleNet's "s x"). Default 1. */
  width?: number;
}

export interface MobileNetConfig extends MobileNetOptions {
  name: string;
  se: boolean;
}

function widthOf(o: MobileNetOptions, allowed?: readonly number[]): number {
  const w = o.width ?? 1;
  if (allowed ? !allowed.includes(w) : !(typeof w === 'number' && w > 0 && w <= 4)) {
    throw new OptionError(`width must be ${allowed ? `one of ${allowed.join(', ')}` : 'a number in (0, 4]'}; got ${JSON.stringify(o.width)}`);
  }
  return w;
}

// MobileNet's Table 1: [output channels, stride] of the 13 depthwise-separable blocks.
const MOBILENET: [number, number][] = [
  [64, 1], [128, 2], [128, 1], [256, 2], [256, 1], [512, 2],
  [512, 1], [512, 1], [512, 1], [512, 1], [512, 1], [1024, 2], [1024, 1],
];

export function buildMobileNetV1(config: MobileNetConfig): Graph {
  const width = widthOf(config);
  // The TF reference's rounding of the widths (a multiple of 8, never 10% below).
  const ch = (c: number) => makeDivisible(c * width, 8);
  const o = resolvePaperNet(config.name, config, config.se, ch(64));
  const b = new GraphBuilder(config.name, 'input', 3, o);
  b.stage = 'conv1';
  let x = convBn(b, 'input', ch(32), 3, { stride: 2 });
  MOBILENET.forEach(([out, stride], i) => {
    b.stage = `block${i + 1}`;
    x = convBn(b, x, b.channelsOf(x), 3, { stride, group: b.channelsOf(x) });
    x = convBn(b, x, ch(out), 1);
    if (o.se) x = seUnit(b, x, o.reduction);
  });
  return classifierHead(b, x, o.classes);
}

export interface ShuffleNetConfig extends MobileNetConfig {
  /** Units per stage (stages 2-4); default 4, 8, 4. */
  units?: [number, number, number];
}

const GROUPS = 3;

export function buildShuffleNetV1(config: ShuffleNetConfig): Graph {
  // ShuffleNet's 0.25x, 0.5x and 1x keep every width a multiple of the 3 groups.
  const width = widthOf(config, [0.25, 0.5, 1]);
  const stages = [240, 480, 960].map((c) => c * width);
  const o = resolvePaperNet(config.name, config, config.se, stages[0] - 24);
  const b = new GraphBuilder(config.name, 'input', 3, o);

  // Stride 2: the branch makes (out - in) channels, concatenated with the 3x3 average-pooled input.
  const unit = (x: string, out: number, stride: number, firstGroups: number): string => {
    const inC = b.channelsOf(x);
    let r = convBn(b, x, out / 4, 1, { group: firstGroups });
    r = b.channelShuffle(r, firstGroups === 1 ? 1 : GROUPS);
    r = convBn(b, r, out / 4, 3, { stride, group: out / 4, act: 'none' });
    // A small gamma on the branch's last BN keeps the sums of random branches in range.
    r = convBn(b, r, stride === 1 ? out : out - inC, 1, { group: GROUPS, act: 'none', gamma: stride === 1 ? 0.2 : 1 });
    if (o.se) r = seUnit(b, r, o.reduction);
    if (stride === 1) return b.sum(x, r, 'relu');
    return b.activation(b.concat([b.pool(x, 'avg', { kernel: 3, stride: 2, pad: 1, countIncludePad: true }), r]), 'relu');
  };

  b.stage = 'conv1';
  let x = convBn(b, 'input', 24, 3, { stride: 2 });
  x = b.pool(x, 'max', { kernel: 3, stride: 2, pad: 1 });
  (config.units ?? [4, 8, 4]).forEach((count, i) => {
    b.stage = `stage${i + 2}`;
    // Stage 2's first 1x1 conv is not grouped: its 24 input channels are too few (ShuffleNet, Sec. 3.3).
    for (let j = 0; j < count; j++) x = unit(x, stages[i], j === 0 ? 2 : 1, i === 0 && j === 0 ? 1 : GROUPS);
  });
  return classifierHead(b, x, o.classes);
}
