// The web pool's worker (dist/pool-worker.js, a module worker started by pool-web.ts): its start
// comes in the first message, since a Web Worker has no workerData.
import type { WorkerStart } from './pool.js';
import { serve } from './pool-serve.js';

onmessage = ({ data }: MessageEvent<WorkerStart>) => serve(data, () => postMessage('ready'));
