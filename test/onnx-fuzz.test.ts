// Corrupted ONNX files: 1,000 seeded variants of the three PyTorch fixtures (truncated, bytes
// flipped, runs overwritten, chunks deleted or duplicated) through loadOnnx, and when one loads,
// compiled at its input size and run once. Each must end in a typed SenetError or a valid result,
// fast and without a huge allocation; 20 of them also go through the CLI (`info` and `run`).
// Byte-level damage mostly stops at the protobuf decoder, so 400 structure-aware variants (fields
// the reader interprets changed, then re-encoded) follow, to reach the checks behind it.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, test } from 'vitest';
import { OnnxError, SenetError } from '../src/errors.js';
import { complexity } from '../src/graph/complexity.js';
import type { InputDims } from '../src/graph/ir.js';
import { Random } from '../src/graph/random.js';
import { numel } from '../src/graph/shapes.js';
import { loadOnnx } from '../src/onnx/reader.js';
import { encodeModel } from '../src/onnx/encode.js';
import { decodeModel } from '../src/onnx/schema.js';
import { createEngine, type Engine } from '../src/runtime/engine.js';
import type { Backend } from '../src/wasm/load.js';

const FIXTURES = new URL('./fixtures/onnx/', import.meta.url);
const NAMES = ['tiny_se_resnet_64px', 'mobilenet_v3_small_w025_96px', 'tiny_regnet_y_64px'];
// More variants for a longer local search: SENET_FUZZ_BYTES=20000 SENET_FUZZ_FIELDS=20000 npx vitest run test/onnx-fuzz.test.ts
const VARIANTS = Number(process.env.SENET_FUZZ_BYTES ?? 1000);
const FIELD_VARIANTS = Number(process.env.SENET_FUZZ_FIELDS ?? 400);
const SEED = 20181;
const MAX_MACS = 1e9;
const MAX_MS = 2000;
const MAX_RSS = 2 * 1024 ** 3;

interface Fixture {
  name: string;
  bytes: Uint8Array;
  /** Bytes before the first initializer: the nodes, where a corruption changes structure, not weights. */
  nodesEnd: number;
  inputPath: string;
}

const fixtures: Fixture[] = NAMES.map((name) => {
  const bytes = new Uint8Array(readFileSync(new URL(`${name}.onnx`, FIXTURES)));
  const nodesEnd = encodeModel({ graph: { node: decodeModel(bytes).graph!.node } }).length;
  return { name, bytes, nodesEnd, inputPath: new URL(`${name}.input.npy`, FIXTURES).pathname };
});

type Kind = 'truncate' | 'flip' | 'overwrite' | 'delete' | 'duplicate' | 'mixed';
const KINDS: Kind[] = ['truncate', 'flip', 'overwrite', 'delete', 'duplicate', 'mixed'];

const int = (r: Random, lo: number, hi: number) => lo + Math.floor(r.uniform() * (hi - lo + 1)); // [lo, hi]

/** A position: 25% among the nodes, 10% in the tail (inputs, outputs, opsets), else anywhere (mostly weights). */
function position(r: Random, length: number, nodesEnd: number): number {
  const u = r.uniform();
  if (u < 0.25) return int(r, 0, Math.min(nodesEnd, length) - 1);
  if (u < 0.35) return int(r, Math.max(0, length - 600), length - 1);
  return int(r, 0, length - 1);
}

const concat = (...parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
};

