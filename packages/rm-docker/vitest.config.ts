import { defineProject } from 'vitest/config';

export default defineProject({ test: { name: 'rm-docker', include: ['test/**/*.test.ts'] } });
