// The SE ablation (removeSe: chosen blocks' gates set to 1) against the float64 reference on graphs
// whose SE scales are cut out by hand, and `senet-wasm excite` against per-class means and
// accuracies this test computes itself from session.run's excitations on the bundled subset.
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { OptionError } from '../src/errors.js';
import type { Graph, InputDims } from '../src/graph/ir.js';
import { optimize } from '../src/graph/passes/index.js';
import { removeSe, seBlocks } from '../src/graph/passes/remove-se.js';
import { decodeImage } from '../src/image/decode.js';
import { toTensor } from '../src/image/preprocess.js';
import { buildModel } from '../src/models/index.js';
import { buildResNet } from '../src/models/resnet.js';
import { loadOnnx } from '../src/onnx/reader.js';
import { createEngine, type Engine } from '../src/runtime/engine.js';
import { runGraph } from './reference/graph.js';

let engine: Engine;
beforeAll(async () => { engine = await createEngine({ backend: 'simd' }); });
afterAll(() => engine.dispose());

/** `graph` with the SE scales (mul nodes) at these depth indices cut out: their readers read x. */
function withoutScales(graph: Graph, which: (i: number) => boolean): Graph {
  const renamed = new Map<string, string>();
  let i = 0;
  const nodes = graph.nodes.flatMap((n) => {
    const node = { ...n, inputs: n.inputs.map((t) => renamed.get(t) ?? t) };
    if (n.op !== 'mul' || !which(i++)) return [node];
    renamed.set(n.output, node.inputs[0]);
    return [];
  });
  return { ...graph, nodes, output: renamed.get(graph.output) ?? graph.output };
}

const input = (n: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.731) + 0.3 * Math.cos(i * 0.117));

const NETS: { label: string; graph: Graph; dims: InputDims }[] = [
  // SE with the residual sum fused into it: removed, it becomes that sum.
  { label: 'SE-ResNet', graph: buildResNet({ name: 'r', se: true, blocks: [2, 1, 2, 1], width: 8, classes: 10, reduction: 4, seed: 5 }), dims: { batch: 2, height: 32, width: 32 } },
  // SE without a residual (after a depthwise conv): removed, it is the identity.
  { label: 'MobileNetV3-Small', graph: buildModel('mobilenet-v3-small', { seed: 2, classes: 10 }), dims: { batch: 1, height: 64, width: 64 } },
];

describe.each(NETS)('removeSe on $label', ({ graph, dims }) => {
  const x = input(dims.batch * 3 * dims.height * dims.width);
  const shape = [dims.batch, 3, dims.height, dims.width];
  const run = (g: Graph) => {
    const session = engine.compile(g, dims);
    try { return session.run(x); } finally { session.dispose(); }
  };
  const expectClose = (out: Float32Array, ref: Float64Array) => {
    const scale = ref.reduce((a, v) => Math.max(a, Math.abs(v)), 0);
    expect(scale).toBeGreaterThan(1e-3);
    out.forEach((v, i) => expect(Math.abs(v - ref[i])).toBeLessThanOrEqual(1e-4 * scale));
  };
  const count = graph.nodes.filter((n) => n.op === 'mul').length;

  test('nothing removed: the normal run, bit for bit', () => {
    expect(run(removeSe(graph, []))).toEqual(run(graph));
  });

  test('all removed: the reference with every SE scale replaced by 1', () => {
    const all = removeSe(graph, Array.from({ length: count }, (_, i) => i));
    expect(all.nodes.filter((n) => n.op === 'se')).toHaveLength(0);
    const out = run(all);
    expectClose(out, runGraph(withoutScales(graph, () => true), x, shape).data);
    // ... and not the network with SE: the test can tell them apart.
    const withSe = runGraph(graph, x, shape).data;
    expect(Math.max(...Array.from(out, (v, i) => Math.abs(v - withSe[i])))).toBeGreaterThan(1e-3);
  });

  test('one block by index, by name; the reference agrees', () => {
    const names = seBlocks(optimize(graph)).map((b) => b.name);
    expect(names).toHaveLength(count);
    const ref = runGraph(withoutScales(graph, (i) => i === 1), x, shape).data;
    expectClose(run(removeSe(graph, [1])), ref);
    expectClose(run(removeSe(graph, ['1'])), ref);
    expectClose(run(removeSe(graph, [names[1]])), ref);
  });

  test('a stage label removes its blocks', () => {
    const stages = seBlocks(optimize(graph)).map((b) => b.stage);
    expect(new Set(stages).size).toBeGreaterThan(1);
    const last = stages.at(-1)!;
    expectClose(run(removeSe(graph, [last])), runGraph(withoutScales(graph, (i) => stages[i] === last), x, shape).data);
  });

  test('an unknown block is an OptionError naming it, on one line', () => {
    for (const bad of [count, 'nope', -1]) {
      expect(() => removeSe(graph, [bad])).toThrow(OptionError);
      expect(() => removeSe(graph, [bad])).toThrow(new RegExp(`^no SE block '${bad}': give an index from 0 to ${count - 1}, a block name, or a stage \\([^\\n]*\\)$`));
    }
  });
});

