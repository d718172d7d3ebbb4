// What a page loads: the web entry (dist/web.js as `npm run build` writes it: minified, its packages
// inside, the ONNX reader included) and the SIMD build, each served gzipped. The budget holds both
// together. For scale: onnxruntime-web's browser payload is 14.3 MB (3.7 MB gzip), TF.js core and
// its wasm backend 869 KB (255 KB gzip).
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { expect, test } from 'vitest';

const KB = 1000;
const BUDGET = { raw: 150 * KB, gzip: 40 * KB };

/** A bundle and the files it imports (the web entry: web-errors.js and web-ir.js, shared with the subpaths). */
function withImports(name: string, seen = new Set<string>()): string[] {
  if (seen.has(name)) return [];
  seen.add(name);
  const code = readFileSync(new URL(`../dist/${name}`, import.meta.url), 'utf8');
  return [name, ...[...code.matchAll(/(?:import|from)\s*["']\.\/([\w.-]+\.js)["']/g)].flatMap(([, f]) => withImports(f, seen))];
}

test('the web entry and the SIMD build: at most 150 KB raw and 40 KB gzip together', () => {
  const files = [...withImports('web.js'), 'senet-simd.wasm'].map((name) => {
    const bytes = readFileSync(new URL(`../dist/${name}`, import.meta.url));
    return { name, raw: bytes.length, gzip: gzipSync(bytes).length };
  });
  const total = { raw: files.reduce((s, f) => s + f.raw, 0), gzip: files.reduce((s, f) => s + f.gzip, 0) };
  const kb = (n: number) => `${(n / KB).toFixed(1)} KB`;
  const report = [...files, { name: 'total', ...total }].map((f) => `${f.name}: ${kb(f.raw)} raw, ${kb(f.gzip)} gzip`).join('; ');
  expect.soft(total.raw, report).toBeLessThanOrEqual(BUDGET.raw);
  expect.soft(total.gzip, report).toBeLessThanOrEqual(BUDGET.gzip);
});

test('threads add at most 5 KB gzip of JavaScript, loaded only by a threaded engine: the pool and its worker', () => {
  const files = ['pool-web.js', 'pool-worker.js'].map((name) => readFileSync(new URL(`../dist/${name}`, import.meta.url)));
  // Neither imports a chunk of the entry: each is one file.
  for (const f of files) expect(String(f)).not.toMatch(/(?:import|from)\s*["']\.\//);
  expect(files.reduce((s, f) => s + gzipSync(f).length, 0)).toBeLessThanOrEqual(5 * KB);
});
