import { defineProject } from 'vitest/config';

export default defineProject({ test: { name: 'app-image-classification', include: ['test/**/*.test.ts'] } });
