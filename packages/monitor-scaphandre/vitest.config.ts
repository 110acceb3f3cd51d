import { defineProject } from 'vitest/config';

export default defineProject({ test: { name: 'monitor-scaphandre', include: ['test/**/*.test.ts'] } });
