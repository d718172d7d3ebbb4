// Builds the wasm targets from assembly/ (simd, scalar, relaxed, each with and without threads) and bundles the host with esbuild.
// Skips a step whose outputs are newer than all of its inputs, so `npm start` and `npm test`
// rebuild only what changed.
import asc from 'assemblyscript/asc';
import * as esbuild from 'esbuild';
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';

const newest = (dirs) => {
  let t = 0;
  const walk = (p) => {
    const s = statSync(p);
    if (s.isDirectory()) for (const f of readdirSync(p)) walk(join(p, f));
    else t = Math.max(t, s.mtimeMs);
  };
  for (const d of dirs) if (existsSync(d)) walk(d);
  return t;
};
const stale = (outputs, inputs) =>
  outputs.some((o) => !existsSync(o)) || Math.min(...outputs.map((o) => statSync(o).mtimeMs)) < newest(inputs);

const targets = ['simd', 'scalar', 'relaxed'];
// Each also with threads (shared memory): separate files, loaded only by a threaded engine.
const wasmTargets = [...targets, ...targets.map((t) => `${t}-threads`)];
const wasmFiles = wasmTargets.map((t) => `build/senet-${t}.wasm`);
async function compile(args) {
  const { error, stderr } = await asc.main(args);
  if (error) {
    console.error(stderr.toString());
    process.exit(1);
  }
}
if (stale(wasmFiles, ['assembly', 'asconfig.json'])) {
  for (const target of wasmTargets) await compile(['--target', target]);
}
// The peak-arithmetic probe the benches compare against (not part of the library).
if (stale(targets.map((t) => `build/peak-${t}.wasm`), ['bench/peak/peak.ts', 'bench/peak/asconfig.json'])) {
  for (const target of targets) await compile(['--config', 'bench/peak/asconfig.json', '--target', target]);
}

