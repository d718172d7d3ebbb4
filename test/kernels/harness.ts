// Shared by the kernel tests: loads one build, lays buffers out in linear memory between guard
// bands of a sentinel NaN, calls a kernel, and checks (a) the result against a float64 reference,
// (b) that no guard band and no input buffer was written, (c) that every output value was written.

import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { LinearMemory } from '../../src/runtime/memory.js';
import { loadKernels, type Backend } from '../../src/wasm/load.js';
import type { Kernels } from '../../src/wasm/abi.js';
import { Random } from '../../src/graph/random.js';
import type { PackedBlock } from '../../src/ops/pack.js';
import { decodeSource } from '../../src/graph/ir.js';
import { storeAs, type WeightFormat } from '../../src/graph/storage.js';

/**
 * The builds a run checks: SIMD and scalar, or those SENET_BACKENDS names (the vitest project that
 * runs under --experimental-wasm-relaxed-simd checks the relaxed build: vitest.config.ts).
 */
export const BACKENDS: readonly Backend[] = (process.env.SENET_BACKENDS?.split(',') as Backend[] | undefined) ?? ['simd', 'scalar'];

/**
 * Where a build is read from: build/ of this checkout, or the directory KERNEL_WASM_DIR names
 * (to run the suite against mutated kernels and see it fail).
 */
export function wasmUrl(backend: Backend, threaded = false): URL {
  const dir = process.env.KERNEL_WASM_DIR;
  const file = `senet-${backend}${threaded ? '-threads' : ''}.wasm`;
  return dir ? pathToFileURL(resolve(dir, file)) : new URL(`../../build/${file}`, import.meta.url);
}

/** |got - ref| <= TOL * max(1, max |ref|), over the whole tensor. */
export const TOL = 1e-4;

/** Floats of guard band on either side of every buffer. */
const GUARD = 16;
/** A quiet NaN with a payload no kernel computes: the guard bands and unwritten outputs hold it. */
export const SENTINEL = 0x7fc0beef;

interface Region {
  name: string;
  /** Byte offset of the first guard float (what alloc returned). */
  base: number;
  /** Byte offset of the data. */
  ptr: number;
  /** Floats of data. */
  len: number;
  /** Data the kernel must not change (inputs), or undefined for outputs and in-place buffers. */
  frozen?: Uint32Array;
}

export class KernelBench {
  private regions: Region[] = [];
  private lm: LinearMemory;

  private constructor(readonly backend: Backend, readonly kernels: Kernels, readonly memory: WebAssembly.Memory) {
    this.lm = new LinearMemory(memory, kernels.heap_base());
  }

  /** threaded: the build's threaded variant (shared memory, the *_part kernels). */
  static async load(backend: Backend, threaded = false): Promise<KernelBench> {
    const { kernels, memory } = await loadKernels(backend, wasmUrl(backend, threaded), threaded);
    return new KernelBench(backend, kernels, memory);
  }

  private u32(): Uint32Array {
    return new Uint32Array(this.memory.buffer);
  }

  private region(name: string, len: number): Region {
    const base = this.lm.alloc((len + 2 * GUARD) * 4);
    const ptr = base + GUARD * 4;
    this.u32().fill(SENTINEL, base >> 2, (base >> 2) + len + 2 * GUARD);
    const r: Region = { name, base, ptr, len };
    this.regions.push(r);
    return r;
  }

  /** A read-only input: copied in, checked unchanged by check(). */
  input(name: string, data: Float32Array): number {
    const r = this.region(name, data.length);
    this.lm.f32().set(data, r.ptr >> 2);
    r.frozen = new Uint32Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
    return r.ptr;
  }

  /**
   * Packed weights: written by the block's own packer (into a sentinel-filled region, so a float
   * it does not write shows as NaN), then frozen like an input.
   */
  packed(name: string, block: PackedBlock): number {
    const r = this.region(name, Math.ceil(block.bytes / 4));
    const scratch = this.lm.alloc(Math.max(16, block.scratchBytes));
    block.write({ kernels: this.kernels, memory: this.memory, offset: r.ptr, scratch });
    this.lm.release(scratch);
    r.frozen = this.u32().slice(r.ptr >> 2, (r.ptr >> 2) + r.len);
    return r.ptr;
  }

  /** A buffer the kernel may overwrite (in-place operation): copied in, not frozen. */
  inout(name: string, data: Float32Array): number {
    const r = this.region(name, data.length);
    this.lm.f32().set(data, r.ptr >> 2);
    return r.ptr;
  }

  /** An output buffer, prefilled with the sentinel NaN so that a value never written shows. */
  output(name: string, len: number): number {
    return this.region(name, len).ptr;
  }

  /** A copy of `len` floats at byte offset `ptr`. */
  read(ptr: number, len: number): Float32Array {
    return this.lm.f32().slice(ptr >> 2, (ptr >> 2) + len);
  }

