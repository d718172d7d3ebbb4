import { readFileSync } from 'node:fs';
import { InputError } from '../errors.js';

/** A file's bytes, or an InputError naming the file and the reason (ENOENT, EACCES, ...). */
export function readBytes(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new InputError(`${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}
