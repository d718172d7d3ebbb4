// EfficientNet-B0 (Tan and Le, ICML 2019), layer for layer as torchvision's `efficientnet_b0`
// (torchvision/models/efficientnet.py):
// - every conv is bias-free, followed by BatchNorm and SiLU (none after the projection). The
//   BatchNorm is torchvision's default `nn.BatchNorm2d`, eps 1e-5, for B0-B4; only B5-B7 and the
//   V2 models pass `partial(nn.BatchNorm2d, eps=1e-3[, momentum=0.01])` (weights from TensorFlow);
// - MBConv: [1x1 expand to make_divisible(in * t, 8)] -> depthwise kxk (stride on it) -> SE ->
//   1x1 project, + the input when stride 1 and the channels agree (stochastic depth: the identity
//   at inference; no activation after the sum);
// - SE: squeeze = max(1, block INPUT channels // 4) (not the expanded ones), fc1 and fc2 are 1x1
//   convs with bias on [N, C, 1, 1], SiLU then sigmoid;
// - stem 3x3/2 to 32, head 1x1 conv to 4 x 320 = 1280 + SiLU, average pool, Dropout(0.2) (nothing
//   at inference), Linear to the classes.
import { flag, positiveInt, seedOption } from '../options.js';
import { GraphBuilder, type BuilderOptions } from '../graph/builder.js';
import type { Activation, Graph } from '../graph/ir.js';
import { classifierHead } from './layers.js';
import { makeDivisible } from './mobilenetv3.js';

export interface EfficientNetOptions extends BuilderOptions {
  classes?: number;
}

/** torchvision's MBConvConfig for B0 (width and depth multipliers 1). */
interface Stage { expand: number; kernel: number; stride: number; input: number; out: number; layers: number }

const B0: Stage[] = [
  { expand: 1, kernel: 3, stride: 1, input: 32, out: 16, layers: 1 },
  { expand: 6, kernel: 3, stride: 2, input: 16, out: 24, layers: 2 },
  { expand: 6, kernel: 5, stride: 2, input: 24, out: 40, layers: 2 },
  { expand: 6, kernel: 3, stride: 2, input: 40, out: 80, layers: 3 },
  { expand: 6, kernel: 5, stride: 1, input: 80, out: 112, layers: 3 },
  { expand: 6, kernel: 5, stride: 2, input: 112, out: 192, layers: 4 },
  { expand: 6, kernel: 3, stride: 1, input: 192, out: 320, layers: 1 },
];

/** Every MBConv block has an SE unit: 16 in B0. */
export const EFFICIENTNET_B0_SE_BLOCKS = B0.reduce((a, s) => a + s.layers, 0);

const BN_EPS = 1e-5;

function resolve(o: EfficientNetOptions) {
  const seed = seedOption(o.seed), weights = flag('weights', o.weights, true);
  const classes = positiveInt('classes', o.classes, 1000);
  return { classes, seed, weights };
}

/** Builds torchvision's EfficientNet-B0. */
export function buildEfficientNetB0(options: EfficientNetOptions = {}): Graph {
  const o = resolve(options);
  const b = new GraphBuilder('efficientnet-b0', 'input', 3, o);
  const convBn = (x: string, outC: number, kernel: number, act: Activation, stride = 1, group = 1, gamma = 1) =>
    b.activation(b.batchnorm(b.conv(x, outC, { kernel, stride, pad: (kernel - 1) >> 1, group }), gamma, BN_EPS), act);

  b.stage = 'features.0';
  let x = convBn('input', B0[0].input, 3, 'silu', 2);
  B0.forEach((stage, i) => {
    b.stage = `features.${i + 1}`;
    for (let j = 0; j < stage.layers; j++) {
      const input = j === 0 ? stage.input : stage.out;
      const stride = j === 0 ? stage.stride : 1;
      const expanded = makeDivisible(input * stage.expand, 8);
      let y = expanded !== input ? convBn(x, expanded, 1, 'silu') : x;
      y = convBn(y, expanded, stage.kernel, 'silu', stride, expanded);
      y = b.squeezeExcite(y, Math.max(1, Math.floor(input / 4)), { act: 'silu', gate: 'sigmoid', bias: true, as: 'conv' });
      const residual = stride === 1 && input === stage.out;
      // A small gamma on a residual branch's last BN keeps the sums of random branches in range.
      y = convBn(y, stage.out, 1, 'none', 1, 1, residual ? 0.2 : 1);
      x = residual ? b.sum(y, x) : y;
    }
  });
  b.stage = `features.${B0.length + 1}`;
  x = convBn(x, 4 * B0[B0.length - 1].out, 1, 'silu');
  // Dropout(p=0.2) comes before the Linear in training; it is the identity at inference.
  return classifierHead(b, x, o.classes);
}
