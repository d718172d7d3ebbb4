// The part of the ONNX schema (onnx/onnx.proto, IR version 8) that senet-wasm reads and writes,
// as a protobufjs JSON descriptor. Field numbers and types are ONNX's; messages and fields we
// never touch (training info, functions, sparse tensors, sequences, maps) are left out, and
// protobuf skips them on decoding.
import protobuf from 'protobufjs/light.js';

const field = (type: string, id: number, rule?: 'repeated') => (rule ? { type, id, rule } : { type, id });

const descriptor = {
  nested: {
    onnx: {
      nested: {
        ModelProto: {
          fields: {
            irVersion: field('int64', 1),
            opsetImport: field('OperatorSetIdProto', 8, 'repeated'),
            producerName: field('string', 2),
            producerVersion: field('string', 3),
            domain: field('string', 4),
            modelVersion: field('int64', 5),
            docString: field('string', 6),
            graph: field('GraphProto', 7),
            metadataProps: field('StringStringEntryProto', 14, 'repeated'),
          },
        },
        OperatorSetIdProto: { fields: { domain: field('string', 1), version: field('int64', 2) } },
        StringStringEntryProto: { fields: { key: field('string', 1), value: field('string', 2) } },
        GraphProto: {
          fields: {
            node: field('NodeProto', 1, 'repeated'),
            name: field('string', 2),
            initializer: field('TensorProto', 5, 'repeated'),
            docString: field('string', 10),
            input: field('ValueInfoProto', 11, 'repeated'),
            output: field('ValueInfoProto', 12, 'repeated'),
            valueInfo: field('ValueInfoProto', 13, 'repeated'),
          },
        },
        NodeProto: {
          fields: {
            input: field('string', 1, 'repeated'),
            output: field('string', 2, 'repeated'),
            name: field('string', 3),
            opType: field('string', 4),
            domain: field('string', 7),
            attribute: field('AttributeProto', 5, 'repeated'),
            docString: field('string', 6),
          },
        },
        AttributeProto: {
          fields: {
            name: field('string', 1),
            type: field('int32', 20), // AttributeType: FLOAT 1, INT 2, STRING 3, TENSOR 4, GRAPH 5, FLOATS 6, INTS 7, STRINGS 8
            f: field('float', 2),
            i: field('int64', 3),
            s: field('bytes', 4),
            t: field('TensorProto', 5),
            g: field('GraphProto', 6),
            floats: field('float', 7, 'repeated'),
            ints: field('int64', 8, 'repeated'),
            strings: field('bytes', 9, 'repeated'),
          },
        },
        ValueInfoProto: { fields: { name: field('string', 1), type: field('TypeProto', 2), docString: field('string', 3) } },
        TypeProto: {
          fields: { tensorType: field('TypeProtoTensor', 1) },
        },
        TypeProtoTensor: { fields: { elemType: field('int32', 1), shape: field('TensorShapeProto', 2) } },
        TensorShapeProto: { fields: { dim: field('Dimension', 1, 'repeated') } },
        Dimension: { fields: { dimValue: field('int64', 1), dimParam: field('string', 2) } },
        TensorProto: {
          fields: {
            dims: field('int64', 1, 'repeated'),
            dataType: field('int32', 2), // DataType: FLOAT 1, INT32 6, INT64 7, DOUBLE 11, FLOAT16 10 ...
            floatData: field('float', 4, 'repeated'),
            int32Data: field('int32', 5, 'repeated'),
            int64Data: field('int64', 7, 'repeated'),
            name: field('string', 8),
            docString: field('string', 12),
            rawData: field('bytes', 9),
            externalData: field('StringStringEntryProto', 13, 'repeated'),
            dataLocation: field('int32', 14), // 1: EXTERNAL
            doubleData: field('double', 10, 'repeated'),
          },
        },
      },
    },
  },
};

const root = protobuf.Root.fromJSON(descriptor);
export const ModelProto = root.lookupType('onnx.ModelProto');

/** ONNX TensorProto.DataType values that appear in our messages. */
export const DATA_TYPE = { FLOAT: 1, INT32: 6, INT64: 7, FLOAT16: 10, DOUBLE: 11 } as const;
export const DATA_TYPE_NAMES: Record<number, string> = {
  0: 'UNDEFINED', 1: 'FLOAT', 2: 'UINT8', 3: 'INT8', 4: 'UINT16', 5: 'INT16', 6: 'INT32', 7: 'INT64', 8: 'STRING',
  9: 'BOOL', 10: 'FLOAT16', 11: 'DOUBLE', 12: 'UINT32', 13: 'UINT64', 16: 'BFLOAT16',
};

// Plain shapes of decoded messages (protobufjs `toObject` with longs as numbers, bytes as Uint8Array).
export interface TensorMsg {
  dims?: number[]; dataType?: number; floatData?: number[]; int32Data?: number[]; int64Data?: number[];
  name?: string; rawData?: Uint8Array; externalData?: { key: string; value: string }[]; dataLocation?: number;
  doubleData?: number[];
}
export interface AttributeMsg {
  name: string; type?: number; f?: number; i?: number; s?: Uint8Array; t?: TensorMsg;
  floats?: number[]; ints?: number[]; strings?: Uint8Array[]; g?: unknown;
}
export interface NodeMsg { input?: string[]; output?: string[]; name?: string; opType: string; domain?: string; attribute?: AttributeMsg[] }
export interface ValueInfoMsg {
  name: string;
  type?: { tensorType?: { elemType?: number; shape?: { dim?: { dimValue?: number; dimParam?: string }[] } } };
}
export interface GraphMsg { node?: NodeMsg[]; name?: string; initializer?: TensorMsg[]; input?: ValueInfoMsg[]; output?: ValueInfoMsg[] }
export interface ModelMsg { irVersion?: number; opsetImport?: { domain?: string; version?: number }[]; producerName?: string; graph?: GraphMsg }
