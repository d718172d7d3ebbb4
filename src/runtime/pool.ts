// Threads: the contract between the op table and a pool of workers that share the engine's memory.
// Types, the control block's layout and the spin count only: the pools themselves are pool-node.ts
// (imported by the Node entry) and pool-web.ts (a bundle of its own, loaded only by a threaded engine).
import type { Shape } from '../graph/shapes.js';
import type { Bindings, ConvNode, OpContext } from '../ops/table.js';
import type { Kernels } from '../wasm/abi.js';

/** The kernels a pool runs a share of: one thread's part of a split op. */
export type PartKernel = 'conv2d_f32_part' | 'conv3x3_winograd_f32_part' | 'conv2d_dw_f32_part' | 'conv_means_f32' | StepKernel;

/** The memory-bound steps a pool splits (by images or ranges; src/runtime/split.ts splitStep). */
export type StepKernel = 'scale_f32' | 'add_f32' | 'global_pool_f32' | 'channel_shuffle_f32' | 'pool2d_f32';

export interface Pool {
  /** Threads taking part in a split op, the caller's included. */
  readonly threads: number;
  /**
   * Runs `kernel` once per thread, thread t with args[t] (thread 0 is the caller, which takes
   * part), and returns when every thread has finished: one shared-memory barrier, no messages.
   */
  run(kernel: PartKernel, args: readonly Int32Array[]): void;
  /** A conv's call split across the threads (src/runtime/split.ts), or undefined where it runs on one; m: its Winograd tile or 0; format: the kernels' weight format code. */
  splitConv(n: ConvNode, k: Kernels, b: Bindings, x: Shape, out: Shape, m: 0 | 2 | 4, format: number, ctx?: OpContext): (() => void) | undefined;
  /** A step kernel's call (its arguments) split across the threads, or undefined where it runs on one. */
  splitStep(kernel: StepKernel, args: readonly number[]): (() => void) | undefined;
  /** Ends the workers; the pool is unusable afterwards. */
  dispose(): void;
}

/**
 * The control block in shared memory (Int32 slots): a generation the caller bumps to start a
 * split op, the count of workers still running it, a stop flag, a failure flag (a worker's share
 * threw: a wasm trap), then one row per worker: the kernel's index in KERNEL_NAMES, the argument
 * count, the arguments.
 */
export const CONTROL = { generation: 0, pending: 1, stop: 2, failed: 3, rows: 4, row: 32 } as const;

/** Makes the error a pool throws (the engine's WasmError: the web pool's bundle has no error classes of its own). */
export type PoolFailure = (message: string) => Error;

/** Bytes of the control block for `threads` threads. */
export const controlBytes = (threads: number): number => 4 * (CONTROL.rows + CONTROL.row * (threads - 1));

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
}
