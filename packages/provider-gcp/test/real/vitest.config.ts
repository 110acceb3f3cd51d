import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// `npm run test:gcp`: the real-project check (creates billable VMs). Never part of `vitest run`.
export default defineConfig({
  test: {
    root: fileURLToPath(new URL('../..', import.meta.url)),
    include: ['test/real/*.gcp.ts'],
    testTimeout: 1_800_000,
    hookTimeout: 900_000,
    fileParallelism: false,
  },
});
