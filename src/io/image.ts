// Images to network inputs: PNG (pngjs) and JPEG (jpeg-js) decoding, resizing, grey or RGB,
// per-channel normalisation. Node-only (reads files); the browser build takes tensors.
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { InputError } from '../errors.js';
import { readBytes } from './read.js';

/** Decoded pixels, RGBA row-major. */
export interface Image {
  width: number;
  height: number;
  data: Uint8Array;
}

/** How a model wants its input: `(pixel / 255 - mean) / std` per channel, at height x width. */
export interface Preprocess {
  channels: 1 | 3;
  height: number;
  width: number;
  mean: number[];
  std: number[];
}

/** ImageNet statistics, as torchvision's pretrained models expect. */
export const IMAGENET: Preprocess = { channels: 3, height: 224, width: 224, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };

// Decompression bombs: a few bytes can claim a gigapixel image. 64 megapixels is plenty here.
const MAX_PIXELS = 64 * 1024 * 1024;

const isPng = (b: Uint8Array) => b.length >= 8 && b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47;
const isJpeg = (b: Uint8Array) => b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff;

/** Decodes a PNG or JPEG; `file` names it in errors. */
export function decodeImage(bytes: Uint8Array, file: string): Image {
  const fail = (why: string): never => { throw new InputError(`${file}: ${why}`); };
  if (bytes.length === 0) fail('empty file');
  let img: Image | undefined;
  try {
    if (isPng(bytes)) {
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      if (bytes.length < 24) fail('truncated PNG');
      if (view.getUint32(16) * view.getUint32(20) > MAX_PIXELS) fail(`PNG of ${view.getUint32(16)}x${view.getUint32(20)} pixels is too large`);
      const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      img = { width: png.width, height: png.height, data: png.data };
    } else if (isJpeg(bytes)) {
      const j = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxResolutionInMP: MAX_PIXELS / 1e6, maxMemoryUsageInMB: 1024 });
      img = { width: j.width, height: j.height, data: j.data };
    }
  } catch (e) {
    if (e instanceof InputError) throw e;
    fail(`not a readable ${isPng(bytes) ? 'PNG' : 'JPEG'} (${(e as Error).message})`);
  }
  if (!img) return fail('not a PNG or JPEG image');
  if (img.width < 1 || img.height < 1) fail(`zero-sized image (${img.width}x${img.height})`);
  return img;
}

export function readImage(path: string): Image {
  return decodeImage(readBytes(path), path);
}

/**
 * Taps of a 1-D resize from `src` to `dst` samples: area averaging when shrinking (each output
 * sample covers src/dst input samples, as OpenCV's INTER_AREA), bilinear with pixel centres
 * aligned when enlarging (PyTorch's align_corners=False).
 */
function taps(src: number, dst: number): { index: number; weight: number }[][] {
  const scale = src / dst;
  return Array.from({ length: dst }, (_, o) => {
    if (scale >= 1) {
      const start = o * scale, end = start + scale;
      const out = [];
      for (let i = Math.floor(start); i < Math.min(Math.ceil(end), src); i++) {
        out.push({ index: i, weight: (Math.min(end, i + 1) - Math.max(start, i)) / scale });
      }
      return out;
    }
    const f = Math.min(Math.max((o + 0.5) * scale - 0.5, 0), src - 1);
    const i0 = Math.floor(f), i1 = Math.min(i0 + 1, src - 1);
    return [{ index: i0, weight: 1 - (f - i0) }, { index: i1, weight: f - i0 }];
  });
}

/**
 * A [1, C, H, W] NCHW tensor: resized, grey (ITU-R 601 luma, as PIL's convert('L')) or RGB,
 * alpha composited over black, normalised as (x / 255 - mean) / std.
 */
export function toTensor(img: Image, p: Preprocess): Float32Array {
  const rows = taps(img.height, p.height), cols = taps(img.width, p.width);
  const out = new Float32Array(p.channels * p.height * p.width);
  const value = (y: number, x: number, c: number): number => {
    const i = (y * img.width + x) * 4;
    const alpha = img.data[i + 3] / 255;
    if (p.channels === 3) return img.data[i + c] * alpha;
    return (0.299 * img.data[i] + 0.587 * img.data[i + 1] + 0.114 * img.data[i + 2]) * alpha;
  };
  for (let c = 0; c < p.channels; c++) {
    for (let y = 0; y < p.height; y++) {
      for (let x = 0; x < p.width; x++) {
        let v = 0;
        for (const r of rows[y]) for (const q of cols[x]) v += r.weight * q.weight * value(r.index, q.index, c);
        out[(c * p.height + y) * p.width + x] = (v / 255 - p.mean[c]) / p.std[c];
      }
    }
  }
  return out;
}
