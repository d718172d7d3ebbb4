// Threads: the contract between the op table and a pool of workers that share the engine's memory.
// Types, the control block's layout, the spin count and how threads share a split op's chunks
// (work): the pools themselves are pool-node.ts (imported by the Node entry) and pool-web.ts (a
// bundle of its own, loaded only by a threaded engine).
import type { Shape } from '../graph/shapes.js';
import type { Bindings, ConvNode, OpContext } from '../ops/table.js';
import type { Kernels } from '../wasm/abi.js';

/** The kernels a pool runs a share of: one thread's part of a split op. */
export type PartKernel = 'conv2d_f32_part' | 'conv2d_im2col_f32_part' | 'conv2d_strassen_f32' | 'conv3x3_winograd_f32_part' | 'conv2d_dw_f32_part' | 'conv_means_f32' | StepKernel;

/** The memory-bound steps a pool splits (by images or ranges; src/runtime/split.ts splitStep). */
export type StepKernel = 'scale_f32' | 'add_f32' | 'global_pool_f32' | 'channel_shuffle_f32' | 'pool2d_f32';

export interface Pool {
  /** Threads taking part in a split op, the caller's included. */
  readonly threads: number;
  /**
   * Runs `kernel` once per chunk, chunk i with args[i] (at most MAX_CHUNKS a thread, all of one
   * length), and returns when every chunk has run: one shared-memory barrier, no messages. The
   * chunks are shared out as `work` says. `scratch`: the arguments that name a thread's own
   * scratch, each with the bytes between two threads' (every chunk names thread 0's; the thread
   * that runs it adds its index times those bytes).
   */
  run(kernel: PartKernel, args: readonly Int32Array[], scratch?: readonly Scratch[]): void;
  /** A conv's call split across the threads (src/runtime/split.ts), or undefined where it runs on one; m: its Winograd tile or 0; format: the kernels' weight format code. */
  splitConv(n: ConvNode, k: Kernels, b: Bindings, x: Shape, out: Shape, m: 0 | 2 | 4, format: number, strassen: boolean, ctx?: OpContext): (() => void) | undefined;
  /** A step kernel's call (its arguments) split across the threads, or undefined where it runs on one. */
  splitStep(kernel: StepKernel, args: readonly number[]): (() => void) | undefined;
  /** Ends the workers; the pool is unusable afterwards. */
  dispose(): void;
}

/** A chunk argument that names a per-thread scratch: its index, and the bytes between two threads' scratch. */
export type Scratch = readonly [arg: number, stride: number];

/**
 * The control block in shared memory (Int32 slots): a generation the caller bumps to start a
 * split op, the count of workers still running it, a stop flag, a failure flag (a worker's chunk
 * threw: a wasm trap); the op: its kernel's index in KERNEL_NAMES, the argument count, the chunk
 * count, MAX_SCRATCH scratch arguments (index and stride; index -1: none); each thread's range of
 * chunks (start, end, and how many are left: `work`), 64 bytes apart (each thread's atomics on a cache
 * line of their own: an empty split op on 2 threads 0.63 -> 0.46 us, AMD EPYC); then every
 * chunk's arguments.
 */
export const CONTROL = { generation: 0, pending: 1, stop: 2, failed: 3, kernel: 4, argc: 5, count: 6, scratch: 7, ranges: 16, range: 16 } as const;

/** Arguments a chunk may have (conv2d_f32_part has 28). */
export const MAX_ARGS = 32;

/** Scratch arguments a split op may name (Pool.run's `scratch`; CONTROL.scratch holds their pairs). */
export const MAX_SCRATCH = 2;

/** Chunks a split op may have per thread. */
export const MAX_CHUNKS = 16;

/** Where the chunks' arguments start in the control block. */
export const chunkRows = (threads: number): number => CONTROL.ranges + CONTROL.range * threads;

/** Makes the error a pool throws (the engine's WasmError: the web pool's bundle has no error classes of its own). */
export type PoolFailure = (message: string) => Error;

/** Bytes of the control block for `threads` threads. */
export const controlBytes = (threads: number): number => 4 * (chunkRows(threads) + MAX_ARGS * MAX_CHUNKS * threads);

/**
 * Thread t's share of the split op in the control block: its own chunks from the front of its
 * range, then the other threads' from the back of theirs, as pthreadpool (XNNPACK's thread pool)
 * balances work. On a quiet machine every thread runs its own range, the chunks a static split
 * would give it (and the caches keep what it wrote in the op before); a thread slowed by another
 * process or a slower core leaves its last chunks to the others. A range's count of chunks left is
 * taken down atomically before a chunk is run, by the owner and by the others alike: each chunk
 * runs once. `call` runs one chunk's arguments, copied into `args` (MAX_ARGS long: a wasm function
 * ignores the arguments past its own); the first error it throws ends the thread's share and is
 * returned (the others take what is left).
 */
export function work(c: Int32Array, t: number, threads: number, args: Int32Array, call: (args: Int32Array) => void): { error: unknown } | undefined {
  const argc = c[CONTROL.argc], rows = chunkRows(threads), s = CONTROL.scratch;
  const run = (i: number) => {
    for (let j = 0, at = rows + i * argc; j < argc; j++) args[j] = c[at + j];
    for (let j = s; j < s + 2 * MAX_SCRATCH; j += 2) if (c[j] >= 0) args[c[j]] += t * c[j + 1];
    call(args);
  };
  try {
    const own = CONTROL.ranges + CONTROL.range * t;
    for (let i = c[own]; Atomics.sub(c, own + 2, 1) > 0; i++) run(i);
    for (let k = 1; k < threads; k++) {
      const other = CONTROL.ranges + CONTROL.range * ((t + k) % threads);
      while (Atomics.sub(c, other + 2, 1) > 0) run(Atomics.sub(c, other + 1, 1) - 1);
    }
  } catch (error) {
    return { error };
  }
  return undefined;
}

// Loads of the generation (or of the pending count) a waiting thread makes before it sleeps in
// Atomics.wait: the ops between two split ops (depthwise, SE, pooling) mostly take well under a
// millisecond, and a split op costs 5 us when the worker spins against 29 us when it must be woken
// (AMD EPYC, 2026-11-29); 2^17 loads last somewhat under a millisecond there.
export const SPIN = 1 << 17;

/** What a pool worker is started with (pool-serve.ts), posted or passed as workerData. */
export interface WorkerStart {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  /** Byte offset of the control block. */
  control: number;
  names: readonly string[];
  /** 1 to threads - 1 (0 is the caller). */
  index: number;
  /** Threads of the pool, the caller's included. */
  threads: number;
}