function mutateOnce(bytes: Uint8Array, kind: Exclude<Kind, 'mixed'>, r: Random, nodesEnd: number): Uint8Array {
  const at = position(r, bytes.length, nodesEnd);
  switch (kind) {
    case 'truncate':
      return bytes.slice(0, at);
    case 'flip': {
      const out = bytes.slice();
      // Half single-bit flips (a varint stays a varint: a dim, an attribute or a length changes), half random bytes.
      for (let k = int(r, 1, 20); k > 0; k--) out[position(r, out.length, nodesEnd)] ^= r.uniform() < 0.5 ? 1 << int(r, 0, 7) : int(r, 1, 255);
      return out;
    }
    case 'overwrite': {
      const out = bytes.slice();
      const fill = r.uniform();
      const end = Math.min(out.length, at + int(r, 1, 64));
      for (let p = at; p < end; p++) out[p] = fill < 0.25 ? 0 : fill < 0.5 ? 0xff : int(r, 0, 255);
      return out;
    }
    case 'delete': {
      const len = int(r, 1, 256);
      return concat(bytes.subarray(0, at), bytes.subarray(Math.min(bytes.length, at + len)));
    }
    case 'duplicate': {
      const len = int(r, 1, 256);
      const chunk = bytes.subarray(at, Math.min(bytes.length, at + len));
      const to = r.uniform() < 0.5 ? at : position(r, bytes.length, nodesEnd);
      return concat(bytes.subarray(0, to), chunk, bytes.subarray(to));
    }
  }
}

function variant(i: number): { fixture: Fixture; kind: Kind; bytes: Uint8Array } {
  const r = new Random(SEED + i * 7919);
  const fixture = fixtures[i % fixtures.length];
  const kind = KINDS[int(r, 0, KINDS.length - 1)];
  let bytes = fixture.bytes;
  if (kind === 'mixed') {
    for (let k = int(r, 2, 3); k > 0; k--) bytes = mutateOnce(bytes, KINDS[int(r, 0, 4)] as Exclude<Kind, 'mixed'>, r, fixture.nodesEnd);
  } else {
    bytes = mutateOnce(bytes, kind, r, fixture.nodesEnd);
  }
  return { fixture, kind, bytes };
}

// Structure-aware variants: decode, change a few fields the reader interprets, encode. Byte-level
// corruption mostly stops at the protobuf decoder; these reach the reader's checks behind it.
type Obj = any; // eslint-disable-line @typescript-eslint/no-explicit-any
const OP_TYPES = ['Conv', 'Relu', 'Add', 'Mul', 'Gemm', 'Flatten', 'Reshape', 'Sigmoid', 'HardSigmoid', 'GlobalAveragePool', 'MaxPool',
  'AveragePool', 'Identity', 'Constant', 'Shape', 'Gather', 'Concat', 'Unsqueeze', 'Squeeze', 'Softmax', 'Clip', 'MatMul', 'Erf', ''];
const pick = <T>(r: Random, a: readonly T[]): T => a[int(r, 0, a.length - 1)];
const oddInt = (r: Random) => pick(r, [0, 1, 2, 3, -1, -2, 7, 64, 255, 4096, 1e6, 2 ** 31 - 1, -(2 ** 31), 2 ** 40]);

