// BN-Inception (Ioffe and Szegedy 2015) and Inception-ResNet-v2 (Szegedy et al. 2016), with and
// without SE units (Hu et al., Table 2).
// - BN-Inception layer for layer as the authors' SE-BN-Inception.prototxt (github.com/hujie-frank/
//   SENet): Caffe pools (ceil mode; average pools count the padding), every conv bias-free with BN
//   and ReLU, the SE unit after each module's concat (Fig. 2 left), hidden floor(C / 16), 1x1 convs.
// - Inception-ResNet-v2 as the released TF-slim model (inception_resnet_v2.py, the weights every
//   port uses): "valid" stem, 10 / 20 / 10 residual blocks scaled by 0.17 / 0.10 / 0.20, at 299x299.
import { GraphBuilder } from '../graph/builder.js';
import type { Graph } from '../graph/ir.js';
import { classifierHead, convBn, resolvePaperNet, seUnit, type PaperNetOptions } from './layers.js';

/** Registry fields plus what tests change for small variants. */
export interface InceptionConfig extends PaperNetOptions {
  name: string;
  se: boolean;
  /** Divides every channel count (at least 1 channel): small variants for tests. Default 1. */
  widthDivisor?: number;
}

const scaler = (d = 1) => (c: number) => Math.max(1, Math.round(c / d));

/**
 * A BN-Inception module: [1x1], [1x1 -> 3x3], [1x1 -> 3x3 -> 3x3], [pool -> 1x1 projection].
 * Reduction modules (3c, 4e) have stride 2, no 1x1 branch, and a bare max pool.
 */
interface Module {
  name: string; c1: number; c3r: number; c3: number; d3r: number; d3: number; pool: 'avg' | 'max'; proj: number; stride: 1 | 2;
}
const mod = (name: string, c1: number, c3r: number, c3: number, d3r: number, d3: number, pool: 'avg' | 'max', proj: number): Module =>
  ({ name, c1, c3r, c3, d3r, d3, pool, proj, stride: c1 === 0 ? 2 : 1 });

// From SE-BN-Inception.prototxt (the same widths as Ioffe and Szegedy's Fig. 5, 4c's 1x1 160 included).
const BN_INCEPTION: Module[] = [
  mod('3a', 64, 64, 64, 64, 96, 'avg', 32),
  mod('3b', 64, 64, 96, 64, 96, 'avg', 64),
  mod('3c', 0, 128, 160, 64, 96, 'max', 0),
  mod('4a', 224, 64, 96, 96, 128, 'avg', 128),
  mod('4b', 192, 96, 128, 96, 128, 'avg', 128),
  mod('4c', 160, 128, 160, 128, 160, 'avg', 128),
  mod('4d', 96, 128, 192, 160, 192, 'avg', 128),
  mod('4e', 0, 128, 192, 192, 256, 'max', 0),
  mod('5a', 352, 192, 320, 160, 224, 'avg', 128),
  mod('5b', 352, 192, 320, 192, 224, 'max', 128),
];

export function buildBnInception(config: InceptionConfig): Graph {
  const ch = scaler(config.widthDivisor);
  const o = resolvePaperNet(config.name, config, config.se, ch(256));
  const b = new GraphBuilder(config.name, 'input', 3, o);
  const conv = (x: string, outC: number, kernel: number, stride = 1) => convBn(b, x, ch(outC), kernel, { stride });
  // Caffe's pooling rounds the output size up (224 -> 112 -> 56 -> 28 -> 14 -> 7) and its average
  // counts the padding. The reduction modules' pool and stride-2 convs then agree only on even maps:
  // input sides must be multiples of 32, as for the Caffe model.
  const pool = (x: string, mode: 'avg' | 'max', stride: number, pad: number) =>
    b.pool(x, mode, { kernel: 3, stride, pad, ceilMode: true, countIncludePad: true });

  b.stage = 'conv1';
  let x = pool(conv('input', 64, 7, 2), 'max', 2, 0);
  b.stage = 'conv2';
  x = pool(conv(conv(x, 64, 1), 192, 3), 'max', 2, 0);
  for (const m of BN_INCEPTION) {
    b.stage = `inception_${m.name}`;
    const pooled = pool(x, m.pool, m.stride, m.stride === 1 ? 1 : 0);
    x = b.concat([
      ...(m.c1 ? [conv(x, m.c1, 1)] : []),
      conv(conv(x, m.c3r, 1), m.c3, 3, m.stride),
      conv(conv(conv(x, m.d3r, 1), m.d3, 3), m.d3, 3, m.stride),
      m.proj ? conv(pooled, m.proj, 1) : pooled,
    ]);
    if (o.se) x = seUnit(b, x, o.reduction);
  }
  // The prototxt's 7x7 average pool is the global pool at 224x224.
  return classifierHead(b, x, o.classes);
}

