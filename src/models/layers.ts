// Pieces the paper's other networks share (BN-Inception, Inception-ResNet-v2, MobileNet, ShuffleNet):
// their options checked one way, conv + BatchNorm + activation, the SE unit at ratio r, and the
// classifier head every network here (ResNets and EfficientNet too) ends with.
import { OptionError } from '../errors.js';
import { flag, positiveInt, seedOption } from '../options.js';
import type { BuilderOptions, GraphBuilder } from '../graph/builder.js';
import type { Activation, Graph } from '../graph/ir.js';

export interface PaperNetOptions extends BuilderOptions {
  /** SE reduction ratio r (SE variants only): the excitation's hidden width is floor(C / r). Default 16. */
  reduction?: number;
  classes?: number;
}

/** Checks the options every one of these networks takes; `narrowest`: the fewest channels an SE unit sees. */
export function resolvePaperNet(name: string, o: PaperNetOptions, se: boolean, narrowest: number) {
  if (!se && o.reduction !== undefined) throw new OptionError(`${name} has no SE blocks; reduction does not apply`);
  const seed = seedOption(o.seed), weights = flag('weights', o.weights, true);
  const reduction = positiveInt('reduction', o.reduction, 16);
  if (se && reduction > narrowest) {
    throw new OptionError(`reduction ${reduction} exceeds ${narrowest}, the channels of the narrowest SE unit`);
  }
  return { se, reduction, classes: positiveInt('classes', o.classes, 1000), seed, weights };
}

export interface ConvBnOptions {
  stride?: number;
  /** Default: "same" for odd kernels, (k - 1) / 2 on each side. */
  pad?: number | [number, number];
  group?: number;
  act?: Activation;
  /** Scales the random BN weights: a small value on a residual branch keeps deep random sums in range. */
  gamma?: number;
  epsilon?: number;
}

/** A bias-free conv, BatchNorm, activation (ReLU unless told): every conv of these networks. */
export function convBn(b: GraphBuilder, x: string, outC: number, kernel: number | [number, number], o: ConvBnOptions = {}): string {
  const [kH, kW] = typeof kernel === 'number' ? [kernel, kernel] : kernel;
  const pad = o.pad ?? [(kH - 1) >> 1, (kW - 1) >> 1];
  const y = b.conv(x, outC, { kernel, stride: o.stride ?? 1, pad, group: o.group ?? 1 });
  return b.activation(b.batchnorm(y, o.gamma ?? 1, o.epsilon), o.act ?? 'relu');
}

/**
 * The SE unit of the released Caffe models (SE-BN-Inception.prototxt): average squeeze, 1x1 convs
 * with bias to floor(C / r) and back, ReLU then sigmoid.
 */
export function seUnit(b: GraphBuilder, x: string, reduction: number): string {
  return b.squeezeExcite(x, Math.floor(b.channelsOf(x) / reduction), { act: 'relu', gate: 'sigmoid', bias: true, as: 'conv' });
}

/** The classifier head: global average pool, flatten, FC to `classes`, under `stage`; the built graph. */
export function classifierHead(b: GraphBuilder, x: string, classes: number, stage = 'classifier'): Graph {
  b.stage = stage;
  return b.build(b.fc(b.flatten(b.globalPool(x, 'avg')), classes));
}
