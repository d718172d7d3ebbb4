// The edge worker under load: workerd (through miniflare, loopback only) serves `--requests` POSTs
// of the Fashion-MNIST samples, `--concurrency` at a time, after `--warmup` requests. Every answer
// must be Node's for its sample and the isolate's wasm memory must not grow after the warm-up.
// workerd's resident memory is reported beside the same load on a worker that only reads the body
// (what workerd itself takes on): the isolate's JS heap cannot be read from outside (no
// nodejs_compat, and the inspector does not answer HeapProfiler.collectGarbage).
//   npm run bench:edge [-- --requests 1000 --concurrency 8 --warmup 100]
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { bundleWorker, load, nodeAnswers, rssBytes, samples, startWorker, wrongReplies } from './edge.js';

const { values } = parseArgs({
  options: {
    requests: { type: 'string', default: '1000' },
    concurrency: { type: 'string', default: '8' },
    warmup: { type: 'string', default: '100' },
  },
});
const [requests, concurrency, warmup] = [values.requests, values.concurrency, values.warmup].map(Number);
const images = samples();
const mb = (b: number) => `${(b / 2 ** 20).toFixed(1)} MB`;

/** Warm-up then the measured run on `script`; workerd's RSS after each. */
async function measure(script: string) {
  const { mf, pid } = await startWorker(script);
  try {
    const warm = await load(mf, images, warmup, concurrency);
    const rssWarm = rssBytes(pid);
    const run = await load(mf, images, requests, concurrency);
    return { warm, run, rssWarm, rssRun: rssBytes(pid) };
  } finally {
    await mf.dispose();
  }
}

const dir = mkdtempSync(join(tmpdir(), 'senet-edge-'));
try {
  const expected = await nodeAnswers(images);
  const { warm, run, rssWarm, rssRun } = await measure(await bundleWorker(dir));
  writeFileSync(join(dir, 'echo.js'), 'export default { async fetch(request) { return Response.json({ bytes: (await request.arrayBuffer()).byteLength }); } };\n');
  const echo = await measure(join(dir, 'echo.js'));

  const cpu = /model name\s*:\s*(.*)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1];
  console.log(`${cpu}, ${availableParallelism()} cores, Node ${process.versions.node}, workerd through miniflare on 127.0.0.1`);
  console.log(`${requests} requests, ${concurrency} at a time, after ${warmup}: ${run.perSecond.toFixed(0)} requests/s, median ${run.medianMs.toFixed(1)} ms`);
  console.log(`  (a worker that only reads the body: ${echo.run.perSecond.toFixed(0)} requests/s, median ${echo.run.medianMs.toFixed(1)} ms)`);
  const wasm = new Set([...warm.replies.slice(-1), ...run.replies].map((r) => r.wasmMemory));
  console.log(`wasm memory: ${[...wasm].map(mb).join(', ')} through the run`);
  console.log(`workerd RSS: ${mb(rssWarm)} after the warm-up, ${mb(rssRun)} after the run (the body-reading worker: ${mb(echo.rssWarm)}, ${mb(echo.rssRun)})`);

  const wrong = wrongReplies([...warm.replies, ...run.replies], expected);
  if (wrong.length > 0) throw new Error(`${wrong.length} answers are not Node's: ${wrong.slice(0, 3).join('; ')}`);
  if (wasm.size !== 1) throw new Error('the wasm memory grew after the warm-up');
} finally {
  rmSync(dir, { recursive: true });
}
