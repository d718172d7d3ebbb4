// MobileNetV3-Large and -Small (Howard et al., "Searching for MobileNetV3", ICCV 2019), layer for
// layer as torchvision's `mobilenet_v3_large` / `mobilenet_v3_small` (torchvision/models/
// mobilenetv3.py), so that an export of those models and this builder describe the same graph:
// - every conv is bias-free and followed by BatchNorm(eps 0.001) and the block's activation;
// - inverted residual: [1x1 expand] -> depthwise kxk -> [SE] -> 1x1 project (no activation),
//   + the input when stride 1 and the channels agree (no activation after the sum);
// - SE on the expanded channels, after the depthwise conv: squeeze = make_divisible(expanded / 4, 8),
//   fc1 and fc2 are 1x1 convs with bias on [N, C, 1, 1], ReLU then hard-sigmoid;
// - head: 1x1 conv to 6x the last block's channels + hardswish, average pool, Linear to 1280
//   (Large) or 1024 (Small) + hardswish, Dropout (nothing at inference), Linear to the classes.
// Channels go through make_divisible(c * width, 8), the last Linear's width included.
import { OptionError } from '../errors.js';
import { flag, positiveInt, seedOption } from '../options.js';
import { GraphBuilder, type BuilderOptions } from '../graph/builder.js';
import type { Activation, Graph } from '../graph/ir.js';

export interface MobileNetV3Options extends BuilderOptions {
  /** Width multiplier of every channel count (torchvision's `width_mult`). Default 1. */
  width?: number;
  classes?: number;
}

export type MobileNetV3Arch = 'large' | 'small';

/** torchvision's InvertedResidualConfig, before the width multiplier. */
interface Bneck {
  input: number; kernel: number; expanded: number; out: number; se: boolean; act: Activation; stride: number;
}

const bneck = (input: number, kernel: number, expanded: number, out: number, se: boolean, act: 'RE' | 'HS', stride: number): Bneck =>
  ({ input, kernel, expanded, out, se, act: act === 'HS' ? 'hardswish' : 'relu', stride });

// torchvision's tables (dilation 1, no reduced tail: the ImageNet models).
const LARGE: Bneck[] = [
  bneck(16, 3, 16, 16, false, 'RE', 1),
  bneck(16, 3, 64, 24, false, 'RE', 2),
  bneck(24, 3, 72, 24, false, 'RE', 1),
  bneck(24, 5, 72, 40, true, 'RE', 2),
  bneck(40, 5, 120, 40, true, 'RE', 1),
  bneck(40, 5, 120, 40, true, 'RE', 1),
  bneck(40, 3, 240, 80, false, 'HS', 2),
  bneck(80, 3, 200, 80, false, 'HS', 1),
  bneck(80, 3, 184, 80, false, 'HS', 1),
  bneck(80, 3, 184, 80, false, 'HS', 1),
  bneck(80, 3, 480, 112, true, 'HS', 1),
  bneck(112, 3, 672, 112, true, 'HS', 1),
  bneck(112, 5, 672, 160, true, 'HS', 2),
  bneck(160, 5, 960, 160, true, 'HS', 1),
  bneck(160, 5, 960, 160, true, 'HS', 1),
];

const SMALL: Bneck[] = [
  bneck(16, 3, 16, 16, true, 'RE', 2),
  bneck(16, 3, 72, 24, false, 'RE', 2),
  bneck(24, 3, 88, 24, false, 'RE', 1),
  bneck(24, 5, 96, 40, true, 'HS', 2),
  bneck(40, 5, 240, 40, true, 'HS', 1),
  bneck(40, 5, 240, 40, true, 'HS', 1),
  bneck(40, 5, 120, 48, true, 'HS', 1),
  bneck(48, 5, 144, 48, true, 'HS', 1),
  bneck(48, 5, 288, 96, true, 'HS', 2),
  bneck(96, 5, 576, 96, true, 'HS', 1),
  bneck(96, 5, 576, 96, true, 'HS', 1),
];

const ARCH = {
  large: { blocks: LARGE, lastChannel: 1280 },
  small: { blocks: SMALL, lastChannel: 1024 },
} as const;

/** The number of SE blocks in each architecture (for tests and reports). */
export const MOBILENET_V3_SE_BLOCKS = { large: LARGE.filter((b) => b.se).length, small: SMALL.filter((b) => b.se).length };

/**
 * torchvision's `_make_divisible` (from the TF MobileNet code): round to the nearest multiple of
 * `divisor`, at least `divisor`, and never more than 10% below `v`.
 */
export function makeDivisible(v: number, divisor = 8, minValue = divisor): number {
  let n = Math.max(minValue, Math.floor(Math.trunc(v + divisor / 2) / divisor) * divisor);
  if (n < 0.9 * v) n += divisor;
  return n;
}

const BN_EPS = 1e-3;

function resolve(o: MobileNetV3Options) {
  const seed = seedOption(o.seed), weights = flag('weights', o.weights, true);
  const width = o.width ?? 1;
  if (typeof width !== 'number' || !Number.isFinite(width) || width <= 0 || width > 16) {
    throw new OptionError(`width must be a number in (0, 16]; got ${JSON.stringify(o.width)}`);
  }
  const classes = positiveInt('classes', o.classes, 1000);
  return { width, classes, seed, weights };
}

/** Builds torchvision's MobileNetV3-Large or -Small. */
export function buildMobileNetV3(arch: MobileNetV3Arch, options: MobileNetV3Options = {}): Graph {
  const o = resolve(options);
  const ch = (c: number) => makeDivisible(c * o.width, 8);
  const b = new GraphBuilder(`mobilenet-v3-${arch}`, 'input', 3, o);
  // torchvision's Conv2dNormActivation: conv (no bias, "same" padding), BatchNorm, activation.
  const convBn = (x: string, outC: number, kernel: number, act: Activation, stride = 1, group = 1, gamma = 1) =>
    b.activation(b.batchnorm(b.conv(x, outC, { kernel, stride, pad: (kernel - 1) >> 1, group }), gamma, BN_EPS), act);

  const { blocks, lastChannel } = ARCH[arch];
  let layer = 0; // torchvision's `features.<i>`
  b.stage = `features.${layer++}`;
  let x = convBn('input', ch(blocks[0].input), 3, 'hardswish', 2);
  for (const cfg of blocks) {
    b.stage = `features.${layer++}`;
    const [input, expanded, out] = [ch(cfg.input), ch(cfg.expanded), ch(cfg.out)];
    let y = expanded !== input ? convBn(x, expanded, 1, cfg.act) : x;
    y = convBn(y, expanded, cfg.kernel, cfg.act, cfg.stride, expanded);
    if (cfg.se) {
      y = b.squeezeExcite(y, makeDivisible(Math.floor(expanded / 4), 8), {
        act: 'relu', gate: 'hardsigmoid', bias: true, as: 'conv',
      });
    }
    const residual = cfg.stride === 1 && input === out;
    // A small gamma on a residual branch's last BN keeps the sums of random branches in range.
    y = convBn(y, out, 1, 'none', 1, 1, residual ? 0.2 : 1);
    x = residual ? b.sum(y, x) : y;
  }
  b.stage = `features.${layer}`;
  const lastConv = 6 * b.channelsOf(x);
  x = convBn(x, lastConv, 1, 'hardswish');
  b.stage = 'classifier';
  x = b.flatten(b.globalPool(x, 'avg'));
  x = b.activation(b.fc(x, ch(lastChannel)), 'hardswish');
  // Dropout(p=0.2) sits here in training; it is the identity at inference.
  x = b.fc(x, o.classes);
  return b.build(x);
}
