// The edge worker (examples/edge-worker) in workerd, through miniflare on 127.0.0.1, without
// nodejs_compat: bundled from this checkout's built package with the worker conditions, its wasm
// imported as a CompiledWasm module and its model as a Data module, as wrangler deploys it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { connect } from 'node:net';
import { join } from 'node:path';
import { ReadableStream } from 'node:stream/web';
import type { Miniflare, RequestInit, Response } from 'miniflare';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { ClassScore } from '../src/image/index.js';
import { bundleWorker, differs, load, nodeAnswers, samples, startWorker, wranglerToml, wrongReplies, type Answer } from '../bench/edge.js';

const images = samples();
const WORKER = 'http://localhost/';
let dir: string, mf: Miniflare, address: string, expected: Map<string, ClassScore[]>;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'senet-edge-'));
  ({ mf } = await startWorker(await bundleWorker(dir)));
  address = (await mf.ready).href;
  expected = await nodeAnswers(images);
});
afterAll(async () => {
  await mf?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

/**
 * A POST on a socket that declares `contentLength` bytes, sends `head` and waits for the answer
 * (fetch would not send a Content-Length its body does not have).
 */
function rawPost(head: Uint8Array, contentLength: number): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(address);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => {
      socket.write(`POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: ${contentLength}\r\n\r\n`);
      socket.write(head);
    });
    let text = '';
    socket.on('data', (d) => {
      text += d;
      const [headers, body] = text.split('\r\n\r\n', 2);
      const length = /^content-length: (\d+)$/im.exec(headers)?.[1];
      if (length === undefined || body === undefined || Buffer.byteLength(body) < Number(length)) return;
      socket.destroy();
      resolve({ status: Number(headers.split(' ')[1]), body });
    });
    socket.on('error', reject);
    socket.setTimeout(10_000, () => {
      socket.destroy();
      reject(new Error('no answer in 10 s: the worker waits for the body it was told of'));
    });
  });
}

const post = (body: RequestInit['body'], init: RequestInit = {}) => mf.dispatchFetch(WORKER, { method: 'POST', body, ...init });

describe('the edge worker in workerd', () => {
  test('deployed as tested: no compatibility flags (nodejs_compat among them), .onnx as Data', () => {
    const toml = wranglerToml();
    expect(toml).not.toMatch(/compatibility_flags/);
    expect(toml).toMatch(/\[\[rules\]\]\ntype = "Data"\nglobs = \["\*\*\/\*\.onnx"\]/);
  });

  test('every sample: Node\'s top-5 (same labels, probabilities within 1e-5), from the SIMD build', async () => {
    expect(images.size).toBe(10);
    for (const [name, bytes] of images) {
      const res = await post(bytes);
      expect(res.status, name).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      const answer = await res.json() as Answer;
      expect(differs(answer.top, expected.get(name)!), name).toBeUndefined();
      expect(answer.backend).toBe('simd');
      expect(answer.ms).toBeGreaterThanOrEqual(0);
    }
  });

  test('refusals are 4xx JSON errors, and the worker keeps serving', async () => {
    const refused = async (res: Response, status: number, error: RegExp) => {
      expect(res.status).toBe(status);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expect(await res.json()).toEqual({ error: expect.stringMatching(error) });
      return res;
    };
    const get = await refused(await mf.dispatchFetch(WORKER), 405, /^POST a PNG or JPEG image as the request body/);
    expect(get.headers.get('allow')).toBe('POST');
    await refused(await post(new Uint8Array(0)), 400, /^request body: empty file$/);
    await refused(await post(new TextEncoder().encode('{"image": "shirt.png"}')), 400, /^request body: not a PNG or JPEG image$/);
    const png = images.get('6-shirt.png')!;
    await refused(await post(png.subarray(0, 60)), 400, /^request body: not a readable PNG/);
    // Past 4 MB, refused before decoding (as a PNG, these bytes would be a 400). By its
    // Content-Length, before the body is read: the answer comes while the client has sent only
    // the PNG's first bytes (a client still sending the rest would see the connection reset).
    const early = await rawPost(png.subarray(0, 100), 5_000_000);
    expect(early.status).toBe(413);
    expect(JSON.parse(early.body)).toEqual({ error: 'Content-Length 5000000 is over the limit of 4194304 bytes' });
    // Without one (a stream), as the bytes arrive.
    const big = new Uint8Array(4 * 1024 * 1024 + 1);
    big.set(png);
    const streamed = new ReadableStream<Uint8Array>({
      start(c) {
        for (let at = 0; at < big.length; at += 65536) c.enqueue(big.slice(at, at + 65536));
        c.close();
      },
    });
    await refused(await post(streamed, { duplex: 'half' }), 413, /^the body is over the limit of 4194304 bytes$/);

    const good = await post(png);
    expect(good.status).toBe(200);
    expect(differs((await good.json() as Answer).top, expected.get('6-shirt.png')!)).toBeUndefined();
  });

  test('1,000 requests, 8 at a time: each its own sample\'s answer, the wasm memory flat after the first', async () => {
    const [first] = (await load(mf, images, 1, 1)).replies;
    const { replies } = await load(mf, images, 1000, 8);
    expect(wrongReplies(replies, expected)).toEqual([]);
    expect(first.wasmMemory).toBeGreaterThan(0);
    expect(new Set(replies.map((r) => r.wasmMemory))).toEqual(new Set([first.wasmMemory]));
  });
});
