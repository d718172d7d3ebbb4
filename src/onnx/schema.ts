// Decoding ONNX models with the static code in onnx-read.js (generated from onnx-subset.proto by
// `npm run gen:onnx`), plus the plain shapes the reader and writer use (encoding: encode.ts).
import { PbfReader } from 'pbf';
import { readModelProto } from './onnx-read.js';

/**
 * Decodes an ONNX file into plain objects: fields absent from the file (or holding proto3's zero
 * defaults, which writers leave off the wire) are undefined, int64 are numbers, and bytes fields
 * (raw_data) are views into `bytes`, not copies. Throws on a malformed file.
 */
export function decodeModel(bytes: Uint8Array): ModelMsg {
  const pbf = new PbfReader(bytes);
  const model = readModelProto(pbf);
  // pbf reads past the end of a truncated message without a bounds check: the position tells.
  if (pbf.pos !== bytes.length) throw new Error(`truncated or malformed: read to byte ${pbf.pos} of ${bytes.length}`);
  return plain(model) as ModelMsg;
}

/** Oneof fields of our subset: pbf names the member that was set (Dimension: dimValue or dimParam). */
const ONEOFS = new Set(['dimension']);

// pbf fills every field with its default; the reader asks "present?" as protobuf's own
// implementations answer it: a default counts as absent, except a oneof's chosen member (a
// dimension given as dim_value 0 is not a dim_param).
function plain(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(plain);
  if (typeof v !== 'object' || v === null || v instanceof Uint8Array) return v;
  const chosen = Object.entries(v).find(([k]) => ONEOFS.has(k))?.[1];
  const o: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) {
    if (ONEOFS.has(k)) continue;
    const unset = x === undefined || x === 0 || x === '' || (Array.isArray(x) && x.length === 0);
    if (!unset || k === chosen) o[k] = plain(x);
  }
  return o;
}

/** ONNX TensorProto.DataType values that appear in our messages. */
export const DATA_TYPE = { FLOAT: 1, UINT8: 2, INT8: 3, INT32: 6, INT64: 7, FLOAT16: 10, DOUBLE: 11 } as const;
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
