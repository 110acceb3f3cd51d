import { defineProject } from 'vitest/config';

export default defineProject({ test: { name: 'os-mqtt', include: ['test/**/*.test.ts'] } });
