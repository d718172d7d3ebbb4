// The demo page: picks or drops an image, or a bundled sample, hands its bytes to the worker
// (worker.ts decodes and runs it) and shows the top classes, both builds' latency and the
// excitation chart. The page itself computes nothing, so it stays responsive.
import { excitationSvg } from '../src/chart/excitations.js';
import type { ClassifyRequest, WorkerReply } from './messages.js';

// Larger files are refused before they are read: the model sees 28x28 pixels.
const MAX_BYTES = 16e6;

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const status = $<HTMLParagraphElement>('status');
const error = $<HTMLParagraphElement>('error');
const result = $<HTMLElement>('result');
const fileInput = $<HTMLInputElement>('file');
const drop = $<HTMLDivElement>('drop');

const worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
let latest = 0; // only the latest request's answer is shown
let preview = '';

function showError(message: string): void {
  status.textContent = '';
  error.textContent = message;
  error.hidden = false;
  result.hidden = true;
  result.removeAttribute('aria-busy');
}

function classify(name: string, blob: Blob): void {
  error.hidden = true;
  if (blob.size > MAX_BYTES) {
    showError(`${name} is ${(blob.size / 1e6).toFixed(1)} MB; the demo takes images up to ${MAX_BYTES / 1e6} MB.`);
    return;
  }
  const id = ++latest;
  status.textContent = `Classifying ${name}…`;
  result.setAttribute('aria-busy', 'true');
  URL.revokeObjectURL(preview);
  preview = URL.createObjectURL(blob);
  blob.arrayBuffer().then((bytes) => {
    const request: ClassifyRequest = { id, name, bytes };
    worker.postMessage(request, [bytes]);
  }, (e: Error) => showError(`${name} could not be read: ${e.message}`));
}

function cell(row: HTMLTableRowElement, text: string): void {
  row.insertCell().textContent = text;
}

function render(r: Extract<WorkerReply, { type: 'result' }>): void {
  status.textContent = `${r.name}: ${r.top[0].label} (${(100 * r.top[0].probability).toFixed(1)}%)`;
  Object.assign($<HTMLImageElement>('preview'), { src: preview, alt: r.name });
  $('preview-name').textContent = r.name;

  $('top').replaceChildren(...r.top.map((c) => {
    const li = document.createElement('li');
    const meter = Object.assign(document.createElement('meter'), { min: 0, max: 1, value: c.probability });
    const label = document.createElement('span');
    label.textContent = c.label;
    meter.setAttribute('aria-label', c.label);
    const percent = document.createElement('span');
    percent.textContent = `${(100 * c.probability).toFixed(1)}%`;
    li.append(label, meter, percent);
    return li;
  }));

  const { ms, runs, samples } = r.latency;
  const table = $<HTMLTableElement>('latency');
  const body = table.tBodies[0];
  body.replaceChildren();
  for (const backend of ['simd', 'scalar'] as const) {
    const row = body.insertRow();
    row.dataset.backend = backend;
    cell(row, backend === 'simd' ? 'SIMD' : 'scalar');
    cell(row, ms[backend] === undefined ? 'not supported by this browser' : `${ms[backend]!.toFixed(3)} ms`);
  }
  const speedup = ms.simd !== undefined && ms.scalar !== undefined ? ms.scalar / ms.simd : undefined;
  $('speedup').textContent = speedup === undefined ? '' : `SIMD is ${speedup.toFixed(2)}x as fast as scalar.`;
  $('timing-note').textContent = `Median of ${samples} timings of ${runs} runs each, the builds interleaved; ` +
    `the two builds' probabilities differ by at most ${r.buildsDiffer.toExponential(1)}.`;

  $('chart').replaceChildren(new DOMParser().parseFromString(excitationSvg(r.blocks), 'image/svg+xml').documentElement);
  result.dataset.file = r.name;
  result.hidden = false;
  result.removeAttribute('aria-busy');
}

worker.onmessage = ({ data }: MessageEvent<WorkerReply>) => {
  if (data.type === 'ready') {
    const threads = data.threads > 1 ? `${data.threads} threads`
      : `1 thread${data.isolated ? '' : ': threads need a cross-origin isolated page (COOP and COEP headers)'}`;
    if (latest === 0) status.textContent = `Ready (${data.backends.join(' and ')} builds, ${threads}).`;
  } else if (data.id === undefined || data.id === latest) {
    if (data.type === 'error') showError(data.message);
    else render(data);
  }
};
worker.onerror = (e) => showError(`The inference worker failed: ${e.message || 'its script could not be loaded'}`);
worker.onmessageerror = () => showError('The inference worker sent a message the page could not read.');
document.addEventListener('securitypolicyviolation', (e) =>
  showError(`Blocked by the Content-Security-Policy: ${e.effectiveDirective} (${e.blockedURI || 'inline'})`));

fileInput.addEventListener('change', () => {
  const file = fileInput.files?.[0];
  if (file) classify(file.name, file);
  fileInput.value = ''; // picking the same file again classifies it again
});
// The whole page takes a drop (a file dropped beside the box would otherwise replace the page).
document.addEventListener('dragover', (e) => {
  e.preventDefault();
  drop.classList.add('over');
});
document.addEventListener('dragleave', (e) => { if (!e.relatedTarget) drop.classList.remove('over'); });
document.addEventListener('drop', (e) => {
  e.preventDefault();
  drop.classList.remove('over');
  const file = e.dataTransfer?.files[0];
  if (file) classify(file.name, file);
});

async function sample(file: string): Promise<void> {
  const response = await fetch(`samples/${file}`);
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  classify(file, await response.blob());
}

// samples.json lists the bundled samples (written by scripts/build.mjs): "7-sneaker.png" and so on.
fetch('samples.json').then((r) => r.json() as Promise<string[]>).then((files) => {
  $('samples').replaceChildren(...files.map((file) => {
    const li = document.createElement('li');
    const button = document.createElement('button');
    button.type = 'button';
    const img = Object.assign(document.createElement('img'), { src: `samples/${file}`, alt: '' });
    button.append(img, file.replace(/^\d+-|\.png$/g, '').replaceAll('-', ' '));
    button.addEventListener('click', () => sample(file).catch((e: Error) => showError(`The sample ${file} could not be fetched: ${e.message}`)));
    li.append(button);
    return li;
  }));
}, (e: Error) => showError(`The list of samples could not be loaded: ${e.message}`));
