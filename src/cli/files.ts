// Files for the command line (Node): a file's bytes with an error that names it, and images from
// files through the platform-free decoder (src/image/decode.ts).
import { readFileSync } from 'node:fs';
import { InputError } from '../errors.js';
import { decodeImage } from '../image/decode.js';
import type { Image } from '../image/preprocess.js';

/** A file's bytes, or an InputError naming the file and the reason (ENOENT, EACCES, ...). */
export function readBytes(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new InputError(`${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

export function readImage(path: string): Image {
  return decodeImage(readBytes(path), path);
}
