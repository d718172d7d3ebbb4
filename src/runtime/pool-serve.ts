// A pool worker's whole life: instantiate the engine's module on its shared memory, then take its
// share of each split op's chunks (pool.ts: work), until the stop flag. Node's
// worker_threads and pages' Web Workers run it from their own entry files (src/node-worker.ts,
// pool-worker-web.ts: the bundles dist/pool-worker-node.js and dist/pool-worker.js).
import { CONTROL, controlBytes, MAX_ARGS, SPIN, work, type WorkerStart } from './pool.js';

export function serve({ module, memory, control, names, index, threads }: WorkerStart, ready: () => void): void {
  const k = new WebAssembly.Instance(module, { env: { memory } }).exports as Record<string, (...args: number[]) => void>;
  const fns = names.map((n) => k[n]);
  const c = new Int32Array(memory.buffer, control, controlBytes(threads) / 4), args = new Int32Array(MAX_ARGS);
  let seen = Atomics.load(c, CONTROL.generation);
  ready();
  for (;;) {
    for (let i = 0; Atomics.load(c, CONTROL.generation) === seen;) {
      if (++i > SPIN) Atomics.wait(c, CONTROL.generation, seen);
    }
    seen = Atomics.load(c, CONTROL.generation);
    if (Atomics.load(c, CONTROL.stop)) return;
    // A chunk that traps (a wasm RuntimeError) still counts down: the caller throws, not hangs.
    const fn = fns[c[CONTROL.kernel]];
    if (work(c, index, threads, args, (a) => fn.apply(null, a as unknown as number[]))) Atomics.store(c, CONTROL.failed, 1);
    if (Atomics.sub(c, CONTROL.pending, 1) === 1) Atomics.notify(c, CONTROL.pending);
  }
}
