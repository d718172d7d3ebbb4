// Peer: onnxruntime-web, wasm backend, SIMD on, on the bench's thread count (its threaded build runs
// in Node on worker_threads: SE-ResNet-50 1.8x on 2 threads on the AMD EPYC, 2026-11-29). It gets our ONNX export of the graph
// (`saveOnnx`, the graph as given: BatchNorms and activations stay separate ops and ORT's own
// graph optimizer, level 'all', fuses them), with height and width fixed in the file and the
// batch symbolic. In Node, the package's node build loads its wasm and .mjs glue from its own
// dist/ folder in node_modules (checked with 1.30: no `wasmPaths` needed).
import type * as Ort from 'onnxruntime-web';
import { OptionError } from '../../src/errors.js';
import type { Graph, InputDims } from '../../src/graph/ir.js';
import { saveOnnx } from '../../src/onnx/writer.js';
import type { BenchRunner } from '../../src/cli/bench.js';

type OrtModule = typeof Ort;
let loaded: Promise<OrtModule> | undefined;
let loadedThreads = 0;

/**
 * Imports onnxruntime-web once and sets its threads, SIMD, no proxy worker. The thread count is
 * read when its wasm backend initialises: one per process.
 */
export function loadOrtWeb(threads = 1): Promise<OrtModule> {
  if (loaded && threads !== loadedThreads) {
    throw new OptionError(`--vs onnxruntime-web: it initialised with ${loadedThreads} thread(s) in this process; ${threads} needs a new process`);
  }
  loadedThreads = threads;
  loaded ??= (async () => {
    let ort: OrtModule;
    try {
      ort = await import('onnxruntime-web');
    } catch (e) {
      loaded = undefined;
      throw new OptionError('--vs onnxruntime-web: the package onnxruntime-web cannot be loaded (it is a devDependency: '
        + `npm install -D onnxruntime-web@1.30.0): ${(e as Error).message}`);
    }
    // Settings read when the wasm backend initialises, at the first session: set them first.
    ort.env.wasm.numThreads = threads;
    ort.env.wasm.simd = true;
    ort.env.wasm.proxy = false;
    ort.env.logLevel = 'error';
    return ort;
  })();
  return loaded;
}

export async function createOrtWebRunner(graph: Graph, dims: InputDims, threads = 1): Promise<BenchRunner> {
  const ort = await loadOrtWeb(threads);
  const bytes = saveOnnx(graph, { height: dims.height, width: dims.width });
  const session = await ort.InferenceSession.create(bytes, {
    executionProviders: ['wasm'],
    graphOptimizationLevel: 'all',
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    // Its pool's threads spin after a run by default, and the bench interleaves it with the other
    // engines: they would take the cores the next engine runs on (senet-wasm SE-ResNet-50 on 2
    // threads: 57.7 ms alone, 70.0 ms interleaved with a spinning onnxruntime-web, AMD EPYC).
    ...(threads > 1 && { extra: { session: { intra_op: { allow_spinning: '0' } } } }),
  });
  const [inputName] = session.inputNames;
  const [outputName] = session.outputNames;
  const shape = [dims.batch, graph.input.channels, dims.height, dims.width];
  return {
    engine: 'onnxruntime-web',
    version: ort.env.versions.web,
    threads,
    async run(input: Float32Array): Promise<Float32Array> {
      const feed = new ort.Tensor('float32', input, shape);
      const out = await session.run({ [inputName]: feed });
      const y = out[outputName];
      const data = y.data as Float32Array;
      y.dispose();
      return data;
    },
    dispose: () => session.release(),
  };
}
