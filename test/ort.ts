// onnxruntime-node, the reference of the ONNX tests: one file run on one input.
import * as ort from 'onnxruntime-node';

/** The first output of `bytes` on x (NCHW `shape`), with onnxruntime's graph optimizations or without. */
export async function runOrt(bytes: Uint8Array, x: Float32Array, shape: number[], optimized = true): Promise<Float32Array> {
  const s = await ort.InferenceSession.create(bytes, optimized ? {} : { graphOptimizationLevel: 'disabled' });
  try {
    const out = await s.run({ [s.inputNames[0]]: new ort.Tensor('float32', x, shape) });
    return out[s.outputNames[0]].data as Float32Array;
  } finally {
    await s.release();
  }
}
