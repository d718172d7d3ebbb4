// The web pool: module Web Workers running dist/pool-worker.js (pool-serve.ts) beside this bundle,
// on the engine's shared memory (a page must be cross-origin isolated to have one). Its own bundle,
// dist/pool-web.js, loaded by the web entry only when an engine asks for threads: a page with one
// thread never fetches it, and the entry's chunks stay as they are without it. Its copies of the
// modules it shares with the entry hold no state it relies on; its errors are made by the engine's
// `fail` (the entry's WasmError).
import { KERNEL_NAMES, type Kernels } from '../wasm/abi.js';
import { type Pool, type PoolFailure, type WorkerStart } from './pool.js';
import { BarrierPool } from './pool-barrier.js';

/** As startNodePool: threads - 1 workers, resolved once every worker is ready. */
export async function startWebPool(threads: number, module: WebAssembly.Module, memory: WebAssembly.Memory,
  kernels: Kernels, control: number, fail: PoolFailure): Promise<Pool> {
  // The literal `new Worker(new URL(..., import.meta.url))`: the form bundlers (Vite, webpack 5) emit as a worker.
  const workers = Array.from({ length: threads - 1 }, () =>
    new Worker(new URL('./pool-worker.js', import.meta.url), { type: 'module', name: 'senet-wasm pool' }));
  const end = () => { for (const w of workers) w.terminate(); };
  try {
    await Promise.all(workers.map((w, i) => new Promise<void>((resolve, reject) => {
      w.onmessage = () => resolve();
      // A worker that cannot load (a 404, a CSP without worker-src 'self') fires an error without a message.
      w.onerror = (e) => {
        e.preventDefault();
        reject(fail(`a pool worker failed to start: ${e.message || 'pool-worker.js did not load (is it served beside the bundle, and allowed by worker-src?)'}`));
      };
      w.postMessage({ module, memory, control, names: KERNEL_NAMES, index: i + 1, threads } satisfies WorkerStart);
    })));
  } catch (e) {
    end();
    throw e;
  }
  for (const w of workers) w.onmessage = w.onerror = null;
  return new BarrierPool(threads, kernels, memory, control, fail, end);
}
