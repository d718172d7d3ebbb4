// Writes samples/fashion-mnist/: the first image of each class in the bundled test subset
// (test/fixtures/fashion-mnist/test-subset.u8.gz, written by examples/fashion-mnist/train.py)
// as a 28x28 greyscale PNG named after its class. Run after training: node scripts/make-samples.mjs
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { encode } from 'fast-png';

const card = JSON.parse(readFileSync('models/fashion-mnist-se-resnet.json', 'utf8'));
const subset = gunzipSync(readFileSync('test/fixtures/fashion-mnist/test-subset.u8.gz'));
const count = card.subset.images;
const labels = subset.subarray(0, count);
const pixels = subset.subarray(count);
const dir = 'samples/fashion-mnist';
mkdirSync(dir, { recursive: true });
for (const f of readdirSync(dir)) if (f.endsWith('.png')) rmSync(`${dir}/${f}`);
card.classes.forEach((name, cls) => {
  const i = labels.indexOf(cls);
  const png = encode({ width: 28, height: 28, channels: 1, depth: 8, data: pixels.slice(i * 784, (i + 1) * 784) });
  const file = `${dir}/${cls}-${name.toLowerCase().replace(/[^a-z]+/g, '-')}.png`;
  writeFileSync(file, png);
  console.log(`${file}: test subset image ${i}`);
});
