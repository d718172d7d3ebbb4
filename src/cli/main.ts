#!/usr/bin/env node
// The senet-wasm command line: info, run, bench, export, classify, excite, demo.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command, InvalidArgumentError, Option } from 'commander';
import { InputError, OptionError, SenetError } from '../errors.js';
import { formatNpy, parseNpy } from '../io/npy.js';
import { readBytes } from './files.js';
import { buildModel, listModels, MODELS, type ModelOptions } from '../models/index.js';
import { createEngine } from '../node.js';
import { BACKENDS } from '../runtime/engine.js';
import { loadOnnx, MAX_OPSET, MIN_OPSET } from '../onnx/reader.js';
import { saveOnnx } from '../onnx/writer.js';
import { WEIGHT_FORMATS } from '../graph/storage.js';
import { complexity } from '../graph/complexity.js';
import { forStorage } from '../graph/passes/index.js';
import { BENCH_BUILDS, benchGraph, buildSettings, benchJson, formatBench, parsePeers, type BenchBuild } from './bench.js';
import { formatInfo, modelInfo } from './info.js';
import { classifyFiles, formatPredictions, readModelCard } from './classify.js';
import { dirImages, excite, fileImages, formatExcite, subsetImages } from './excite.js';
import { excitationSvg } from '../chart/excitations.js';
import { modelCard } from '../image/card.js';
import { measurePeak } from './peak.js';
import { formatProfile } from './profile.js';
import { Random } from '../graph/random.js';
import { fashionMnistDemo, randomSeResNet50Demo } from './demo.js';
import pkg from '../../package.json' with { type: 'json' };

const int = (min: number, max: number) => (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`expected an integer from ${min} to ${max}`);
  return n;
};

const backends = (v: string): BenchBuild[] => {
  const list = v.split(',').map((s) => s.trim());
  for (const b of list) if (!(BENCH_BUILDS as readonly string[]).includes(b)) throw new InvalidArgumentError(`'${b}' is not ${BENCH_BUILDS.join(', ')}`);
  return list as BenchBuild[];
};

/** Options that shape a built-in model, shared by every command that builds one. */
function withModelOptions(cmd: Command): Command {
  return cmd
    .option('--seed <n>', 'seed of the random weights (default 0)', int(0, 2 ** 32 - 1))
    .option('--reduction <r>', 'SE reduction ratio r', int(1, 1024))
    .addOption(new Option('--placement <p>', 'SE placement').choices(['standard', 'pre', 'post', 'identity']))
    .addOption(new Option('--squeeze <s>', 'squeeze operator').choices(['avg', 'max']))
    .addOption(new Option('--gate <g>', 'excitation gate').choices(['sigmoid', 'relu', 'tanh']))
    .addOption(new Option('--stride-on <c>', 'conv of a stage that takes its stride-2').choices(['1x1', '3x3']))
    .option('--classes <n>', 'classifier outputs', int(1, 100000))
    .option('--width <m>', 'width multiplier (MobileNetV3, MobileNet, ShuffleNet)', (v: string) => {
      const m = Number(v);
      if (!(m > 0 && m <= 4)) throw new InvalidArgumentError('expected a number above 0, at most 4');
      return m;
    });
}

const isOnnxPath = (name: string) => name.toLowerCase().endsWith('.onnx');

/** Writes a result file; a path that cannot be written (no such folder, a folder, no permission) is one line. */
function writeOutput(path: string, bytes: Uint8Array): void {
  try {
    writeFileSync(path, bytes);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = { ENOENT: 'its folder does not exist', EISDIR: 'it is a folder', EACCES: 'permission denied', EROFS: 'read-only file system' }[code ?? ''];
    throw new InputError(`${path}: cannot write (${why ?? code ?? (e as Error).message})`);
  }
}

