// senet-wasm/image: PNG and JPEG decoding to RGBA (every PNG colour type and bit depth, from pixels
// made here and encoded with fast-png's encoder, so the expected pixels are known), bad files as
// InputErrors, the model card's checks, and ranking the classes.
import { encode } from 'fast-png';
import jpeg from 'jpeg-js';
import { describe, expect, test } from 'vitest';
import { InputError } from '../src/errors.js';
import { GraphBuilder } from '../src/graph/builder.js';
import { decodeImage, modelCard, topClasses } from '../src/image/index.js';

const W = 5, H = 3; // odd sizes: 1, 2 and 4-bit rows end inside a byte

/** RGBA of a test pattern: distinct values in every channel and pixel. */
function pattern(channels: number, depth: number): { data: Uint8Array | Uint16Array; rgba: Uint8Array } {
  const max = 2 ** depth - 1;
  const data = depth === 16 ? new Uint16Array(W * H * channels) : new Uint8Array(W * H * channels);
  const rgba = new Uint8Array(W * H * 4);
  for (let p = 0; p < W * H; p++) {
    for (let c = 0; c < channels; c++) data[p * channels + c] = (p * 7 + c * 3 + 1) % (max + 1);
    const to8 = (v: number) => (depth === 16 ? v >> 8 : Math.round((v * 255) / max));
    const grey = channels <= 2;
    const v = (c: number) => to8(data[p * channels + c]);
    rgba.set([v(0), grey ? v(0) : v(1), grey ? v(0) : v(2), channels === 2 || channels === 4 ? v(channels - 1) : 255], 4 * p);
  }
  return { data, rgba };
}

/** Packs 1, 2 or 4-bit grey samples into PNG rows (MSB first, each row starting on a byte). */
function packRows(samples: Uint8Array, depth: number): Uint8Array {
  const rowBytes = Math.ceil((W * depth) / 8);
  const out = new Uint8Array(rowBytes * H);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const bit = x * depth;
      out[y * rowBytes + (bit >> 3)] |= samples[y * W + x] << (8 - depth - (bit & 7));
    }
  }
  return out;
}

describe('decodeImage', () => {
  test.each([
    [1, 8], [2, 8], [3, 8], [4, 8], [1, 16], [2, 16], [3, 16], [4, 16],
  ])('PNG, %i channels, %i bits', (channels, depth) => {
    const { data, rgba } = pattern(channels, depth);
    const png = encode({ width: W, height: H, channels, depth: depth as 8 | 16, data });
    const img = decodeImage(png, 'p.png');
    expect([img.width, img.height]).toEqual([W, H]);
    expect(Array.from(img.data)).toEqual(Array.from(rgba));
  });

  test.each([1, 2, 4])('PNG, grey, %i bits (packed rows)', (depth) => {
    const { data, rgba } = pattern(1, depth);
    const png = encode({ width: W, height: H, channels: 1, depth: depth as 1 | 2 | 4, data: packRows(data as Uint8Array, depth) });
    expect(Array.from(decodeImage(png).data)).toEqual(Array.from(rgba));
  });

  test('PNG with a palette (and one with transparency in it)', () => {
    const palette: [number, number, number][] = [[10, 20, 30], [200, 100, 50], [0, 255, 7]];
    const index = Uint8Array.from({ length: W * H }, (_, i) => i % 3);
    const png = encode({ width: W, height: H, channels: 1, depth: 8, data: index, palette });
    expect(Array.from(decodeImage(png).data)).toEqual(Array.from(index).flatMap((i) => [...palette[i], 255]));
    const withAlpha: [number, number, number, number][] = palette.map(([r, g, b], i) => [r, g, b, 80 * i]);
    const png2 = encode({ width: W, height: H, channels: 1, depth: 8, data: index, palette: withAlpha });
    expect(Array.from(decodeImage(png2).data)).toEqual(Array.from(index).flatMap((i) => withAlpha[i]));
  });

  test('JPEG: close to the pixels it encoded', () => {
    const w = 16, h = 16;
    const rgba = Uint8Array.from({ length: w * h * 4 }, (_, i) => (i % 4 === 3 ? 255 : 100 + ((i * 5) % 40)));
    const file = jpeg.encode({ width: w, height: h, data: rgba }, 100).data;
    const img = decodeImage(new Uint8Array(file), 'p.jpg');
    expect([img.width, img.height]).toEqual([w, h]);
    let worst = 0;
    for (let i = 0; i < rgba.length; i++) worst = Math.max(worst, Math.abs(img.data[i] - rgba[i]));
    expect(worst).toBeLessThanOrEqual(8);
  });

  test('bad files are InputErrors that name the file', () => {
    const png = encode({ width: W, height: H, channels: 3, depth: 8, data: new Uint8Array(W * H * 3) });
    const cases: [Uint8Array, RegExp][] = [
      [new Uint8Array(0), /x\.png: empty file/],
      [new TextEncoder().encode('GIF89a....'), /x\.png: not a PNG or JPEG image/],
      [png.subarray(0, 20), /x\.png: truncated PNG/],
      [png.subarray(0, png.length - 20), /x\.png: not a readable PNG/],
    ];
    for (const [bytes, message] of cases) {
      expect(() => decodeImage(bytes, 'x.png')).toThrow(InputError);
      expect(() => decodeImage(bytes, 'x.png')).toThrow(message);
    }
    const bomb = png.slice();
    new DataView(bomb.buffer).setUint32(16, 100000);
    new DataView(bomb.buffer).setUint32(20, 100000);
    expect(() => decodeImage(bomb, 'x.png')).toThrow(/PNG of 100000x100000 pixels is too large/);
    expect(() => decodeImage('x' as never, 'x.png')).toThrow(/expected the image bytes as a Uint8Array/);
  });
});

