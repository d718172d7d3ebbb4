import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, test } from 'vitest';
import { formatNpy, parseNpy } from '../src/io/npy.js';
import { Random } from '../src/graph/random.js';
import { buildModel } from '../src/models/index.js';
import { createEngine } from '../src/runtime/engine.js';
import { GraphBuilder } from '../src/graph/builder.js';
import { saveOnnx } from '../src/onnx/writer.js';

// The CLI as a user runs it: the bundle that `npm run build` (run by `npm test` first) writes.
const CLI = new URL('../dist/cli.js', import.meta.url).pathname;
const run = promisify(execFile);

async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run('node', [CLI, ...args]);
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

const dir = mkdtempSync(join(tmpdir(), 'senet-cli-'));
const SAMPLES = new URL('../samples/fashion-mnist/', import.meta.url).pathname;
const MODEL = new URL('../models/fashion-mnist-se-resnet.onnx', import.meta.url).pathname;

describe('senet-wasm info', () => {
  test('--json gives params, macs and paperFlops; the table has every stage', async () => {
    const { code, stdout } = await cli('info', 'se-resnet50', '--json');
    expect(code).toBe(0);
    const info = JSON.parse(stdout);
    expect(info.params).toBe(28088024);
    expect(info.macs / 1e9).toBeCloseTo(3.86, 2);
    expect(info.paperFlops / 1e9).toBeCloseTo(3.87, 2);
    const table = (await cli('info', 'se-resnet50', '--reduction', '4')).stdout;
    for (const stage of ['conv1', 'conv2_x', 'conv3_x', 'conv4_x', 'conv5_x', 'fc', 'total']) expect(table).toContain(stage);
    expect(table).toMatch(/total\s+35\.64/);
  });
});

describe('senet-wasm run', () => {
  test('writes the output .npy that the API computes, in both builds', async () => {
    const shape = [2, 3, 33, 37];
    const data = new Random(3).fill(shape.reduce((a, b) => a * b), (r) => r.normal());
    const input = join(dir, 'x.npy');
    writeFileSync(input, formatNpy({ data, shape }));
    const engine = await createEngine({ backend: 'scalar' });
    const expected = engine.compile(buildModel('se-resnext50-32x4d', { seed: 5, classes: 7 }), { batch: 2, height: 33, width: 37 }).run(data);
    for (const backend of ['simd', 'scalar']) {
      const output = join(dir, `y-${backend}.npy`);
      const r = await cli('run', 'se-resnext50-32x4d', '--input', input, '--output', output, '--backend', backend, '--seed', '5', '--classes', '7');
      expect(r.stderr).toBe('');
      const y = parseNpy(readFileSync(output));
      expect(y.shape).toEqual([2, 7]);
      const scale = Math.max(...expected.map(Math.abs));
      y.data.forEach((v, i) => expect(Math.abs(v - expected[i])).toBeLessThanOrEqual(1e-4 * scale));
    }
  }, 60_000);

  test('bad input: one line naming the problem, exit code 1, no stack trace', async () => {
    const missing = await cli('run', 'se-resnet50', '--input', join(dir, 'nope.npy'), '--output', join(dir, 'o.npy'));
    expect(missing.code).toBe(1);
    expect(missing.stderr.trim()).toBe(`senet-wasm: ${join(dir, 'nope.npy')}: cannot read (ENOENT)`);
    const f64 = join(dir, 'f64.npy');
    writeFileSync(f64, Buffer.from(formatNpy({ data: new Float32Array(4), shape: [4] })).toString('latin1').replace('<f4', '<f8'), 'latin1');
    const wrongType = await cli('run', 'se-resnet50', '--input', f64, '--output', join(dir, 'o.npy'));
    expect(wrongType.stderr.trim()).toMatch(/f64\.npy: dtype <f8 is not float32/);
    const grey = join(dir, 'grey.npy');
    writeFileSync(grey, formatNpy({ data: new Float32Array(64), shape: [1, 1, 8, 8] }));
    expect((await cli('run', 'se-resnet50', '--input', grey, '--output', join(dir, 'o.npy'))).stderr).toMatch(/shape \[1,1,8,8\] is not \[N, 3, H, W\]/);
    const unknown = await cli('info', 'se-resnet51');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr.trim().split('\n')).toHaveLength(1);
    expect(unknown.stderr).toMatch(/unknown model 'se-resnet51'/);
    const notSe = await cli('info', 'resnet50', '--reduction', '8');
    expect(notSe.stderr).toMatch(/resnet50 has no option 'reduction'/);
    const badOpt = await cli('bench', 'se-resnet50', '--runs', '0');
    expect(badOpt.code).not.toBe(0);
    expect(badOpt.stderr).toMatch(/--runs.*expected an integer from 1/);
  });
});

