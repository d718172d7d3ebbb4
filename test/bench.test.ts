// The peer bench harness (src/cli/bench.ts, bench/peers/): a correctness test, not a timing test.
// A small SE net holding every op the TF.js graph runner translates (grouped, depthwise and
// asymmetric-pad convs, BatchNorm folding, every activation, ceil-mode and padded pools, the SE
// chain in its FC and 1x1-conv forms) runs in all four engines; their outputs must agree and the
// report must have the shape `bench --json` prints. The CLI bundle (built by `npm test` first)
// loads the peers on demand with `--vs`, from dist/bench-peers.js.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, test } from 'vitest';
import { OptionError } from '../src/errors.js';
import { GraphBuilder } from '../src/graph/builder.js';
import type { Graph } from '../src/graph/ir.js';
import { createPeerRunner } from '../bench/peers/index.js';
import {
  AGREEMENT_TOLERANCE, benchGraph, benchJson, formatBench, OutputMismatchError, parsePeers, PEERS,
} from '../src/cli/bench.js';

function tinySeNet(): Graph {
  const b = new GraphBuilder('tiny-se-net', 'input', 3, { seed: 3 });
  let x = b.activation(b.batchnorm(b.conv('input', 16, { kernel: 3, stride: 2, pad: 1 })), 'relu');
  x = b.pool(x, 'max', { kernel: 3, stride: 2, pad: 1, ceilMode: true });
  // Bottleneck with a grouped 3x3, an FC-form SE (sigmoid) and the residual sum.
  let y = b.activation(b.batchnorm(b.conv(x, 16, { kernel: 1 })), 'relu6');
  y = b.activation(b.batchnorm(b.conv(y, 16, { kernel: 3, pad: 1, group: 4 })), 'relu');
  y = b.batchnorm(b.conv(y, 16, { kernel: 1 }));
  y = b.squeezeExcite(y, 4, { act: 'relu', gate: 'sigmoid' });
  x = b.sum(y, x, 'relu');
  // Depthwise with asymmetric pads (as TF-ported 'same' convs at stride 2), a conv-form SE with
  // hard-sigmoid, then hard-swish, SiLU and tanh.
  y = b.activation(b.batchnorm(b.conv(x, 32, { kernel: 3, stride: 2, pad: [0, 0, 1, 1], group: 16 }), 1, 1e-3), 'hardswish');
  y = b.squeezeExcite(y, 8, { act: 'relu', gate: 'hardsigmoid', as: 'conv' });
  y = b.activation(b.conv(y, 24, { kernel: 1, bias: true }), 'silu');
  y = b.pool(y, 'avg', { kernel: 3, stride: 2, pad: 1, ceilMode: true, countIncludePad: false });
  y = b.activation(b.batchnorm(y), 'tanh');
  y = b.pool(y, 'avg', { kernel: 2, stride: 1, pad: [1, 1, 0, 0], countIncludePad: true });
  y = b.activation(b.conv(y, 32, { kernel: 1, bias: true }), 'sigmoid');
  y = b.flatten(b.globalPool(y, 'max'));
  y = b.fc(y, 16, { gain: 3 });
  return b.build(b.softmax(b.fc(y, 7)));
}

