// The edge worker (examples/edge-worker) in workerd through miniflare, for its test and its load
// check: bundled as wrangler would (the package's worker conditions; .wasm and .onnx kept as their
// own modules), answers computed in Node to compare with, a bounded load on loopback, and the
// workerd process's memory.
import { copyFileSync, readFileSync, readdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import * as esbuild from 'esbuild';
import { Miniflare } from 'miniflare';
import { median } from '../src/cli/bench.js';
import { decodeImage, modelCard, toTensor, topClasses, type ClassScore } from '../src/image/index.js';
import { loadOnnx } from '../src/onnx/reader.js';
import { createEngine } from '../src/node.js';

const root = new URL('../', import.meta.url).pathname;
const SAMPLES = join(root, 'samples/fashion-mnist');
const MODEL = join(root, 'models/fashion-mnist-se-resnet');

export interface Answer {
  top: ClassScore[];
  backend: string;
  ms: number;
}

/** The sample images, by file name. */
export const samples = (): Map<string, Uint8Array> =>
  new Map(readdirSync(SAMPLES).filter((f) => f.endsWith('.png')).sort().map((f) => [f, new Uint8Array(readFileSync(join(SAMPLES, f)))]));

/** What the library gives under Node for each image: the top-5 the worker must agree with. */
export async function nodeAnswers(images: Map<string, Uint8Array>): Promise<Map<string, ClassScore[]>> {
  const graph = loadOnnx(readFileSync(`${MODEL}.int8.onnx`), { name: 'fashion-mnist-se-resnet.int8.onnx' });
  const card = modelCard(graph, JSON.parse(readFileSync(`${MODEL}.json`, 'utf8')));
  const engine = await createEngine({ backend: 'simd' });
  const session = engine.compile(graph, { batch: 1, height: card.preprocess.height, width: card.preprocess.width });
  const answers = new Map([...images].map(([name, bytes]) =>
    [name, topClasses(session.run(toTensor(decodeImage(bytes), card.preprocess)), 5, card.classes)] as const));
  engine.dispose();
  return answers;
}

/** Another model for the example worker: its ONNX file and its model card (JSON), both paths. */
export interface OtherModel {
  onnx: string;
  card: string;
}

/**
 * Bundles the worker into `outdir` as wrangler does (with `model` in place of the Fashion-MNIST
 * model and card, when given): the package resolved through its exports
 * with the worker conditions, so 'senet-wasm' is dist/web.js of this checkout (a self-reference:
 * run `npm run build` first); each .wasm and .onnx import copied beside the bundle and left as an
 * import, which miniflare's module rules turn into a WebAssembly.Module or an ArrayBuffer.
 */
export async function bundleWorker(outdir: string, model?: OtherModel): Promise<string> {
  const outfile = join(outdir, 'worker.js');
  const separateModules: esbuild.Plugin = {
    name: 'separate-modules',
    setup(build) {
      if (model) build.onResolve({ filter: /fashion-mnist-se-resnet\.json$/ }, () => ({ path: model.card }));
      build.onResolve({ filter: /\.(wasm|onnx)$/ }, async (args) => {
        if (args.pluginData === 'resolving') return undefined;
        if (model && args.path.endsWith('.onnx')) {
          copyFileSync(model.onnx, join(outdir, basename(model.onnx)));
          return { path: `./${basename(model.onnx)}`, external: true };
        }
        const found = await build.resolve(args.path, { kind: args.kind, resolveDir: args.resolveDir, importer: args.importer, pluginData: 'resolving' });
        if (found.errors.length > 0) return { errors: found.errors };
        copyFileSync(found.path, join(outdir, basename(found.path)));
        return { path: `./${basename(found.path)}`, external: true };
      });
    },
  };
  await esbuild.build({
    entryPoints: [join(root, 'examples/edge-worker/worker.ts')], outfile, bundle: true, format: 'esm',
    platform: 'neutral', conditions: ['workerd', 'worker', 'browser'], mainFields: ['browser', 'module', 'main'],
    target: 'es2022', logLevel: 'warning', plugins: [separateModules],
  });
  return outfile;
}

/** The example's deployment settings (wrangler.toml), which the tests run it with. */
export const wranglerToml = () => readFileSync(join(root, 'examples/edge-worker/wrangler.toml'), 'utf8');

/**
 * workerd running a bundled worker on loopback, at the example's compatibility date and with no
 * compatibility flags; `pid` is its process (a child of this one).
 */
export async function startWorker(script: string): Promise<{ mf: Miniflare; pid: number }> {
  const compatibilityDate = /^compatibility_date = "(.+)"$/m.exec(wranglerToml())![1];
  const mf = new Miniflare({
    host: '127.0.0.1', modules: true, scriptPath: script, modulesRoot: dirname(script), compatibilityDate,
    modulesRules: [{ type: 'CompiledWasm', include: ['**/*.wasm'] }, { type: 'Data', include: ['**/*.onnx'] }],
  });
  await mf.ready;
  const children = readdirSync('/proc').filter((p) => /^\d+$/.test(p)).filter((p) => {
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      return /^\d+ \(workerd\) \S /.test(stat) && Number(stat.split(') ')[1].split(' ')[1]) === process.pid;
    } catch {
      return false; // the process ended while we looked
    }
  });
  if (children.length !== 1) throw new Error(`expected one workerd child of process ${process.pid}, found ${children.length}`);
  return { mf, pid: Number(children[0]) };
}