describe('the command line as a user meets it: one line per error, --version, progress only on a terminal', () => {
  test('unwritable outputs, option errors, a 4-D model in classify, a fixed-size model on another size: one line each, exit code 1', async () => {
    const x = join(dir, 'small.npy');
    writeFileSync(x, formatNpy({ data: new Float32Array(3 * 16 * 16), shape: [1, 3, 16, 16] }));
    for (const [out, why] of [['/proc/x/o.npy', 'its folder does not exist'], [dir, 'it is a folder']]) {
      const r = await cli('run', 'mobilenet-v3-small', '--input', x, '--output', out);
      expect(r.code).toBe(1);
      expect(r.stderr.trim()).toBe(`senet-wasm: ${out}: cannot write (${why})`);
    }
    for (const args of [['bench', 'se-resnet50', '--runs', 'x'], ['info', 'se-resnet50', '--reduction', '0'], ['info', 'se-resnet50', '--gate', 'swish']]) {
      const r = await cli(...args);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr.trim().split('\n'), `${args.join(' ')}: ${r.stderr}`).toHaveLength(1);
      expect(r.stderr).not.toMatch(/Usage|9007199254740991/);
    }
    expect((await cli('info', 'se-resnet50', '--reduction', '0')).stderr).toMatch(/expected an integer from 1 to 1024/);
    // A model whose output is a feature map, not class scores.
    const mapModel = join(dir, 'map.onnx');
    const b = new GraphBuilder('map', 'x', 1, { seed: 1 });
    writeFileSync(mapModel, saveOnnx(b.build(b.conv('x', 64, { kernel: 3, pad: 1 })), { height: 28, width: 28 }));
    const four = await cli('classify', join(SAMPLES, '0-t-shirt-top.png'), '--model', mapModel);
    expect(four.code).toBe(1);
    expect(four.stderr.trim()).toBe('senet-wasm: classify needs a model whose output is class scores [N, K]; map gives [1,64,28,28]');
    // The bundled model fixes 28x28: a 600x800 input is refused with both shapes.
    const big = join(dir, 'big.npy');
    writeFileSync(big, formatNpy({ data: new Float32Array(600 * 800), shape: [1, 1, 600, 800] }));
    const fixed = await cli('run', MODEL, '--input', big, '--output', join(dir, 'o.npy'));
    expect(fixed.code).toBe(1);
    expect(fixed.stderr.trim()).toMatch(/fixes its input to \[batch,1,28,28\]; asked for \[1,1,600,800\]/);
  });

  test('--backend takes the engine\'s backends in every command that runs a model', async () => {
    for (const command of ['run', 'classify', 'excite']) {
      const r = await cli(command, 'se-resnet50', '--backend', 'bogus');
      expect(r.code).toBe(1);
      expect(r.stderr.trim()).toBe("error: option '--backend <b>' argument 'bogus' is invalid. Allowed choices are auto, relaxed, simd, scalar.");
    }
  });

  test('--version prints the package version', async () => {
    const r = await cli('--version');
    expect(r.stdout.trim()).toBe(JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version);
  });

  test('classify shows a progress bar on a terminal (a pty from script(1)) and none when stderr is piped', async () => {
    const files = readdirSync(SAMPLES).map((f) => join(SAMPLES, f));
    const piped = await cli('classify', ...files);
    expect(piped.code).toBe(0);
    expect(piped.stderr).toBe('');
    const tty = await run('script', ['-qec', [process.execPath, CLI, 'classify', ...files].map((a) => `'${a}'`).join(' '), '/dev/null']);
    expect(tty.stdout).toMatch(/classifying \[[=-]+\] 10\/10/);
    expect(tty.stdout).toMatch(/0-t-shirt-top\.png: T-shirt\/top/);
    const bench = await run('script', ['-qec', `'${process.execPath}' '${CLI}' bench mobilenet-v3-small --size 32 --runs 3 --backend scalar`, '/dev/null']);
    expect(bench.stdout).toMatch(/mobilenet-v3-small: timing 1 engine \[[=-]+\] 3\/3/);
    const benchPiped = await cli('bench', 'mobilenet-v3-small', '--size', '32', '--runs', '3', '--backend', 'scalar');
    expect(benchPiped.stderr).toBe('');
  });
});

