#!/usr/bin/env node
// The senet-wasm command line: info, run, bench, demo.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command, InvalidArgumentError, Option } from 'commander';
import { InputError, OptionError, SenetError } from '../errors.js';
import { formatNpy, parseNpy } from '../io/npy.js';
import { IMAGENET, readImage, toTensor } from '../io/image.js';
import { buildModel, listModels, type ModelOptions } from '../models/index.js';
import { createEngine } from '../runtime/engine.js';
import { loadOnnx } from '../onnx/reader.js';
import { saveOnnx } from '../onnx/writer.js';
import { complexity } from '../graph/complexity.js';
import type { Backend } from '../wasm/load.js';
import { benchGraph, formatBench } from './bench.js';
import { formatInfo, modelInfo } from './info.js';

const int = (min: number, max = Number.MAX_SAFE_INTEGER) => (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`expected an integer from ${min} to ${max}`);
  return n;
};

const backends = (v: string): Backend[] => {
  const list = v.split(',').map((s) => s.trim());
  for (const b of list) if (b !== 'simd' && b !== 'scalar') throw new InvalidArgumentError(`'${b}' is not simd or scalar`);
  return list as Backend[];
};

/** Options that shape a built-in model, shared by every command that builds one. */
function withModelOptions(cmd: Command): Command {
  return cmd
    .option('--seed <n>', 'seed of the random weights (default 0)', int(0, 2 ** 32 - 1))
    .option('--reduction <r>', 'SE reduction ratio r', int(1))
    .addOption(new Option('--placement <p>', 'SE placement').choices(['standard', 'pre', 'post', 'identity']))
    .addOption(new Option('--squeeze <s>', 'squeeze operator').choices(['avg', 'max']))
    .addOption(new Option('--gate <g>', 'excitation gate').choices(['sigmoid', 'relu', 'tanh']))
    .addOption(new Option('--stride-on <c>', 'conv of a stage that takes its stride-2').choices(['1x1', '3x3']))
    .option('--classes <n>', 'classifier outputs', int(1))
    .option('--width <m>', 'width multiplier (MobileNetV3)', (v: string) => {
      const m = Number(v);
      if (!(m > 0 && m <= 4)) throw new InvalidArgumentError('expected a number above 0, at most 4');
      return m;
    });
}

const isOnnxPath = (name: string) => name.toLowerCase().endsWith('.onnx');

