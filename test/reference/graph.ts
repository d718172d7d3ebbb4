// A float64 reference executor for the graph IR, written for clarity, not speed: every node runs
// through the reference kernels of ./kernels.ts in NCHW order and double precision, one node after
// the other in the graph's order, every intermediate tensor kept. It knows nothing of the engine
// (no op table, no planner, no passes): a test that compares the engine with it can fail.
import type { Graph, Node, Param } from '../../src/graph/ir.js';
import {
  activationRef, addRef, batchNormRef, binaryRef, channelShuffleRef, concatRef, padRef, conv2dRef, globalPoolRef, linearRef, pool2dRef, scaleRef,
  softmaxRef, type Data, type RefTensor,
} from './kernels.js';

export type { RefTensor };

function values(p: Param | undefined, node: Node, what: string): Float32Array | undefined {
  if (!p) return undefined;
  if (!p.data) throw new Error(`reference: node '${node.name}' has no values for ${what} (structure-only graph?)`);
  return p.data;
}

const need = (p: Param, node: Node, what: string): Float32Array => values(p, node, what)!;

/** Runs one node on its inputs (NCHW float64 tensors); returns its output. */
export function runNode(node: Node, ins: RefTensor[]): RefTensor {
  const [x] = ins;
  switch (node.op) {
    case 'conv':
      return conv2dRef(x.data, x.shape, need(node.weight, node, 'weight'), node.weight.shape,
        values(node.bias, node, 'bias'), {
          stride: node.stride, pads: node.pads, dilation: node.dilation, group: node.group, act: node.act,
        });
    case 'batchnorm':
      return batchNormRef(x.data, x.shape, need(node.scale, node, 'scale'), need(node.bias, node, 'bias'),
        need(node.mean, node, 'mean'), need(node.variance, node, 'variance'), node.epsilon);
    case 'activation':
      return activationRef(x.data, x.shape, node.act);
    case 'add':
      if (ins[1].shape.join() !== x.shape.join()) throw new Error(`reference: add '${node.name}' of [${x.shape}] and [${ins[1].shape}]`);
      return addRef(x.data, ins[1].data, x.shape, node.act);
    case 'mul':
      return scaleRef(x.data, x.shape, ins[1].data);
    case 'binary': {
      const operands = [...ins];
      if (node.constant) operands.splice(node.constant.at, 0, { data: Float64Array.from(need(node.constant.value, node, 'constant')), shape: node.constant.value.shape });
      const [a, b] = operands;
      return binaryRef(a.data, a.shape, b.data, b.shape, node.kind, node.act);
    }
    case 'concat':
      return concatRef(ins);
    case 'shuffle':
      return channelShuffleRef(x.data, x.shape, node.groups);
    case 'pad':
      return padRef(x.data, x.shape, node.pads, node.value);
    case 'pool':
      return pool2dRef(x.data, x.shape, {
        mode: node.mode, kernel: node.kernel, stride: node.stride, pads: node.pads,
        ceilMode: node.ceilMode, countIncludePad: node.countIncludePad,
      });
    case 'globalpool':
      return globalPoolRef(x.data, x.shape, node.mode);
    case 'flatten':
      if (x.shape.length !== 4 || x.shape[2] !== 1 || x.shape[3] !== 1) throw new Error(`reference: flatten '${node.name}' of [${x.shape}]`);
      return { data: x.data, shape: [x.shape[0], x.shape[1]] };
    case 'reshape':
      return { data: x.data, shape: [x.shape[0], ...node.shape] };
    case 'fc': // a map is flattened in NCHW order, as ONNX's Flatten does
      return linearRef(x.data, [x.shape[0], x.data.length / x.shape[0]], need(node.weight, node, 'weight'), node.weight.shape,
        values(node.bias, node, 'bias'), node.act);
    case 'softmax': {
      // Over dimension 1: each (image, pixel)'s channels; with `whole`, each image's values.
      if (x.shape.length === 2 || node.whole) {
        const flat = softmaxRef(x.data, [x.shape[0], x.data.length / x.shape[0]]);
        return { data: flat.data, shape: x.shape };
      }
      const [n, c, h, w] = x.shape, hw = h * w;
      const data = new Float64Array(x.data.length);
      for (let img = 0; img < n; img++) {
        for (let p = 0; p < hw; p++) {
          const column = Array.from({ length: c }, (_, ch) => x.data[(img * c + ch) * hw + p]);
          const s = softmaxRef(column, [1, c]).data;
          for (let ch = 0; ch < c; ch++) data[(img * c + ch) * hw + p] = s[ch];
        }
      }
      return { data, shape: x.shape };
    }
    case 'se': {
      // squeeze -> fc1 + act -> fc2 + gate -> scale (+ residual, + ReLU), as separate steps.
      const z = globalPoolRef(x.data, x.shape, node.squeeze);
      const zFlat = [x.shape[0], x.shape[1]];
      const h = linearRef(z.data, zFlat, need(node.fc1.weight, node, 'fc1 weight'), node.fc1.weight.shape,
        values(node.fc1.bias, node, 'fc1 bias'), node.act);
      const s = linearRef(h.data, h.shape, need(node.fc2.weight, node, 'fc2 weight'), node.fc2.weight.shape,
        values(node.fc2.bias, node, 'fc2 bias'), node.gate);
      const residual = ins[1];
      if (residual && residual.shape.join() !== x.shape.join()) {
        throw new Error(`reference: se '${node.name}' residual [${residual.shape}] differs from input [${x.shape}]`);
      }
      return scaleRef(x.data, x.shape, s.data, residual?.data, node.residualAct === 'relu');
    }
    default:
      throw new Error(`reference: unknown op '${(node as Node).op}'`);
  }
}

/** Runs the whole graph; returns every tensor by name (the input included). */
export function runGraphAll(graph: Graph, input: Data, inputShape: readonly number[]): Map<string, RefTensor> {
  if (inputShape.length !== 4 || inputShape[1] !== graph.input.channels) {
    throw new Error(`reference: input shape [${inputShape}] does not fit ${graph.input.channels} channels NCHW`);
  }
  if (input.length !== inputShape.reduce((a, b) => a * b, 1)) {
    throw new Error(`reference: ${input.length} input values do not fill [${inputShape}]`);
  }
  const tensors = new Map<string, RefTensor>([
    [graph.input.name, { data: Float64Array.from(input), shape: [...inputShape] }],
  ]);
  for (const node of graph.nodes) {
    const ins = node.inputs.map((t) => {
      const v = tensors.get(t);
      if (!v) throw new Error(`reference: node '${node.name}' reads '${t}' before it is produced`);
      return v;
    });
    if (tensors.has(node.output)) throw new Error(`reference: '${node.output}' is produced twice`);
    tensors.set(node.output, runNode(node, ins));
  }
  if (!tensors.has(graph.output)) throw new Error(`reference: graph output '${graph.output}' is never produced`);
  return tensors;
}

/** Runs the graph on an NCHW input; returns the graph output (NCHW, float64) and its shape. */
export function runGraph(graph: Graph, input: Data, inputShape: readonly number[]): RefTensor {
  return runGraphAll(graph, input, inputShape).get(graph.output)!;
}
