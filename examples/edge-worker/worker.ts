// A Cloudflare Workers / workerd fetch handler: POST a PNG or JPEG, get its top-5 Fashion-MNIST
// classes as JSON. The wasm build arrives as a precompiled WebAssembly.Module (workerd compiles
// every .wasm module at upload: a worker cannot compile bytes) and the model as an ArrayBuffer
// (a Data module); the card's JSON is bundled into the script.
import { createEngine, InputError, loadOnnx, type Engine, type Session } from 'senet-wasm';
import { decodeImage, modelCard, toTensor, topClasses, type ModelCard } from 'senet-wasm/image';
import simd from 'senet-wasm/senet-simd.wasm';
// The int8-weight file (200 KB against 711 KB for fp32; within 0.5 points of its accuracy).
import model from '../../models/fashion-mnist-se-resnet.int8.onnx';
import cardJson from '../../models/fashion-mnist-se-resnet.json';

/** Larger bodies are refused (413) before any decoding: a Fashion-MNIST image is a few KB. */
const MAX_BODY_BYTES = 4 * 1024 * 1024;
const USAGE = 'POST a PNG or JPEG image as the request body; the answer is its top-5 classes as JSON';

/** A request this worker refuses, with the status that says why. */
class HttpError extends Error {
  constructor(readonly status: number, message: string, readonly headers: HeadersInit = {}) {
    super(message);
  }
}

interface Classifier {
  engine: Engine;
  session: Session;
  card: ModelCard;
}

async function load(): Promise<Classifier> {
  const engine = await createEngine({ backend: 'simd', wasm: simd });
  const graph = loadOnnx(new Uint8Array(model), { name: 'fashion-mnist-se-resnet.int8.onnx' });
  const card = modelCard(graph, cardJson, 'fashion-mnist-se-resnet.json');
  const { height, width } = card.preprocess;
  return { engine, session: engine.compile(graph, { batch: 1, height, width }), card };
}

// One engine and one compiled session per isolate, made by its first request (about 30 ms) rather
// than by a top-level await at startup: a failure there leaves the isolate unable to start, here it
// is a 500 and the next request tries again. Requests arriving meanwhile await the same promise.
let classifier: Promise<Classifier> | undefined;
function ready(): Promise<Classifier> {
  classifier ??= load().catch((e) => {
    classifier = undefined;
    throw e;
  });
  return classifier;
}

/** The body, refused with 413 past `MAX_BODY_BYTES` by its Content-Length or, without one, as it streams in. */
async function readBody(request: Request): Promise<Uint8Array> {
  const declared = Number(request.headers.get('content-length') ?? 0);
  if (declared > MAX_BODY_BYTES) throw new HttpError(413, `Content-Length ${declared} is over the limit of ${MAX_BODY_BYTES} bytes`);
  if (!request.body) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let length = 0;
  const reader = request.body.getReader();
  for (let r = await reader.read(); !r.done; r = await reader.read()) {
    length += r.value.byteLength;
    if (length > MAX_BODY_BYTES) {
      await reader.cancel();
      throw new HttpError(413, `the body is over the limit of ${MAX_BODY_BYTES} bytes`);
    }
    chunks.push(r.value);
  }
  const body = new Uint8Array(length);
  let at = 0;
  for (const c of chunks) {
    body.set(c, at);
    at += c.byteLength;
  }
  return body;
}

/** The pixels; a body that is no readable PNG or JPEG is the client's error (400). */
function decode(bytes: Uint8Array) {
  try {
    return decodeImage(bytes, 'request body');
  } catch (e) {
    throw e instanceof InputError ? new HttpError(400, e.message) : e;
  }
}

async function classify(request: Request): Promise<Response> {
  if (request.method !== 'POST') throw new HttpError(405, USAGE, { allow: 'POST' });
  const start = performance.now();
  const bytes = await readBody(request);
  const image = decode(bytes);
  const { engine, session, card } = await ready();
  // No await from here to the answer: run() writes the input into the shared wasm memory, runs
  // every kernel and copies the output out synchronously, so no other request's code can run on
  // this isolate in between and one session serves concurrent requests.
  const logits = session.run(toTensor(image, card.preprocess));
  const top = topClasses(logits, 5, card.classes);
  // Cloudflare's clock advances only on I/O: there `ms` is coarse (it sees the body's arrival).
  return Response.json(
    { top, backend: engine.backend, ms: performance.now() - start },
    // The wasm memory, so that a load test can see it stays flat.
    { headers: { 'x-wasm-memory-bytes': String(engine.memoryBytes) } },
  );
}

export default {
  async fetch(request: Request): Promise<Response> {
    try {
      return await classify(request);
    } catch (e) {
      if (e instanceof HttpError) return Response.json({ error: e.message }, { status: e.status, headers: e.headers });
      console.error(e);
      return Response.json({ error: 'internal error' }, { status: 500 });
    }
  },
};
