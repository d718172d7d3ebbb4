// What workerd hands a worker for its non-JavaScript modules (wrangler.toml's rules).
declare module '*.wasm' {
  const module: WebAssembly.Module;
  export default module;
}
declare module '*.onnx' {
  const bytes: ArrayBuffer;
  export default bytes;
}