/** Resident memory of a process in bytes (VmRSS). */
export function rssBytes(pid: number): number {
  const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!kb) throw new Error(`no VmRSS for process ${pid}`);
  return Number(kb[1]) * 1024;
}

/** Why `got` is not `want` (labels in order, probabilities within 1e-5), or undefined when it is. */
export function differs(got: ClassScore[] | undefined, want: ClassScore[]): string | undefined {
  const same = got?.length === want.length && got.every((g, i) =>
    g.label === want[i].label && g.index === want[i].index && Math.abs(g.probability - want[i].probability) <= 1e-5);
  return same ? undefined : `got ${JSON.stringify(got)}, Node gives ${JSON.stringify(want)}`;
}

export interface Reply {
  sample: string;
  status: number;
  body: Partial<Answer> & { error?: string };
  /** The worker's x-wasm-memory-bytes header. */
  wasmMemory: number;
}

export interface LoadResult {
  perSecond: number;
  medianMs: number;
  replies: Reply[];
}

/** `requests` POSTs of the samples in turn, `concurrency` in flight at a time, through `mf`. */
export async function load(mf: Miniflare, images: Map<string, Uint8Array>, requests: number, concurrency: number): Promise<LoadResult> {
  const names = [...images.keys()];
  const latencies: number[] = [], replies: Reply[] = [];
  let next = 0;
  const client = async () => {
    for (let i = next++; i < requests; i = next++) {
      const sample = names[i % names.length];
      const t0 = performance.now();
      const res = await mf.dispatchFetch('http://localhost/', { method: 'POST', body: images.get(sample) });
      const body = await res.json() as Reply['body'];
      latencies.push(performance.now() - t0);
      replies.push({ sample, status: res.status, body, wasmMemory: Number(res.headers.get('x-wasm-memory-bytes')) });
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, client));
  return { perSecond: requests / ((performance.now() - t0) / 1000), medianMs: median(latencies), replies };
}

/** The replies that are not Node's answer for their sample, as `sample: why`. */
export const wrongReplies = (replies: Reply[], expected: Map<string, ClassScore[]>): string[] =>
  replies.flatMap(({ sample, status, body }) => {
    const why = status === 200 ? differs(body.top, expected.get(sample)!) : `HTTP ${status} ${JSON.stringify(body)}`;
    return why ? [`${sample}: ${why}`] : [];
  });