export interface InceptionResNetConfig extends InceptionConfig {
  /** Residual blocks of each kind (35x35, 17x17, 8x8); default 10, 20, 10. */
  repeats?: [number, number, number];
}

/**
 * Inception-ResNet-v2, TF-slim's layers: BN eps 0.001, "valid" convs and pools where TF-slim has
 * them. A residual block adds `scale` x (its branches' concat -> 1x1 conv with bias, no BN) to its
 * input, then ReLU (not after the last 8x8 block). With SE, the unit sits on that residual branch
 * before the sum (SE-ResNet's placement, Fig. 3) and after the concat of the other modules (as in
 * SE-BN-Inception).
 */
export function buildInceptionResNetV2(config: InceptionResNetConfig): Graph {
  const ch = scaler(config.widthDivisor);
  const o = resolvePaperNet(config.name, config, config.se, ch(320));
  const [r35, r17, r8] = config.repeats ?? [10, 20, 10];
  const b = new GraphBuilder(config.name, 'input', 3, o);
  const conv = (x: string, outC: number, kernel: number | [number, number], stride = 1, valid = false) =>
    convBn(b, x, ch(outC), kernel, { stride, epsilon: 1e-3, ...(valid ? { pad: 0 } : {}) });
  const maxPool = (x: string) => b.pool(x, 'max', { kernel: 3, stride: 2 });
  const se = (x: string) => (o.se ? seUnit(b, x, o.reduction) : x);
  const residual = (x: string, branches: string[], scale: number, relu = true) => {
    // The scale multiplies a linear conv: it is folded into that conv's weights (the gain).
    const up = se(b.conv(b.concat(branches), b.channelsOf(x), { kernel: 1, bias: true, gain: scale }));
    return b.sum(x, up, relu ? 'relu' : 'none');
  };

  b.stage = 'stem';
  let x = conv(conv(conv('input', 32, 3, 2, true), 32, 3, 1, true), 64, 3);
  x = conv(conv(maxPool(x), 80, 1), 192, 3, 1, true);
  x = maxPool(x);
  b.stage = 'mixed_5b';
  x = se(b.concat([
    conv(x, 96, 1),
    conv(conv(x, 48, 1), 64, 5),
    conv(conv(conv(x, 64, 1), 96, 3), 96, 3),
    conv(b.pool(x, 'avg', { kernel: 3, stride: 1, pad: 1 }), 64, 1),
  ]));
  b.stage = 'block35';
  for (let i = 0; i < r35; i++) {
    x = residual(x, [conv(x, 32, 1), conv(conv(x, 32, 1), 32, 3), conv(conv(conv(x, 32, 1), 48, 3), 64, 3)], 0.17);
  }
  b.stage = 'mixed_6a';
  x = se(b.concat([conv(x, 384, 3, 2, true), conv(conv(conv(x, 256, 1), 256, 3), 384, 3, 2, true), maxPool(x)]));
  b.stage = 'block17';
  for (let i = 0; i < r17; i++) {
    x = residual(x, [conv(x, 192, 1), conv(conv(conv(x, 128, 1), 160, [1, 7]), 192, [7, 1])], 0.10);
  }
  b.stage = 'mixed_7a';
  x = se(b.concat([
    conv(conv(x, 256, 1), 384, 3, 2, true),
    conv(conv(x, 256, 1), 288, 3, 2, true),
    conv(conv(conv(x, 256, 1), 288, 3), 320, 3, 2, true),
    maxPool(x),
  ]));
  b.stage = 'block8';
  for (let i = 0; i < r8; i++) {
    const last = i === r8 - 1;
    x = residual(x, [conv(x, 192, 1), conv(conv(conv(x, 192, 1), 224, [1, 3]), 256, [3, 1])], last ? 1 : 0.20, !last);
  }
  b.stage = 'conv_7b';
  x = conv(x, 1536, 1);
  // Dropout (keep 0.8) sits before the classifier in training; the identity at inference.
  return classifierHead(b, x, o.classes);
}
