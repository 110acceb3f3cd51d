import { defineProject } from 'vitest/config';

export default defineProject({ test: { name: 'provider-gcp', include: ['test/**/*.test.ts'] } });
