// senet-wasm/models: the model registry (names the CLI and API accept, and the options each one
// takes), the GraphBuilder the models are written with, and the tools that count a graph and take
// its SE blocks out (the paper's ablation).
import { OptionError } from '../errors.js';
import type { Graph } from '../graph/ir.js';
import { buildEfficientNetB0, type EfficientNetOptions } from './efficientnet.js';
import { buildBnInception, buildInceptionResNetV2 } from './inception.js';
import { buildMobileNetV1, buildShuffleNetV1, type MobileNetOptions } from './mobilenet.js';
import { buildMobileNetV3, type MobileNetV3Options } from './mobilenetv3.js';
import { buildResNet, type ResNetConfig, type ResNetOptions } from './resnet.js';

export { GraphBuilder, type BuilderOptions, type ConvOptions, type PoolOptions } from '../graph/builder.js';
export { complexity, type Complexity } from '../graph/complexity.js';
export { removeSe, seBlocks, type SeBlock } from '../graph/passes/remove-se.js';

/** Every option any model takes; each model accepts only its own (`ModelEntry.options`). */
export type ModelOptions = ResNetOptions & MobileNetV3Options & EfficientNetOptions & MobileNetOptions;

export interface ModelEntry {
  description: string;
  /** The option keys this model accepts; anything else is rejected (typos would otherwise pass silently). */
  options: readonly string[];
  /** The input height and width its figures are given at, when not 224 (`info` uses it). */
  size?: number;
  build(options?: ModelOptions): Graph;
}

const COMMON = ['seed', 'weights', 'classes', 'strideOn'] as const;
const SE = [...COMMON, 'reduction', 'placement', 'squeeze', 'gate', 'fcBias'] as const;
const BASIC = ['seed', 'weights', 'classes'] as const;
const MOBILENET = [...BASIC, 'width'] as const;
const WITH_SE = (se: boolean, extra: readonly string[] = []) => [...BASIC, ...extra, ...(se ? ['reduction'] : [])];

const resnet = (description: string, fixed: Omit<ResNetConfig, keyof ResNetOptions>): ModelEntry => ({
  description,
  options: fixed.se ? SE : COMMON,
  // Fixed fields last: options cannot change the architecture.
  build: (options = {}) => buildResNet({ ...options, ...fixed }),
});

/** One of the paper's other networks (PaperNetOptions, and `extra` keys), plain or with SE units. */
const paper = (build: (config: ModelOptions & { name: string; se: boolean }) => Graph, name: string, se: boolean,
  description: string, o: { extra?: string[]; size?: number } = {}): ModelEntry => ({
  description,
  options: WITH_SE(se, o.extra),
  ...(o.size && { size: o.size }),
  build: (options = {}) => build({ ...options, name, se }),
});

