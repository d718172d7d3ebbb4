// The Node pool: worker_threads, each instantiating the engine's compiled module on the engine's
// shared memory; split ops start and end on a barrier in that memory (Atomics), with no messages
// after start-up. Imported only by the Node entry (src/node.ts): the web entry carries none of it.
import { Worker } from 'node:worker_threads';
import { WasmError } from '../errors.js';
import { KERNEL_NAMES, type Kernels } from '../wasm/abi.js';
import type { Shape } from '../graph/shapes.js';
import type { Bindings, ConvNode, OpContext } from '../ops/table.js';
import { CONTROL, type PartKernel, type Pool } from './pool.js';
import { splitConv } from './split.js';

// Loads of the generation (or of the pending count) a waiting thread makes before it sleeps in
// Atomics.wait: the ops between two split ops (depthwise, SE, pooling) mostly take well under a
// millisecond, and a split op costs 5 us when the worker spins against 29 us when it must be woken
// (AMD EPYC, 2026-11-29); 2^17 loads last somewhat under a millisecond there.
const SPIN = 1 << 17;

// The worker's whole program, run with eval (no file to locate beside the bundle); a dynamic
// import works whether the worker inherits --input-type=module or not.
const WORKER = `import('node:worker_threads').then(({ workerData, parentPort }) => {
  const { module, memory, control, names, index, spin } = workerData;
  const k = new WebAssembly.Instance(module, { env: { memory } }).exports;
  const fns = names.map((n) => k[n]);
  const c = new Int32Array(memory.buffer, control, ${CONTROL.rows} + ${CONTROL.row} * index);
  const row = ${CONTROL.rows} + ${CONTROL.row} * (index - 1);
  let seen = Atomics.load(c, ${CONTROL.generation});
  parentPort.postMessage('ready');
  for (;;) {
    for (let i = 0; Atomics.load(c, ${CONTROL.generation}) === seen;) {
      if (++i > spin) Atomics.wait(c, ${CONTROL.generation}, seen);
    }
    seen = Atomics.load(c, ${CONTROL.generation});
    if (Atomics.load(c, ${CONTROL.stop})) break;
    fns[c[row]].apply(null, c.subarray(row + 2, row + 2 + c[row + 1]));
    if (Atomics.sub(c, ${CONTROL.pending}, 1) === 1) Atomics.notify(c, ${CONTROL.pending});
  }
});
`;

class NodePool implements Pool {
  private readonly c: Int32Array;
  private disposed = false;

  constructor(readonly threads: number, private readonly kernels: Kernels, memory: WebAssembly.Memory, control: number) {
    this.c = new Int32Array(memory.buffer, control, CONTROL.rows + CONTROL.row * (threads - 1));
  }

  run(kernel: PartKernel, args: readonly Int32Array[]): void {
    const c = this.c, id = KERNEL_NAMES.indexOf(kernel);
    for (let w = 1; w < this.threads; w++) {
      const row = CONTROL.rows + CONTROL.row * (w - 1);
      c[row] = id;
      c[row + 1] = args[w].length;
      c.set(args[w], row + 2);
    }
    Atomics.store(c, CONTROL.pending, this.threads - 1);
    Atomics.add(c, CONTROL.generation, 1);
    Atomics.notify(c, CONTROL.generation);
    (this.kernels[kernel] as (...a: number[]) => void).apply(null, args[0] as unknown as number[]);
    for (let i = 0, left; (left = Atomics.load(c, CONTROL.pending)) !== 0;) {
      if (++i > SPIN) Atomics.wait(c, CONTROL.pending, left);
    }
  }

  splitConv(n: ConvNode, k: Kernels, b: Bindings, x: Shape, out: Shape, ctx?: OpContext): (() => void) | undefined {
    return splitConv(this, n, k, b, x, out, ctx);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    Atomics.store(this.c, CONTROL.stop, 1);
    Atomics.add(this.c, CONTROL.generation, 1);
    Atomics.notify(this.c, CONTROL.generation);
  }
}

/**
 * Starts threads - 1 workers on `module` (a threaded build) and `memory` (shared), with the control
 * block at `control` (controlBytes(threads), zeroed); resolves once every worker is ready.
 */
export async function startNodePool(threads: number, module: WebAssembly.Module, memory: WebAssembly.Memory,
  kernels: Kernels, control: number): Promise<Pool> {
  const workers = Array.from({ length: threads - 1 }, (_, i) => new Worker(WORKER, {
    eval: true, workerData: { module, memory, control, names: KERNEL_NAMES, index: i + 1, spin: SPIN },
  }));
  try {
    await Promise.all(workers.map((w) => new Promise<void>((resolve, reject) => {
      w.once('message', () => resolve());
      w.once('error', (e) => reject(new WasmError(`a worker thread failed to start: ${e.message}`)));
      w.once('exit', (code) => reject(new WasmError(`a worker thread exited at start-up (code ${code})`)));
    })));
  } catch (e) {
    await Promise.all(workers.map((w) => w.terminate()));
    throw e;
  }
  // Workers do not keep the process alive: one that forgot dispose() still exits.
  for (const w of workers) {
    w.removeAllListeners();
    w.unref();
  }
  return new NodePool(threads, kernels, memory, control);
}
