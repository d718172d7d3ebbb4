// Threads: the contract between the op table and a pool of workers that share the engine's memory
// (src/runtime/pool-node.ts under Node). Types and layout only: the web entry carries no pool code.
import type { Shape } from '../graph/shapes.js';
import type { Bindings, ConvNode, OpContext } from '../ops/table.js';
import type { Kernels } from '../wasm/abi.js';

/** The kernels a pool runs a share of: one thread's part of a split op. */
export type PartKernel = 'conv2d_f32_part' | 'conv3x3_winograd_f32_part';

export interface Pool {
  /** Threads taking part in a split op, the caller's included. */
  readonly threads: number;
  /**
   * Runs `kernel` once per thread, thread t with args[t] (thread 0 is the caller, which takes
   * part), and returns when every thread has finished: one shared-memory barrier, no messages.
   */
  run(kernel: PartKernel, args: readonly Int32Array[]): void;
  /** A conv's call split across the threads (src/runtime/split.ts), or undefined where it runs on one. */
  splitConv(n: ConvNode, k: Kernels, b: Bindings, x: Shape, out: Shape, ctx?: OpContext): (() => void) | undefined;
  /** Ends the workers; the pool is unusable afterwards. */
  dispose(): void;
}

/**
 * The control block in shared memory (Int32 slots): a generation the caller bumps to start a
 * split op, the count of workers still running it, a stop flag, then one row per worker: the
 * kernel's index in KERNEL_NAMES, the argument count, the arguments.
 */
export const CONTROL = { generation: 0, pending: 1, stop: 2, rows: 4, row: 32 } as const;

/** Bytes of the control block for `threads` threads. */
export const controlBytes = (threads: number): number => 4 * (CONTROL.rows + CONTROL.row * (threads - 1));
