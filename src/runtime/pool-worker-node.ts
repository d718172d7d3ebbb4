// The Node pool's worker (dist/pool-worker-node.js, started by pool-node.ts).
import { parentPort, workerData } from 'node:worker_threads';
import type { WorkerStart } from './pool.js';
import { serve } from './pool-serve.js';

serve(workerData as WorkerStart, () => parentPort!.postMessage('ready'));
