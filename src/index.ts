// senet-wasm: Squeeze-and-Excitation networks on WebAssembly SIMD. The platform-free public API:
// bundled as dist/web.js (browsers, workers, edge runtimes); src/node.ts adds Node's file reading.
// The built-in networks (random weights, for benches and research) with the GraphBuilder they are
// written with and the SE ablation and counting tools are senet-wasm/models, images (decoding,
// preprocessing, model cards, ranked classes) senet-wasm/image and the ONNX writer
// senet-wasm/onnx-writer: a page loads this entry whole (its budget: test/payload.test.ts).
export { createEngine, Engine, type EngineOptions } from './runtime/engine.js';
export { Session, type SessionStats, type CompileOptions, type Excitation, type RunOptions } from './runtime/session.js';
export { relaxedSupported, simdSupported, type Backend, type WasmSource } from './wasm/load.js';
export type { Source } from './platform.js';
export { optimize } from './graph/passes/index.js';
export type * from './graph/ir.js';
export * from './errors.js';
export { loadOnnx, SUPPORTED_OPS, type LoadOptions } from './onnx/reader.js';
export { loadOnnxFrom } from './onnx/source.js';
