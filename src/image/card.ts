// A classifier's model card (the JSON its training script writes beside the .onnx: classes and
// input normalisation) and turning its output into ranked classes. Platform-free: the CLI, the
// demo page and the edge worker read the same card the same way.
import { InputError } from '../errors.js';
import type { Graph } from '../graph/ir.js';
import { inferShapes } from '../graph/shapes.js';
import type { Preprocess } from './preprocess.js';

export interface ModelCard {
  classes?: string[];
  preprocess: Preprocess;
}

export interface ClassScore {
  label: string;
  index: number;
  probability: number;
}

const describe = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v);

/**
 * The card for `graph` from its parsed JSON (undefined: no card; the input size comes from the
 * file and no normalisation is applied). Every field is checked: `name` names the card in errors.
 */
export function modelCard(graph: Graph, json?: unknown, name = 'model card'): ModelCard {
  const channels = graph.input.channels;
  if (channels !== 1 && channels !== 3) throw new InputError(`${graph.name}: input has ${channels} channels; images give 1 (grey) or 3 (RGB)`);
  const [, , h, w] = graph.source?.inputShape ?? [];
  const size = (d: unknown) => (typeof d === 'number' && d > 0 ? d : 224);
  const plain: Preprocess = { channels, height: size(h), width: size(w), mean: Array(channels).fill(0), std: Array(channels).fill(1) };
  if (json === undefined) return { preprocess: plain };
  const fail = (why: string): never => { throw new InputError(`${name}: ${why}`); };
  if (json === null || typeof json !== 'object' || Array.isArray(json)) fail(`must be a JSON object, got ${describe(json)}`);
  const card = json as { classes?: unknown; input?: { preprocessing?: { mean?: unknown; std?: unknown } } };
  const { classes } = card;
  if (classes !== undefined && (!Array.isArray(classes) || classes.length === 0 || classes.some((c) => typeof c !== 'string'))) {
    fail(`classes must be a non-empty array of strings, got ${typeof classes === 'string' ? 'a string' : describe(classes)}`);
  }
  const perChannel = (key: 'mean' | 'std', fallback: number): number[] => {
    const v = card.input?.preprocessing?.[key] ?? fallback;
    const values = Array.isArray(v) ? v : Array(channels).fill(v);
    if (values.length !== channels || values.some((x) => typeof x !== 'number' || !Number.isFinite(x))) {
      fail(`input.preprocessing.${key} must be a number or ${channels} numbers, got ${JSON.stringify(v)}`);
    }
    if (key === 'std' && values.some((x) => x <= 0)) fail(`input.preprocessing.std must be positive, got ${JSON.stringify(v)}`);
    return values;
  };
  if (classes !== undefined) {
    // Checked here, once, not per image: a card for another model is a fault of the setup.
    const out = inferShapes(graph, { batch: 1, height: plain.height, width: plain.width }).get(graph.output)!;
    const names = (classes as string[]).length;
    if (out.length !== 2 || out[1] !== names) fail(`names ${names} classes, but ${graph.name} gives [${out}]`);
  }
  return { classes: classes as string[] | undefined, preprocess: { ...plain, mean: perChannel('mean', 0), std: perChannel('std', 1) } };
}

/**
 * The `k` most probable classes of one image's logits (softmax over them), best first. Throws an
 * InputError when the card's classes do not match the number of logits.
 */
export function topClasses(logits: Float32Array, k: number, classes?: string[]): ClassScore[] {
  if (classes && classes.length !== logits.length) {
    throw new InputError(`the model gives ${logits.length} class scores, its card names ${classes.length} classes`);
  }
  let max = -Infinity;
  for (const v of logits) max = Math.max(max, v); // a loop: a spread of a large output overflows the stack
  const e = Array.from(logits, (v) => Math.exp(v - max));
  const sum = e.reduce((a, b) => a + b, 0);
  return [...e.keys()].sort((a, b) => e[b] - e[a]).slice(0, k)
    .map((index) => ({ label: classes?.[index] ?? `class ${index}`, index, probability: e[index] / sum }));
}
