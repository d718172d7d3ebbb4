// Run-time checks of the public API's string options: JavaScript callers have no types, and an
// unknown name must never run as something else.
import { OptionError } from './errors.js';

/** `value`, when it is one of `allowed` (or `fallback` when undefined); else an OptionError listing them. */
export function oneOf<T extends string>(key: string, value: T | undefined, allowed: readonly T[], fallback?: T): T {
  if (value === undefined && fallback !== undefined) return fallback;
  if (!allowed.includes(value as T)) {
    throw new OptionError(`${key} must be one of ${allowed.join(', ')}; got ${typeof value === 'string' ? JSON.stringify(value) : String(value)}`);
  }
  return value as T;
}

/** A Float32Array from any realm (a vm context, an iframe, a worker's message): instanceof sees only this one's. */
export const isFloat32Array = (x: unknown): x is Float32Array => Object.prototype.toString.call(x) === '[object Float32Array]';

/** What a value is, for an error message: its class name, or null / undefined / its typeof. */
export const describe = (x: unknown): string =>
  (x === null ? 'null' : typeof x === 'object' ? (x as object).constructor?.name ?? 'object' : typeof x);
