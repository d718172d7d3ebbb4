import { DisposedError, OptionError } from '../errors.js';
import type { Graph, InputDims } from '../graph/ir.js';
import { isResponse } from '../platform.js';
import { loadKernels, simdSupported, type Backend, type WasmSource } from '../wasm/load.js';
import type { Kernels } from '../wasm/abi.js';
import { LinearMemory } from './memory.js';
import { Session, type CompileOptions } from './session.js';
import { warmUp } from './warmup.js';

export interface EngineOptions {
  /** 'auto' (default) runs the SIMD build where the runtime validates v128 code, else scalar. */
  backend?: 'auto' | Backend;
  /**
   * Where the builds come from: one source for the chosen backend, or one per backend. Default:
   * the files shipped beside the bundle. Edge runtimes pass a precompiled WebAssembly.Module.
   */
  wasm?: WasmSource | { simd?: WasmSource; scalar?: WasmSource };
}

const BACKENDS = ['auto', 'simd', 'scalar'];

function isPerBackend(w: EngineOptions['wasm']): w is { simd?: WasmSource; scalar?: WasmSource } {
  return typeof w === 'object' && w !== null && !(w instanceof WebAssembly.Module) && !(w instanceof URL)
    && !ArrayBuffer.isView(w) && !(w instanceof ArrayBuffer) && !isResponse(w);
}

/** One wasm instance and its memory; compiles graphs into sessions that share that memory. */
export class Engine {
  private readonly sessions = new Set<Session>();
  private disposed = false;

  constructor(readonly backend: Backend, private readonly kernels: Kernels, private readonly mem: LinearMemory) {}

  /** Plans, packs and binds `graph` for input [batch, C, height, width]. */
  compile(graph: Graph, dims: Partial<InputDims> = {}, options: CompileOptions = {}): Session {
    if (this.disposed) throw new DisposedError('engine');
    const full: InputDims = { batch: dims.batch ?? 1, height: dims.height ?? 224, width: dims.width ?? 224 };
    for (const [k, v] of Object.entries(full)) {
      if (!Number.isInteger(v) || v < 1 || v > 65536) throw new OptionError(`${k} must be an integer from 1 to 65536, got ${v}`);
    }
    const session = new Session(this.mem, this.kernels, graph, full, options, (s) => this.sessions.delete(s));
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
    this.disposed = true;
  }
}

export async function createEngine(options: EngineOptions = {}): Promise<Engine> {
  const requested = options.backend ?? 'auto';
  if (!BACKENDS.includes(requested)) {
    throw new OptionError(`backend must be one of ${BACKENDS.join(', ')}, got '${requested}'`);
  }
  const backend: Backend = requested === 'auto' ? (simdSupported() ? 'simd' : 'scalar') : requested;
  if (backend === 'simd' && !simdSupported()) throw new OptionError('backend simd requested, but this runtime has no WebAssembly SIMD');
  const source = isPerBackend(options.wasm) ? options.wasm[backend] : options.wasm;
  const { kernels, memory } = await loadKernels(backend, source);
  const mem = new LinearMemory(memory, kernels.heap_base());
  warmUp(kernels, mem);
  return new Engine(backend, kernels, mem);
}