describe('modelCard', () => {
  const b = new GraphBuilder('g', 'x', 1);
  const graph = b.build(b.fc(b.flatten(b.globalPool('x')), 3));
  test('defaults without a card; every field checked with one', () => {
    expect(modelCard(graph).preprocess).toEqual({ channels: 1, height: 224, width: 224, mean: [0], std: [1] });
    const card = modelCard(graph, { classes: ['a', 'b', 'c'], input: { preprocessing: { mean: 0.5, std: [0.25] } } }, 'm.json');
    expect(card).toEqual({ classes: ['a', 'b', 'c'], preprocess: { channels: 1, height: 224, width: 224, mean: [0.5], std: [0.25] } });
    const bad: [unknown, RegExp][] = [
      [{ input: { preprocessing: { std: 0 } } }, /m\.json: input\.preprocessing\.std must be positive, got 0/],
      [{ input: { preprocessing: { std: [1, 2] } } }, /std must be a number or 1 numbers, got \[1,2\]/],
      [{ input: { preprocessing: { mean: 'x' } } }, /mean must be a number or 1 numbers, got "x"/],
      [{ classes: 'abc' }, /classes must be a non-empty array of strings, got a string/],
      [{ classes: [1, 2] }, /classes must be a non-empty array of strings/],
      [[1], /must be a JSON object, got an array/],
      // Checked against the model once, where the card is read, not at every image.
      [{ classes: ['a', 'b'] }, /m\.json: names 2 classes, but g gives \[1,3\]/],
    ];
    const map = new GraphBuilder('map', 'x', 1);
    expect(() => modelCard(map.build(map.conv('x', 4, { kernel: 1 })), { classes: ['a'] }, 'm.json')).toThrow(/m\.json: names 1 classes, but map gives \[1,4,224,224\]/);
    for (const [json, message] of bad) {
      expect(() => modelCard(graph, json, 'm.json')).toThrow(InputError);
      expect(() => modelCard(graph, json, 'm.json')).toThrow(message);
    }
  });

  test('topClasses: softmax, best first, named; a class count that does not match is an InputError; a large output does not overflow the stack', () => {
    const top = topClasses(Float32Array.of(0, 2, 1), 2, ['a', 'b', 'c']);
    const e = [1, Math.exp(2), Math.exp(1)], sum = e[0] + e[1] + e[2];
    expect(top.map((t) => [t.label, t.index])).toEqual([['b', 1], ['c', 2]]);
    expect(top[0].probability).toBeCloseTo(e[1] / sum, 6);
    expect(() => topClasses(Float32Array.of(1, 2), 1, ['a', 'b', 'c'])).toThrow(/the model gives 2 class scores, its card names 3 classes/);
    const big = new Float32Array(4_000_000);
    big[123] = 5;
    expect(topClasses(big, 1)[0].index).toBe(123);
  });
});
