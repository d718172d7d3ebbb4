// The Node entry (package.json's "node" condition): the platform-free core, plus how Node finds and
// reads files. The wasm builds are read with node:fs from beside this bundle (dist/), and so are
// file: URLs given to createEngine or loadOnnxFrom: Node's fetch does not take file: URLs.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { WasmError } from './errors.js';
import { setPlatform } from './platform.js';
import { startNodePool } from './runtime/pool-node.js';

function besideBundle(file: string): URL {
  // dist/ beside the bundle; build/ when this runs as src/node.ts in a source checkout.
  const found = [new URL(`./${file}`, import.meta.url), new URL(`../build/${file}`, import.meta.url)].find((u) => existsSync(u));
  if (!found) throw new WasmError(`${file} not found beside the bundle or in build/: run 'npm run build'`);
  return found;
}

setPlatform({
  wasmUrl: (backend) => besideBundle(`senet-${backend}.wasm`),
  // A Buffer read from a file never sits on a SharedArrayBuffer.
  readFile: (url) => readFile(url) as Promise<Uint8Array<ArrayBuffer>>,
  threads: {
    cores: availableParallelism,
    wasmUrl: (backend) => besideBundle(`senet-${backend}-threads.wasm`),
    start: startNodePool,
  },
});

export * from './index.js';
