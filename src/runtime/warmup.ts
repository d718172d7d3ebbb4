import { WEIGHTS_FORMAT, WINOGRAD_POINTS, type Kernels } from '../wasm/abi.js';
import type { LinearMemory } from './memory.js';
import { packedWinogradBytes } from '../ops/pack.js';
import { WINOGRAD_BLOCK_TILES, winogradScratchBytes, winogradWorkspaceFloats } from '../ops/table.js';

// V8 first runs wasm in its baseline compiler (Liftoff) and recompiles a function with its
// optimizing compiler (TurboFan), on a background thread, once the function has run for a while.
// Without this, that happens during the first inference, which then runs on slower code
// (SE-ResNet-50: ~245 ms instead of ~212). A few milliseconds of every kernel on small inputs
// at createEngine start the recompilation, which finishes while the model loads and compiles.

const C = 16, H = 10, ROUNDS = 8;

/** Runs every kernel on small zero inputs, in `mem` borrowed and given back. */
export function warmUp(k: Kernels, mem: LinearMemory): void {
  const map = H * H * C * 4;
  // The Winograd kernels read F(4,3)'s weights (F(2,3)'s are smaller) and the larger workspace.
  const weights = Math.max((9 + 1) * C * C * 4 + 25 * C * 4, packedWinogradBytes(C, C, 4));
  const workspace = 4 * Math.max(...([2, 4] as const).map((m) => winogradWorkspaceFloats(m, Math.min(Math.ceil(H / m) ** 2, WINOGRAD_BLOCK_TILES), C, C)));
  // 4 f32 panels of the 3x3 conv, or Winograd's scratch for stored weights (the larger; im2col's
  // gather of K = 9 and its panels, and Strassen's left operand and product, fit in either).
  const expand = Math.max(4 * (8 + 9 * C * 8) * 4, winogradScratchBytes(4, C));
  const bytes = 3 * map + weights + expand + 1024 + workspace;
  const region = mem.alloc(bytes);
  try {
    mem.f32().fill(0, region / 4, region / 4 + bytes / 4);
    const x = region, y = x + map, z = y + map, w = z + map, e = w + weights, zero = e + expand, ws = zero + 1024;
    for (let r = 0; r < ROUNDS; r++) {
      const act = r % 8; // every activation epilogue
      const format = r % 3; // every weight storage (zero bytes are zero weights in each)
      k.conv2d_f32(x, y, w, zero, 1, H, H, C, H, H, C, 3, 3, 1, 1, 1, 1, 1, 1, 1, act, 0, C, format, e);
      k.conv2d_f32(x, y, w, zero, 1, H, H, C, H / 2, H / 2, C, 3, 3, 2, 2, 1, 1, 1, 1, 4, act, 0, C, format, e);
      k.conv2d_f32(x, y, w, zero, 1, H, H, C, H, H, C, 1, 1, 1, 1, 0, 0, 1, 1, 1, act, z, C, format, e); // with the squeeze
      k.conv2d_f32(x, y, w, zero, 1, 1, 1, C, 1, 1, C, 1, 1, 1, 1, 0, 0, 1, 1, 1, act, 0, C, format, e);
      k.conv2d_im2col_f32(x, y, w, 1, H, H, 1, H, H, C, 3, 3, 1, 1, 1, 1, 1, 1, act, z, C, format, e); // a stem: K = 9, its gather in `expand`
      if (format === WEIGHTS_FORMAT.fp32) k.conv2d_strassen_f32(x, y, w, zero, 1, H * H, C, C, act, z, C, e, 0, C / 16);
      // Winograd's filters: every storage as 3x3 panels in turn, and its own transformed layout.
      const filters = r % 4 === 3 ? WINOGRAD_POINTS : format;
      k.conv3x3_winograd_f32_4x4(x, y, w, zero, ws, 1, H, H, C, H, H, C, 1, 1, act, z, C, WINOGRAD_BLOCK_TILES, filters, e);
      k.conv3x3_winograd_f32_2x2(x, y, w, zero, ws, 1, H, H, C, H, H, C, 1, 1, act, 0, C, WINOGRAD_BLOCK_TILES, filters, e);
      k.conv2d_dw_f32(x, y, w, 1, H, H, C, H, H, 3, 3, 1, 1, 1, 1, 1, 1, act, format, e);
      k.conv2d_dw_f32(x, y, w, 1, H, H, C, H, H, 5, 5, 1, 1, 2, 2, 1, 1, act, format, e);
      k.conv2d_dw_f32(x, y, w, 1, H, H, C, H, H, 1, 1, 1, 1, 0, 0, 1, 1, act, format, e);
      k.pool2d_f32(x, y, 1, H, H, C, H / 2, H / 2, 3, 3, 2, 2, 1, 1, 1, 1, r % 3, C);
      k.global_pool_f32(x, z, 1, H * H, C, r % 2);
      k.scale_f32(x, z, y, y, 1, H * H, C, r % 2);
      k.add_f32(x, y, y, H * H * C, act);
      k.activation_f32(x, y, H * H * C, act);
      k.softmax_f32(x, y, H, H * C / H);
      k.pack_conv_panel_f32(x, z, r % 2 ? z + 64 : 0, w, 8 - (r % 2), C, 9);
    }
  } finally {
    mem.release(region);
  }
}
