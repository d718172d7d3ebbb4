// `npm run demo [-- --port 8080]`: serves the built demo page (dist/demo/) on 127.0.0.1.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { serve } from './server.js';

const fail = (message: string): never => {
  console.error(`npm run demo: ${message}`);
  process.exit(1);
};

let port = 8080;
try {
  const { values } = parseArgs({ options: { port: { type: 'string', short: 'p', default: String(port) } } });
  port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`--port must be an integer from 0 to 65535, got ${values.port}`);
} catch (e) {
  fail((e as Error).message); // an unknown option or a missing value
}
// This file is bundled to dist/demo-serve.js; the page is dist/demo/.
serve(join(dirname(fileURLToPath(import.meta.url)), 'demo'), { port }).then(
  ({ url }) => console.log(`senet-wasm demo: ${url}  (Ctrl+C stops it)`),
  (e: NodeJS.ErrnoException) => fail(e.code === 'EADDRINUSE' ? `port ${port} is in use; pick another with --port` : e.message),
);