  /** Throws when a guard band or a frozen input changed. */
  check(): void {
    const u = this.u32();
    for (const r of this.regions) {
      const lo = r.base >> 2;
      const hi = (r.ptr >> 2) + r.len;
      for (let i = 0; i < GUARD; i++) {
        if (u[lo + i] !== SENTINEL) {
          throw new Error(`${this.backend}: write before '${r.name}' (float ${i - GUARD}): 0x${u[lo + i].toString(16)}`);
        }
        if (u[hi + i] !== SENTINEL) {
          throw new Error(`${this.backend}: write past the end of '${r.name}' (float ${r.len + i} of ${r.len}): 0x${u[hi + i].toString(16)}`);
        }
      }
      if (r.frozen) {
        const p = r.ptr >> 2;
        for (let i = 0; i < r.len; i++) {
          if (u[p + i] !== r.frozen[i]) throw new Error(`${this.backend}: input '${r.name}' changed at float ${i}`);
        }
      }
    }
  }

  /** Frees every buffer of the case. */
  reset(): void {
    for (const r of this.regions) this.lm.release(r.base);
    this.regions = [];
  }
}

/** Max |got - ref| and where; throws a readable error when above tol * max(1, max |ref|). */
export function expectClose(
  got: ArrayLike<number>, ref: ArrayLike<number>, label: string, shape?: readonly number[], tol = TOL,
): number {
  if (got.length !== ref.length) throw new Error(`${label}: got ${got.length} values, expected ${ref.length}`);
  let scale = 1;
  for (let i = 0; i < ref.length; i++) scale = Math.max(scale, Math.abs(ref[i]));
  const limit = tol * scale;
  let worst = 0;
  let worstAt = -1;
  let bad = 0;
  for (let i = 0; i < ref.length; i++) {
    let err = Math.abs(got[i] - ref[i]);
    if (Number.isNaN(err)) err = Infinity; // an unwritten output (sentinel NaN) fails
    if (err > limit) bad++;
    if (worstAt < 0 || err > worst) { worst = err; worstAt = i; }
  }
  if (bad > 0) {
    const where = shape ? ` at [${unravel(worstAt, shape)}] of [${shape}]` : ` at ${worstAt}`;
    throw new Error(
      `${label}: ${bad} of ${ref.length} values off by more than ${limit.toExponential(2)}; ` +
      `worst${where}: got ${got[worstAt]}, expected ${ref[worstAt]}`,
    );
  }
  return worst;
}

/**
 * Element by element: |got[i] - ref[i]| <= atol + rtol * |ref[i]| (for element-wise kernels, where
 * one tensor-wide scale would hide a wrong small value next to a large one).
 */
export function expectCloseEach(
  got: ArrayLike<number>, ref: ArrayLike<number>, label: string, atol: number, rtol: number,
  input?: ArrayLike<number>,
): number {
  if (got.length !== ref.length) throw new Error(`${label}: got ${got.length} values, expected ${ref.length}`);
  let bad = 0;
  let worstAt = -1;
  let worstRatio = 0;
  for (let i = 0; i < ref.length; i++) {
    let ratio = Math.abs(got[i] - ref[i]) / (atol + rtol * Math.abs(ref[i]));
    if (Number.isNaN(ratio)) ratio = Infinity;
    if (ratio > 1) bad++;
    if (worstAt < 0 || ratio > worstRatio) { worstRatio = ratio; worstAt = i; }
  }
  if (bad > 0) {
    const at = input ? ` (input ${input[worstAt]})` : '';
    throw new Error(
      `${label}: ${bad} of ${ref.length} values outside ${atol} + ${rtol} * |ref|; ` +
      `worst at ${worstAt}${at}: got ${got[worstAt]}, expected ${ref[worstAt]}`,
    );
  }
  return worstRatio;
}

function unravel(i: number, shape: readonly number[]): number[] {
  const idx: number[] = [];
  for (let d = shape.length - 1; d >= 0; d--) {
    idx.unshift(i % shape[d]);
    i = Math.floor(i / shape[d]);
  }
  return idx;
}

/**
 * Reads a strided output: pixels `stride` floats apart, `c` values each; the floats between
 * (another branch's channels of a concatenation) must still hold the sentinel.
 */
export function readStrided(b: KernelBench, ptr: number, pixels: number, c: number, stride: number, label: string): Float32Array {
  const all = b.read(ptr, pixels * stride);
  const bits = new Uint32Array(all.buffer);
  const dense = new Float32Array(pixels * c);
  for (let p = 0; p < pixels; p++) {
    dense.set(all.subarray(p * stride, p * stride + c), p * c);
    for (let i = c; i < stride; i++) {
      if (bits[p * stride + i] !== SENTINEL) throw new Error(`${label}: wrote float ${i} of pixel ${p}, outside its ${c} channels`);
    }
  }
  return dense;
}

/**
 * The weights a kernel computes with when `weight` ([rows, ...], f32) is stored as `format`:
 * the float64 reference runs on these, so that a case checks the kernel, not the rounding to int8 or half.
 */
export function storedValues(weight: Float32Array, rows: number, format: WeightFormat): Float32Array {
  return format === 'fp32' ? weight : decodeSource(storeAs({ values: weight }, format, rows));
}

/** Standard normal values times `scale`, from a seeded generator. */
export function normal(rng: Random, n: number, scale = 1): Float32Array {
  return rng.fill(n, (r) => r.normal() * scale);
}

/** Uniform values in [lo, hi), from a seeded generator. */
export function uniform(rng: Random, n: number, lo: number, hi: number): Float32Array {
  return rng.fill(n, (r) => lo + (hi - lo) * r.uniform());
}

export { Random };
