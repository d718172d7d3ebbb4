// `senet-wasm classify`: images -> a model's top-K classes, one engine session for all files.
import { existsSync, readFileSync } from 'node:fs';
import { InputError, SenetError } from '../errors.js';
import type { Graph } from '../graph/ir.js';
import { modelCard, topClasses, type ClassScore, type ModelCard } from '../image/card.js';
import { toTensor } from '../image/preprocess.js';
import { readImage } from './files.js';
import { createEngine } from '../node.js';
import { progress } from './progress.js';
import type { Backend } from '../wasm/load.js';

export interface Prediction extends ClassScore {
  file: string;
  top: ClassScore[];
}

/** The card `model.json` beside `model.onnx` (or `model.int8.onnx`: a quantized copy shares it), when there is one (see modelCard). */
export function readModelCard(onnxPath: string, graph: Graph): ModelCard {
  const jsonPath = onnxPath.replace(/(\.(int8|fp16))?\.onnx$/i, '.json');
  if (!existsSync(jsonPath)) return modelCard(graph);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(jsonPath, 'utf8'));
  } catch (e) {
    throw new InputError(`${jsonPath}: not valid JSON (${(e as Error).message})`);
  }
  return modelCard(graph, json, jsonPath);
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
  if (session.outputShape.length !== 2) {
    engine.dispose();
    throw new InputError(`classify needs a model whose output is class scores [N, K]; ${graph.name} gives [${session.outputShape}]`);
  }
  const predictions: Prediction[] = [];
  const errors: { file: string; message: string }[] = [];
  const bar = progress('classifying', files.length);
  for (const file of files) {
    bar.tick();
    try {
      const top = topClasses(session.run(toTensor(readImage(file), card.preprocess)), o.top, card.classes);
      predictions.push({ file, ...top[0], top });
    } catch (e) {
      if (!(e instanceof SenetError)) throw e;
      errors.push({ file, message: e.message });
    }
  }
  bar.stop();
  engine.dispose();
  return { predictions, errors, backend: engine.backend };
}

export function formatPredictions(predictions: Prediction[]): string {
  return predictions.map((p) => `${p.file}: ${p.label} (${(100 * p.probability).toFixed(1)}%)` +
    (p.top.length > 1 ? `   top-${p.top.length}: ${p.top.map((t) => `${t.label} ${(100 * t.probability).toFixed(1)}%`).join(', ')}` : '')).join('\n');
}
