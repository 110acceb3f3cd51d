import { defineProject } from 'vitest/config';

export default defineProject({ test: { name: 'rm-kubeedge', include: ['test/**/*.test.ts'] } });
