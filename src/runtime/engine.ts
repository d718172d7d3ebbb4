import { DisposedError, GraphError, InputError, OptionError, WasmError } from '../errors.js';
import { describe, oneOf } from '../options.js';
import type { Graph, InputDims } from '../graph/ir.js';
import { currentPlatform, isResponse } from '../platform.js';
import { loadKernels, relaxedSupported, simdSupported, type Backend, type WasmSource } from '../wasm/load.js';
import type { Kernels } from '../wasm/abi.js';
import { LinearMemory } from './memory.js';
import { controlBytes, type Pool } from './pool.js';
import { Session, type CompileOptions } from './session.js';
import { warmUp } from './warmup.js';
import { WINOGRAD_FILTERS } from '../ops/table.js';

export interface EngineOptions {
  /**
   * 'auto' (default) runs the relaxed-SIMD build where the runtime validates it, else the SIMD
   * build where it validates v128 code, else scalar.
   */
  backend?: 'auto' | Backend;
  /**
   * Where the builds come from: one source for the chosen backend, or one per backend. Default:
   * the files shipped beside the bundle. Edge runtimes pass a precompiled WebAssembly.Module.
   */
  wasm?: WasmSource | { relaxed?: WasmSource; simd?: WasmSource; scalar?: WasmSource };
  /**
   * Threads the large convolutions are split across: a positive integer up to the core count, or
   * 'auto' (every core). Default 1. Threads need SharedArrayBuffer (a page: cross-origin isolated)
   * and worker threads (Node's worker_threads, or Web Workers running pool-worker.js from beside the
   * bundle); elsewhere (workerd) the engine runs one thread and says why once (console.warn).
   * `engine.threads` tells what it got. With more than one, `wasm` names the threaded builds
   * (senet-*-threads.wasm).
   */
  threads?: number | 'auto';
}

/** What `backend` takes (the CLI's --backend too). */
export const BACKENDS = ['auto', 'relaxed', 'simd', 'scalar'] as const;

function isPerBackend(w: EngineOptions['wasm']): w is { relaxed?: WasmSource; simd?: WasmSource; scalar?: WasmSource } {
  return typeof w === 'object' && w !== null && !(w instanceof WebAssembly.Module) && !(w instanceof URL)
    && !ArrayBuffer.isView(w) && !(w instanceof ArrayBuffer) && !isResponse(w);
}

/** One wasm instance and its memory; compiles graphs into sessions that share that memory. */
export class Engine {
  private readonly sessions = new Set<Session>();
  private disposed = false;

  constructor(readonly backend: Backend, private readonly kernels: Kernels, private readonly mem: LinearMemory,
    private readonly pool?: Pool) {}

  /** Threads the engine runs on (1 unless createEngine was asked for more and could start them). */
  get threads(): number {
    return this.pool?.threads ?? 1;
  }

  /** Plans, packs and binds `graph` for input [batch, C, height, width]. */
  compile(graph: Graph, dims: Partial<InputDims> = {}, options: CompileOptions = {}): Session {
    if (this.disposed) throw new DisposedError('engine');
    checkGraph(graph);
    for (const [what, v] of [['dims', dims], ['options', options]] as const) {
      if (v === null || typeof v !== 'object') throw new OptionError(`compile ${what} must be an object, got ${describe(v)}`);
    }
    for (const name of ['optimize', 'strassen'] as const) {
      if (options[name] !== undefined && typeof options[name] !== 'boolean') {
        throw new OptionError(`compile option ${name} must be true or false, got ${describe(options[name])}`);
      }
    }
    if (options.winograd !== undefined && ![true, false, 2, 4].includes(options.winograd)) {
      throw new OptionError(`compile option winograd must be true, false, 2 or 4, got ${describe(options.winograd)}`);
    }
    oneOf('compile option winogradFilters', options.winogradFilters, WINOGRAD_FILTERS, 'auto');
    // An ONNX file that fixes a dimension is compiled at that size unless told otherwise.
    const fixed = graph.source?.inputShape.map((d) => (typeof d === 'number' && d > 0 ? d : undefined)) ?? [];
    const full: InputDims = { batch: dims.batch ?? fixed[0] ?? 1, height: dims.height ?? fixed[2] ?? 224, width: dims.width ?? fixed[3] ?? 224 };
    for (const [k, v] of Object.entries(full)) {
      if (!Number.isInteger(v) || v < 1 || v > 65536) throw new OptionError(`${k} must be an integer from 1 to 65536, got ${v}`);
    }
    const asked = [full.batch, graph.input.channels, full.height, full.width];
    if (fixed.some((d, i) => d !== undefined && d !== asked[i])) {
      // As onnxruntime: a fixed dimension is part of the model (a 28x28 classifier on a 600x800 image is an error).
      throw new InputError(`${graph.source!.file} fixes its input to [${graph.source!.inputShape}]; asked for [${asked}] (export with dynamic axes to run other sizes)`);
    }
    const session = new Session(this.mem, this.kernels, graph, full, options, (s) => this.sessions.delete(s), this.pool);
    this.sessions.add(session);
    return session;
  }

