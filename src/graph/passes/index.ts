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