function mutateFields(model: Obj, r: Random): string {
  const g = model.graph;
  const nodes: Obj[] = g.node ?? [];
  const names = [...new Set(nodes.flatMap((n: Obj) => [...(n.input ?? []), ...(n.output ?? [])]))];
  const node = pick(r, nodes);
  switch (int(r, 0, 13)) {
    case 0: node.opType = pick(r, OP_TYPES); return `opType -> '${node.opType}'`;
    case 1: if (node.input?.length) node.input[int(r, 0, node.input.length - 1)] = pick(r, [...names, '', 'nowhere']); return 'an input renamed';
    case 2: node.input = (node.input ?? []).slice(0, int(r, 0, Math.max(0, (node.input ?? []).length - 1))); return 'inputs dropped';
    case 3: nodes.splice(nodes.indexOf(node), 1); return 'a node removed';
    case 4: nodes.splice(int(r, 0, nodes.length), 0, structuredClone(node)); return 'a node duplicated';
    case 5: { const j = int(r, 0, nodes.length - 1); [nodes[j], nodes[nodes.indexOf(node)]] = [node, nodes[j]]; return 'two nodes swapped'; }
    case 6: {
      const a = node.attribute?.length ? pick(r, node.attribute as Obj[]) : undefined;
      if (!a) return 'nothing (no attribute)';
      const what = int(r, 0, 4);
      if (what === 0 && a.ints?.length) a.ints[int(r, 0, a.ints.length - 1)] = oddInt(r);
      else if (what === 1) a.i = oddInt(r);
      else if (what === 2) a.f = pick(r, [0, -1, 0.2, 1e30, NaN, Infinity]);
      else if (what === 3) node.attribute.splice(node.attribute.indexOf(a), 1);
      else a.ints = [];
      return `attribute '${a.name}' changed (${what})`;
    }
    case 7: {
      const t = pick(r, g.initializer as Obj[]);
      if (t.dims?.length) t.dims[int(r, 0, t.dims.length - 1)] = oddInt(r);
      else t.dims = [oddInt(r)];
      return `initializer '${t.name}' dims [${t.dims}]`;
    }
    case 8: { const t = pick(r, g.initializer as Obj[]); t.dataType = pick(r, [0, 2, 6, 7, 10, 11, 16, 99]); return `initializer '${t.name}' dataType ${t.dataType}`; }
    case 9: { const t = pick(r, g.initializer as Obj[]); if (t.rawData) t.rawData = t.rawData.subarray(0, int(r, 0, t.rawData.length)); return `initializer '${t.name}' raw_data cut`; }
    case 10: {
      const dim = g.input[0].type.tensorType.shape.dim;
      const k = int(r, 0, 3);
      dim[k] = r.uniform() < 0.3 ? { dimParam: 'd' } : { dimValue: pick(r, [0, 1, 2, 3, 4, 5, 7, 31, 33, 500, 70000]) };
      return `input dim ${k} -> ${JSON.stringify(dim[k])}`;
    }
    case 11: g.input[0].type.tensorType.elemType = pick(r, [0, 7, 10, 11]); return 'input elemType';
    case 12: g.output[0].name = pick(r, [...names, 'nowhere', g.input[0].name]); return `output -> '${g.output[0].name}'`;
    default: model.opsetImport = [{ domain: pick(r, ['', 'ai.onnx', 'com.microsoft']), version: int(r, 9, 19) }]; return `opset ${JSON.stringify(model.opsetImport)}`;
  }
}

const decodedFixtures = fixtures.map((f) => decodeModel(f.bytes));

function fieldVariant(i: number): { fixture: Fixture; changes: string[]; bytes: Uint8Array } {
  const r = new Random(SEED + 1 + i * 104729);
  const k = i % fixtures.length;
  const model = structuredClone(decodedFixtures[k]);
  const changes: string[] = [];
  for (let n = int(r, 1, 3); n > 0; n--) changes.push(mutateFields(model, r));
  return { fixture: fixtures[k], changes, bytes: encodeModel(model) };
}

type Outcome = 'ran' | 'skipped (over 1e9 MACs)' | `${string} at ${'load' | 'compile' | 'run'}`;

interface Result {
  i: number;
  kind: string;
  fixture: string;
  outcome: Outcome;
  ms: number;
  message?: string;
  stack?: string;
  typed: boolean;
}

const engines = {} as Record<Backend, Engine>;
let maxRss = 0;

beforeAll(async () => {
  engines.simd = await createEngine({ backend: 'simd' });
  engines.scalar = await createEngine({ backend: 'scalar' });
});

const inputs = new Map<string, Float32Array>();
const inputFor = (shape: number[]) => {
  const key = shape.join();
  if (!inputs.has(key)) inputs.set(key, new Random(5).fill(numel(shape), (r) => r.normal()));
  return inputs.get(key)!;
};

