import { defineProject } from 'vitest/config';

export default defineProject({ test: { name: 'provider-qemu', include: ['test/**/*.test.ts'] } });
