import { defineProject } from 'vitest/config';

export default defineProject({ test: { name: 'third-party-plugin', include: ['test/**/*.test.ts'] } });