/** A built-in model by name, or an ONNX file by path (model options then do not apply). */
function model(name: string, o: Record<string, unknown>, weights = true) {
  if (isOnnxPath(name)) {
    const given = ['seed', 'reduction', 'placement', 'squeeze', 'gate', 'strideOn', 'classes', 'width'].filter((k) => o[k] !== undefined);
    if (given.length) throw new OptionError(`${name}: options for built-in models (${given.join(', ')}) do not apply to an ONNX file`);
    let bytes: Buffer;
    try {
      bytes = readFileSync(name);
    } catch (e) {
      throw new InputError(`${name}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
    return loadOnnx(bytes, { name });
  }
  // Only the options given on the command line: buildModel rejects any the model does not take.
  const keys = ['seed', 'classes', 'strideOn', 'reduction', 'placement', 'squeeze', 'gate', 'width'] as const;
  const options: ModelOptions = { weights };
  for (const k of keys) if (o[k] !== undefined) Object.assign(options, { [k]: o[k] });
  return buildModel(name, options);
}

function readNpyFile(path: string) {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new InputError(`${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  return parseNpy(bytes, path);
}

const program = new Command('senet-wasm')
  .description('Squeeze-and-Excitation networks on WebAssembly SIMD')
  .showHelpAfterError();

withModelOptions(program.command('info <model>')
  .description(`parameters, multiply-adds, the paper's GFLOPs per stage, and the plan (a model name: ${listModels().join(', ')}; or a .onnx file)`)
  .option('--size <px>', 'input height and width (default: the ONNX file\'s, else 224)', int(1, 4096))
  .option('--plan', 'list the steps the engine runs after its passes (always shown for ONNX files)')
  .option('--json', 'print JSON'))
  .action((name: string, o) => {
    const graph = model(name, o, false);
    const [, , h, w] = graph.source?.inputShape ?? [];
    const dims = o.size ? { height: o.size, width: o.size } : { height: typeof h === 'number' ? h : 224, width: typeof w === 'number' ? w : 224 };
    const info = modelInfo(graph, { batch: 1, ...dims });
    console.log(o.json ? JSON.stringify(info, null, 2) : formatInfo(info, o.plan || !!graph.source));
  });

withModelOptions(program.command('run <model>')
  .description('run a model on an NCHW float32 .npy input and write the output as .npy')
  .requiredOption('--input <file>', 'input .npy, NCHW float32')
  .requiredOption('--output <file>', 'output .npy')
  .addOption(new Option('--backend <b>', 'build to run').choices(['auto', 'simd', 'scalar']).default('auto')))
  .action(async (name: string, o) => {
    const input = readNpyFile(o.input);
    const graph = model(name, o);
    const [batch, channels, height, width] = input.shape;
    if (input.shape.length !== 4 || channels !== graph.input.channels) {
      throw new InputError(`${o.input}: shape [${input.shape}] is not [N, ${graph.input.channels}, H, W]`);
    }
    const engine = await createEngine({ backend: o.backend });
    const session = engine.compile(graph, { batch, height, width });
    writeFileSync(o.output, formatNpy({ data: session.run(input.data), shape: session.outputShape }));
    console.log(`${o.output}: [${session.outputShape}] (${engine.backend} build)`);
  });

withModelOptions(program.command('bench <model>')
  .description('median latency and GFLOP/s of each build, interleaved runs')
  .option('--backend <list>', 'builds to compare, comma-separated', backends, ['simd', 'scalar'] as Backend[])
  .option('--runs <n>', 'timed runs per build', int(1, 10000), 10)
  .option('--size <px>', 'input height and width', int(32, 4096), 224)
  .option('--batch <n>', 'images per run', int(1, 1024), 1)
  .option('--json', 'print JSON'))
  .action(async (name: string, o) => {
    const report = await benchGraph(model(name, o), { backends: o.backend, runs: o.runs, size: o.size, batch: o.batch });
    if (!o.json) return console.log(formatBench(report));
    const results = report.results.map(({ engine, medianMs, gflops }) => ({ engine, medianMs, gflops }));
    console.log(JSON.stringify({ model: report.model, batch: report.batch, size: report.size, results }, null, 2));
  });

withModelOptions(program.command('export <model>')
  .description('write a model (or a re-read .onnx file) as an ONNX file that onnxruntime and other ONNX tools run')
  .requiredOption('--out <file>', 'the .onnx file to write')
  .option('--size <px>', 'fix the input height and width in the file (default: symbolic)', int(1, 4096))
  .option('--opset <n>', 'ONNX opset', int(11, 17), 13))
  .action((name: string, o) => {
    const graph = model(name, o);
    // --size, else an ONNX file's own fixed size, else symbolic height and width.
    const [, , h, w] = graph.source?.inputShape ?? [];
    const size = o.size ? { height: o.size, width: o.size } : typeof h === 'number' && typeof w === 'number' ? { height: h, width: w } : undefined;
    const { params } = complexity(graph, { batch: 1, height: 224, width: 224, ...size }); // also checks the graph at that size
    const bytes = saveOnnx(graph, { opset: o.opset, ...size });
    try {
      writeFileSync(o.out, bytes);
    } catch (e) {
      throw new InputError(`${o.out}: cannot write (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
    const hw = size ? `${size.height}, ${size.width}` : 'height, width';
    console.log(`${o.out}: ${bytes.length} bytes, ${params} params (${graph.name}, opset ${o.opset}, input [batch, ${graph.input.channels}, ${hw}])`);
  });

program.command('demo')
  .description('the main job: SE-ResNet-50 on the bundled sample image in both builds')
  .option('--image <png>', 'image to classify', fileURLToPath(new URL('../samples/chelsea.png', import.meta.url)))
  .option('--runs <n>', 'timed runs per build', int(1, 100), 3)
  .action(async (o) => {
    const input = toTensor(readImage(o.image), IMAGENET);
    console.log(`SE-ResNet-50 on ${o.image}, 224x224`);
    console.log('RANDOM WEIGHTS (seed 0): no trained ImageNet weights can be fetched here, so the classes');
    console.log('below carry no meaning; they show that both builds compute the same network.\n');
    const graph = buildModel('se-resnet50', { seed: 0 });
    const latency: Partial<Record<Backend, number>> = {};
    for (const backend of ['simd', 'scalar'] as Backend[]) {
      const engine = await createEngine({ backend });
      const session = engine.compile(graph, { batch: 1, height: 224, width: 224 });
      const logits = session.run(input);
      const times: number[] = [];
      for (let i = 0; i < o.runs; i++) {
        const t0 = performance.now();
        session.run(input);
        times.push(performance.now() - t0);
      }
      latency[backend] = times.sort((a, b) => a - b)[Math.floor(times.length / 2)];
      const max = Math.max(...logits);
      const exp = logits.map((v) => Math.exp(v - max));
      const sum = exp.reduce((a, b) => a + b, 0);
      const top = [...exp.keys()].sort((a, b) => exp[b] - exp[a]).slice(0, 5);
      const gflops = (2 * session.stats.macs) / (latency[backend]! * 1e6);
      console.log(`${backend.padEnd(6)} ${latency[backend]!.toFixed(1).padStart(7)} ms (median of ${o.runs}, ${gflops.toFixed(1)} GFLOP/s)   top-5 class (probability): ` +
        top.map((i) => `#${i} (${(exp[i] / sum).toFixed(3)})`).join(' '));
      engine.dispose();
    }
    console.log(`\nSIMD speedup over scalar: ${(latency.scalar! / latency.simd!).toFixed(2)}x`);
  });

try {
  await program.parseAsync();
} catch (e) {
  if (!(e instanceof SenetError)) throw e;
  console.error(`senet-wasm: ${e.message}`);
  process.exitCode = 1;
}
