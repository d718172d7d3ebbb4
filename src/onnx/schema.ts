// Decoding and encoding of ONNX models with the static code in onnx-subset.js (generated from
// onnx-subset.proto by `npm run gen:onnx`), plus the plain shapes the reader and writer use.
import protobuf from 'protobufjs/minimal.js';
import { onnx } from './onnx-subset.js';

/**
 * Decodes an ONNX file into plain objects: fields absent from the file are undefined, int64 are
 * numbers, and bytes fields (raw_data) are views into `bytes`, not copies. Throws protobufjs's
 * errors on a malformed file.
 */
export function decodeModel(bytes: Uint8Array): ModelMsg {
  return plain(onnx.ModelProto.decode(bytes)) as ModelMsg;
}

export function encodeModel(model: onnx.ModelProto.$Properties): Uint8Array {
  return onnx.ModelProto.encode(model).finish();
}

// toObject's shape without its generated code: decoded messages keep defaults on their prototype
// (the reader must see a dim_param dimension's dim_value as undefined, not 0) and int64 as long.js
// Longs (protobufjs/minimal's choice whenever long is installed, and it is its dependency). Longs
// become numbers here rather than through `protobuf.util.Long = null`, which would change
// protobufjs for every other library in the app.
function plain(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(plain);
  if (typeof v !== 'object' || v === null || v instanceof Uint8Array) return v;
  if (protobuf.util.Long && v instanceof protobuf.util.Long) return protobuf.util.LongBits.from(v).toNumber();
  const o: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) if (!Array.isArray(x) || x.length > 0) o[k] = plain(x);
  return o;
}

/** ONNX TensorProto.DataType values that appear in our messages. */
export const DATA_TYPE = { FLOAT: 1, INT32: 6, INT64: 7, FLOAT16: 10, DOUBLE: 11 } as const;
export const DATA_TYPE_NAMES: Record<number, string> = {
  0: 'UNDEFINED', 1: 'FLOAT', 2: 'UINT8', 3: 'INT8', 4: 'UINT16', 5: 'INT16', 6: 'INT32', 7: 'INT64', 8: 'STRING',
  9: 'BOOL', 10: 'FLOAT16', 11: 'DOUBLE', 12: 'UINT32', 13: 'UINT64', 16: 'BFLOAT16',
};

// Plain shapes of decoded messages (`decodeModel`).
export interface TensorMsg {
  dims?: number[]; dataType?: number; floatData?: number[]; int32Data?: number[]; int64Data?: number[];
  name?: string; rawData?: Uint8Array; externalData?: { key: string; value: string }[]; dataLocation?: number;
  doubleData?: number[];
}
export interface AttributeMsg {
  name: string; type?: number; f?: number; i?: number; s?: Uint8Array; t?: TensorMsg;
  floats?: number[]; ints?: number[]; strings?: Uint8Array[]; g?: GraphMsg;
}
export interface NodeMsg { input?: string[]; output?: string[]; name?: string; opType: string; domain?: string; attribute?: AttributeMsg[] }
export interface ValueInfoMsg {
  name: string;
  type?: { tensorType?: { elemType?: number; shape?: { dim?: { dimValue?: number; dimParam?: string }[] } } };
}
export interface GraphMsg { node?: NodeMsg[]; name?: string; initializer?: TensorMsg[]; input?: ValueInfoMsg[]; output?: ValueInfoMsg[] }
export interface ModelMsg { irVersion?: number; opsetImport?: { domain?: string; version?: number }[]; producerName?: string; graph?: GraphMsg }