describe('benchGraph with peers', () => {
  test('all four engines agree on a small SE net; the report and its JSON have the expected shape', async () => {
    const report = await benchGraph(tinySeNet(), {
      backends: ['simd', 'scalar'], peers: [...PEERS], peerRunner: createPeerRunner, runs: 2, warmup: 1, size: 32, batch: 2, peakGflops: 40,
    });
    expect(report.reference).toBe('senet-simd');
    expect(report.macs).toBeGreaterThan(0);
    expect(report.results.map((r) => r.engine)).toEqual(['senet-simd', 'senet-scalar', 'onnxruntime-web', 'tfjs-wasm']);
    for (const r of report.results) {
      expect(r.runsMs).toHaveLength(2);
      expect(r.medianMs).toBeGreaterThan(0);
      expect(r.gflops).toBeCloseTo((2 * report.macs) / (r.medianMs * 1e6), 6);
      expect(r.peakFraction).toBeCloseTo(r.gflops / 40, 9);
      if (r.engine === 'senet-simd') expect(r.maxRelDiff).toBeUndefined();
      else expect(r.maxRelDiff).toBeLessThanOrEqual(AGREEMENT_TOLERANCE);
    }
    // The peers compute what we compute, to float32 rounding.
    for (const r of report.results.slice(1)) expect(r.maxRelDiff).toBeLessThan(1e-5);
    expect(report.results.find((r) => r.engine === 'onnxruntime-web')!.version).toMatch(/^1\./);

    const json = JSON.parse(JSON.stringify(benchJson(report)));
    expect(Object.keys(json)).toEqual(expect.arrayContaining(['model', 'results']));
    expect(json.model).toBe('tiny-se-net');
    for (const r of json.results) expect(Object.keys(r).sort()).toEqual(['engine', 'gflops', 'medianMs', 'threads']);
    expect(json.results.map((r: { threads: number }) => r.threads)).toEqual([1, 1, 1, 1]);

    const table = formatBench(report);
    for (const e of ['senet-simd', 'senet-scalar', 'onnxruntime-web', 'tfjs-wasm', '% peak', 'senet-simd vs tfjs-wasm']) expect(table).toContain(e);
  }, 20_000);

  test('a threaded bench can run senet-simd on one thread beside it, for the speedup from the same run', async () => {
    const report = await benchGraph(tinySeNet(), { backends: ['simd'], runs: 2, size: 32, batch: 2, threads: 2, oneThreadBaseline: true });
    expect(report.results.map((r) => [r.engine, r.threads])).toEqual([['senet-simd', 2], ['senet-simd', 1]]);
    expect(report.reference).toBe('senet-simd');
    expect(report.results[0].maxRelDiff).toBeUndefined();
    // The split keeps each sum's order here: the two thread counts give the same bits.
    expect(report.results[1].maxRelDiff).toBe(0);
    const [two, one] = report.results;
    expect(formatBench(report)).toContain(`senet-simd on 2 threads over one: ${(one.medianMs / two.medianMs).toFixed(2)}x`);
  });

  test('a mismatch fails loudly before any timing', async () => {
    const graph = tinySeNet();
    // A tolerance below zero makes any output, however close, a mismatch.
    const run = benchGraph(graph, { backends: ['simd', 'scalar'], runs: 1, size: 32, batch: 1, tolerance: -1 });
    await expect(run).rejects.toThrow(OutputMismatchError);
    await expect(run).rejects.toThrow(/outputs disagree with senet-simd: max \|diff\| \/ max \|ref\| = senet-scalar/);
  });

  test('--vs takes known peers only', () => {
    expect(parsePeers('onnxruntime-web, tfjs-wasm')).toEqual(['onnxruntime-web', 'tfjs-wasm']);
    expect(() => parsePeers('onnxruntime-web,tfjs-webgl')).toThrow(OptionError);
    expect(() => parsePeers('tflite')).toThrow(/unknown peer 'tflite'; peers: onnxruntime-web, tfjs-wasm/);
  });
});

describe('senet-wasm bench --vs', () => {
  test('--json: the four engines, median ms and GFLOP/s', async () => {
    const cli = new URL('../dist/cli.js', import.meta.url).pathname;
    const { stdout } = await promisify(execFile)('node', [cli, 'bench', 'mobilenet-v3-small', '--size', '32', '--runs', '2',
      '--vs', 'onnxruntime-web,tfjs-wasm', '--json']);
    const report = JSON.parse(stdout);
    expect(report.model).toBe('mobilenet-v3-small');
    expect(report.results.map((r: { engine: string }) => r.engine)).toEqual(['senet-simd', 'senet-scalar', 'onnxruntime-web', 'tfjs-wasm']);
    for (const r of report.results) {
      expect(Object.keys(r).sort()).toEqual(['engine', 'gflops', 'medianMs', 'threads']);
      expect(r.medianMs).toBeGreaterThan(0);
      expect(r.gflops).toBeGreaterThan(0);
    }
  }, 20_000);
});
