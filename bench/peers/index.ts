// The peer engines the bench runs beside senet-wasm. Bundled as dist/bench-peers.js, which the CLI
// imports at run time only for `bench --vs` (src/cli/bench.ts); the package does not ship it.
import type { Graph, InputDims } from '../../src/graph/ir.js';
import type { BenchRunner, Peer } from '../../src/cli/bench.js';
import { createOrtWebRunner } from './ort-web.js';
import { createTfjsRunner } from './tfjs-graph.js';

export function createPeerRunner(peer: Peer, graph: Graph, dims: InputDims, threads: number): Promise<BenchRunner> {
  return peer === 'onnxruntime-web' ? createOrtWebRunner(graph, dims, threads) : createTfjsRunner(graph, dims, threads);
}
