// The demo's inference, off the page's main thread: both builds' engines live here. It imports the
// package's own files from beside itself (web.js, image.js, their chunk, the two .wasm: see
// scripts/build.mjs), as a page without a bundler does, so the demo runs what users install.
import { createEngine, loadOnnxFrom, simdSupported, type Backend, type Session } from 'senet-wasm';
import { decodeImage, modelCard, toTensor, topClasses, type ModelCard } from 'senet-wasm/image';
import type { ClassifyRequest, Latency, WorkerReply } from './messages.js';

// The int8-weight file: 200 KB on the wire against 711 KB for fp32, within 0.5 points of its accuracy.
const MODEL = new URL('./fashion-mnist-se-resnet.int8.onnx', import.meta.url);
const CARD = new URL('./fashion-mnist-se-resnet.json', import.meta.url);
const TOP = 5;
const SAMPLES = 5; // timings per build; the page shows their median
// One run of the SIMD build takes under a millisecond, and a page that is not cross-origin isolated
// reads performance.now() in steps of 100 µs: each timing spans several runs, at least this long.
const MIN_TIMING_MS = 10;

const post = (reply: WorkerReply) => postMessage(reply);

interface Model {
  card: ModelCard;
  sessions: { backend: Backend; session: Session }[];
}

async function start(): Promise<Model> {
  const graph = await loadOnnxFrom(MODEL);
  const response = await fetch(CARD);
  if (!response.ok) throw new Error(`fetching ${CARD.href} failed: HTTP ${response.status}`);
  const card = modelCard(graph, await response.json(), 'fashion-mnist-se-resnet.json');
  // SIMD first: its run gives the answer; the scalar build is timed against it.
  const backends: Backend[] = simdSupported() ? ['simd', 'scalar'] : ['scalar'];
  const { height, width } = card.preprocess;
  // Every core where the page is cross-origin isolated; else one thread, and the library says why on
  // the console. (This model's convolutions are too small to split: its timings do not change.)
  const engines = await Promise.all(backends.map((backend) => createEngine({ backend, threads: 'auto' })));
  const sessions = engines.map((engine) => ({ backend: engine.backend, session: engine.compile(graph, { batch: 1, height, width }) }));
  post({ type: 'ready', backends, threads: engines[0].threads, isolated: crossOriginIsolated });
  return { card, sessions };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

/** Median ms of one run per build, timed interleaved so that a slow moment hits both. */
function time(sessions: Model['sessions'], x: Float32Array): Latency {
  const first = sessions[0].session;
  let runs = 0;
  // Counted twice: on the first image the first count also pays for the browser's tier-up of the wasm.
  for (let pass = 0; pass < 2; pass++) {
    runs = 0;
    const t0 = performance.now();
    do { first.run(x); runs++; } while (performance.now() - t0 < MIN_TIMING_MS);
  }
  const timings = sessions.map((): number[] => []);
  for (let s = 0; s < SAMPLES; s++) {
    sessions.forEach(({ session }, i) => {
      const t = performance.now();
      for (let r = 0; r < runs; r++) session.run(x);
      timings[i].push((performance.now() - t) / runs);
    });
  }
  return { ms: Object.fromEntries(sessions.map(({ backend }, i) => [backend, median(timings[i])])), runs, samples: SAMPLES };
}

function classify(model: Model, { id, name, bytes }: ClassifyRequest): WorkerReply {
  const { card, sessions } = model;
  const x = toTensor(decodeImage(new Uint8Array(bytes), name), card.preprocess);
  const { output, excitations } = sessions[0].session.run(x, { excitations: true });
  const classes = output.length;
  // How far the other build's probabilities are from the shown ones (both builds compute the same
  // sums in a different order).
  const all = (logits: Float32Array) => topClasses(logits, classes).sort((a, b) => a.index - b.index);
  const shown = all(output);
  let buildsDiffer = 0;
  for (const { session } of sessions.slice(1)) {
    all(session.run(x)).forEach((c, i) => { buildsDiffer = Math.max(buildsDiffer, Math.abs(c.probability - shown[i].probability)); });
  }
  return {
    type: 'result', id, name, backend: sessions[0].backend,
    top: topClasses(output, TOP, card.classes),
    latency: time(sessions, x),
    blocks: excitations.map((e) => ({ name: e.name, stage: e.stage, mean: e.gates })), // one image: its gates
    buildsDiffer,
  };
}

const describe = (e: unknown) => (e instanceof Error ? e.message : String(e));

const ready = start();
ready.catch((e: unknown) => post({ type: 'error', message: `the model could not be loaded: ${describe(e)}` }));

// One request at a time, in order: runs are synchronous, so a later message waits for this one.
onmessage = async ({ data }: MessageEvent<ClassifyRequest>) => {
  try {
    post(classify(await ready, data));
  } catch (e) {
    post({ type: 'error', id: data.id, message: describe(e) });
  }
};

addEventListener('securitypolicyviolation', (e) => {
  const v = e as SecurityPolicyViolationEvent;
  post({ type: 'error', message: `blocked by the Content-Security-Policy in the worker: ${v.effectiveDirective} (${v.blockedURI || 'inline'})` });
});
