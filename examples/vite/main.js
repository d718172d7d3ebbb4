import { createEngine, loadOnnxFrom } from 'senet-wasm';
import { decodeImage, modelCard, toTensor, topClasses } from 'senet-wasm/image';

const input = document.getElementById('file');
const result = document.getElementById('result');

try {
  // The wasm build: Vite emits the .wasm that senet-wasm refers to beside itself as an asset.
  const engine = await createEngine();
  const model = new URL('fashion-mnist-se-resnet.onnx', document.baseURI);
  const graph = await loadOnnxFrom(model);
  const card = modelCard(graph, await (await fetch(new URL('fashion-mnist-se-resnet.json', model))).json());
  const { height, width } = card.preprocess;
  const session = engine.compile(graph, { height, width });

  input.disabled = false;
  result.textContent = `Ready (${engine.backend} build).`;
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
