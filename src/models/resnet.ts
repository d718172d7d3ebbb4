// The ResNet family with bottleneck blocks, with and without SE (Hu et al., CVPR 2018, Table 1):
// ResNet-50, SE-ResNet-50/101/152, SE-ResNeXt-50/101 (32x4d), and the paper's ablations
// (reduction ratio, SE placement, squeeze, gate) as options.
import { OptionError } from '../errors.js';
import { flag, oneOf, positiveInt, seedOption } from '../options.js';
import { GraphBuilder, type BuilderOptions } from '../graph/builder.js';
import type { Activation, Graph } from '../graph/ir.js';
import { classifierHead } from './layers.js';

export const PLACEMENTS = ['standard', 'pre', 'post', 'identity'] as const;
export const SQUEEZES = ['avg', 'max'] as const;
export const GATES = ['sigmoid', 'relu', 'tanh'] as const;
export const STRIDE_ON = ['1x1', '3x3'] as const;

export type Placement = (typeof PLACEMENTS)[number];
export type Squeeze = (typeof SQUEEZES)[number];
export type Gate = (typeof GATES)[number];
export type StrideOn = (typeof STRIDE_ON)[number];

/** What a user may choose for a registered model. */
export interface ResNetOptions extends BuilderOptions {
  /** SE reduction ratio r: the excitation's hidden width is floor(C / r). Default 16. */
  reduction?: number;
  /**
   * Where the SE unit sits (paper Fig. 5): 'standard' on the residual branch before the sum;
   * 'pre' on the block input, before the residual branch; 'post' after the sum and its ReLU;
   * 'identity' on the shortcut, parallel to the residual branch. Default 'standard'.
   */
  placement?: Placement;
  squeeze?: Squeeze;
  gate?: Gate;
  fcBias?: boolean;
  /**
   * The conv that carries a stage's stride 2: '1x1' (the first conv, as the Caffe ResNet and
   * SE-ResNet models: 3.86 G MACs for ResNet-50) or '3x3' (torchvision and ResNeXt: 4.09 G).
   */
  strideOn?: StrideOn;
  classes?: number;
}

/** A whole network: the registry fills these in; tests use them for small variants. */
export interface ResNetConfig extends ResNetOptions {
  name: string;
  /** Bottleneck blocks per stage, conv2_x first (3-4-6-3 for 50 layers). */
  blocks: number[];
  /** SE units in every block, or a plain ResNet. */
  se: boolean;
  /** Stem width and conv2_x's base width; stage i outputs width * 2^i * 4 channels. Default 64. */
  width?: number;
  /** Groups of the 3x3 conv: 32 for ResNeXt 32x4d. Default 1. */
  groups?: number;
  /** Channels per group in conv2_x (4 for 32x4d); default width / groups, a plain bottleneck. */
  groupWidth?: number;
  /**
   * SENet-154's changes to a ResNeXt (Hu et al., appendix; SENet-154.prototxt): the stem's 7x7 conv
   * becomes three 3x3 convs (64, 64, 128), each block's first 1x1 conv has half the 3x3's width,
   * and the stride-2 projection shortcut is a 3x3 conv. (Its dropout before the classifier is the
   * identity at inference.)
   */
  senet154?: boolean;
}

const EXPANSION = 4;
const SE_KEYS = ['reduction', 'placement', 'squeeze', 'gate', 'fcBias'] as const;