/** Figures: parameters and the paper's GFLOPs at 224x224 (Hu et al., Table 2). */
export const MODELS: Record<string, ModelEntry> = {
  'resnet50': resnet('ResNet-50 (He et al. 2016), Caffe strides: 25.6M params, 3.86 GFLOPs',
    { name: 'resnet50', blocks: [3, 4, 6, 3], se: false }),
  'se-resnet50': resnet('SE-ResNet-50: 28.1M params, 3.87 GFLOPs',
    { name: 'se-resnet50', blocks: [3, 4, 6, 3], se: true }),
  'se-resnet101': resnet('SE-ResNet-101: 49.3M params, 7.60 GFLOPs',
    { name: 'se-resnet101', blocks: [3, 4, 23, 3], se: true }),
  'se-resnet152': resnet('SE-ResNet-152: 66.8M params, 11.32 GFLOPs',
    { name: 'se-resnet152', blocks: [3, 8, 36, 3], se: true }),
  'se-resnext50-32x4d': resnet('SE-ResNeXt-50 (32x4d): 27.6M params, 4.25 GFLOPs',
    { name: 'se-resnext50-32x4d', blocks: [3, 4, 6, 3], se: true, groups: 32, groupWidth: 4 }),
  'se-resnext101-32x4d': resnet('SE-ResNeXt-101 (32x4d): 49.0M params, 8.00 GFLOPs',
    { name: 'se-resnext101-32x4d', blocks: [3, 4, 23, 3], se: true, groups: 32, groupWidth: 4 }),
  // torchvision's definitions (SE as 1x1 convs); MACs at 224x224 are conv and FC multiply-adds.
  'mobilenet-v3-large': {
    description: 'MobileNetV3-Large (torchvision): 5.48M params, 0.22 G MACs; width multiplier option',
    options: MOBILENET,
    build: (options = {}) => buildMobileNetV3('large', options),
  },
  'mobilenet-v3-small': {
    description: 'MobileNetV3-Small (torchvision): 2.54M params, 0.06 G MACs; width multiplier option',
    options: MOBILENET,
    build: (options = {}) => buildMobileNetV3('small', options),
  },
  'efficientnet-b0': {
    description: 'EfficientNet-B0 (torchvision): 5.29M params, 0.39 G MACs',
    options: BASIC,
    build: (options = {}) => buildEfficientNetB0(options),
  },
  // The paper's other networks (Hu et al., Tables 2 and 3; docs/design.md "The paper's other networks").
  'senet154': resnet('SENet-154 (SE-ResNeXt-152 64x4d, the appendix\'s changes): 115.1M params, 20.7 GFLOPs',
    { name: 'senet154', blocks: [3, 8, 36, 3], se: true, groups: 64, groupWidth: 4, senet154: true }),
  'bn-inception': paper(buildBnInception, 'bn-inception', false,
    'BN-Inception (Ioffe and Szegedy 2015): 11.3M params, 2.03 GFLOPs'),
  'se-bn-inception': paper(buildBnInception, 'se-bn-inception', true,
    'SE-BN-Inception (the authors\' prototxt): 11.9M params, 2.04 GFLOPs'),
  'inception-resnet-v2': paper(buildInceptionResNetV2, 'inception-resnet-v2', false,
    'Inception-ResNet-v2 (TF-slim release) at 299x299: 55.8M params, 13.16 GFLOPs (paper: 11.75; 11.73 at 298x298)', { size: 299 }),
  'se-inception-resnet-v2': paper(buildInceptionResNetV2, 'se-inception-resnet-v2', true,
    'SE-Inception-ResNet-v2 at 299x299: 65.1M params, 13.19 GFLOPs (paper: 11.76; 11.76 at 298x298)', { size: 299 }),
  'mobilenet-v1': paper(buildMobileNetV1, 'mobilenet-v1', false,
    'MobileNet (v1, Howard et al. 2017): 4.2M params, 569 MFLOPs; width multiplier option', { extra: ['width'] }),
  'se-mobilenet-v1': paper(buildMobileNetV1, 'se-mobilenet-v1', true,
    'SE-MobileNet: 4.7M params, 575 MFLOPs (paper: 572); width multiplier option', { extra: ['width'] }),
  'shufflenet-v1': paper(buildShuffleNetV1, 'shufflenet-v1', false,
    'ShuffleNet 1x (g = 3, Zhang et al. 2017): 1.87M params, 138 MFLOPs (paper: 1.8M, 140); width 0.25, 0.5, 1', { extra: ['width'] }),
  'se-shufflenet-v1': paper(buildShuffleNetV1, 'se-shufflenet-v1', true,
    'SE-ShuffleNet 1x (g = 3): 2.48M params, 141 MFLOPs (paper: 2.4M, 142); width 0.25, 0.5, 1', { extra: ['width'] }),
};

export function listModels(): string[] {
  return Object.keys(MODELS);
}

/** Builds a registered model; throws OptionError for an unknown name or an option out of range. */
export function buildModel(name: string, options: ModelOptions = {}): Graph {
  if (!Object.hasOwn(MODELS, name)) {
    throw new OptionError(`unknown model '${name}'; known models: ${listModels().join(', ')}`);
  }
  const model = MODELS[name];
  if (options === null || typeof options !== 'object') throw new OptionError(`options for ${name} must be an object`);
  for (const [key, value] of Object.entries(options)) {
    if (value !== undefined && !model.options.includes(key)) {
      throw new OptionError(`${name} has no option '${key}'; it takes ${model.options.join(', ')}`);
    }
  }
  return model.build(options);
}
