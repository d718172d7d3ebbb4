import { OnnxError } from '../errors.js';
import type { Graph } from '../graph/ir.js';
import { isResponse, openSource, type Source } from '../platform.js';
import { loadOnnx, type LoadOptions } from './reader.js';

/** The last segment of a URL's path, for naming a model after its file. */
const fileName = (url: string): string => decodeURIComponent(new URL(url).pathname.split('/').pop() ?? '');

/**
 * loadOnnx from wherever the model is: bytes, a fetch Response, or a URL (fetched; under Node, a
 * file: URL is read from disk). The graph is named after the URL's file unless `name` is given.
 */
export async function loadOnnxFrom(source: Source, options: LoadOptions = {}): Promise<Graph> {
  const url = source instanceof URL ? source.href : isResponse(source) ? source.url : '';
  const name = options.name ?? (url ? fileName(url) : undefined);
  const opened = await openSource(source, (message) => new OnnxError(`${name ?? 'model.onnx'}: ${message}`));
  const bytes = isResponse(opened) ? new Uint8Array(await opened.arrayBuffer())
    : ArrayBuffer.isView(opened) ? new Uint8Array(opened.buffer, opened.byteOffset, opened.byteLength)
      : new Uint8Array(opened);
  return loadOnnx(bytes, { ...options, name });
}