  /** Bytes of wasm linear memory (it only grows; freed sessions' space is reused). */
  get memoryBytes(): number {
    return this.mem.byteLength;
  }

  /** Bytes held by live sessions. */
  get usedBytes(): number {
    return this.mem.usedBytes;
  }

  dispose(): void {
    for (const s of [...this.sessions]) s.dispose();
    this.pool?.dispose();
    this.disposed = true;
  }
}

/** The parts of a Graph every later step relies on, checked before anything reads them. */
function checkGraph(graph: Graph): void {
  const ok = graph !== null && typeof graph === 'object' && Array.isArray(graph.nodes) && typeof graph.output === 'string'
    && graph.input !== null && typeof graph.input === 'object' && typeof graph.input.name === 'string' && Number.isInteger(graph.input.channels);
  if (!ok) throw new GraphError(`compile expects a Graph ({ name, input: { name, channels }, output, nodes }) from buildModel, loadOnnx or GraphBuilder; got ${describe(graph)}`);
  graph.nodes.forEach((n, i) => {
    if (n === null || typeof n !== 'object' || !Array.isArray(n.inputs) || typeof n.output !== 'string') {
      throw new GraphError(`graph '${graph.name}' node #${i} is not a node ({ op, name, inputs, output, ... })`);
    }
  });
}

export async function createEngine(options: EngineOptions = {}): Promise<Engine> {
  if (options === null || typeof options !== 'object') throw new OptionError(`createEngine options must be an object, got ${describe(options)}`);
  const requested = oneOf('backend', options.backend, BACKENDS, 'auto');
  const backend: Backend = requested !== 'auto' ? requested : relaxedSupported() ? 'relaxed' : simdSupported() ? 'simd' : 'scalar';
  if (backend === 'simd' && !simdSupported()) throw new OptionError('backend simd requested, but this runtime has no WebAssembly SIMD');
  if (backend === 'relaxed' && !relaxedSupported()) {
    throw new OptionError('backend relaxed requested, but this runtime has no relaxed SIMD (Chrome 114+, Firefox 145+, Node 22+, or Node 20 with --experimental-wasm-relaxed-simd)');
  }
  const threads = threadCount(options.threads);
  const source = isPerBackend(options.wasm) ? options.wasm[backend] : options.wasm;
  const { kernels, memory, module } = await loadKernels(backend, source, threads > 1);
  const mem = new LinearMemory(memory, kernels.heap_base());
  warmUp(kernels, mem);
  if (threads === 1) return new Engine(backend, kernels, mem);
  const control = mem.alloc(controlBytes(threads)); // held for the engine's life
  mem.f32().fill(0, control / 4, (control + controlBytes(threads)) / 4);
  const fail = (message: string) => new WasmError(message);
  // A pool's own failures come through `fail`; anything else (the web pool's file not loading) here.
  const pool = await currentPlatform().threads!.start(threads, module, memory, kernels, control, fail)
    .catch((e: Error) => { throw e instanceof WasmError ? e : fail(`the thread pool did not start: ${e.message}`); });
  return new Engine(backend, kernels, mem, pool);
}

const warned = new Set<string>();

/**
 * The threads createEngine starts: as asked where this runtime can, else 1, with the reason told
 * once per process (onnxruntime-web falls back silently, and its users file issues about it).
 */
function threadCount(asked: EngineOptions['threads']): number {
  const threads = currentPlatform().threads;
  // Unknown where the runtime does not tell: no upper bound.
  const cores = threads?.cores();
  if (asked === undefined || asked === 1) return 1;
  if (asked !== 'auto' && (!Number.isInteger(asked) || asked < 1 || asked > (cores ?? Infinity))) {
    throw new OptionError(`threads must be 'auto' or an integer from 1${cores ? ` to ${cores} (the cores here)` : ''}, got ${describe(asked)}`);
  }
  const n = asked === 'auto' ? cores ?? 1 : asked;
  const reason = typeof SharedArrayBuffer === 'undefined'
    ? 'this runtime has no SharedArrayBuffer (a page must be cross-origin isolated: COOP and COEP headers; workerd has none)'
    : !threads ? 'this runtime has no worker threads (Web Workers or worker_threads)' : undefined;
  if (n === 1 || !reason) return n;
  if (!warned.has(reason)) {
    warned.add(reason);
    console.warn(`senet-wasm: ${n} threads asked, running 1: ${reason}`);
  }
  return 1;
}
