import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { run } from './exec.js';

/** Root, or CAP_NET_ADMIN (bit 12) in the effective capability set. */
export function hasNetAdmin(): boolean {
  if (process.getuid?.() === 0) return true;
  try {
    const status = readFileSync('/proc/self/status', 'utf8');
    const hex = /^CapEff:\s*([0-9a-f]+)/m.exec(status)?.[1];
    if (hex === undefined) return false;
    return (BigInt(`0x${hex}`) & (1n << 12n)) !== 0n;
  } catch {
    return false;
  }
}

export function toolAvailable(argv: readonly string[]): boolean {
  const res = spawnSync(argv[0] as string, argv.slice(1), { stdio: 'ignore', timeout: 5000 });
  return res.error === undefined && res.status === 0;
}

/**
 * Does the kernel have netem? Detected by trying, on a scratch veth pair named with the run tag
 * (recorded in state by the caller before this runs), never by looking for a module file.
 */
export async function probeNetem(scratch: [string, string]): Promise<{ available: boolean; error?: string }> {
  const [a, b] = scratch;
  await run(['ip', 'link', 'add', a, 'type', 'veth', 'peer', 'name', b]);
  try {
    const res = await run(['tc', 'qdisc', 'add', 'dev', a, 'root', 'netem', 'delay', '1ms'], {
      check: false,
    });
    return res.exitCode === 0 ? { available: true } : { available: false, error: res.stderr.trim() };
  } finally {
    await run(['ip', 'link', 'del', a], { check: false });
  }
}
