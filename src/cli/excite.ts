// `senet-wasm excite`: the SE paper's excitation analysis (its "role of excitation" section) on a
// model: per SE block, the mean gate of each channel over all images and over each class's
// images, how class-specific the block is, and the accuracy with SE blocks removed (gates set to 1).
import { readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { BlockExcitation } from '../chart/excitations.js';
import { InputError, OptionError } from '../errors.js';
import type { Graph } from '../graph/ir.js';
import { Random } from '../graph/random.js';
import { removeSe, seBlocks } from '../graph/passes/remove-se.js';
import type { ModelCard } from '../image/card.js';
import { toTensor } from '../image/preprocess.js';
import { readBytes, readImage } from './files.js';
import type { Engine } from '../runtime/engine.js';
import type { Session } from '../runtime/session.js';
import { progress } from './progress.js';

/** Images as the model's input, and their classes where known. */
export interface ImageSet {
  source: string;
  /** Image files, where the images came from files. */
  files?: string[];
  count: number;
  /** One image's [C, H, W]. */
  shape: [number, number, number];
  /** [count, C, H, W], preprocessed. */
  input: Float32Array;
  labels?: Uint8Array;
}

/**
 * The bundled Fashion-MNIST test subset (train.py writes it): `count` label bytes, then `count`
 * 28x28 uint8 images.
 */
export function subsetImages(path: string, card: ModelCard): ImageSet {
  const { channels, height, width, mean, std } = card.preprocess;
  if (channels !== 1 || height !== 28 || width !== 28) {
    throw new OptionError(`the bundled subset is 28x28 grey Fashion-MNIST; this model takes ${channels}x${height}x${width}: give --images`);
  }
  const bytes = gunzipSync(readBytes(path));
  const count = bytes.length / (1 + 784);
  if (!Number.isInteger(count)) throw new InputError(`${path}: ${bytes.length} bytes is not a whole number of labelled 28x28 images`);
  const input = Float32Array.from(bytes.subarray(count), (p) => (p / 255 - mean[0]) / std[0]);
  return { source: path, count, shape: [1, 28, 28], input, labels: bytes.slice(0, count) };
}

/**
 * PNG or JPEG files, preprocessed. Classes come from name prefixes as in the bundled samples
 * (`7-sneaker.png`: class 7): all files have one, or none.
 */
export function fileImages(files: string[], source: string, card: ModelCard): ImageSet {
  const prefixes = files.map((f) => /^(\d+)-/.exec(basename(f))?.[1]);
  const unlabelled = prefixes.filter((p) => p === undefined).length;
  if (unlabelled && unlabelled < files.length) {
    throw new InputError(`${source}: ${unlabelled} of ${files.length} images have no class prefix (<class index>-name.png): give all a prefix, or none`);
  }
  const { channels, height, width } = card.preprocess;
  const size = channels * height * width;
  const input = new Float32Array(files.length * size);
  files.forEach((f, i) => input.set(toTensor(readImage(f), card.preprocess), i * size));
  return { source, files, count: files.length, shape: [channels, height, width], input, labels: unlabelled ? undefined : Uint8Array.from(prefixes, Number) };
}

/** The PNG and JPEG files of `dir`, in name order (see fileImages). */
export function dirImages(dir: string, card: ModelCard): ImageSet {
  let names: string[];
  try {
    names = readdirSync(dir).filter((f) => /\.(png|jpe?g)$/i.test(f)).sort();
  } catch (e) {
    throw new InputError(`${dir}: cannot read the folder (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  if (!names.length) throw new InputError(`${dir}: no PNG or JPEG files`);
  return fileImages(names.map((f) => join(dir, f)), dir, card);
}

const BATCH = 100;

const concat = (parts: Float32Array[]): Float32Array => {
  const out = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
  parts.reduce((at, p) => (out.set(p, at), at + p.length), 0);
  return out;
};

/**
 * The logits of every image [count, K], and with `withGates` each present SE block's gates
 * [count, C] in depth order. `graph` is optimized already (removeSe's result).
 */
function runAll(engine: Engine, graph: Graph, images: ImageSet, label: string, withGates: boolean): { logits: Float32Array; gates: Float32Array[] } {
  const [, height, width] = images.shape;
  const size = images.input.length / images.count;
  const sessions = new Map<number, Session>();
  const logits: Float32Array[] = [];
  const gates: Float32Array[][] = [];
  const bar = progress(label, Math.ceil(images.count / BATCH));
  try {
    for (let from = 0; from < images.count; from += BATCH) {
      bar.tick();
      const n = Math.min(BATCH, images.count - from);
      if (!sessions.has(n)) sessions.set(n, engine.compile(graph, { batch: n, height, width }, { optimize: false }));
      const session = sessions.get(n)!, batch = images.input.subarray(from * size, (from + n) * size);
      if (!withGates) logits.push(session.run(batch));
      else {
        const { output, excitations } = session.run(batch, { excitations: true });
        logits.push(output);
        excitations.forEach((e, b) => (gates[b] ??= []).push(e.gates));
      }
    }
  } finally {
    bar.stop();
    for (const s of sessions.values()) s.dispose();
  }
  return { logits: concat(logits), gates: gates.map(concat) };
}

function accuracy(logits: Float32Array, labels: Uint8Array): number {
  const k = logits.length / labels.length;
  let correct = 0;
  labels.forEach((label, i) => {
    let best = 0;
    for (let j = 1; j < k; j++) if (logits[i * k + j] > logits[i * k + best]) best = j;
    if (best === label) correct++;
  });
  return correct / labels.length;
}

/** Per class k: the mean of gates [N, C] over its images ([K][C]; classes without images left out). */
function classMeans(gates: Float32Array, labels: ArrayLike<number>, classCount: number): { label: number; images: number; mean: number[] }[] {
  const c = gates.length / labels.length;
  const sums = Array.from({ length: classCount }, () => new Float64Array(c));
  const counts = new Array<number>(classCount).fill(0);
  for (let i = 0; i < labels.length; i++) {
    counts[labels[i]]++;
    for (let ch = 0; ch < c; ch++) sums[labels[i]][ch] += gates[i * c + ch];
  }
  return sums.flatMap((s, k) => (counts[k] ? [{ label: k, images: counts[k], mean: Array.from(s, (v) => v / counts[k]) }] : []));
}

/** The mean over channels of the standard deviation across classes (each class weighing the same) of the class means. */
function spread(means: { mean: number[] }[]): number {
  const c = means[0].mean.length;
  let total = 0;
  for (let ch = 0; ch < c; ch++) {
    const avg = means.reduce((a, m) => a + m.mean[ch], 0) / means.length;
    total += Math.sqrt(means.reduce((a, m) => a + (m.mean[ch] - avg) ** 2, 0) / means.length);
  }
  return total / c;
}

/** Shuffles of the labels the chance spread is averaged over (seeded: the report is reproducible). */
const SHUFFLES = 20;

/**
 * The spread with the labels shuffled (the same class sizes): what sampling alone gives, since a
 * class mean over n images varies by about the gates' spread over sqrt(n) even when the class
 * does not matter.
 */
function chanceSpread(gates: Float32Array, labels: Uint8Array, classCount: number): number {
  const random = new Random(13);
  const shuffled = Uint8Array.from(labels);
  let total = 0;
  for (let r = 0; r < SHUFFLES; r++) {
    for (let i = shuffled.length - 1; i > 0; i--) {
      const j = Math.floor(random.uniform() * (i + 1));
      [shuffled[i], shuffled[j]] = [shuffled[j], shuffled[i]];
    }
    total += spread(classMeans(gates, shuffled, classCount));
  }
  return total / SHUFFLES;
}

export interface BlockReport extends BlockExcitation {
  index: number;
  stage: string;
  channels: number;
  /** The mean of `mean`: the block's mean gate. */
  meanGate: number;
  mean: number[];
  classes?: { label: string; images: number; mean: number[] }[];
  /**
   * With classes: spread() of the class means, and chanceSpread() beside it (how much of the spread
   * sampling alone would give); specificity = spread / meanGate, so that blocks whose gates sit
   * at other levels compare: the paper's early-general, late-specific claim predicts it rising with depth.
   */
  spread?: number;
  chanceSpread?: number;
}

export interface ExciteReport {
  model: string;
  images: { source: string; count: number; labelled: boolean };
  /** Blocks run with their gates set to 1 (--no-se), by name. */
  removed: string[];
  /** Top-1 accuracy of this run, with labels. */
  accuracy?: number;
  blocks: BlockReport[];
  /** With labels: the accuracy of the whole model, with each stage's SE blocks removed, and with all removed. */
  ablation?: { removed: string; blocks: number[]; accuracy: number }[];
}

/** The excitation analysis of `graph` on `images`, with the `noSe` blocks removed (see removeSe). */
export function excite(engine: Engine, graph: Graph, images: ImageSet, classNames: string[] | undefined, noSe: string[]): ExciteReport {
  const full = removeSe(graph, []);
  const all = seBlocks(full);
  if (!all.length) throw new InputError(`${graph.name}: no SE blocks to analyse`);
  const ablated = noSe.length ? removeSe(graph, noSe) : full;
  const present = seBlocks(ablated).map((b) => b.name);
  const blocks = all.filter((b) => present.includes(b.name));
  const { logits, gates } = runAll(engine, ablated, images, 'excitations', true);
  const classCount = logits.length / images.count;
  const { labels } = images;
  const over = labels?.findIndex((l) => l >= classCount) ?? -1;
  if (over >= 0) throw new InputError(`${images.files?.[over] ?? images.source}: class ${labels![over]}, but the model gives ${classCount} class scores`);
  const className = (k: number) => classNames?.[k] ?? String(k);
  const report: ExciteReport = {
    model: graph.name,
    images: { source: images.source, count: images.count, labelled: !!labels },
    removed: all.filter((b) => !present.includes(b.name)).map((b) => b.name),
    ...(labels && { accuracy: accuracy(logits, labels) }),
    blocks: blocks.map((b, i) => {
      const g = gates[i];
      const mean = classMeans(g, new Uint8Array(images.count), 1)[0].mean;
      const block: BlockReport = { index: b.index, name: b.name, stage: b.stage, channels: b.channels, meanGate: mean.reduce((a, v) => a + v, 0) / mean.length, mean };
      if (!labels || images.count < 2) return block;
      const perClass = classMeans(g, labels, classCount);
      const s = spread(perClass);
      return {
        ...block, classes: perClass.map((k) => ({ label: className(k.label), images: k.images, mean: k.mean })),
        spread: s, chanceSpread: chanceSpread(g, labels, classCount), specificity: s / block.meanGate,
      };
    }),
  };
  if (labels && images.count > 1) {
    const stages = [...new Set(all.map((b) => b.stage))];
    const rows = [{ removed: 'none', select: [] as string[] }, ...stages.map((s) => ({ removed: s, select: [s] })), { removed: 'all', select: stages }];
    // The full model's accuracy is this run's when nothing was removed from it.
    const accuracyWithout = (select: string[], removed: string) => (!select.length && !noSe.length
      ? report.accuracy!
      : accuracy(runAll(engine, select.length ? removeSe(graph, select) : full, images, `without SE: ${removed}`, false).logits, labels));
    report.ablation = rows.map(({ removed, select }) => ({
      removed,
      blocks: all.filter((b) => select.includes(b.stage)).map((b) => b.index),
      accuracy: accuracyWithout(select, removed),
    }));
  }
  return report;
}

const pct = (v: number) => `${(100 * v).toFixed(1)}%`;

export function formatExcite(r: ExciteReport): string {
  const lines = [
    `${r.model}: ${r.images.count} image${r.images.count === 1 ? '' : 's'} from ${r.images.source}${r.accuracy === undefined ? '' : `, top-1 accuracy ${pct(r.accuracy)}`}` +
      (r.removed.length ? ` (SE removed: ${r.removed.join(', ')})` : ''),
    `${'block'.padEnd(6)}${'stage'.padEnd(10)}${'name'.padEnd(30)}${'C'.padStart(5)}${'mean gate'.padStart(11)}${'channels'.padStart(15)}` +
      (r.blocks[0]?.spread === undefined ? '' : `${'spread'.padStart(9)}${'chance'.padStart(9)}${'specificity'.padStart(13)}`),
    ...r.blocks.map((b) => `${String(b.index).padEnd(6)}${b.stage.padEnd(10)}${b.name.slice(-29).padEnd(30)}${String(b.channels).padStart(5)}` +
      `${b.meanGate.toFixed(3).padStart(11)}${`${Math.min(...b.mean).toFixed(3)}-${Math.max(...b.mean).toFixed(3)}`.padStart(15)}` +
      (b.spread === undefined ? '' : `${b.spread.toFixed(4).padStart(9)}${b.chanceSpread!.toFixed(4).padStart(9)}${b.specificity!.toFixed(4).padStart(13)}`)),
  ];
  if (r.blocks[0]?.spread !== undefined) {
    lines.push('channels: the lowest and highest mean gate of a channel over all images',
      'spread: the mean over channels of the standard deviation, across classes, of the class mean gates',
      `chance: the spread with the labels shuffled (mean of ${SHUFFLES}): what sampling alone gives`,
      'specificity: spread / mean gate (0: every class excites the block alike)');
  }
  if (r.ablation) {
    const base = r.ablation[0].accuracy;
    lines.push('', `${'SE removed (gates 1)'.padEnd(28)}${'accuracy'.padStart(9)}${'change'.padStart(9)}`,
      ...r.ablation.map((a) => `${`${a.removed}${a.blocks.length ? ` (block${a.blocks.length > 1 ? 's' : ''} ${a.blocks.join(', ')})` : ''}`.padEnd(28)}` +
        `${pct(a.accuracy).padStart(9)}${(a.removed === 'none' ? '' : `${((a.accuracy - base) * 100).toFixed(1)} pt`).padStart(9)}`));
  }
  return lines.join('\n');
}
