// The model registry: names the CLI and API accept, and the options each one takes.
import { OptionError } from '../errors.js';
import type { Graph } from '../graph/ir.js';
import { buildEfficientNetB0, type EfficientNetOptions } from './efficientnet.js';
import { buildMobileNetV3, type MobileNetV3Options } from './mobilenetv3.js';
import { buildResNet, type ResNetConfig, type ResNetOptions } from './resnet.js';

/** Every option any model takes; each model accepts only its own (`ModelEntry.options`). */
export type ModelOptions = ResNetOptions & MobileNetV3Options & EfficientNetOptions;

export interface ModelEntry {
  description: string;
  /** The option keys this model accepts; anything else is rejected (typos would otherwise pass silently). */
  options: readonly string[];
  build(options?: ModelOptions): Graph;
}

const COMMON = ['seed', 'weights', 'classes', 'strideOn'] as const;
const SE = [...COMMON, 'reduction', 'placement', 'squeeze', 'gate', 'fcBias'] as const;
const BASIC = ['seed', 'weights', 'classes'] as const;
const MOBILENET = [...BASIC, 'width'] as const;

const resnet = (description: string, fixed: Omit<ResNetConfig, keyof ResNetOptions>): ModelEntry => ({
  description,
  options: fixed.se ? SE : COMMON,
  // Fixed fields last: options cannot change the architecture.
  build: (options = {}) => buildResNet({ ...options, ...fixed }),
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
