import { defineProject } from 'vitest/config';

export default defineProject({ test: { name: 'rm-openfaas', include: ['test/**/*.test.ts'] } });