/** A built-in model by name, or an ONNX file by path (model options then do not apply). */
function model(name: string, o: Record<string, unknown>, weights = true) {
  if (isOnnxPath(name)) {
    const given = ['seed', 'reduction', 'placement', 'squeeze', 'gate', 'strideOn', 'classes', 'width'].filter((k) => o[k] !== undefined);
    if (given.length) throw new OptionError(`${name}: options for built-in models (${given.join(', ')}) do not apply to an ONNX file`);
    return loadOnnx(readBytes(name), { name });
  }
  // Only the options given on the command line: buildModel rejects any the model does not take.
  const keys = ['seed', 'classes', 'strideOn', 'reduction', 'placement', 'squeeze', 'gate', 'width'] as const;
  const options: ModelOptions = { weights };
  for (const k of keys) if (o[k] !== undefined) Object.assign(options, { [k]: o[k] });
  return buildModel(name, options);
}


// An option error is one line (commander's "error: ..."), without the help after it.
const program = new Command('senet-wasm')
  .description('Squeeze-and-Excitation networks on WebAssembly SIMD')
  .version(pkg.version);

withModelOptions(program.command('info <model>')
  .description(`parameters, multiply-adds, the paper's GFLOPs per stage, and the plan (a model name: ${listModels().join(', ')}; or a .onnx file)`)
  .option('--size <px>', 'input height and width (default: the ONNX file\'s, else the model\'s: 224, 299 for Inception-ResNet-v2)', int(1, 4096))
  .option('--plan', 'list the steps the engine runs after its passes (always shown for ONNX files)')
  .option('--json', 'print JSON'))
  .action((name: string, o) => {
    const graph = model(name, o, false);
    const [, , h, w] = graph.source?.inputShape ?? [];
    const fallback = (!isOnnxPath(name) && MODELS[name]?.size) || 224;
    const dims = o.size ? { height: o.size, width: o.size } : { height: typeof h === 'number' ? h : fallback, width: typeof w === 'number' ? w : fallback };
    const info = modelInfo(graph, { batch: 1, ...dims });
    console.log(o.json ? JSON.stringify(info, null, 2) : formatInfo(info, o.plan || !!graph.source));
  });

withModelOptions(program.command('run <model>')
  .description('run a model on an NCHW float32 .npy input and write the output as .npy')
  .requiredOption('--input <file>', 'input .npy, NCHW float32')
  .requiredOption('--output <file>', 'output .npy')
  .addOption(new Option('--backend <b>', 'build to run').choices(BACKENDS).default('auto')))
  .action(async (name: string, o) => {
    const input = parseNpy(readBytes(o.input), o.input);
    const graph = model(name, o);
    const [batch, channels, height, width] = input.shape;
    if (input.shape.length !== 4 || channels !== graph.input.channels) {
      throw new InputError(`${o.input}: shape [${input.shape}] is not [N, ${graph.input.channels}, H, W]`);
    }
    const engine = await createEngine({ backend: o.backend });
    const session = engine.compile(graph, { batch, height, width });
    writeOutput(o.output, formatNpy({ data: session.run(input.data), shape: session.outputShape }));
    console.log(`${o.output}: [${session.outputShape}] (${engine.backend} build)`);
  });

