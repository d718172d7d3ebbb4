import type { Graph } from '../ir.js';
import { foldBatchNorm } from './fold-batchnorm.js';
import { foldPad } from './fold-pad.js';
import { fuseActivation } from './fuse-activation.js';
import { fuseSeResidual, fuseSqueezeExcite } from './fuse-se.js';

export { foldBatchNorm, foldPad, fuseActivation, fuseSqueezeExcite, fuseSeResidual };

/** The passes the engine applies before planning, in order. */
export const PASSES = [foldPad, foldBatchNorm, fuseActivation, fuseSqueezeExcite, fuseSeResidual] as const;

export function optimize(graph: Graph): Graph {
  return PASSES.reduce((g, pass) => pass(g), graph);
}

/**
 * A graph to write with int8 or fp16 weights (the converter, `export --weights`): BatchNorm folded
 * into the convs first, so that its four float vectors a channel do not stay fp32 beside the small
 * weights (MobileNetV3-Small's int8 file: 26.7% of the fp32 one unfolded, 25.8% folded).
 */
export const forStorage = (graph: Graph, weights?: string): Graph => (weights === 'int8' || weights === 'fp16' ? foldBatchNorm(graph) : graph);
