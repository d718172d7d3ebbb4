// Peer: TF.js with tfjs-backend-wasm (XNNPACK), SIMD, asked for the bench's thread count: in Node
// its threaded build is never chosen (its WASM_HAS_MULTITHREAD_SUPPORT check is false there, and
// getThreadsCount() says 1; a 3x3 conv runs the same with 1 and 2 asked, 2026-11-29), so the runner
// reports the count it got. TF.js has no ONNX importer, so
// this file runs a senet-wasm IR graph (src/graph/ir.ts) through the TF.js ops API on the same
// weights: NHWC inside TF.js (the NCHW input is transposed once per run, a 4-D output back once),
// weights converted and uploaded once at compile time, each run inside tf.tidy.
//
// What a converted TF.js model gets from tfjs-converter / grappler is done here too, so the peer
// is not handicapped: our foldBatchNorm and fuseActivation passes run first (a BatchNorm after a
// conv folded into its weights, an activation into the conv / FC / add before it), and relu,
// relu6 and sigmoid go into the fused conv / matMul epilogue (tf.fused.*). Other ops:
//   conv       NCHW weights [O, I/g, kh, kw] -> HWIO [kh, kw, I/g, O]; depthwise (group = input
//              channels) -> tf.depthwiseConv2d with [kh, kw, C, multiplier]; other grouped convs
//              (TF.js conv2d has no groups) are split into per-group convs and concatenated.
//   batchnorm  not after a conv: tf.batchNorm over the channel axis.
//   activation hardsigmoid = relu6(x + 3) / 6, silu = x sigmoid(x), hardswish = x relu6(x + 3) / 6.
//   pool       explicit pads (and the extra bottom/right rows ceil mode needs) by tf.pad (-inf for
//              max, 0 for avg), then a 'valid' pool; average pools are rescaled by a constant map
//              of window sizes / divisors (count_include_pad or not, as PyTorch and ONNX).
//   globalpool tf.mean / tf.max over H, W; flatten, reshape; fc: fused matMul with W^T; softmax.
//   se         (a fused graph) the same chain written out.
import type * as Tf from '@tensorflow/tfjs-core';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { GraphError, OptionError } from '../../src/errors.js';
import type { Activation, ConvNode, Graph, InputDims, Node, Param } from '../../src/graph/ir.js';
import { foldBatchNorm, fuseActivation } from '../../src/graph/passes/index.js';
import { inferShapes, type Shape } from '../../src/graph/shapes.js';
import type { BenchRunner } from '../../src/cli/bench.js';

type TfModule = typeof Tf;
type Tensor = Tf.Tensor;
type FusedAct = 'linear' | 'relu' | 'relu6' | 'sigmoid';

const FUSABLE: Partial<Record<Activation, FusedAct>> = { none: 'linear', relu: 'relu', relu6: 'relu6', sigmoid: 'sigmoid' };

let loaded: Promise<{ tf: TfModule; threads: number }> | undefined;
let loadedThreads = 0;

/**
 * Imports tfjs-core and tfjs-backend-wasm once; wasm files from the backend's dist/ folder in
 * node_modules, `threads` asked (set before the backend initialises: one count per process),
 * backend 'wasm'. Resolves to TF.js and the threads the backend got.
 */
export function loadTfjsWasm(threads = 1): Promise<{ tf: TfModule; threads: number }> {
  if (loaded && threads !== loadedThreads) {
    throw new OptionError(`--vs tfjs-wasm: it initialised with ${loadedThreads} thread(s) in this process; ${threads} needs a new process`);
  }
  loadedThreads = threads;
  loaded ??= (async () => {
    let tf: TfModule;
    let wasm: typeof import('@tensorflow/tfjs-backend-wasm');
    try {
      tf = await import('@tensorflow/tfjs-core');
      wasm = await import('@tensorflow/tfjs-backend-wasm');
    } catch (e) {
      loaded = undefined;
      throw new OptionError('--vs tfjs-wasm: @tensorflow/tfjs-core and @tensorflow/tfjs-backend-wasm cannot be loaded (they are '
        + `devDependencies: npm install -D @tensorflow/tfjs-core@4.22.0 @tensorflow/tfjs-backend-wasm@4.22.0): ${(e as Error).message}`);
    }
    const dist = dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm')) + '/';
    wasm.setWasmPaths(dist);
    wasm.setThreadsCount(threads);
    if (!(await tf.setBackend('wasm'))) throw new OptionError(`--vs tfjs-wasm: the TF.js wasm backend did not initialise (wasm files from ${dist})`);
    await tf.ready();
    return { tf, threads: wasm.getThreadsCount() };
  })();
  return loaded;
}

