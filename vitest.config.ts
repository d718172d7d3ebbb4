import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Whole networks in the scalar build take seconds, and CI machines are shared 2-core VMs:
    // 5 s (vitest's default) flakes; a hang still fails within a minute.
    testTimeout: 60_000,
    setupFiles: ['test/setup.ts'],
    projects: [
      { extends: true, test: { name: 'default', exclude: ['test/relaxed.test.ts', '**/node_modules/**'] } },
      // The relaxed-SIMD build: Node 20 validates it only behind this flag (Node 22 and Chrome 114+
      // without one). The kernel sweeps and the random graphs run again on it alone, and whole
      // networks against references.
      {
        extends: true,
        test: {
          name: 'relaxed',
          include: ['test/kernels/*.test.ts', 'test/graph-fuzz.test.ts', 'test/relaxed.test.ts'],
          exclude: ['test/kernels/scalar-build.test.ts'],
          execArgv: ['--experimental-wasm-relaxed-simd'],
          env: { SENET_BACKENDS: 'relaxed' },
        },
      },
    ],
  },
});