test("built-in models' stage labels: the paper's, blocks per stage as configured", () => {
  expect(seBlocks(optimize(NETS[0].graph)).map((b) => b.stage)).toEqual(['conv2_x', 'conv2_x', 'conv3_x', 'conv4_x', 'conv4_x', 'conv5_x']);
});

// --- the bundled model and its subset ---
const root = new URL('../', import.meta.url).pathname;
const modelPath = join(root, 'models/fashion-mnist-se-resnet.onnx');
const card = JSON.parse(readFileSync(join(root, 'models/fashion-mnist-se-resnet.json'), 'utf8'));
const graph = loadOnnx(readFileSync(modelPath), { name: modelPath });
const subset = gunzipSync(readFileSync(join(root, 'test/fixtures/fashion-mnist/test-subset.u8.gz')));
const count = card.subset.images as number;
const labels = subset.subarray(0, count);
const { mean: MEAN, std: STD } = card.input.preprocessing as { mean: number; std: number };
const pixels = Float32Array.from(subset.subarray(count), (p) => (p / 255 - MEAN) / STD);

test('unlabelled ONNX blocks get stages by channel count: the card\'s blocks per stage', () => {
  const stages = seBlocks(optimize(graph)).map((b) => b.stage);
  expect(stages).toEqual((card.training.blocks as number[]).flatMap((n, s) => Array(n).fill(`stage${s + 1}`)));
});

/** Every image's logits and every block's gates, in batches of 100 (plain session.run). */
function runSubset(g: Graph) {
  const session = engine.compile(g, { batch: 100, height: 28, width: 28 });
  const logits: number[][] = [];
  const gates: number[][][] = [];
  for (let from = 0; from < count; from += 100) {
    const { output, excitations } = session.run(pixels.subarray(from * 784, (from + 100) * 784), { excitations: true });
    for (let i = 0; i < 100; i++) logits.push(Array.from(output.subarray(i * 10, i * 10 + 10)));
    excitations.forEach((e, b) => {
      gates[b] ??= [];
      for (let i = 0; i < 100; i++) gates[b].push(Array.from(e.gates.subarray(i * e.shape[1], (i + 1) * e.shape[1])));
    });
  }
  session.dispose();
  const correct = logits.filter((l, i) => l.indexOf(Math.max(...l)) === labels[i]).length;
  return { gates, accuracy: correct / count };
}

const CLI = join(root, 'dist/cli.js');
const exec = promisify(execFile);
const cli = (...args: string[]) => exec('node', [CLI, 'excite', ...args]);
const fail = (...args: string[]) => cli(...args).then(() => { throw new Error('expected the command to fail'); }, (e) => e);
const dir = mkdtempSync(join(tmpdir(), 'senet-excite-'));

