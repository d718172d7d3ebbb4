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

/** `value` when a positive integer (`fallback` when undefined); else an OptionError. */
export function positiveInt(key: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || (value as number) < 1) throw new OptionError(`${key} must be a positive integer; got ${JSON.stringify(value)}`);
  return value as number;
}

/** `value` when true or false (`fallback` when undefined); else an OptionError. */
export function flag(key: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new OptionError(`${key} must be true or false; got ${JSON.stringify(value)}`);
  return value;
}

/** A model builder's seed: undefined or an integer; else an OptionError. */
export function seedOption(value: unknown): number | undefined {
  if (value !== undefined && !Number.isInteger(value)) throw new OptionError(`seed must be an integer; got ${JSON.stringify(value)}`);
  return value as number | undefined;
}

/** A Float32Array from any realm (a vm context, an iframe, a worker's message): instanceof sees only this one's. */
export const isFloat32Array = (x: unknown): x is Float32Array => Object.prototype.toString.call(x) === '[object Float32Array]';

/** What a value is, for an error message: its class name, or null / undefined / its typeof. */
export const describe = (x: unknown): string =>
  (x === null ? 'null' : typeof x === 'object' ? (x as object).constructor?.name ?? 'object' : typeof x);
