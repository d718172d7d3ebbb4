// Images to network inputs: PNG decoding (pngjs), bilinear resize, per-channel normalisation.
import { readFileSync } from 'node:fs';
import { PNG } from 'pngjs';
import { InputError } from '../errors.js';

/** ImageNet statistics, as torchvision's pretrained models expect. */
export const IMAGENET = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };

export interface Rgb {
  width: number;
  height: number;
  data: Uint8Array; // RGBA, row-major
}

export function readPng(path: string): Rgb {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new InputError(`${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  try {
    const png = PNG.sync.read(bytes);
    return { width: png.width, height: png.height, data: png.data };
  } catch (e) {
    throw new InputError(`${path}: not a readable PNG (${(e as Error).message})`);
  }
}

/**
 * Resizes (bilinear, pixel centres aligned as PyTorch's align_corners=False) to size x size and
 * returns a [1, 3, size, size] NCHW tensor normalised as (x / 255 - mean) / std.
 */
export function toTensor(img: Rgb, size: number, norm = IMAGENET): Float32Array {
  const out = new Float32Array(3 * size * size);
  const sy = img.height / size, sx = img.width / size;
  for (let y = 0; y < size; y++) {
    const fy = Math.min(Math.max((y + 0.5) * sy - 0.5, 0), img.height - 1);
    const y0 = Math.floor(fy), y1 = Math.min(y0 + 1, img.height - 1), wy = fy - y0;
    for (let x = 0; x < size; x++) {
      const fx = Math.min(Math.max((x + 0.5) * sx - 0.5, 0), img.width - 1);
      const x0 = Math.floor(fx), x1 = Math.min(x0 + 1, img.width - 1), wx = fx - x0;
      for (let c = 0; c < 3; c++) {
        const px = (yy: number, xx: number) => img.data[(yy * img.width + xx) * 4 + c];
        const v = (1 - wy) * ((1 - wx) * px(y0, x0) + wx * px(y0, x1)) + wy * ((1 - wx) * px(y1, x0) + wx * px(y1, x1));
        out[(c * size + y) * size + x] = (v / 255 - norm.mean[c]) / norm.std[c];
      }
    }
  }
  return out;
}
