// BatchNorm folding: the folded conv's values, made lazily (rowScaledParam), against the fold
// written out in float64 from the BatchNorm formula; the source graph is left as it was.
import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../src/graph/builder.js';
import { paramSource, type BatchNormNode, type ConvNode } from '../src/graph/ir.js';
import { foldBatchNorm } from '../src/graph/passes/fold-batchnorm.js';

describe('foldBatchNorm', () => {
  it('folds w * g / sqrt(v + eps) and (b - mean) * g / sqrt(v + eps) + beta, without touching the source', () => {
    const b = new GraphBuilder('fold', 'x', 5, { seed: 3 });
    const y = b.batchnorm(b.conv('x', 7, { kernel: 3, pad: 1, bias: true }), 1, 1e-3);
    const source = b.build(y);
    const [conv, bn] = source.nodes as [ConvNode, BatchNormNode];
    const before = Float32Array.from(conv.weight.data!);

    const folded = foldBatchNorm(source).nodes[0] as ConvNode;
    expect(foldBatchNorm(source).nodes).toHaveLength(1);
    expect(paramSource(folded.weight)?.values).toBe(conv.weight.data); // not copied until read
    const w = conv.weight.data!, per = w.length / 7;
    const [g, beta, mean, v] = [bn.scale, bn.bias, bn.mean, bn.variance].map((p) => p.data!);
    for (let o = 0; o < 7; o++) {
      const k = g[o] / Math.sqrt(v[o] + 1e-3);
      expect(folded.bias!.data![o]).toBeCloseTo((conv.bias!.data![o] - mean[o]) * k + beta[o], 6);
      for (let i = 0; i < per; i++) expect(folded.weight.data![o * per + i]).toBe(Math.fround(w[o * per + i] * k));
    }
    expect(conv.weight.data).toEqual(before);
    expect(source.nodes).toHaveLength(2);
  });
});
