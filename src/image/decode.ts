// PNG (fast-png) and JPEG (jpeg-js) to RGBA pixels, in pure JavaScript: the same pixels in Node and
// in an edge worker, which has no image decoder of its own. Pages may decode with the browser
// instead (a PNG gives the same pixels; JPEG decoders differ in the last bit).
import { convertIndexedToRgb, decode as decodePng } from 'fast-png';
import jpeg from 'jpeg-js';
import { InputError } from '../errors.js';
import type { Image } from './preprocess.js';

// Decompression bombs: a few bytes can claim a gigapixel image. 64 megapixels is plenty here.
const MAX_PIXELS = 64 * 1024 * 1024;

const isPng = (b: Uint8Array) => b.length >= 8 && b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47;
const isJpeg = (b: Uint8Array) => b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff;

/** Any PNG fast-png decodes (grey, grey + alpha, RGB, RGBA, palette; 1 to 16 bits) as 8-bit RGBA. */
function pngToRgba(png: ReturnType<typeof decodePng>): Image {
  const { width, height } = png;
  const n = width * height;
  const rgba = new Uint8Array(4 * n);
  if (png.palette) {
    const rgb = convertIndexedToRgb(png);
    const k = png.palette[0].length; // 3, or 4 with a tRNS chunk
    for (let i = 0; i < n; i++) {
      rgba.set(rgb.subarray(i * k, i * k + 3), 4 * i);
      rgba[4 * i + 3] = k === 4 ? rgb[i * k + 3] : 255;
    }
    return { width, height, data: rgba };
  }
  const c = png.channels, depth = png.depth, max = (1 << depth) - 1;
  // Samples to 0..255: 16-bit keeps its high byte; 1, 2 and 4-bit grey rows are packed, MSB first.
  const rowBits = width * c * depth, rowBytes = Math.ceil(rowBits / 8);
  const sample = (y: number, i: number): number => {
    if (depth === 16) return png.data[y * width * c + i] >> 8;
    if (depth === 8) return png.data[y * width * c + i];
    const bit = i * depth, byte = png.data[y * rowBytes + (bit >> 3)];
    return Math.round(((byte >> (8 - depth - (bit & 7))) & max) * 255 / max);
  };
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const o = 4 * (y * width + x), s = x * c;
      const grey = c <= 2;
      rgba[o] = sample(y, s);
      rgba[o + 1] = grey ? rgba[o] : sample(y, s + 1);
      rgba[o + 2] = grey ? rgba[o] : sample(y, s + 2);
      rgba[o + 3] = c === 2 || c === 4 ? sample(y, s + c - 1) : 255;
    }
  }
  return { width, height, data: rgba };
}

/** Decodes a PNG or JPEG into RGBA pixels; `file` names it in errors (InputError). */
export function decodeImage(bytes: Uint8Array, file = 'image'): Image {
  const fail = (why: string): never => { throw new InputError(`${file}: ${why}`); };
  if (!(bytes instanceof Uint8Array)) fail('expected the image bytes as a Uint8Array');
  if (bytes.length === 0) fail('empty file');
  let img: Image | undefined;
  try {
    if (isPng(bytes)) {
      if (bytes.length < 24) fail('truncated PNG');
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      if (view.getUint32(16) * view.getUint32(20) > MAX_PIXELS) fail(`PNG of ${view.getUint32(16)}x${view.getUint32(20)} pixels is too large`);
      img = pngToRgba(decodePng(bytes));
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
