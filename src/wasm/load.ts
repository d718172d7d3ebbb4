import { WasmError } from '../errors.js';
import { currentPlatform, isResponse, openSource, type Source } from '../platform.js';
import { KERNEL_NAMES, type Kernels } from './abi.js';

export type Backend = 'simd' | 'scalar';

/** Where a build comes from: bytes, a fetch Response, a URL, or a precompiled Module (edge runtimes). */
export type WasmSource = Source | WebAssembly.Module;

// The smallest module that uses a v128 instruction: (func (result v128) i32.const 0 i8x16.splat).
const SIMD_PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version
  0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b, // type section: () -> v128
  0x03, 0x02, 0x01, 0x00, // function section: one function of type 0
  0x0a, 0x08, 0x01, 0x06, 0x00, 0x41, 0x00, 0xfd, 0x0f, 0x0b, // code: i32.const 0; i8x16.splat; end
]);

/** True when this runtime validates v128 code (WebAssembly SIMD). */
export function simdSupported(): boolean {
  try {
    return WebAssembly.validate(SIMD_PROBE);
  } catch {
    return false;
  }
}

async function toModule(source: WasmSource): Promise<WebAssembly.Module> {
  if (source instanceof WebAssembly.Module) return source;
  const opened = await openSource(source, (message) => new WasmError(message));
  if (!isResponse(opened)) return WebAssembly.compile(opened);
  // compileStreaming insists on the application/wasm content type; bytes work with any server.
  return opened.headers.get('content-type')?.startsWith('application/wasm')
    ? WebAssembly.compileStreaming(opened)
    : WebAssembly.compile(await opened.arrayBuffer());
}

export interface LoadedKernels {
  kernels: Kernels;
  memory: WebAssembly.Memory;
}

/**
 * Instantiates one build with a fresh memory that the host owns (the module imports it). Without
 * `source`, the build is where the platform says (beside the bundle).
 */
export async function loadKernels(backend: Backend, source?: WasmSource): Promise<LoadedKernels> {
  let module: WebAssembly.Module;
  try {
    module = await toModule(source ?? currentPlatform().wasmUrl(backend));
  } catch (e) {
    if (e instanceof WasmError) throw e;
    throw new WasmError(`cannot compile the ${backend} build: ${(e as Error).message}`);
  }
  const memory = new WebAssembly.Memory({ initial: 1, maximum: 65536 });
  let instance: WebAssembly.Instance;
  try {
    instance = await WebAssembly.instantiate(module, { env: { memory } });
  } catch (e) {
    throw new WasmError(`cannot instantiate the ${backend} build: ${(e as Error).message}`);
  }
  const exports = instance.exports as Record<string, unknown>;
  const missing = KERNEL_NAMES.filter((k) => typeof exports[k] !== 'function');
  if (missing.length) throw new WasmError(`the ${backend} build lacks the exports ${missing.join(', ')}`);
  // A module handed in as one build may be the other (both have the same exports): ask it.
  const built: Backend = (exports.build_simd as () => number)() ? 'simd' : 'scalar';
  if (built !== backend) throw new WasmError(`the module given as the ${backend} build is the ${built} build`);
  return { kernels: exports as unknown as Kernels, memory };
}