withModelOptions(program.command('bench <model>')
  .description('median latency and GFLOP/s of each build (and of peers with --vs), interleaved runs')
  .option('--backend <list>', 'builds to compare, comma-separated (relaxed: where the runtime has relaxed SIMD; simd-direct: SIMD without Winograd and Strassen)', backends, ['simd', 'scalar'] as BenchBuild[])
  .option('--runs <n>', 'timed runs per build', int(1, 10000), 10)
  .option('--size <px>', 'input height and width', int(32, 4096), 224)
  .option('--batch <n>', 'images per run', int(1, 1024), 1)
  .option('--vs <list>', 'peers to run too, comma-separated: onnxruntime-web, tfjs-wasm (devDependencies)', parsePeers)
  .option('--threads <n>', 'threads of every engine, the peers too (up to the core count)', int(1, 1024), 1)
  .option('--profile', "each fused op's median time, GFLOP/s and share (first build of --backend)")
  .addOption(new Option('--weights <format>', 'how senet-wasm keeps conv, FC and SE weights (default: as the model stores them)').choices(WEIGHT_FORMATS))
  .option('--json', 'print JSON'))
  .action(async (name: string, o) => {
    const graph = model(name, o);
    if (o.profile) {
      const { backend, winograd, strassen } = buildSettings(o.backend[0]);
      const engine = await createEngine({ backend, threads: o.threads });
      const session = engine.compile(graph, { batch: o.batch, height: o.size, width: o.size }, { winograd, strassen, weights: o.weights });
      const input = new Random(1).fill(session.inputShape.reduce((a, b) => a * b, 1), (r) => r.normal());
      for (let i = 0; i < 2; i++) session.run(input); // warm-up: V8's optimised tier
      const { steps } = session.profile(input, o.runs);
      console.log(o.json ? JSON.stringify(steps, null, 2) : formatProfile(`${graph.name} (${engine.backend} build${winograd ? '' : ' without Winograd and Strassen'}, ${engine.threads} thread${engine.threads > 1 ? 's' : ''}, batch ${o.batch}, ${o.size}x${o.size})`, steps));
      return;
    }
    const peakGflops = o.backend.includes('simd') && !o.json ? await measurePeak('simd') : undefined;
    const report = await benchGraph(graph, { backends: o.backend, peers: o.vs, runs: o.runs, size: o.size, batch: o.batch, peakGflops, weights: o.weights, threads: o.threads });
    console.log(o.json ? JSON.stringify(benchJson(report), null, 2) : formatBench(report));
  });

withModelOptions(program.command('export <model>')
  .description('write a model (or a re-read .onnx file) as an ONNX file that onnxruntime and other ONNX tools run')
  .requiredOption('--out <file>', 'the .onnx file to write')
  .option('--size <px>', 'fix the input height and width in the file (default: symbolic)', int(1, 4096))
  .option('--opset <n>', 'ONNX opset', int(MIN_OPSET, MAX_OPSET), 13)
  .addOption(new Option('--weights <format>', 'conv, FC and SE weights as fp32, int8 (DequantizeLinear, a scale per output channel) or fp16 (Cast)').choices(WEIGHT_FORMATS)))
  .action((name: string, o) => {
    const graph = model(name, o);
    // --size, else an ONNX file's own fixed size, else symbolic height and width.
    const [, , h, w] = graph.source?.inputShape ?? [];
    const size = o.size ? { height: o.size, width: o.size } : typeof h === 'number' && typeof w === 'number' ? { height: h, width: w } : undefined;
    const { params } = complexity(graph, { batch: 1, height: 224, width: 224, ...size }); // also checks the graph at that size
    const bytes = saveOnnx(forStorage(graph, o.weights), { opset: o.opset, weights: o.weights, ...size });
    writeOutput(o.out, bytes);
    const hw = size ? `${size.height}, ${size.width}` : 'height, width';
    console.log(`${o.out}: ${bytes.length} bytes, ${params} params (${graph.name}, opset ${o.opset}, input [batch, ${graph.input.channels}, ${hw}])`);
  });

program.command('quantize <model>')
  .description('rewrite an ONNX file with its conv, FC and SE weights as int8 (symmetric, a scale per output channel) or fp16')
  .requiredOption('--out <file>', 'the .onnx file to write')
  .addOption(new Option('--weights <format>', 'the storage').choices(WEIGHT_FORMATS).makeOptionMandatory())
  .action((name: string, o) => {
    if (!isOnnxPath(name)) throw new OptionError(`${name}: quantize reads an ONNX file (built-in models: export --weights)`);
    const input = readBytes(name);
    const graph = loadOnnx(input, { name });
    const [, , h, w] = graph.source!.inputShape;
    const size = typeof h === 'number' && typeof w === 'number' ? { height: h, width: w } : undefined;
    const bytes = saveOnnx(forStorage(graph, o.weights), { opset: Math.max(13, graph.source!.opset), weights: o.weights, ...size });
    writeOutput(o.out, bytes);
    console.log(`${o.out}: ${bytes.length} bytes, ${(100 * bytes.length / input.length).toFixed(1)}% of ${name} (${input.length} bytes), weights ${o.weights}`);
  });

