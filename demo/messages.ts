// The messages between the demo page and its inference worker.
import type { Backend } from 'senet-wasm';
import type { ClassScore } from 'senet-wasm/image';
import type { BlockExcitation } from '../src/chart/excitations.js';

/** Page to worker: classify these image bytes (`id` pairs the reply with its request). */
export interface ClassifyRequest {
  id: number;
  name: string;
  bytes: ArrayBuffer;
}

export interface Latency {
  /** Median ms of one run per build; the SIMD one is absent where the browser has no wasm SIMD. */
  ms: Partial<Record<Backend, number>>;
  /** Each timing ran the model this many times; `samples` timings per build, interleaved. */
  runs: number;
  samples: number;
}

export type WorkerReply =
  /** `threads`: what the engines got (every core where the page is cross-origin isolated, else 1). */
  | { type: 'ready'; backends: Backend[]; threads: number; isolated: boolean }
  | { type: 'result'; id: number; name: string; backend: Backend; top: ClassScore[]; latency: Latency; blocks: BlockExcitation[]; buildsDiffer: number }
  /** `id` absent: the worker itself failed (start-up, a CSP violation). */
  | { type: 'error'; id?: number; message: string };
