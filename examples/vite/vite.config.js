import { defineConfig } from 'vite';

// senet-wasm needs nothing here: `vite build` emits the .wasm files it finds beside itself
// (new URL('./senet-simd.wasm', import.meta.url)) as assets, and Vite 8's dev server, which
// pre-bundles it into node_modules/.vite/deps/, points that URL back into the package (the trap of
// vite #8427, where the fetch got index.html). test/vite.e2e.test.ts checks both.
export default defineConfig({
  // The bundled model and its card, copied to the site's root; your own model would go in public/.
  publicDir: 'node_modules/senet-wasm/models',
});
