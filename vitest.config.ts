import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Whole networks in the scalar build take seconds, and CI machines are shared 2-core VMs:
    // 5 s (vitest's default) flakes; a hang still fails within a minute.
    testTimeout: 60_000,
    setupFiles: ['test/setup.ts'],
  },
});
