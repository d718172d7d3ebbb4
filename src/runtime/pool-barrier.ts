// The caller's side of a pool, whatever runs the workers (pool-node.ts, pool-web.ts): a split op
// writes each worker's row of the control block, bumps the generation, runs thread 0's share
// itself and waits for the pending count to reach 0.
import type { Shape } from '../graph/shapes.js';
import type { Bindings, ConvNode, OpContext } from '../ops/table.js';
import { KERNEL_NAMES, type Kernels } from '../wasm/abi.js';
import { CONTROL, SPIN, type PartKernel, type Pool, type PoolFailure, type StepKernel } from './pool.js';
import { splitConv, splitStep } from './split.js';

/** True where this thread may block in Atomics.wait (not a page's main thread). */
function canWait(): boolean {
  try {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 1, 0); // returns 'not-equal' at once where allowed
    return true;
  } catch {
    return false;
  }
}

export class BarrierPool implements Pool {
  private readonly c: Int32Array;
  private readonly wait = canWait();
  private disposed = false;

  /** `end` runs after the workers were told to stop (a page's workers must be terminated too). */
  constructor(readonly threads: number, private readonly kernels: Kernels, memory: WebAssembly.Memory, control: number,
    private readonly fail: PoolFailure, private readonly end: () => void = () => {}) {
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
    // Its own share too may trap: the workers are waited for before anything is thrown.
    let trap: Error | undefined;
    try {
      (this.kernels[kernel] as (...a: number[]) => void).apply(null, args[0] as unknown as number[]);
    } catch (e) {
      trap = e as Error;
    }
    // A page's main thread cannot block: it spins until the workers are done.
    for (let i = 0, left; (left = Atomics.load(c, CONTROL.pending)) !== 0;) {
      if (++i > SPIN && this.wait) Atomics.wait(c, CONTROL.pending, left);
    }
    const failed = Atomics.exchange(c, CONTROL.failed, 0);
    if (trap || failed) throw this.fail(`${trap ? 'the calling' : 'a worker'} thread failed in ${kernel} (its share of a split op)${trap ? `: ${trap.message}` : ''}`);
  }

  splitConv(n: ConvNode, k: Kernels, b: Bindings, x: Shape, out: Shape, m: 0 | 2 | 4, format: number, ctx?: OpContext): (() => void) | undefined {
    return splitConv(this, n, k, b, x, out, m, format, ctx);
  }

  splitStep(kernel: StepKernel, args: readonly number[]): (() => void) | undefined {
    return splitStep(this, kernel, args);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    Atomics.store(this.c, CONTROL.stop, 1);
    Atomics.add(this.c, CONTROL.generation, 1);
    Atomics.notify(this.c, CONTROL.generation);
    this.end();
  }
}
