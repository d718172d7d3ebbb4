import type { Activation } from '../graph/ir.js';

/** Activation codes of the kernels (assembly/activation.ts). */
export const ACT_CODE: Record<Activation, number> = {
  none: 0, relu: 1, relu6: 2, sigmoid: 3, hardsigmoid: 4, silu: 5, hardswish: 6, tanh: 7,
};
