// The Node pool's worker entry (dist/pool-worker-node.js, started by src/runtime/pool-node.ts for
// the Node entry): an entry of its own, so that node: modules stay in the entries and the CLI.
import { parentPort, workerData } from 'node:worker_threads';
import type { WorkerStart } from './runtime/pool.js';
import { serve } from './runtime/pool-serve.js';

serve(workerData as WorkerStart, () => parentPort!.postMessage('ready'));
