// What the platform-free core needs from the runtime it runs in, set once by an entry: where the
// wasm builds are when createEngine is given none, and how `file:` URLs are read. The default is
// the web one (every URL is fetched); the Node entry (src/node.ts) replaces it, because Node's
// fetch does not take file: URLs.
import type { Kernels } from './wasm/abi.js';
import type { Backend } from './wasm/load.js';
import type { Pool, PoolFailure } from './runtime/pool.js';

export interface Platform {
  /** Where a build is when createEngine is given none (`threaded`: its threaded build). */
  wasmUrl(backend: Backend, threaded: boolean): URL;
  /** Reads a `file:` URL; without it, every URL is fetched. */
  readFile?(url: URL): Promise<Uint8Array<ArrayBuffer>>;
  /**
   * Compile and instantiate the wasm synchronously (Node). With V8's asynchronous compile, a Node
   * process with nothing else on its event loop sometimes waited for the result forever (about
   * one run in twelve of a script that makes three engines in turn, Node 20.20; the family of
   * nodejs/node#36616). Pages must not: Chrome refuses synchronous compiles of over 4 KB on the
   * main thread.
   */
  syncWasm?: boolean;
  /** Worker threads, where this runtime has them (Node: worker_threads; pages and workers: Web Workers). */
  threads?: {
    /** Cores this process may use, where the runtime tells. */
    cores(): number | undefined;
    /** Starts a pool of `threads` threads on the engine's module and shared memory (control, fail: see pool.ts). */
    start(threads: number, module: WebAssembly.Module, memory: WebAssembly.Memory, kernels: Kernels, control: number, fail: PoolFailure): Promise<Pool>;
  };
}

// Literal `new URL('./name.wasm', import.meta.url)`: the form bundlers (webpack 5, Vite, Parcel)
// recognise and emit as an asset; in dist/web.js it is the file beside the bundle. Evaluated only
// when no build is given, so runtimes without import.meta.url work when they pass `wasm`.
const web: Platform = {
  wasmUrl: (backend, threaded) => (threaded ? {
    relaxed: () => new URL('./senet-relaxed-threads.wasm', import.meta.url),
    simd: () => new URL('./senet-simd-threads.wasm', import.meta.url),
    scalar: () => new URL('./senet-scalar-threads.wasm', import.meta.url),
  } : {
    relaxed: () => new URL('./senet-relaxed.wasm', import.meta.url),
    simd: () => new URL('./senet-simd.wasm', import.meta.url),
    scalar: () => new URL('./senet-scalar.wasm', import.meta.url),
  })[backend](),
  // Web Workers (pages, workers; not workerd): the pool is dist/pool-web.js, loaded only by a
  // threaded engine (scripts/build.mjs keeps this import out of the entry's chunks).
  threads: typeof Worker === 'undefined' ? undefined : {
    cores: () => globalThis.navigator?.hardwareConcurrency,
    start: async (...start) => (await import('./runtime/pool-web.js')).startWebPool(...start),
  },
};

let platform = web;

export function setPlatform(p: Platform): void {
  platform = p;
}

export const currentPlatform = (): Platform => platform;

/** Bytes, a fetch Response, or a URL to fetch (or, under Node, read) them from. */
export type Source = BufferSource | Response | URL;

// Bytes are told apart first: Node makes its fetch classes on first use (15-18 ms of a cold
// createEngine, for a check on bytes the entry read from a file).
export const isResponse = (x: unknown): x is Response =>
  !(ArrayBuffer.isView(x) || x instanceof ArrayBuffer) && typeof Response !== 'undefined' && x instanceof Response;

/**
 * A source's content as bytes or an ok Response: URLs are fetched, or read by the platform when
 * they are file: URLs. A failed read or fetch and a Response that is not ok end in `fail(message)`.
 */
export async function openSource(source: Source, fail: (message: string) => Error): Promise<BufferSource | Response> {
  let opened: BufferSource | Response;
  if (source instanceof URL) {
    try {
      opened = source.protocol === 'file:' && platform.readFile ? await platform.readFile(source) : await fetch(source);
    } catch (e) {
      throw fail(`cannot read ${source.href}: ${(e as Error).message}`);
    }
  } else {
    opened = source;
  }
  if (isResponse(opened) && !opened.ok) throw fail(`fetching ${opened.url || 'the Response'} failed: HTTP ${opened.status}`);
  return opened;
}