/** loadOnnx, then compile at the file's input size and run once; every error is caught and classified. */
function check(i: number, kind: string, fixture: Fixture, bytes: Uint8Array, backend: Backend): Result {
  const file = `${fixture.name}.v${i}.onnx`;
  let stage: 'load' | 'compile' | 'run' = 'load';
  let outcome: Outcome = 'ran';
  let message: string | undefined, stack: string | undefined;
  let typed = true;
  const t0 = performance.now();
  try {
    const graph = loadOnnx(bytes, { name: file });
    stage = 'compile';
    // The file's input size, with the reader's own choices where a dimension is symbolic.
    const [n, , h, w] = graph.source!.inputShape;
    const num = (d: number | string, fallback: number) => (typeof d === 'number' && d > 0 ? d : fallback);
    const dims: InputDims = { batch: num(n, 1), height: num(h, 224), width: num(w, 224) };
    if (complexity(graph, dims).macs > MAX_MACS) {
      outcome = 'skipped (over 1e9 MACs)';
    } else {
      const session = engines[backend].compile(graph, dims);
      try {
        stage = 'run';
        const out = session.run(inputFor(session.inputShape));
        if (!(out instanceof Float32Array) || out.length !== numel(session.outputShape)) throw new Error(`run returned ${out?.constructor?.name} of ${out?.length}, expected [${session.outputShape}]`);
      } finally {
        session.dispose();
      }
    }
  } catch (e) {
    message = (e as Error)?.message ?? String(e);
    stack = (e as Error)?.stack;
    typed = e instanceof SenetError;
    outcome = `${(e as Error)?.constructor?.name ?? typeof e} at ${stage}`;
    // A load error names the file, so a user of many models knows which one.
    if (e instanceof OnnxError && !e.message.startsWith(`${file}: `)) {
      typed = false;
      message = `OnnxError not naming the file: ${message}`;
    }
  }
  const ms = performance.now() - t0;
  const rss = process.memoryUsage().rss;
  maxRss = Math.max(maxRss, rss);
  return { i, kind, fixture: fixture.name, outcome, ms, message, stack, typed };
}