// Node: the library's Node entry, the CLI, the bench peers the CLI loads at run time, and the benches;
// packages stay external (npm installs them). Split into shared chunks beside the entries, so that
// the CLI and the peers it loads share one copy of the core (its error classes among them).
const nodeEntries = { node: 'src/node.ts', 'node-image': 'src/image/index.ts', 'node-models': 'src/models/index.ts', 'node-onnx-writer': 'src/onnx/writer.ts', cli: 'src/cli/main.ts', 'bench-peers': 'bench/peers/index.ts', bench: 'bench/run.ts', 'bench-kernels': 'bench/kernels.ts', 'bench-winograd': 'bench/winograd.ts', 'bench-winograd-layout': 'bench/winograd-layout.ts', 'bench-weights': 'bench/weights.ts', 'bench-split': 'bench/split.ts', 'parity-224': 'bench/parity-224.ts', 'cold-start': 'bench/cold-start.ts', 'edge-load': 'bench/edge-load.ts' };
// Subpaths (senet-wasm/image, senet-wasm/models, senet-wasm/onnx-writer) are built in both groups: a Node program that
// imports the main entry and a subpath gets one copy of the core (an OptionError of one is one of the other).
const webEntries = { web: 'src/index.ts', image: 'src/image/index.ts', models: 'src/models/index.ts', 'onnx-writer': 'src/onnx/writer.ts' };
// The pools' workers (src/node-worker.ts, src/runtime/pool-worker-web.ts), each one file that imports nothing of ours: a
// worker loads it by URL from beside the bundle that starts it; and the web pool that starts them.
const workerEntries = { node: { 'pool-worker-node': 'src/node-worker.ts' }, web: { 'pool-worker': 'src/runtime/pool-worker-web.ts', 'pool-web': 'src/runtime/pool-web.ts' } };
const bundles = [...Object.keys(webEntries), ...Object.keys(nodeEntries), 'pool-worker', 'pool-worker-node', 'pool-web'].map((e) => `dist/${e}.js`);
if (stale(bundles, ['src', 'bench', 'package.json']) || stale(wasmFiles.map((f) => f.replace('build/', 'dist/')), ['build'])) {
  mkdirSync('dist', { recursive: true });
  const common = { bundle: true, format: 'esm', sourcemap: true, logLevel: 'warning' };
  for (const f of readdirSync('dist')) if (/^(chunk|web)-[A-Z0-9]+\.js/.test(f)) rmSync(join('dist', f));
  // ignoreAnnotations: package.json's "sideEffects" describes dist/ for the package's users; here it
  // would let esbuild drop a bare `import '../src/node.js'`, which sets the Node platform.
  await esbuild.build({
    ...common, entryPoints: nodeEntries, outdir: 'dist', platform: 'node', target: 'node20', packages: 'external', splitting: true, ignoreAnnotations: true,
  });
  // Web (browsers, workers, edge runtimes): the platform-free core with its packages inside (a page
  // has no module resolver), minified: what a page loads. No source map: it would be most of the
  // package, and bundlers that take this file in make their own.
  // The web entry is one file: split into the chunks it shared with the subpaths, it cost a page
  // 2.6 KB more gzip (each file compressed on its own, names kept between them). The subpaths (the
  // image decoders are pure JavaScript) are split among themselves and carry their own copies of
  // the pure modules; the two modules whose identity or state must be one across entries are
  // files of their own that every web bundle imports: the error classes (an OptionError of
  // senet-wasm/models is one of senet-wasm's) and ir.ts's map of the weights a reader left
  // undecoded (which the writer reads to keep a graph's int8 or fp16 weights as they are).
  // The web pool (src/runtime/pool-web.ts) is a bundle of its own that the entry imports by its
  // file name.
  const webShared = { 'web-errors': 'src/errors.ts', 'web-ir': 'src/graph/ir.ts' };
  const sharedFiles = new Map(Object.entries(webShared).map(([name, source]) => [resolve(source), `./${name}.js`]));
  const beside = {
    name: 'shared modules and the web pool beside the bundle',
    setup: (b) => {
      b.onResolve({ filter: /\/runtime\/pool-web\.js$/ }, () => ({ path: './pool-web.js', external: true }));
      b.onResolve({ filter: /^\.\.?\// }, ({ path, resolveDir, kind }) => {
        const file = sharedFiles.get(resolve(resolveDir, path.replace(/\.js$/, '.ts')));
        return kind !== 'entry-point' && file ? { path: file, external: true } : undefined;
      });
    },
  };
  const web = { ...common, outdir: 'dist', platform: 'browser', target: 'es2022', minify: true, sourcemap: false, plugins: [beside] };
  await esbuild.build({ ...web, entryPoints: webShared });
  await esbuild.build({ ...web, entryPoints: { web: webEntries.web } });
  const subpaths = Object.fromEntries(Object.entries(webEntries).filter(([name]) => name !== 'web'));
  await esbuild.build({ ...web, entryPoints: subpaths, splitting: true, chunkNames: 'web-[hash]' });
  await esbuild.build({ ...common, entryPoints: workerEntries.node, outdir: 'dist', platform: 'node', target: 'node20', sourcemap: false });
  await esbuild.build({ ...common, entryPoints: workerEntries.web, outdir: 'dist', platform: 'browser', target: 'es2022', minify: true, sourcemap: false });
  for (const f of wasmFiles) copyFileSync(f, f.replace('build/', 'dist/'));
}
// The demo page (demo/, `npm run demo`; not in the package): its own code bundled, the library not.
// Its worker imports the package's web.js and image.js from beside itself, as a page without a
// bundler does, so the demo runs the files users install; the server is a Node bundle beside it.
const demoOutputs = ['dist/demo/page.js', 'dist/demo/worker.js', 'dist/demo-serve.js'];
if (stale(demoOutputs, ['demo', 'dist/web.js', 'samples/fashion-mnist', 'models'])) {
  rmSync('dist/demo', { recursive: true, force: true });
  mkdirSync('dist/demo/samples', { recursive: true });
  const packageFiles = {
    name: 'senet-wasm beside the page',
    setup: (b) => b.onResolve({ filter: /^senet-wasm(\/image)?$/ }, ({ path }) =>
      ({ path: path === 'senet-wasm' ? './web.js' : './image.js', external: true })),
  };
  await esbuild.build({
    entryPoints: ['demo/page.ts', 'demo/worker.ts'], outdir: 'dist/demo', bundle: true, format: 'esm', platform: 'browser',
    target: 'es2022', plugins: [packageFiles], logLevel: 'warning',
  });
  await esbuild.build({
    entryPoints: { 'demo-serve': 'demo/serve.ts' }, outdir: 'dist', bundle: true, format: 'esm', platform: 'node', target: 'node20',
    packages: 'external', logLevel: 'warning',
  });
  const copy = (from, to = join('dist/demo', from.split('/').pop())) => copyFileSync(from, to);
  for (const f of ['demo/index.html', 'demo/style.css', 'models/fashion-mnist-se-resnet.int8.onnx', 'models/fashion-mnist-se-resnet.json']) copy(f);
  for (const f of readdirSync('dist')) if (/^(web|image|web-\w+|pool-worker|pool-web)\.js$|^senet-.*\.wasm$/.test(f)) copy(join('dist', f));
  const samples = readdirSync('samples/fashion-mnist').filter((f) => f.endsWith('.png')).sort();
  for (const f of samples) copy(join('samples/fashion-mnist', f), join('dist/demo/samples', f));
  writeFileSync('dist/demo/samples.json', JSON.stringify(samples));
}
// Declarations of the public API (both entries export the same one); `types: []` in that config
// also checks that the core needs no Node types.
if (stale(['dist/types/index.d.ts', 'dist/types/image/index.d.ts', 'dist/types/models/index.d.ts', 'dist/types/onnx/writer.d.ts'], ['src', 'tsconfig.json', 'tsconfig.types.json'])) {
  rmSync('dist/types', { recursive: true, force: true }); // no declarations of deleted sources in the package
  const { status } = spawnSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.types.json'], { stdio: 'inherit' });
  if (status !== 0) process.exit(1);
}
