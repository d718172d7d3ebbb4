// Decoded pixels to a network input: resize, grey or RGB, per-channel normalisation. Platform-free:
// the CLI, pages (pixels from a canvas) and edge workers share it, so an image gives the same
// tensor everywhere.

/** Decoded pixels, RGBA row-major. */
export interface Image {
  width: number;
  height: number;
  data: Uint8Array | Uint8ClampedArray;
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
