import { defineProject } from 'vitest/config';

export default defineProject({ test: { name: 'rm-kubernetes', include: ['test/**/*.test.ts'] } });