const bundled = (path: string) => fileURLToPath(new URL(`../${path}`, import.meta.url));
// int8 weights (`senet-wasm quantize`, 203 KB against the fp32 file's 711 KB): within 0.5 points
// of the fp32 file's accuracy on the test subset (test/fashion-mnist.test.ts).
const DEFAULT_MODEL = bundled('models/fashion-mnist-se-resnet.int8.onnx');
const SUBSET = bundled('test/fixtures/fashion-mnist/test-subset.u8.gz');

program.command('classify <images...>')
  .description('top-K classes of PNG or JPEG images (default model: the bundled Fashion-MNIST SE-ResNet)')
  .option('--model <onnx>', 'an ONNX classifier, with its JSON (classes, preprocessing) beside it', DEFAULT_MODEL)
  .option('--top <k>', 'classes to list per image', int(1, 1000), 3)
  .addOption(new Option('--backend <b>', 'build to run').choices(BACKENDS).default('auto'))
  .option('--json', 'print JSON: one object per image')
  .action(async (images: string[], o) => {
    const graph = model(o.model, {});
    const result = await classifyFiles(images, graph, readModelCard(o.model, graph), { top: o.top, backend: o.backend });
    console.log(o.json ? JSON.stringify(result.predictions, null, 2) : formatPredictions(result.predictions));
    for (const e of result.errors) console.error(`senet-wasm: ${e.message}`);
    if (result.errors.length) process.exitCode = 1;
  });

program.command('excite <model>')
  .description("the SE paper's excitation analysis: per SE block, each channel's mean gate over the images and over each class, the class specificity, and the accuracy with each stage's SE removed")
  .option('--images <dir>', 'PNG or JPEG files, classes from name prefixes (7-sneaker.png; default: the bundled 1,000-image Fashion-MNIST test subset)')
  .option('--image <file>', 'one image: its gates')
  .addOption(new Option('--no-se <block>', 'run with this SE block\'s gates set to 1: an index in depth order, a block name or a stage (repeatable)')
    .argParser((v: string, previous: unknown) => [...(Array.isArray(previous) ? previous : []), v]))
  .option('--svg <file>', 'write the chart as SVG')
  .addOption(new Option('--backend <b>', 'build to run').choices(BACKENDS).default('auto'))
  .option('--json', 'print JSON')
  .action(async (name: string, o) => {
    if (o.images && o.image) throw new OptionError('give --images or --image, not both');
    const graph = model(name, {});
    const card = isOnnxPath(name) ? readModelCard(name, graph) : modelCard(graph);
    const images = o.image ? fileImages([o.image], o.image, card) : o.images ? dirImages(o.images, card) : subsetImages(SUBSET, card);
    const engine = await createEngine({ backend: o.backend });
    const report = excite(engine, graph, images, card.classes, Array.isArray(o.se) ? o.se : []);
    engine.dispose();
    if (o.svg) writeOutput(o.svg, new TextEncoder().encode(excitationSvg(report.blocks)));
    console.log(o.json ? JSON.stringify(report, null, 2) : formatExcite(report));
  });

program.command('demo [job]')
  .description("the main job (npm start): the Fashion-MNIST SE-ResNet on the bundled samples; 'se-resnet50': random-weight SE-ResNet-50 on a photo")
  .option('--runs <n>', 'timed runs per build', int(1, 1000))
  .action(async (job: string | undefined, o) => {
    if (job === 'se-resnet50') return randomSeResNet50Demo(buildModel('se-resnet50', { seed: 0 }), bundled('samples/chelsea.png'), o.runs ?? 5);
    if (job !== undefined) throw new OptionError(`unknown demo '${job}'; demos: fashion-mnist (default), se-resnet50`);
    await fashionMnistDemo(model(DEFAULT_MODEL, {}), DEFAULT_MODEL, bundled('samples/fashion-mnist'), o.runs ?? 50);
  });

try {
  await program.parseAsync();
} catch (e) {
  if (!(e instanceof SenetError)) throw e;
  console.error(`senet-wasm: ${e.message}`);
  process.exitCode = 1;
}
