// ONNX TensorProto -> typed values: float32 weights, or integers for shape arithmetic.
import { OnnxError } from '../errors.js';
import { decodeFloats, decodeSource } from '../graph/ir.js';
import { DATA_TYPE, DATA_TYPE_NAMES, type TensorMsg } from './schema.js';

export interface Constant {
  dims: number[];
  /** float32 values (FLOAT), or integers (INT32, INT64) for shapes, axes and indices. */
  values: Float32Array | number[];
  type: 'float' | 'int';
  /** FLOAT raw_data as stored in the file (little-endian), when it came that way. */
  bytes?: Uint8Array;
  /** FLOAT16 values (little-endian bits: raw_data as stored in the file): float, usable through Cast. */
  half?: Uint8Array;
  /** INT8 or UINT8 values (raw_data as stored): integers, usable through DequantizeLinear. */
  q8?: { data: Uint8Array; signed: boolean };
  /** A DequantizeLinear of q8 values: float, with the scale and zero point along `axis` (-1: per tensor). */
  quant?: { data: Uint8Array; signed: boolean; scale: Float32Array; zeroPoint: Int32Array; axis: number };
}

const typeName = (t: number | undefined) => DATA_TYPE_NAMES[t ?? 0] ?? `type ${t}`;

/** Decodes an initializer or a Constant's tensor; `where` names it in errors. */
export function readTensor(t: TensorMsg, where: string): Constant {
  const dims = (t.dims ?? []).map(Number);
  if (dims.some((d) => !Number.isSafeInteger(d) || d < 0)) throw new OnnxError(`${where}: bad dimensions [${dims}]`);
  const count = dims.reduce((a, b) => a * b, 1);
  if (t.dataLocation === 1 || t.externalData?.length) {
    throw new OnnxError(`${where}: data is stored outside the file (external data); save the model with all tensors inside it`);
  }
  // Checked before anything is allocated: a corrupted file must not claim gigabytes.
  const held = (t.rawData?.length ?? 0) + 8 * Math.max(t.floatData?.length ?? 0, t.int32Data?.length ?? 0, t.int64Data?.length ?? 0, t.doubleData?.length ?? 0);
  if (count > held) throw new OnnxError(`${where}: dims [${dims}] need ${count} values, the tensor holds fewer`);
  const raw = t.rawData && t.rawData.length > 0 ? t.rawData : undefined;
  const expectBytes = (size: number) => {
    if (raw && raw.length !== count * size) {
      throw new OnnxError(`${where}: raw_data holds ${raw.length} bytes, ${count * size} expected for dims [${dims}]`);
    }
  };
  const view = raw && new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  switch (t.dataType) {
    case DATA_TYPE.FLOAT: {
      expectBytes(4);
      if (raw) {
        // Weights stay in the file's bytes until read: packing decodes them straight into wasm
        // memory (SE-ResNet-50: a 112 MB copy less when a model loads).
        let values: Float32Array | undefined;
        return { dims, type: 'float', bytes: raw, get values() { return (values ??= decodeFloats(raw)); } };
      }
      if (t.floatData?.length !== count) {
        throw new OnnxError(`${where}: holds ${t.floatData?.length ?? 0} floats, ${count} expected for dims [${dims}]`);
      }
      return { dims, values: Float32Array.from(t.floatData), type: 'float' };
    }
    case DATA_TYPE.FLOAT16:
    case DATA_TYPE.INT8:
    case DATA_TYPE.UINT8: {
      // Kept as the file's bytes (raw_data), or made from int32_data (one value each, as ONNX stores them otherwise).
      const size = t.dataType === DATA_TYPE.FLOAT16 ? 2 : 1;
      expectBytes(size);
      let data = raw;
      if (!data) {
        if (t.int32Data?.length !== count) throw new OnnxError(`${where}: holds ${t.int32Data?.length ?? 0} values, ${count} expected for dims [${dims}]`);
        data = size === 2 ? new Uint8Array(Uint16Array.from(t.int32Data).buffer) : Uint8Array.from(t.int32Data, (v) => v & 255);
      }
      if (size === 2) {
        const half = data;
        let values: Float32Array | undefined;
        return { dims, type: 'float', half, get values() { return (values ??= decodeSource({ half })); } };
      }
      const signed = t.dataType === DATA_TYPE.INT8, bytes = data;
      let values: number[] | undefined;
      return { dims, type: 'int', q8: { data: bytes, signed }, get values() { return (values ??= Array.from(bytes, (v) => (signed ? (v << 24) >> 24 : v))); } };
    }
    case DATA_TYPE.INT64:
    case DATA_TYPE.INT32: {
      const size = t.dataType === DATA_TYPE.INT64 ? 8 : 4;
      expectBytes(size);
      let values: number[];
      if (view) {
        values = Array.from({ length: count }, (_, i) => (size === 8 ? Number(view.getBigInt64(8 * i, true)) : view.getInt32(4 * i, true)));
      } else {
        values = (size === 8 ? t.int64Data : t.int32Data)?.map(Number) ?? [];
        if (values.length !== count) throw new OnnxError(`${where}: holds ${values.length} integers, ${count} expected for dims [${dims}]`);
      }
      return { dims, values, type: 'int' };
    }
    default:
      throw new OnnxError(`${where}: tensors of type ${typeName(t.dataType)} are not supported (only FLOAT, FLOAT16 and INT8/UINT8 weights and INT32/INT64 shapes)`);
  }
}
