// channel_shuffle_f32 against the reference transpose, in every build and its threaded variant:
// as the session's NCHW -> NHWC (an image a "pixel") and as ShuffleNet's shuffle (a pixel of
// groups x perGroup channels), on group counts around the 3-group fast path and lengths around
// the v128 width. A permutation: every value must arrive bit for bit.

import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { nchwToNhwc } from '../reference/kernels.js';
import { BACKENDS, KernelBench, Random, normal } from './harness.js';

interface ShuffleCase { name: string; pixels: number; groups: number; perGroup: number }

const CASES: ShuffleCase[] = [];
for (const groups of [1, 2, 3, 4, 5]) {
  for (const perGroup of [1, 2, 3, 4, 5, 7, 8, 9, 13, 16, 17, 49]) {
    CASES.push({ name: `${groups} groups of ${perGroup}, 3 pixels`, pixels: 3, groups, perGroup });
  }
}
// The input layouts the session makes: RGB and grey images, 224x224 and an odd size.
CASES.push({ name: 'NCHW -> NHWC: 2 RGB images of 224x224', pixels: 2, groups: 3, perGroup: 224 * 224 });
CASES.push({ name: 'NCHW -> NHWC: 1 RGB image of 31x29', pixels: 1, groups: 3, perGroup: 31 * 29 });
CASES.push({ name: 'NCHW -> NHWC: 3 grey images of 28x28', pixels: 3, groups: 1, perGroup: 28 * 28 });

function run(b: KernelBench, cs: ShuffleCase, seed: number): void {
  const { pixels, groups, perGroup } = cs;
  const x = normal(new Random(seed), pixels * groups * perGroup, 1);
  // Each pixel's [groups, perGroup] transposed: an NCHW tensor of `pixels` images, groups channels, 1 x perGroup.
  const ref = nchwToNhwc(x, [pixels, groups, 1, perGroup]);
  const xp = b.input('x', x);
  const yp = b.output('y', x.length);
  b.kernels.channel_shuffle_f32(xp, yp, pixels, groups, perGroup);
  b.check();
  const got = b.read(yp, x.length);
  expect(new Uint32Array(got.buffer)).toEqual(new Uint32Array(ref.buffer));
}

for (const threaded of [false, true]) {
  describe.each(BACKENDS)(`channel_shuffle_f32 (%s${threaded ? ', threaded' : ''})`, (backend) => {
    let bench: KernelBench;
    beforeAll(async () => { bench = await KernelBench.load(backend, threaded); });
    afterEach(() => bench.reset());

    it.each(CASES.map((cs, i) => ({ ...cs, i })))('$name', (cs) => {
      run(bench, cs, 7000 + cs.i);
    });
  });
}
