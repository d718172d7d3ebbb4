import { createEngine, loadOnnxFrom } from 'senet-wasm';
import { decodeImage, modelCard, toTensor, topClasses } from 'senet-wasm/image';

const input = document.getElementById('file');
const result = document.getElementById('result');

try {
  // The wasm builds: Vite emits the .wasm files senet-wasm refers to beside itself as assets, and
  // its thread pool's worker as a chunk. Every core where the page is cross-origin isolated (the
  // server sends COOP and COEP), else one thread and a console line saying why.
  const engine = await createEngine({ threads: 'auto' });
  const model = new URL('fashion-mnist-se-resnet.int8.onnx', document.baseURI);
  const graph = await loadOnnxFrom(model);
  const card = modelCard(graph, await (await fetch(new URL('fashion-mnist-se-resnet.json', model))).json());
  const { height, width } = card.preprocess;
  const session = engine.compile(graph, { height, width });

  input.disabled = false;
  result.textContent = `Ready (${engine.backend} build, ${engine.threads} thread${engine.threads > 1 ? 's' : ''}).`;
  input.addEventListener('change', async () => {
    const file = input.files[0];
    try {
      const image = decodeImage(new Uint8Array(await file.arrayBuffer()), file.name);
      const [best] = topClasses(session.run(toTensor(image, card.preprocess)), 1, card.classes);
      result.textContent = `${file.name}: ${best.label} (${best.probability.toFixed(6)})`;
    } catch (e) {
      result.textContent = e.message;
    }
  });
} catch (e) {
  result.textContent = `senet-wasm could not start: ${e.message}`;
}
