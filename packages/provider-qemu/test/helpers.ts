import { expect } from 'vitest';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

/** PIDs of processes whose command line mentions the run tag (QEMU is named `<node>_<tag>`). */
export function processesWithTag(tag: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const cmd = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (cmd.includes(`_${tag}`) && cmd.includes('qemu')) pids.push(Number(entry));
    } catch {
      // exited meanwhile
    }
  }
  return pids;
}

export function linksWithTag(tag: string): string[] {
  const out = execFileSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' });
  return out
    .split('\n')
    .map((l) => l.split(':')[1]?.trim().split('@')[0] ?? '')
    .filter((n) => n.includes(tag));
}

export function filesIn(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir) : [];
}

export const qemuTestsEnabled = process.env['CONTINUUM_QEMU_TESTS'] === '1' && process.getuid?.() === 0;

/** Typed wrappers: vitest's asymmetric matchers are `any`, which the lint rules reject in object literals. */
export const containing = (text: string): unknown => expect.stringContaining(text) as unknown;
export const matching = (re: RegExp): unknown => expect.stringMatching(re) as unknown;
