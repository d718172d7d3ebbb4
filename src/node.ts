// The Node entry (package.json's "node" condition): the platform-free core, plus how Node finds and
// reads files. The wasm builds are read with node:fs from beside this bundle (dist/), and so are
// file: URLs given to createEngine or loadOnnxFrom: Node's fetch does not take file: URLs.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { WasmError } from './errors.js';
import { setPlatform } from './platform.js';
import { startNodePool } from './runtime/pool-node.js';

function besideBundle(file: string): URL {
  // dist/ beside the bundle; when this runs as src/node.ts in a source checkout, build/ (the wasm
  // builds) or dist/ (the pool's worker, a bundle).
  const found = [`./${file}`, `../build/${file}`, `../dist/${file}`].map((f) => new URL(f, import.meta.url)).find((u) => existsSync(u));
  if (!found) throw new WasmError(`${file} not found beside the bundle or in build/: run 'npm run build'`);
  return found;
}

setPlatform({
  wasmUrl: (backend, threaded) => besideBundle(`senet-${backend}${threaded ? '-threads' : ''}.wasm`),
  // A Buffer read from a file never sits on a SharedArrayBuffer.
  readFile: (url) => readFile(url) as Promise<Uint8Array<ArrayBuffer>>,
  syncWasm: true,
  threads: {
    cores: availableParallelism,
    start: (...start) => startNodePool((script, options) => new Worker(script, options), besideBundle('pool-worker-node.js'), ...start),
  },
});

export * from './index.js';
