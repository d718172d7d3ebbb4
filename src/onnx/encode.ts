// Encoding ONNX models with the static code in onnx-write.js (generated from onnx-subset.proto by
// `npm run gen:onnx`): apart from decoding, so that a page that only reads models loads none of it.
import { PbfWriter } from 'pbf';
import { writeModelProto } from './onnx-write.js';
import type { ModelMsg } from './schema.js';

export function encodeModel(model: ModelMsg): Uint8Array {
  const pbf = new PbfWriter();
  writeModelProto(model, pbf);
  return pbf.finish();
}
