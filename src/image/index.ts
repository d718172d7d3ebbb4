// senet-wasm/image: images to network inputs and network outputs to classes, platform-free (Node,
// pages, web workers, edge runtimes). The decoders are here rather than in the main entry, which
// a page loads whole and where the browser decodes images itself.
export { decodeImage } from './decode.js';
export { IMAGENET, toTensor, type Image, type Preprocess } from './preprocess.js';
export { modelCard, topClasses, type ClassScore, type ModelCard } from './card.js';
