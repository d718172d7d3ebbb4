// ONNX import and export without code generation from strings (Cloudflare workerd, pages whose
// CSP lacks 'unsafe-eval'): the built bundle, run by a child `node --disallow-code-generation-from-strings`,
// loads every PyTorch fixture and agrees with onnxruntime's output, and reads back what saveOnnx
// wrote; and no built bundle holds `Function(` or `eval(`.
// Criterion: max |got - ref| <= 1e-4 * max |ref|, as in onnx-import.test.ts.
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { expect, test } from 'vitest';
import { maxAbs, relDiff } from '../src/cli/bench.js';
import { Random } from '../src/graph/random.js';
import { parseNpy } from '../src/io/npy.js';

const FIXTURES = new URL('./fixtures/onnx/', import.meta.url);
const MODELS = JSON.parse(readFileSync(new URL('models.json', FIXTURES), 'utf8')) as Record<string, { file: string }>;
const CHILD = new URL('./no-codegen-child.mjs', import.meta.url).pathname;
const npy = (file: string) => parseNpy(new Uint8Array(readFileSync(new URL(file, FIXTURES))), file);
const base64 = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');

function expectClose(got: number[], ref: ArrayLike<number>, what: string): void {
  expect(got.length, `${what}: output length`).toBe(ref.length);
  expect(maxAbs(ref), `${what}: reference is all zeros`).toBeGreaterThan(0);
  expect(relDiff(got, ref), `${what}: max abs error relative to max |ref|`).toBeLessThanOrEqual(1e-4);
}

function runChild(jobs: object): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(process.execPath, ['--disallow-code-generation-from-strings', CHILD], { maxBuffer: 1 << 26 }, (err, stdout) => {
      if (err) reject(err); // its message holds the child's stderr
      else resolve(stdout);
    });
    child.stdin!.end(JSON.stringify(jobs));
  });
}

test('the built bundle loads and runs every ONNX fixture, and reads back saveOnnx, with code generation from strings disallowed', async () => {
  const names = Object.keys(MODELS);
  expect(names.length).toBeGreaterThan(0);
  const fixtures = names.map((name) => {
    const x = npy(`${name}.input.npy`);
    return { name, file: new URL(MODELS[name].file, FIXTURES).pathname, dims: x.shape, input: base64(x.data as Float32Array) };
  });
  const dims = [1, 3, 64, 64];
  const builtIn = {
    model: 'mobilenet-v3-small', options: { seed: 4, width: 0.5, classes: 10 }, dims,
    input: base64(new Random(5).fill(dims.reduce((a, b) => a * b), (r) => r.normal())),
  };
  const out = JSON.parse(await runChild({ fixtures, builtIn })) as {
    codegen: string; fixtures: Record<string, number[]>; builtIn: { direct: number[]; readBack: number[] };
  };
  expect(out.codegen).toMatch(/^EvalError: Code generation from strings disallowed/);
  for (const name of names) expectClose(out.fixtures[name], npy(`${name}.ort.npy`).data, name);
  expectClose(out.builtIn.readBack, out.builtIn.direct, 'mobilenet-v3-small saved and read back');
}, 120_000);

const CODEGEN = [/(?<![\w$.])Function\s*\(/, /\bFunction\.(apply|call)\b/, /(?<![\w$.])eval\s*\(/];
const codegenIn = (code: string) => CODEGEN.map((re) => code.match(re)?.[0]).filter(Boolean);

test('the built bundles hold no Function( or eval(: the web entry and senet-wasm/image (their dependencies inside), the Node entry, the CLI and their chunks', () => {
  const dist = new URL('../dist/', import.meta.url);
  const bundles = readdirSync(dist).filter((f) => f.endsWith('.js'));
  // The ONNX reader is in the web entry or the chunks it shares with the subpaths.
  const web = bundles.filter((f) => f === 'web.js' || f.startsWith('web-')).map((f) => readFileSync(new URL(f, dist), 'utf8')).join('\n');
  expect(web).toMatch(/raw_data|rawData/);
  expect(bundles).toEqual(expect.arrayContaining(['web.js', 'image.js', 'node.js', 'cli.js']));
  for (const f of bundles) expect(codegenIn(readFileSync(new URL(f, dist), 'utf8')), f).toEqual([]);
});
