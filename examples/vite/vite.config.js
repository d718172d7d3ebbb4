import { defineConfig } from 'vite';

// senet-wasm needs nothing here for one thread: `vite build` emits the .wasm files it finds beside
// itself (new URL('./senet-simd.wasm', import.meta.url)) as assets, and its thread pool's worker
// (new Worker(new URL('./pool-worker.js', import.meta.url))) as a chunk; Vite 8's dev server, which
// pre-bundles it into node_modules/.vite/deps/, points those URLs back into the package (the trap of
// vite #8427, where the fetch got index.html). test/vite.e2e.test.ts checks both.
// Threads need a cross-origin isolated page: the headers below for the dev server and `vite
// preview`; your host must send the same for the built site.
const isolated = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };

export default defineConfig({
  // The bundled model and its card, copied to the site's root; your own model would go in public/.
  publicDir: 'node_modules/senet-wasm/models',
  server: { headers: isolated },
  preview: { headers: isolated },
});