/** Prints the tally and checks the three properties: typed, fast, small. */
function summarize(label: string, results: Result[], seconds: number): Map<string, number> {
  const tally = new Map<string, number>();
  for (const r of results) tally.set(r.outcome, (tally.get(r.outcome) ?? 0) + 1);
  const slowest = [...results].sort((a, b) => b.ms - a.ms)[0];
  const messages = new Map<string, number>();
  for (const r of results) {
    if (!r.message) continue;
    const m = r.message.replace(/^[^:]*\.onnx: /, '').replace(/node '[^']*'/, "node '…'").replace(/'[^']*'/g, "'…'").replace(/\d+/g, 'N').slice(0, 110);
    messages.set(m, (messages.get(m) ?? 0) + 1);
  }
  console.log([
    `${label}: ${results.length} variants in ${seconds.toFixed(1)} s; slowest ${slowest.ms.toFixed(0)} ms (#${slowest.i}, ${slowest.kind} of ${slowest.fixture}); max rss so far ${(maxRss / 2 ** 20).toFixed(0)} MB`,
    ...[...tally].sort((a, b) => b[1] - a[1]).map(([o, n]) => `  ${String(n).padStart(4)}  ${o}`),
    `  ${messages.size} distinct messages (names and digits folded); most frequent:`,
    ...[...messages].sort((a, b) => b[1] - a[1]).slice(0, 15).map(([m, n]) => `  ${String(n).padStart(4)}  ${m}`),
  ].join('\n'));

  const untyped = results.filter((r) => !r.typed);
  const distinct = [...new Map(untyped.map((u) => [u.message, u])).values()].slice(0, 5);
  expect(untyped.length, `untyped errors, first distinct:\n${distinct.map((u) => `#${u.i} ${u.kind} of ${u.fixture} (${u.outcome}): ${u.message}\n${u.stack?.split('\n').slice(1, 4).join('\n')}`).join('\n')}`).toBe(0);
  expect(slowest.ms, `variant ${slowest.i} took ${slowest.ms.toFixed(0)} ms`).toBeLessThan(MAX_MS);
  expect(maxRss, `rss reached ${(maxRss / 2 ** 20).toFixed(0)} MB`).toBeLessThan(MAX_RSS);
  return tally;
}

const byteResults: Result[] = [];

describe('corrupted variants of the fixtures', () => {
  test(`${VARIANTS} byte-level variants: each ends in a typed SenetError or a valid result, in < 2 s, rss < 2 GB`, () => {
    const started = performance.now();
    for (let i = 0; i < VARIANTS; i++) {
      const { fixture, kind, bytes } = variant(i);
      const result = check(i, kind, fixture, bytes, i % 4 === 3 ? 'scalar' : 'simd');
      byteResults.push(result);
      expect(process.memoryUsage().rss, `after variant ${i}`).toBeLessThan(MAX_RSS);
    }
    const tally = summarize('byte-level', byteResults, (performance.now() - started) / 1000);
    // The mix exercised both paths: refused at load, and loaded and ran.
    expect(tally.get('ran') ?? 0).toBeGreaterThan(50);
    expect(tally.get('OnnxError at load') ?? 0).toBeGreaterThan(200);
  }, 120_000);

  test(`${FIELD_VARIANTS} structure-aware variants (ops, inputs, attributes, dims, types, opsets changed): same properties`, () => {
    const started = performance.now();
    const results: Result[] = [];
    for (let i = 0; i < FIELD_VARIANTS; i++) {
      const { fixture, changes, bytes } = fieldVariant(i);
      results.push(check(i, changes.join('; '), fixture, bytes, i % 4 === 3 ? 'scalar' : 'simd'));
      expect(process.memoryUsage().rss, `after field variant ${i}`).toBeLessThan(MAX_RSS);
    }
    const tally = summarize('structure-aware', results, (performance.now() - started) / 1000);
    expect(tally.get('OnnxError at load') ?? 0).toBeGreaterThan(FIELD_VARIANTS / 4);
  }, 120_000);
});

// ---------------------------------------------------------------------------------------------
// 20 variants through the CLI, as a user would meet them

const CLI = new URL('../dist/cli.js', import.meta.url).pathname;
const exec = promisify(execFile);

async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await exec('node', [CLI, ...args], { timeout: 20_000 });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

describe('20 variants through the CLI (node dist/cli.js info / run)', () => {
  test('exit 0, or exit non-zero with one line on stderr starting "senet-wasm:" and no stack trace', async () => {
    expect(existsSync(CLI), `${CLI} is missing: run 'node scripts/build.mjs' (npm test does)`).toBe(true);
    // Ten that loaded and ten that were refused (from the run above when there was one, else by loading here).
    const loads = (i: number) => {
      const r = byteResults.find((x) => x.i === i);
      if (r) return r.outcome !== 'OnnxError at load';
      try { loadOnnx(variant(i).bytes); return true; } catch { return false; }
    };
    const picked: number[] = [];
    for (const want of [true, false]) {
      for (let i = 0, n = 0; i < VARIANTS && n < 10; i += 7) if (loads(i) === want) { picked.push(i); n++; }
    }
    expect(picked.length).toBe(20);
    const dir = mkdtempSync(join(tmpdir(), 'senet-onnx-fuzz-'));
    const checks: { i: number; cmd: string; code: number; stderr: string }[] = [];
    // Two at a time: the machine has two cores.
    for (let k = 0; k < picked.length; k += 2) {
      await Promise.all(picked.slice(k, k + 2).map(async (i) => {
        const { fixture, bytes } = variant(i);
        const file = join(dir, `${fixture.name}.v${i}.onnx`);
        writeFileSync(file, bytes);
        const info = await cli('info', file);
        const run = await cli('run', file, '--input', fixture.inputPath, '--output', join(dir, `out${i}.npy`), '--backend', 'simd');
        checks.push({ i, cmd: 'info', code: info.code, stderr: info.stderr }, { i, cmd: 'run', code: run.code, stderr: run.stderr });
      }));
    }
    for (const c of checks) {
      const what = `variant ${c.i} ${c.cmd}: exit ${c.code}, stderr ${JSON.stringify(c.stderr)}`;
      if (c.code === 0) continue;
      expect(c.code, what).toBe(1);
      const lines = c.stderr.trimEnd().split('\n');
      expect(lines.length, what).toBe(1);
      expect(lines[0], what).toMatch(/^senet-wasm: \S/);
      expect(c.stderr, what).not.toMatch(/\n\s+at /);
    }
    const failed = checks.filter((c) => c.code !== 0).length;
    console.log(`CLI: ${checks.length} runs over ${picked.length} variants, ${failed} exited 1 with a one-line senet-wasm: message, ${checks.length - failed} exited 0`);
    expect(failed).toBeGreaterThanOrEqual(20); // the ten refused files, info and run each
  }, 120_000);
});