describe('ONNX files on the command line', () => {
  const fixture = (name: string) => new URL(`./fixtures/onnx/${name}`, import.meta.url).pathname;

  test('run writes what onnxruntime gave, in both builds; info shows the fused SE blocks', async () => {
    const expected = parseNpy(readFileSync(fixture('tiny_regnet_y_64px.ort.npy')));
    for (const backend of ['simd', 'scalar']) {
      const output = join(dir, `regnet-${backend}.npy`);
      const r = await cli('run', fixture('tiny_regnet_y_64px.onnx'), '--input', fixture('tiny_regnet_y_64px.input.npy'), '--output', output, '--backend', backend);
      expect(r.code).toBe(0);
      const y = parseNpy(readFileSync(output));
      expect(y.shape).toEqual(expected.shape);
      const scale = Math.max(...expected.data.map(Math.abs));
      y.data.forEach((v, i) => expect(Math.abs(v - expected.data[i])).toBeLessThanOrEqual(1e-4 * scale));
    }
    const info = JSON.parse((await cli('info', fixture('mobilenet_v3_small_w025_96px.onnx'), '--json')).stdout);
    expect(info.input).toEqual([1, 3, 96, 96]);
    expect(info.seBlocks).toEqual({ found: 9, fused: 9 });
    expect((await cli('info', fixture('tiny_se_resnet_64px.onnx'))).stdout).toMatch(/SE blocks: 4, fused into one step each: 4/);
    const options = await cli('info', fixture('tiny_se_resnet_64px.onnx'), '--reduction', '4');
    expect(options.stderr).toMatch(/do not apply to an ONNX file/);
  });
});

describe('senet-wasm bench', () => {
  test('--json: median ms and GFLOP/s for each build', async () => {
    const { code, stdout } = await cli('bench', 'se-resnet50', '--size', '32', '--runs', '2', '--json');
    expect(code).toBe(0);
    const report = JSON.parse(stdout);
    expect(report.model).toBe('se-resnet50');
    expect(report.results.map((r: { engine: string }) => r.engine)).toEqual(['senet-simd', 'senet-scalar']);
    for (const r of report.results) {
      expect(r.medianMs).toBeGreaterThan(0);
      expect(r.gflops).toBeGreaterThan(0);
      expect(r.threads).toBe(1);
    }
  }, 60_000);

  test('--threads 2: the senet-wasm builds run on 2 threads, and say so in the JSON and the table', async () => {
    const json = await cli('bench', 'se-resnet50', '--size', '64', '--runs', '2', '--threads', '2', '--backend', 'simd', '--json');
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout).results.map((r: { engine: string; threads: number }) => [r.engine, r.threads])).toEqual([['senet-simd', 2]]);
    const table = await cli('bench', 'se-resnet50', '--size', '64', '--runs', '2', '--threads', '2', '--backend', 'scalar');
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/senet-scalar\s+2\s/);
    expect((await cli('bench', 'se-resnet50', '--threads', '0')).stderr).toMatch(/--threads <n>' argument '0' is invalid/);
  }, 60_000);
});
