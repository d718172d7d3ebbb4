// .npy files (NumPy's format, version 1.0-3.0): float32, C order, read and written.
import { InputError } from '../errors.js';

const MAGIC = '\x93NUMPY';

export interface NpyArray {
  data: Float32Array;
  shape: number[];
}

/** Parses a float32 C-order .npy; `name` (the file) goes into every error message. */
export function parseNpy(bytes: Uint8Array, name = 'input'): NpyArray {
  const fail = (why: string): never => { throw new InputError(`${name}: ${why}`); };
  if (bytes.length < 10 || String.fromCharCode(...bytes.subarray(0, 6)) !== MAGIC) fail('not a .npy file');
  const major = bytes[6];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const start = major === 1 ? 10 : 12;
  if (start + headerLen > bytes.length) fail('truncated .npy header');
  const header = new TextDecoder().decode(bytes.subarray(start, start + headerLen));
  const descr = /'descr':\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) fail(`unreadable .npy header ${header.trim()}`);
  if (descr !== '<f4') fail(`dtype ${descr} is not float32 ('<f4'); convert with x.astype(np.float32)`);
  if (fortran === 'True') fail('Fortran order is not supported; save with np.ascontiguousarray(x)');
  const shape = shapeText!.split(',').map((s) => s.trim()).filter(Boolean).map(Number);
  if (shape.some((d) => !Number.isInteger(d) || d < 0)) fail(`bad shape (${shapeText})`);
  const count = shape.reduce((a, b) => a * b, 1);
  const dataStart = start + headerLen;
  if (bytes.length - dataStart < 4 * count) fail(`holds ${Math.floor((bytes.length - dataStart) / 4)} values, its shape [${shape}] needs ${count}`);
  const data = new Float32Array(count);
  new Uint8Array(data.buffer).set(bytes.subarray(dataStart, dataStart + 4 * count));
  return { data, shape };
}

/** A version 1.0 .npy of float32 values in C order. */
export function formatNpy({ data, shape }: NpyArray): Uint8Array {
  const dims = shape.length === 1 ? `${shape[0]},` : shape.join(', ');
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${dims}), }`;
  // The header, with its 10-byte preamble, is padded with spaces to a multiple of 64 and ends in \n.
  header = header.padEnd(Math.ceil((header.length + 11) / 64) * 64 - 11) + '\n';
  const out = new Uint8Array(10 + header.length + 4 * data.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  new DataView(out.buffer).setUint16(8, header.length, true);
  out.set(new TextEncoder().encode(header), 10);
  out.set(new Uint8Array(data.buffer, data.byteOffset, 4 * data.length), 10 + header.length);
  return out;
}
