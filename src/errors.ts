/** Base class of every error senet-wasm throws on purpose; `code` names the kind. */
export class SenetError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** A tensor handed to run() that does not fit the session (type, length, shape). */
export class InputError extends SenetError {
  constructor(message: string) { super('input', message); }
}

/** A graph that cannot be compiled: unknown op, inconsistent shapes, missing weights. */
export class GraphError extends SenetError {
  constructor(message: string) { super('graph', message); }
}

/** An option out of range or of the wrong type, or an unknown model name. */
export class OptionError extends SenetError {
  constructor(message: string) { super('option', message); }
}

/** A session or engine used after dispose(). */
export class DisposedError extends SenetError {
  constructor(what: string) { super('disposed', `${what} was used after dispose()`); }
}

/** The wasm module could not be loaded or does not have the exports this host needs. */
export class WasmError extends SenetError {
  constructor(message: string) { super('wasm', message); }
}

/** An ONNX file that cannot be read or mapped: the message names the file, node, op and opset. */
export class OnnxError extends SenetError {
  constructor(message: string) { super('onnx', message); }
}