/** Checks every field and fills in the defaults; throws OptionError naming the first bad one. */
function resolve(c: ResNetConfig) {
  if (!c.se) {
    const given = SE_KEYS.filter((k) => c[k] !== undefined);
    if (given.length) throw new OptionError(`${c.name} has no SE blocks; ${given.join(', ')} do not apply`);
  }
  if (!Array.isArray(c.blocks) || c.blocks.length < 1) throw new OptionError('blocks must list at least one stage');
  c.blocks.forEach((n, i) => positiveInt(`blocks[${i}]`, n, 1));
  const seed = seedOption(c.seed);
  const width = positiveInt('width', c.width, 64);
  const groups = positiveInt('groups', c.groups, 1);
  const groupWidth = positiveInt('groupWidth', c.groupWidth, Math.max(1, Math.floor(width / groups)));
  const placement = oneOf('placement', c.placement, PLACEMENTS, 'standard');
  const reduction = positiveInt('reduction', c.reduction, 16);
  // The narrowest SE: 'pre' squeezes the first block's input (the stem), the others a block output.
  const narrowest = placement === 'pre' ? width : width * EXPANSION;
  if (c.se && reduction > narrowest) {
    throw new OptionError(`reduction ${reduction} exceeds ${narrowest}, the channels of the narrowest SE unit`);
  }
  return {
    name: c.name, blocks: c.blocks, se: c.se, width, groups, groupWidth, placement, reduction,
    squeeze: oneOf('squeeze', c.squeeze, SQUEEZES, 'avg'),
    gate: oneOf('gate', c.gate, GATES, 'sigmoid'),
    fcBias: flag('fcBias', c.fcBias, true),
    // The SE-ResNeXt figures (4.25, 8.00 GFLOPs) match the stride on the 3x3, the SE-ResNets' the 1x1.
    strideOn: oneOf('strideOn', c.strideOn, STRIDE_ON, groups > 1 ? '3x3' : '1x1'),
    classes: positiveInt('classes', c.classes, 1000),
    seed,
    weights: flag('weights', c.weights, true),
    senet154: c.senet154 ?? false,
  };
}

/** Builds any bottleneck ResNet / ResNeXt, with SE units or without. */
export function buildResNet(config: ResNetConfig): Graph {
  const o = resolve(config);
  const b = new GraphBuilder(o.name, 'input', 3, o);

  // Every conv is followed by BatchNorm, hence no conv bias.
  const convBn = (x: string, outC: number, kernel: number, stride = 1, act: Activation = 'relu', group = 1, gamma = 1) =>
    b.activation(b.batchnorm(b.conv(x, outC, { kernel, stride, pad: (kernel - 1) >> 1, group }), gamma), act);
  const se = (x: string) => b.squeezeExcite(x, Math.floor(b.channelsOf(x) / o.reduction), {
    squeeze: o.squeeze, act: 'relu', gate: o.gate, bias: o.fcBias,
  });
  const at = (where: Placement, x: string) => (o.se && o.placement === where ? se(x) : x);

  const bottleneck = (input: string, mid: number, outC: number, stride: number): string => {
    const [s1, s3] = o.strideOn === '1x1' ? [stride, 1] : [1, stride];
    let r = convBn(at('pre', input), o.senet154 ? mid / 2 : mid, 1, s1);
    r = convBn(r, mid, 3, s3, 'relu', o.groups);
    // A small gamma on the branch's last BN keeps the sum of 36+ random branches finite.
    r = at('standard', convBn(r, outC, 1, 1, 'none', 1, 0.2));
    const projected = stride !== 1 || b.channelsOf(input) !== outC;
    const projection = o.senet154 && stride !== 1 ? 3 : 1;
    const shortcut = at('identity', projected ? convBn(input, outC, projection, stride, 'none') : input);
    return at('post', b.sum(r, shortcut, 'relu'));
  };

  b.stage = 'conv1';
  let x = o.senet154
    ? convBn(convBn(convBn('input', o.width, 3, 2), o.width, 3), 2 * o.width, 3)
    : convBn('input', o.width, 7, 2);
  b.stage = 'conv2_x'; // Table 1 puts the max pool in conv2_x
  x = b.pool(x, 'max', { kernel: 3, stride: 2, pad: 1, ceilMode: false });
  o.blocks.forEach((count, i) => {
    b.stage = `conv${i + 2}_x`;
    const mid = (o.groups * o.groupWidth) << i;
    const outC = (o.width * EXPANSION) << i;
    for (let j = 0; j < count; j++) x = bottleneck(x, mid, outC, i > 0 && j === 0 ? 2 : 1);
  });
  return classifierHead(b, x, o.classes, 'fc');
}
