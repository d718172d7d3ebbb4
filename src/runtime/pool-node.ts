// The Node pool: worker_threads running dist/pool-worker-node.js (src/node-worker.ts, the loop in
// pool-serve.ts), each instantiating the engine's compiled module on the engine's shared memory;
// split ops start and end on a barrier in that memory (pool-barrier.ts), with no messages after
// start-up. Used only by the Node entry (src/node.ts), which makes the workers: node: modules stay
// in the entries and the CLI.
import { KERNEL_NAMES, type Kernels } from '../wasm/abi.js';
import { type Pool, type PoolFailure, type WorkerStart } from './pool.js';
import { BarrierPool } from './pool-barrier.js';

// Workers get no flags of their own: the loop needs none, V8's flags (--experimental-wasm-relaxed-simd
// among them) are the process's already, and a worker refuses two kinds of flags it would inherit:
// V8 flags given again ("invalid execArgv flags"), and --input-type, which `node --input-type=module
// -e` passes on and a worker from a file rejects.
const execArgv: string[] = [];

/** A worker thread as the pool uses one: what node:worker_threads' Worker gives. */
interface NodeWorker {
  once(event: 'message', listener: () => void): unknown;
  once(event: 'error', listener: (e: Error) => void): unknown;
  once(event: 'exit', listener: (code: number) => void): unknown;
  removeAllListeners(): unknown;
  unref(): void;
  terminate(): Promise<number>;
}

/** Starts a worker thread from a script (the Node entry's `new Worker`). */
export type StartWorker = (script: URL, options: { execArgv: string[]; workerData: WorkerStart }) => NodeWorker;

/**
 * Starts threads - 1 workers from `script` on `module` (a threaded build) and `memory` (shared), with
 * the control block at `control` (controlBytes(threads), zeroed); resolves once every worker is ready.
 */
export async function startNodePool(startWorker: StartWorker, script: URL, threads: number, module: WebAssembly.Module, memory: WebAssembly.Memory,
  kernels: Kernels, control: number, fail: PoolFailure): Promise<Pool> {
  const workers = Array.from({ length: threads - 1 }, (_, i) => startWorker(script, {
    execArgv,
    workerData: { module, memory, control, names: KERNEL_NAMES, index: i + 1, threads } satisfies WorkerStart,
  }));
  try {
    await Promise.all(workers.map((w) => new Promise<void>((resolve, reject) => {
      w.once('message', () => resolve());
      w.once('error', (e) => reject(fail(`a worker thread failed to start: ${e.message}`)));
      w.once('exit', (code) => reject(fail(`a worker thread exited at start-up (code ${code})`)));
    })));
  } catch (e) {
    await Promise.all(workers.map((w) => w.terminate()));
    throw e;
  }
  // Workers do not keep the process alive: one that forgot dispose() still exits. After dispose()
  // each leaves its loop and ends by itself.
  for (const w of workers) {
    w.removeAllListeners();
    w.unref();
  }
  return new BarrierPool(threads, kernels, memory, control, fail);
}
