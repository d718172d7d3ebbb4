// A static server for built pages (the demo, and the Vite example in its test): sirv on node:http,
// so that every response carries the headers the page is meant to run under.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import sirv from 'sirv';

/**
 * No 'unsafe-eval' (senet-wasm generates no code from strings); 'wasm-unsafe-eval' is what lets a
 * page or worker compile WebAssembly. Workers get their policy from their own script's response.
 */
export const CSP = [
  "default-src 'self'", "script-src 'self' 'wasm-unsafe-eval'", "worker-src 'self'", "style-src 'self'",
  "img-src 'self' blob: data:", "connect-src 'self'", "object-src 'none'", "base-uri 'none'", "form-action 'none'", "frame-ancestors 'none'",
].join('; ');

export const HEADERS: Record<string, string> = {
  'Content-Security-Policy': CSP,
  // Cross-origin isolation: SharedArrayBuffer, so threads; performance.now() in steps of 5 µs
  // instead of 100 µs, for the timings.
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'X-Content-Type-Options': 'nosniff',
};

export interface ServeOptions {
  port?: number;
  host?: string;
  /**
   * Answer every unknown path with index.html, as many single-page-app hosts do (a .wasm fetched from
   * a wrong path then gets HTML, not a 404: sirv's own `single` still answers 404 to paths with an
   * extension).
   */
  single?: boolean;
  /** Send COOP and COEP (default): the page is cross-origin isolated and may run threads. */
  isolated?: boolean;
}

export interface Served {
  url: string;
  close(): Promise<void>;
}

/** Serves `root` on http://host:port/ (port 0: a free one); resolves once it listens. */
export function serve(root: string, { port = 0, host = '127.0.0.1', single = false, isolated = true }: ServeOptions = {}): Promise<Served> {
  const headers = Object.entries(HEADERS).filter(([k]) => isolated || !k.startsWith('Cross-Origin'));
  const files = sirv(root, {
    dev: true, // dev: files read per request, so a rebuild shows without a restart
    setHeaders: (res) => { for (const [k, v] of headers) res.setHeader(k, v); },
  });
  const server = createServer((req, res) => files(req, res, () => {
    for (const [k, v] of headers) res.setHeader(k, v);
    if (single) res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' }).end(readFileSync(join(root, 'index.html')));
    else res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end(`${req.url}: not found\n`);
  }));
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const { port: bound } = server.address() as AddressInfo;
      resolve({
        url: `http://${host}:${bound}/`,
        close: () => new Promise((done) => { server.closeAllConnections(); server.close(() => done()); }),
      });
    });
  });
}
