import { WasmError } from '../errors.js';
import { currentPlatform, isResponse, openSource, type Source } from '../platform.js';
import { KERNEL_NAMES, type Kernels } from './abi.js';

/** The builds: v128 SIMD, relaxed SIMD (fused multiply-adds), and scalar (no v128 at all). */
export type Backend = 'relaxed' | 'simd' | 'scalar';

/** Where a build comes from: bytes, a fetch Response, a URL, or a precompiled Module (edge runtimes). */
export type WasmSource = Source | WebAssembly.Module;

// The smallest module that uses a v128 instruction: (func (result v128) i32.const 0 i8x16.splat).
const SIMD_PROBE: Uint8Array<ArrayBuffer> = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version
  0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b, // type section: () -> v128
  0x03, 0x02, 0x01, 0x00, // function section: one function of type 0
  0x0a, 0x08, 0x01, 0x06, 0x00, 0x41, 0x00, 0xfd, 0x0f, 0x0b, // code: i32.const 0; i8x16.splat; end
]);

// The smallest module with a relaxed-SIMD instruction: three v128.const 0, f32x4.relaxed_madd (0xfd 0x105).
const RELAXED_PROBE: Uint8Array<ArrayBuffer> = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version
  0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b, // type section: () -> v128
  0x03, 0x02, 0x01, 0x00, // function section: one function of type 0
  0x0a, 0x3d, 0x01, 0x3b, 0x00, // code section: one body of 59 bytes, no locals
  ...[0, 1, 2].flatMap(() => [0xfd, 0x0c, ...new Array<number>(16).fill(0)]), // v128.const 0, three times
  0xfd, 0x85, 0x02, 0x0b, // f32x4.relaxed_madd; end
]);

const validates = (probe: Uint8Array<ArrayBuffer>): boolean => {
  try {
    return WebAssembly.validate(probe);
  } catch {
    return false;
  }
};

/** True when this runtime validates v128 code (WebAssembly SIMD). */
export const simdSupported = (): boolean => validates(SIMD_PROBE);

/**
 * True when it validates relaxed SIMD too (Chrome 114+, Firefox 145+, Node 22+; Node 20 behind
 * --experimental-wasm-relaxed-simd): a module holding one relaxed opcode fails validation elsewhere.
 */
export const relaxedSupported = (): boolean => validates(RELAXED_PROBE);

async function toModule(source: WasmSource, sync: boolean): Promise<WebAssembly.Module> {
  if (source instanceof WebAssembly.Module) return source;
  const opened = await openSource(source, (message) => new WasmError(message));
  if (!isResponse(opened)) return sync ? new WebAssembly.Module(opened) : WebAssembly.compile(opened);
  // compileStreaming insists on the application/wasm content type; bytes work with any server.
  return opened.headers.get('content-type')?.startsWith('application/wasm')
    ? WebAssembly.compileStreaming(opened)
    : WebAssembly.compile(await opened.arrayBuffer());
}

export interface LoadedKernels {
  kernels: Kernels;
  memory: WebAssembly.Memory;
  /** The compiled module (a pool instantiates it again in each worker). */
  module: WebAssembly.Module;
}

/**
 * Instantiates one build with a fresh memory that the host owns (the module imports it). Without
 * `source`, the build is where the platform says (beside the bundle). `threaded`: the threaded
 * build, on a shared memory (the platform must have threads).
 */
export async function loadKernels(backend: Backend, source?: WasmSource, threaded = false): Promise<LoadedKernels> {
  const name = `${backend}${threaded ? '-threads' : ''}`;
  let module: WebAssembly.Module;
  const platform = currentPlatform(), sync = platform.syncWasm ?? false;
  try {
    module = await toModule(source ?? platform.wasmUrl(backend, threaded), sync);
  } catch (e) {
    if (e instanceof WasmError) throw e;
    throw new WasmError(`cannot compile the ${name} build: ${(e as Error).message}`);
  }
  // A shared memory needs the maximum the module declares (asconfig.json: 65536 pages).
  const memory = new WebAssembly.Memory({ initial: 1, maximum: 65536, shared: threaded });
  let instance: WebAssembly.Instance;
  try {
    instance = sync ? new WebAssembly.Instance(module, { env: { memory } }) : await WebAssembly.instantiate(module, { env: { memory } });
  } catch (e) {
    throw new WasmError(`cannot instantiate the ${name} build: ${(e as Error).message}`);
  }
  const exports = instance.exports as Record<string, unknown>;
  const missing = KERNEL_NAMES.filter((k) => typeof exports[k] !== 'function');
  if (missing.length) throw new WasmError(`the ${backend} build lacks the exports ${missing.join(', ')}`);
  // A module handed in as one build may be another (all have the same exports): ask it.
  const built = (['scalar', 'simd', 'relaxed'] as const)[(exports.build_kind as () => number)()];
  const builtName = `${built}${(exports.build_threads as () => number)() ? '-threads' : ''}`;
  if (builtName !== name) throw new WasmError(`the module given as the ${name} build is the ${builtName} build`);
  return { kernels: exports as unknown as Kernels, memory, module };
}