/** A graph compiled for TF.js at fixed input dims: `run` takes and returns NCHW float32. */
export interface TfjsGraph {
  outputShape: Shape;
  run(input: Float32Array): Float32Array;
  dispose(): void;
}

const values = (p: Param | undefined, node: Node, what: string): Float32Array | undefined => {
  if (!p) return undefined;
  if (!p.data) throw new GraphError(`tfjs-graph: node '${node.name}' has no values for ${what} (a structure-only graph?)`);
  return p.data;
};

/** TF.js (NHWC) shape of a logical (NCHW) shape: rank 4 permuted, other ranks as they are. */
const tfShape = (s: Shape): number[] => (s.length === 4 ? [s[0], s[2], s[3], s[1]] : [...s]);

export function compileTfjsGraph(tf: TfModule, source: Graph, dims: InputDims): TfjsGraph {
  const graph = fuseActivation(foldBatchNorm(source));
  const shapes = inferShapes(graph, dims);

  const constants: Tensor[] = [];
  const keep = <T extends Tensor>(t: T): T => (constants.push(t), t);
  const three = keep(tf.scalar(3));
  const sixth = keep(tf.scalar(1 / 6));

  const activate = (x: Tensor, act: Activation): Tensor => {
    switch (act) {
      case 'none': return x;
      case 'relu': return tf.relu(x);
      case 'relu6': return tf.relu6(x);
      case 'sigmoid': return tf.sigmoid(x);
      case 'tanh': return tf.tanh(x);
      case 'hardsigmoid': return tf.mul(tf.relu6(tf.add(x, three)), sixth);
      case 'silu': return tf.mul(x, tf.sigmoid(x));
      case 'hardswish': return tf.mul(x, tf.mul(tf.relu6(tf.add(x, three)), sixth));
    }
  };
  /** Fused epilogue activation, or 'linear' plus a separate op. */
  const split = (act: Activation): [FusedAct, Activation] => (FUSABLE[act] ? [FUSABLE[act]!, 'none'] : ['linear', act]);

  type Env = Map<string, Tensor>;
  const steps: ((env: Env) => void)[] = [];

  const convStep = (node: ConvNode) => {
    const [outC, inCg, kH, kW] = node.weight.shape;
    const w = values(node.weight, node, 'weight')!;
    const bias = values(node.bias, node, 'bias') ?? new Float32Array(outC);
    const out = node.output;
    const [fused, after] = split(node.act);
    const g = node.group;
    const inC = inCg * g;
    const outCg = outC / g;
    const taps = kH * kW;
    // Equal pads: a number (TF.js pads that much on every side, as PyTorch); else explicit pads
    // (conv2d), or tf.pad then 'valid' (fused depthwise takes no explicit pads).
    const [pT, pL, pB, pR] = node.pads;
    const symmetric = pT === pL && pT === pB && pT === pR;
    const explicit: [[number, number], [number, number], [number, number], [number, number]] = [[0, 0], [pT, pB], [pL, pR], [0, 0]];
    const strides = node.stride;
    const dilations = node.dilation;
    const biasT = keep(tf.tensor1d(bias));
    const at = (o: number, i: number, t: number) => w[(o * inCg + i) * taps + t];

    if (g > 1 && inCg === 1 && g === inC) {
      // Depthwise, channel multiplier outC / inC: output channel c * m + j reads input channel c.
      const m = outCg;
      const f = new Float32Array(taps * inC * m);
      for (let t = 0; t < taps; t++) for (let c = 0; c < inC; c++) for (let j = 0; j < m; j++) f[(t * inC + c) * m + j] = at(c * m + j, 0, t);
      const filter = keep(tf.tensor4d(f, [kH, kW, inC, m]));
      steps.push((env) => {
        let x = env.get(node.inputs[0]) as Tf.Tensor4D;
        if (!symmetric) x = tf.pad(x, explicit);
        const pad = symmetric ? pT : 'valid';
        const y = tf.fused.depthwiseConv2d({ x, filter, strides, pad, dilations, bias: biasT, activation: fused });
        env.set(out, activate(y, after));
      });
      return;
    }
    // Per group: HWIO [kh, kw, I/g, O/g].
    const filters: Tf.Tensor4D[] = [];
    const biases: Tf.Tensor1D[] = [];
    for (let gi = 0; gi < g; gi++) {
      const f = new Float32Array(taps * inCg * outCg);
      for (let t = 0; t < taps; t++) {
        for (let i = 0; i < inCg; i++) for (let o = 0; o < outCg; o++) f[(t * inCg + i) * outCg + o] = at(gi * outCg + o, i, t);
      }
      filters.push(keep(tf.tensor4d(f, [kH, kW, inCg, outCg])));
      biases.push(g === 1 ? biasT : keep(tf.tensor1d(bias.slice(gi * outCg, (gi + 1) * outCg))));
    }
    steps.push((env) => {
      const x = env.get(node.inputs[0]) as Tf.Tensor4D;
      const conv = (xi: Tf.Tensor4D, gi: number) => tf.fused.conv2d({
        x: xi, filter: filters[gi], strides, pad: symmetric ? pT : explicit, dilations, bias: biases[gi], activation: fused,
      });
      const y = g === 1 ? conv(x, 0) : tf.concat(tf.split(x, g, 3).map((xi, gi) => conv(xi as Tf.Tensor4D, gi)), 3);
      env.set(out, activate(y, after));
    });
  };

  for (const node of graph.nodes) {
    const xShape = shapes.get(node.inputs[0])!;
    const outShape = shapes.get(node.output)!;
    const [a, b] = node.inputs;
    switch (node.op) {
      case 'conv':
        convStep(node);
        break;
      case 'batchnorm': {
        const [s, bb, m, v] = (['scale', 'bias', 'mean', 'variance'] as const).map((k) => keep(tf.tensor1d(values(node[k], node, k)!)));
        steps.push((env) => env.set(node.output, tf.batchNorm(env.get(a)!, m, v, bb, s, node.epsilon)));
        break;
      }
      case 'activation':
        steps.push((env) => env.set(node.output, activate(env.get(a)!, node.act)));
        break;
      case 'add':
        steps.push((env) => env.set(node.output, activate(tf.add(env.get(a)!, env.get(b)!), node.act)));
        break;
      case 'mul': {
        const [n, c] = xShape;
        steps.push((env) => env.set(node.output, tf.mul(env.get(a)!, tf.reshape(env.get(b)!, [n, 1, 1, c]))));
        break;
      }
      case 'pool': {
        const [, , h, w] = xShape;
        const [, , oH, oW] = outShape;
        const [kH, kW] = node.kernel;
        const [sH, sW] = node.stride;
        const [pT, pL, pB, pR] = node.pads;
        // Rows / columns past the bottom / right padding that ceil mode's last window reaches.
        const extraH = Math.max(0, (oH - 1) * sH + kH - (h + pT + pB));
        const extraW = Math.max(0, (oW - 1) * sW + kW - (w + pL + pR));
        const padding: [number, number][] = [[0, 0], [pT, pB + extraH], [pL, pR + extraW], [0, 0]];
        const padded = padding.some(([p, q]) => p || q);
        const fill = node.mode === 'max' ? -Infinity : 0;
        let rescale: Tensor | undefined;
        if (node.mode === 'avg') {
          // avgPool on the padded map divides by kH kW; PyTorch / ONNX divide by the window cut at
          // the end of the padded image (count_include_pad) or by its pixels inside the image.
          const map = new Float32Array(oH * oW);
          let uniform = true;
          for (let oy = 0; oy < oH; oy++) {
            const y0 = oy * sH - pT, y1 = Math.min(y0 + kH, h + pB);
            for (let ox = 0; ox < oW; ox++) {
              const x0 = ox * sW - pL, x1 = Math.min(x0 + kW, w + pR);
              const count = node.countIncludePad ? (y1 - y0) * (x1 - x0)
                : (Math.min(y1, h) - Math.max(y0, 0)) * (Math.min(x1, w) - Math.max(x0, 0));
              map[oy * oW + ox] = (kH * kW) / count;
              if (count !== kH * kW) uniform = false;
            }
          }
          if (!uniform) rescale = keep(tf.tensor4d(map, [1, oH, oW, 1]));
        }
        steps.push((env) => {
          let x = env.get(a)! as Tf.Tensor4D;
          if (padded) x = tf.pad(x, padding, fill);
          let y: Tensor = node.mode === 'max' ? tf.maxPool(x, [kH, kW], [sH, sW], 'valid') : tf.avgPool(x, [kH, kW], [sH, sW], 'valid');
          if (y.shape[1] !== oH || y.shape[2] !== oW) y = tf.slice(y, [0, 0, 0, 0], [-1, oH, oW, -1]);
          env.set(node.output, rescale ? tf.mul(y, rescale) : y);
        });
        break;
      }
      case 'globalpool':
        steps.push((env) => env.set(node.output, node.mode === 'avg' ? tf.mean(env.get(a)!, [1, 2], true) : tf.max(env.get(a)!, [1, 2], true)));
        break;
      case 'flatten':
      case 'reshape':
        steps.push((env) => env.set(node.output, tf.reshape(env.get(a)!, tfShape(outShape))));
        break;
      case 'fc': {
        const [outK, k] = node.weight.shape;
        const wT = transpose2d(values(node.weight, node, 'weight')!, outK, k);
        const out = node.output;
        const [fused, after] = split(node.act);
        const weight = keep(tf.tensor2d(wT, [k, outK]));
        const bias = node.bias ? keep(tf.tensor1d(values(node.bias, node, 'bias')!)) : undefined;
        steps.push((env) => env.set(out, activate(tf.fused.matMul({ a: env.get(a)! as Tf.Tensor2D, b: weight, bias, activation: fused }), after)));
        break;
      }
      case 'softmax':
        steps.push((env) => env.set(node.output, tf.softmax(env.get(a)!)));
        break;
      case 'se': {
        const [n, c] = xShape;
        const linear = (p: { weight: Param; bias?: Param }, what: string) => {
          const [o, k] = p.weight.shape;
          return {
            w: keep(tf.tensor2d(transpose2d(values(p.weight, node, `${what} weight`)!, o, k), [k, o])),
            b: p.bias ? keep(tf.tensor1d(values(p.bias, node, `${what} bias`)!)) : undefined,
          };
        };
        const fc1 = linear(node.fc1, 'fc1');
        const fc2 = linear(node.fc2, 'fc2');
        steps.push((env) => {
          const x = env.get(a)!;
          const z = tf.reshape(node.squeeze === 'avg' ? tf.mean(x, [1, 2]) : tf.max(x, [1, 2]), [n, c]) as Tf.Tensor2D;
          const hidden = activate(tf.fused.matMul({ a: z, b: fc1.w, bias: fc1.b }), node.act) as Tf.Tensor2D;
          const s = activate(tf.fused.matMul({ a: hidden, b: fc2.w, bias: fc2.b }), node.gate);
          let y = tf.mul(x, tf.reshape(s, [n, 1, 1, c]));
          if (b) y = tf.add(y, env.get(b)!);
          env.set(node.output, node.residualAct === 'relu' ? tf.relu(y) : y);
        });
        break;
      }
      case 'concat': {
        const axis = outShape.length === 4 ? 3 : 1; // channels last in TF.js
        steps.push((env) => env.set(node.output, tf.concat(node.inputs.map((t) => env.get(t)!), axis)));
        break;
      }
      case 'pad': {
        const [t, l, b, r] = node.pads;
        steps.push((env) => env.set(node.output, tf.pad(env.get(a)!, [[0, 0], [t, b], [l, r], [0, 0]], node.value)));
        break;
      }
      case 'shuffle': {
        const [n, c, h, w] = xShape, g = node.groups;
        steps.push((env) => env.set(node.output, tf.reshape(tf.transpose(tf.reshape(env.get(a)!, [n, h, w, g, c / g]), [0, 1, 2, 4, 3]), [n, h, w, c])));
        break;
      }
      default:
        throw new GraphError(`tfjs-graph: node '${(node as Node).name}': op '${(node as Node).op}' is not supported`);
    }
  }

  const inShape = [dims.batch, graph.input.channels, dims.height, dims.width];
  const outputShape = shapes.get(graph.output)!;
  let disposed = false;
  return {
    outputShape,
    run(input: Float32Array): Float32Array {
      if (disposed) throw new Error('tfjs-graph: run after dispose()');
      const y = tf.tidy(() => {
        const env: Env = new Map([[graph.input.name, tf.transpose(tf.tensor4d(input, inShape as [number, number, number, number]), [0, 2, 3, 1])]]);
        for (const step of steps) step(env);
        const out = env.get(graph.output)!;
        return outputShape.length === 4 ? tf.transpose(out, [0, 3, 1, 2]) : tf.reshape(out, outputShape);
      });
      const data = y.dataSync() as Float32Array;
      y.dispose();
      return data;
    },
    dispose() {
      if (disposed) return;
      disposed = true;
      for (const t of constants) t.dispose();
    },
  };
}

function transpose2d(w: Float32Array, rows: number, cols: number): Float32Array {
  const t = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) t[c * rows + r] = w[r * cols + c];
  return t;
}

export async function createTfjsRunner(graph: Graph, dims: InputDims, threads = 1): Promise<BenchRunner> {
  const { tf, threads: got } = await loadTfjsWasm(threads);
  const compiled = compileTfjsGraph(tf, graph, dims);
  return {
    engine: 'tfjs-wasm',
    version: tf.version_core,
    threads: got,
    run: (input) => compiled.run(input),
    dispose: () => compiled.dispose(),
  };
}
