// The caller's side of a pool, whatever runs the workers (pool-node.ts, pool-web.ts): a split op
// writes its chunks and the threads' ranges into the control block, bumps the generation, takes
// its share of the chunks itself (work) and waits for the pending count to reach 0.
import type { Shape } from '../graph/shapes.js';
import type { Bindings, ConvNode, OpContext } from '../ops/table.js';
import { KERNEL_NAMES, type Kernels } from '../wasm/abi.js';
import { chunkRows, CONTROL, controlBytes, MAX_ARGS, MAX_CHUNKS, MAX_SCRATCH, SPIN, work, type PartKernel, type Pool, type PoolFailure, type Scratch, type StepKernel } from './pool.js';
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
  private readonly args = new Int32Array(MAX_ARGS);
  private disposed = false;

  /** `end` runs after the workers were told to stop (a page's workers must be terminated too). */
  constructor(readonly threads: number, private readonly kernels: Kernels, memory: WebAssembly.Memory, control: number,
    private readonly fail: PoolFailure, private readonly end: () => void = () => {}) {
    this.c = new Int32Array(memory.buffer, control, controlBytes(threads) / 4);
  }

  run(kernel: PartKernel, args: readonly Int32Array[], scratch: readonly Scratch[] = []): void {
    const c = this.c, threads = this.threads, count = args.length, argc = args[0].length;
    if (count > MAX_CHUNKS * threads || argc > MAX_ARGS || scratch.length > MAX_SCRATCH) throw this.fail(`${kernel}: ${count} chunks of ${argc} arguments do not fit the pool's control block`);
    c[CONTROL.kernel] = KERNEL_NAMES.indexOf(kernel);
    c[CONTROL.argc] = argc;
    c[CONTROL.count] = count;
    for (let i = 0; i < MAX_SCRATCH; i++) {
      c[CONTROL.scratch + 2 * i] = scratch[i]?.[0] ?? -1;
      c[CONTROL.scratch + 2 * i + 1] = scratch[i]?.[1] ?? 0;
    }
    for (let t = 0, at = CONTROL.ranges; t < threads; t++, at += CONTROL.range) {
      const start = Math.floor((t * count) / threads), end = Math.floor(((t + 1) * count) / threads);
      c[at] = start;
      c[at + 1] = end;
      c[at + 2] = end - start;
    }
    const rows = chunkRows(threads);
    args.forEach((a, i) => c.set(a, rows + i * argc));
    Atomics.store(c, CONTROL.pending, threads - 1);
    Atomics.add(c, CONTROL.generation, 1);
    Atomics.notify(c, CONTROL.generation);
    // Its own chunks too may trap: the workers are waited for before anything is thrown.
    const fn = this.kernels[kernel] as (...a: number[]) => void;
    const trap = work(c, 0, threads, this.args, (a) => fn.apply(null, a as unknown as number[]));
    // A page's main thread cannot block: it spins until the workers are done.
    for (let i = 0, left; (left = Atomics.load(c, CONTROL.pending)) !== 0;) {
      if (++i > SPIN && this.wait) Atomics.wait(c, CONTROL.pending, left);
    }
    const failed = Atomics.exchange(c, CONTROL.failed, 0);
    if (trap || failed) {
      const who = trap && failed ? 'the calling thread and a worker thread' : trap ? 'the calling thread' : 'a worker thread';
      throw this.fail(`${who} failed in ${kernel} (a chunk of a split op)${trap ? `: ${(trap.error as Error)?.message ?? trap.error}` : ''}`);
    }
  }

  splitConv(n: ConvNode, k: Kernels, b: Bindings, x: Shape, out: Shape, m: 0 | 2 | 4, format: number, strassen: boolean, ctx?: OpContext): (() => void) | undefined {
    return splitConv(this, n, k, b, x, out, m, format, strassen, ctx);
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
