import { defineProject } from 'vitest/config';

export default defineProject({ test: { name: 'monitor-prometheus', include: ['test/**/*.test.ts'] } });
