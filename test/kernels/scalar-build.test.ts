// The scalar build is the fallback for runtimes without WebAssembly SIMD, so it must hold no v128
// instruction or type at all: checked with wabt's validator with SIMD disabled, and the SIMD build
// must fail that same check (else the check proves nothing).

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { beforeAll, describe, expect, it } from 'vitest';
import { KERNEL_NAMES } from '../../src/wasm/abi.js';
import { wasmUrl } from './harness.js';

type WabtInit = typeof import('wabt');
type Wabt = Awaited<ReturnType<WabtInit>>;

const require = createRequire(import.meta.url);
const wabtInit = require('wabt') as WabtInit;

const bytesOf = (backend: 'relaxed' | 'simd' | 'scalar'): Uint8Array<ArrayBuffer> => new Uint8Array(readFileSync(wasmUrl(backend)));

/** Reads and validates a module with SIMD (and relaxed SIMD) on or off; throws when wabt rejects it. */
function validate(wabt: Wabt, bytes: Uint8Array, simd: boolean, relaxed = false): void {
  const module = wabt.readWasm(bytes, { readDebugNames: false, simd, relaxed_simd: relaxed });
  try {
    module.validate();
  } finally {
    module.destroy();
  }
}

function text(wabt: Wabt, bytes: Uint8Array): string {
  const module = wabt.readWasm(bytes, { simd: true, relaxed_simd: true });
  try {
    return module.toText({ foldExprs: false, inlineExport: false });
  } finally {
    module.destroy();
  }
}

// Any v128 type or SIMD instruction in the text format: v128.*, i8x16.*, i16x8.*, i32x4.*,
// i64x2.*, f32x4.*, f64x2.*.
const SIMD_TEXT = /\bv128\b|\b[if](?:8x16|16x8|32x4|64x2)\./;

describe('scalar build', () => {
  let wabt: Wabt;
  let scalar: Uint8Array<ArrayBuffer>;
  let simd: Uint8Array<ArrayBuffer>;
  beforeAll(async () => {
    wabt = await wabtInit();
    scalar = bytesOf('scalar');
    simd = bytesOf('simd');
  });

  it('validates with SIMD disabled', () => {
    expect(() => validate(wabt, scalar, false)).not.toThrow();
  });

  it('the SIMD build fails that same validation, and passes with SIMD enabled', () => {
    expect(() => validate(wabt, simd, false)).toThrow();
    expect(() => validate(wabt, simd, true)).not.toThrow();
  });

  it('has no v128 type or SIMD instruction in its text', () => {
    const scalarText = text(wabt, scalar);
    expect(scalarText.match(SIMD_TEXT)).toBeNull();
    // The pattern does find the SIMD build's instructions.
    expect(text(wabt, simd)).toMatch(SIMD_TEXT);
    expect(scalarText).toMatch(/\bf32\.mul\b/); // and the text is real code
  });

  it('the SIMD build holds no relaxed-SIMD instruction (it runs where relaxed SIMD does not); the relaxed build does', () => {
    const relaxed = bytesOf('relaxed');
    expect(() => validate(wabt, simd, true, false)).not.toThrow();
    expect(() => validate(wabt, relaxed, true, false)).toThrow();
    expect(() => validate(wabt, relaxed, true, true)).not.toThrow();
    expect(text(wabt, simd)).not.toMatch(/relaxed_madd/);
    expect(text(wabt, relaxed)).toMatch(/f32x4\.relaxed_madd/);
  });

  it('both builds export every kernel and import only the memory', () => {
    for (const bytes of [scalar, simd]) {
      const module = new WebAssembly.Module(new Uint8Array(bytes));
      const exports = WebAssembly.Module.exports(module).filter((e) => e.kind === 'function').map((e) => e.name);
      expect(exports).toEqual(expect.arrayContaining([...KERNEL_NAMES]));
      expect(WebAssembly.Module.imports(module)).toEqual([{ module: 'env', name: 'memory', kind: 'memory' }]);
    }
  });
});