describe('senet-wasm excite', () => {
  test('the bundled subset: per-class means, specificity, accuracy and ablation as computed here; the SVG', async () => {
    const svgPath = join(dir, 'x.svg');
    const t0 = performance.now();
    const { stdout } = await cli(modelPath, '--json', '--svg', svgPath);
    const seconds = (performance.now() - t0) / 1000;
    expect(seconds, 'the whole analysis of 1,000 images').toBeLessThan(30);
    const r = JSON.parse(stdout);
    expect(Object.keys(r)).toEqual(['model', 'images', 'removed', 'accuracy', 'blocks', 'ablation']);
    expect(r.images).toEqual({ source: expect.stringMatching(/test-subset\.u8\.gz$/), count, labelled: true });
    expect(r.removed).toEqual([]);
    expect(r.accuracy).toBe(card.subset.pytorchCorrect / count);

    const { gates } = runSubset(graph);
    expect(r.blocks).toHaveLength(gates.length);
    r.blocks.forEach((b: Record<string, any>, i: number) => {
      const c = gates[i][0].length;
      expect(Object.keys(b)).toEqual(['index', 'name', 'stage', 'channels', 'meanGate', 'mean', 'classes', 'spread', 'chanceSpread', 'specificity']);
      expect([b.index, b.channels]).toEqual([i, c]);
      const avg = (rows: number[][], ch: number) => rows.reduce((a, row) => a + row[ch], 0) / rows.length;
      for (let ch = 0; ch < c; ch++) expect(b.mean[ch]).toBeCloseTo(avg(gates[i], ch), 6);
      const perClass = card.classes.map((_: string, k: number) => gates[i].filter((_, n) => labels[n] === k));
      expect(b.classes.map((k: { label: string }) => k.label)).toEqual(card.classes);
      expect(b.classes.map((k: { images: number }) => k.images)).toEqual(perClass.map((rows: number[][]) => rows.length));
      const classMeans = perClass.map((rows: number[][]) => Array.from({ length: c }, (_, ch) => avg(rows, ch)));
      b.classes.forEach((k: { mean: number[] }, cls: number) => k.mean.forEach((v, ch) => expect(v).toBeCloseTo(classMeans[cls][ch], 6)));
      // spread: the mean over channels of the (population) standard deviation across the 10 class means.
      let spread = 0;
      for (let ch = 0; ch < c; ch++) {
        const m = classMeans.reduce((a: number, row: number[]) => a + row[ch], 0) / 10;
        spread += Math.sqrt(classMeans.reduce((a: number, row: number[]) => a + (row[ch] - m) ** 2, 0) / 10) / c;
      }
      expect(b.spread).toBeCloseTo(spread, 8);
      expect(b.specificity).toBeCloseTo(spread / b.meanGate, 8);
      // Shuffled labels leave sampling noise only: well under the real spread on this model.
      expect(b.chanceSpread).toBeGreaterThan(0);
      expect(b.chanceSpread).toBeLessThan(b.spread / 2);
    });

    // Ablation: the intact model, each stage's blocks (by channel count: 16, 32, 64), all of them;
    // each row's accuracy from a graph with those SE scales cut out by hand.
    const stageOf = (card.training.blocks as number[]).flatMap((n, s) => Array(n).fill(s));
    expect(r.ablation.map((a: { removed: string }) => a.removed)).toEqual(['none', 'stage1', 'stage2', 'stage3', 'all']);
    const cut = [() => false, (i: number) => stageOf[i] === 0, (i: number) => stageOf[i] === 1, (i: number) => stageOf[i] === 2, () => true];
    r.ablation.forEach((a: { blocks: number[]; accuracy: number }, row: number) => {
      expect(a.blocks).toEqual(stageOf.map((_, i) => i).filter(cut[row]));
      expect(a.accuracy, r.ablation[row].removed).toBe(runSubset(withoutScales(graph, cut[row])).accuracy);
    });

    // The chart: one panel per block, a bar per channel, a line per class; well-formed XML.
    const svg = readFileSync(svgPath, 'utf8');
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"[^>]*>.*<\/svg>$/s);
    const panels = svg.split('<g class="se-block"').slice(1);
    expect(panels).toHaveLength(r.blocks.length);
    panels.forEach((p, i) => {
      expect(p.match(/<rect[^>]*class="gate"/g)).toHaveLength(r.blocks[i].channels);
      expect(p.match(/<polyline/g)).toHaveLength(10);
    });
    expectWellFormed(svg);
  }, 60_000);

  test('--image: one image\'s gates, as session.run gives them', async () => {
    const file = join(root, 'samples/fashion-mnist', readdirSync(join(root, 'samples/fashion-mnist')).find((f) => f.startsWith('7-'))!);
    const r = JSON.parse((await cli(modelPath, '--image', file, '--json')).stdout);
    const session = engine.compile(graph, { batch: 1, height: 28, width: 28 });
    const x = toTensor(decodeImage(readFileSync(file), file), { channels: 1, height: 28, width: 28, mean: [MEAN], std: [STD] });
    const { excitations } = session.run(x, { excitations: true });
    session.dispose();
    expect(r.images).toEqual({ source: file, count: 1, labelled: true });
    expect(r.blocks.map((b: { name: string }) => b.name)).toEqual(excitations.map((e) => e.name));
    r.blocks.forEach((b: { mean: number[]; classes?: unknown }, i: number) => {
      expect(b.classes).toBeUndefined();
      b.mean.forEach((v, c) => expect(v).toBeCloseTo(excitations[i].gates[c], 6));
    });
    expect(r.ablation).toBeUndefined();
  });

  test('--images: classes from name prefixes, or none; --no-se by index and stage; text output', async () => {
    const labelled = join(dir, 'labelled');
    const plain = join(dir, 'plain');
    const samples = join(root, 'samples/fashion-mnist');
    for (const d of [labelled, plain]) mkdirSync(d);
    for (const f of readdirSync(samples)) {
      copyFileSync(join(samples, f), join(labelled, f));
      copyFileSync(join(samples, f), join(plain, f.replace(/^\d+-/, '')));
    }
    const a = JSON.parse((await cli(modelPath, '--images', labelled, '--json', '--no-se', '4', '--no-se', 'stage1')).stdout);
    expect(a.images).toEqual({ source: labelled, count: 10, labelled: true });
    expect(a.removed).toEqual([0, 4].map((i) => seBlocks(optimize(graph))[i].name));
    expect(a.blocks.map((b: { index: number }) => b.index)).toEqual([1, 2, 3]);
    expect(a.blocks[0].classes.map((k: { images: number }) => k.images)).toEqual(Array(10).fill(1));
    const b = JSON.parse((await cli(modelPath, '--images', plain, '--json')).stdout);
    expect(b.images.labelled).toBe(false);
    expect(b.accuracy).toBeUndefined();
    expect(b.blocks[0].classes).toBeUndefined();
    expect(b.blocks[0].specificity).toBeUndefined();
    const text = (await cli(modelPath, '--images', labelled)).stdout;
    expect(text.split('\n')[0]).toBe(`${graph.name}: 10 images from ${labelled}, top-1 accuracy 100.0%`);
    expect(text).toMatch(/^4 +stage3 .* 64 +0\.\d{3} /m);
  });

  test('errors are one line, exit code 1', async () => {
    const mixed = join(dir, 'mixed');
    mkdirSync(mixed);
    const samples = join(root, 'samples/fashion-mnist');
    copyFileSync(join(samples, '0-t-shirt-top.png'), join(mixed, '0-a.png'));
    copyFileSync(join(samples, '1-trouser.png'), join(mixed, 'b.png'));
    copyFileSync(join(samples, '1-trouser.png'), join(dir, '12-x.png'));
    const cases: [string[], string][] = [
      [[modelPath, '--no-se', 'conv9_x'], "senet-wasm: no SE block 'conv9_x': give an index from 0 to 4, a block name, or a stage (stage1, stage2, stage3)"],
      [[modelPath, '--no-se', '5'], "senet-wasm: no SE block '5': give an index from 0 to 4, a block name, or a stage (stage1, stage2, stage3)"],
      [[modelPath, '--images', mixed], `senet-wasm: ${mixed}: 1 of 2 images have no class prefix (<class index>-name.png): give all a prefix, or none`],
      [[modelPath, '--image', join(dir, '12-x.png')], `senet-wasm: ${join(dir, '12-x.png')}: class 12, but the model gives 10 class scores`],
      [[modelPath, '--images', join(dir, 'missing')], `senet-wasm: ${join(dir, 'missing')}: cannot read the folder (ENOENT)`],
      [[modelPath, '--images', mixed, '--image', join(mixed, 'b.png')], 'senet-wasm: give --images or --image, not both'],
      [['se-resnet50'], 'senet-wasm: the bundled subset is 28x28 grey Fashion-MNIST; this model takes 3x224x224: give --images'],
    ];
    for (const [args, line] of cases) {
      const e = await fail(...args);
      expect(e.code, line).toBe(1);
      expect(e.stderr).toBe(`${line}\n`);
    }
  });
});

/** Tags nest and close, attributes are quoted: what an XML parser needs of this chart's markup. */
function expectWellFormed(svg: string): void {
  const TAG = /<(\/?)([a-z]+)((?:\s+[a-zA-Z][a-zA-Z0-9-]*="[^"<]*")*\s*\/?)>/g;
  const open: string[] = [];
  for (const [, close, name, rest] of svg.matchAll(TAG)) {
    if (close) expect(open.pop()).toBe(name);
    else if (!rest.endsWith('/')) open.push(name);
  }
  expect(open).toEqual([]);
  // Every '<' belongs to a tag the pattern read; text holds no raw '&' that is not an entity.
  expect(svg.replace(TAG, '')).not.toMatch(/<|&(?!(amp|lt|gt|quot);)/);
}
