// `npm start`: the main job. The bundled Fashion-MNIST SE-ResNet classifies one sample image per
// class in both builds; then each build's latency and the SIMD speedup. `demo se-resnet50` runs
// SE-ResNet-50 with random weights on a photo instead, for the speed comparison.
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { Graph } from '../graph/ir.js';
import { IMAGENET, toTensor } from '../image/preprocess.js';
import { readImage } from './files.js';
import { createEngine } from '../node.js';
import { benchGraph, formatBench } from './bench.js';
import { classifyFiles, readModelCard } from './classify.js';

export async function fashionMnistDemo(graph: Graph, modelPath: string, samplesDir: string, runs: number): Promise<void> {
  const card = readModelCard(modelPath, graph);
  const files = readdirSync(samplesDir).filter((f) => f.endsWith('.png')).sort().map((f) => join(samplesDir, f));
  const weights = /\.int8\.onnx$/.test(modelPath) ? ', int8 weights' : '';
  console.log(`${relative(process.cwd(), modelPath)}: an SE-ResNet trained on Fashion-MNIST in PyTorch, run by senet-wasm${weights}\n`);
  const [simd, scalar] = [await classifyFiles(files, graph, card, { top: 1, backend: 'simd' }),
    await classifyFiles(files, graph, card, { top: 1, backend: 'scalar' })];
  console.log(`${'image'.padEnd(28)}${'prediction (SIMD build)'.padEnd(30)}scalar build`);
  simd.predictions.forEach((p, i) => {
    const q = scalar.predictions[i];
    const name = p.file.replace(/^.*[\\/]/, '');
    console.log(`${name.padEnd(28)}${`${p.label} (${(100 * p.probability).toFixed(1)}%)`.padEnd(30)}${q.label === p.label ? 'same' : `differs: ${q.label}`}`);
  });
  for (const e of [...simd.errors, ...scalar.errors]) console.log(`${e.file}: ${e.message}`);
  console.log('');
  console.log(formatBench(await benchGraph(graph, { backends: ['simd', 'scalar'], runs, size: card.preprocess.height, batch: 1 })));
}

export async function randomSeResNet50Demo(graph: Graph, image: string, runs: number): Promise<void> {
  console.log(`SE-ResNet-50 on ${image}, 224x224`);
  console.log('RANDOM WEIGHTS (seed 0): no trained ImageNet weights can be fetched here, so the classes');
  console.log('below carry no meaning; they show that both builds compute the same network.\n');
  const input = toTensor(readImage(image), IMAGENET);
  for (const backend of ['simd', 'scalar'] as const) {
    const engine = await createEngine({ backend });
    const logits = engine.compile(graph, { batch: 1, height: 224, width: 224 }).run(input);
    const top = [...logits.keys()].sort((a, b) => logits[b] - logits[a]).slice(0, 5);
    console.log(`${backend.padEnd(6)} top-5 classes: ${top.map((i) => `#${i}`).join(' ')}`);
    engine.dispose();
  }
  console.log('');
  console.log(formatBench(await benchGraph(graph, { backends: ['simd', 'scalar'], runs, size: 224, batch: 1 })));
}
