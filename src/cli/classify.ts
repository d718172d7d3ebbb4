// `senet-wasm classify`: images -> a model's top-K classes, one engine session for all files.
import { existsSync, readFileSync } from 'node:fs';
import { InputError, SenetError } from '../errors.js';
import type { Graph } from '../graph/ir.js';
import { readImage, toTensor, type Preprocess } from '../io/image.js';
import { createEngine } from '../node.js';
import type { Backend } from '../wasm/load.js';

/** What a model's JSON (written beside its .onnx by its training script) tells about its input and classes. */
export interface ModelCard {
  classes?: string[];
  preprocess: Preprocess;
}

export interface Prediction {
  file: string;
  label: string;
  index: number;
  probability: number;
  top: { label: string; index: number; probability: number }[];
}

/** Reads `model.json` beside `model.onnx`; without one, the input size comes from the file and no normalisation is applied. */
export function readModelCard(onnxPath: string, graph: Graph): ModelCard {
  const channels = graph.input.channels;
  if (channels !== 1 && channels !== 3) throw new InputError(`${onnxPath}: input has ${channels} channels; images give 1 (grey) or 3 (RGB)`);
  const [, , h, w] = graph.source?.inputShape ?? [];
  const size = (d: unknown) => (typeof d === 'number' && d > 0 ? d : 224);
  const plain: Preprocess = { channels, height: size(h), width: size(w), mean: Array(channels).fill(0), std: Array(channels).fill(1) };
  const jsonPath = onnxPath.replace(/\.onnx$/i, '.json');
  if (!existsSync(jsonPath)) return { preprocess: plain };
  let card: { classes?: string[]; input?: { preprocessing?: { mean?: number | number[]; std?: number | number[] } } };
  try {
    card = JSON.parse(readFileSync(jsonPath, 'utf8'));
  } catch (e) {
    throw new InputError(`${jsonPath}: not valid JSON (${(e as Error).message})`);
  }
  const perChannel = (v: number | number[] | undefined, d: number) =>
    Array.isArray(v) ? v : Array(channels).fill(v ?? d);
  const pre = card.input?.preprocessing;
  return {
    classes: card.classes,
    preprocess: { ...plain, mean: perChannel(pre?.mean, 0), std: perChannel(pre?.std, 1) },
  };
}

function softmax(logits: Float32Array): number[] {
  const max = Math.max(...logits);
  const e = Array.from(logits, (v) => Math.exp(v - max));
  const sum = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / sum);
}

export interface ClassifyResult {
  predictions: Prediction[];
  errors: { file: string; message: string }[];
  backend: Backend;
}

/** Classifies each file; a file that cannot be read or decoded is reported and skipped. */
export async function classifyFiles(files: string[], graph: Graph, card: ModelCard, o: { top: number; backend: 'auto' | Backend }): Promise<ClassifyResult> {
  const engine = await createEngine({ backend: o.backend });
  const { height, width } = card.preprocess;
  const session = engine.compile(graph, { batch: 1, height, width });
  const predictions: Prediction[] = [];
  const errors: { file: string; message: string }[] = [];
  for (const file of files) {
    try {
      const p = softmax(session.run(toTensor(readImage(file), card.preprocess)));
      const order = [...p.keys()].sort((a, b) => p[b] - p[a]).slice(0, o.top);
      const top = order.map((index) => ({ label: card.classes?.[index] ?? `class ${index}`, index, probability: p[index] }));
      predictions.push({ file, ...top[0], top });
    } catch (e) {
      if (!(e instanceof SenetError)) throw e;
      errors.push({ file, message: e.message });
    }
  }
  engine.dispose();
  return { predictions, errors, backend: engine.backend };
}

export function formatPredictions(predictions: Prediction[]): string {
  return predictions.map((p) => `${p.file}: ${p.label} (${(100 * p.probability).toFixed(1)}%)` +
    (p.top.length > 1 ? `   top-${p.top.length}: ${p.top.map((t) => `${t.label} ${(100 * t.probability).toFixed(1)}%`).join(', ')}` : '')).join('\n');
}
