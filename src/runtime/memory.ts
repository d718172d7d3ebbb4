import { OptionError } from '../errors.js';

const ALIGN = 16; // v128 loads are fastest on 16-byte boundaries
const PAGE = 65536;
const MAX_BYTES = 4 * 1024 * 1024 * 1024 - PAGE; // wasm32: 65536 pages, minus one page of slack

const alignUp = (n: number): number => Math.ceil(n / ALIGN) * ALIGN;

/**
 * The engine's linear memory: hands out 16-byte aligned blocks (first fit, freed neighbours
 * merged) and grows the memory when no free block is large enough. Offsets stay valid across
 * growth; typed-array views do not, so `f32()` re-derives the view after every grow.
 */
export class LinearMemory {
  private free: { offset: number; size: number }[] = [];
  private used = new Map<number, number>();
  private end: number;
  private view?: Float32Array;

  constructor(readonly memory: WebAssembly.Memory, base: number) {
    this.end = alignUp(base);
  }

  /** Bytes of linear memory now. */
  get byteLength(): number {
    return this.memory.buffer.byteLength;
  }

  /** Bytes handed out and not yet freed. */
  get usedBytes(): number {
    let n = 0;
    for (const size of this.used.values()) n += size;
    return n;
  }

  alloc(bytes: number): number {
    const size = alignUp(Math.max(bytes, ALIGN));
    const i = this.free.findIndex((b) => b.size >= size);
    let offset: number;
    if (i >= 0) {
      const block = this.free[i];
      offset = block.offset;
      if (block.size === size) this.free.splice(i, 1);
      else { block.offset += size; block.size -= size; }
    } else {
      offset = this.end;
      if (offset + size > MAX_BYTES) {
        throw new OptionError(`out of wasm memory: ${size} more bytes would pass the 4 GiB limit of wasm32`);
      }
      const need = offset + size - this.memory.buffer.byteLength;
      if (need > 0) this.memory.grow(Math.ceil(need / PAGE));
      this.end = offset + size;
    }
    this.used.set(offset, size);
    return offset;
  }

  release(offset: number): void {
    const size = this.used.get(offset);
    if (size === undefined) return;
    this.used.delete(offset);
    this.free.push({ offset, size });
    this.free.sort((a, b) => a.offset - b.offset);
    const merged: { offset: number; size: number }[] = [];
    for (const b of this.free) {
      const last = merged[merged.length - 1];
      if (last && last.offset + last.size === b.offset) last.size += b.size;
      else merged.push({ ...b });
    }
    // A free block at the top goes back to the bump pointer.
    const top = merged[merged.length - 1];
    if (top && top.offset + top.size === this.end) {
      this.end = top.offset;
      merged.pop();
    }
    this.free = merged;
  }

  /** A Float32Array over the whole memory, re-derived when the memory has grown. */
  f32(): Float32Array {
    if (!this.view || this.view.buffer !== this.memory.buffer) this.view = new Float32Array(this.memory.buffer);
    return this.view;
  }
}
