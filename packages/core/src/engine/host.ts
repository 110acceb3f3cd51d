import { availableParallelism, totalmem } from 'node:os';
import type { HostInfo } from '@continuum/plugin-api';

export function hostInfo(): HostInfo {
  return {
    isRoot: process.getuid?.() === 0,
    cores: availableParallelism(),
    memoryMiB: Math.floor(totalmem() / 1024 / 1024),
    platform: process.platform,
  };
}
