// Images from files (Node): the platform-free decoder (src/image/decode.ts) on a file's bytes.
import { decodeImage } from '../image/decode.js';
import type { Image } from '../image/preprocess.js';
import { readBytes } from './read.js';

export function readImage(path: string): Image {
  return decodeImage(readBytes(path), path);
}
