import { accessSync, constants, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tryRun } from '../exec.js';

export interface AccelDecision {
  accel: 'kvm' | 'tcg';
  reason: string;
}

/**
 * Decides KVM vs TCG by trying: a KVM guest must print the kernel banner on its serial console
 * within the timeout. The existence of /dev/kvm proves nothing (on PVM hosts the vCPU hangs in
 * 32-bit mode, machine probes P1), so a hang or silence means TCG.
 */
export async function probeKvm(kernel: string, timeoutMs = 8000): Promise<AccelDecision> {
  try {
    accessSync('/dev/kvm', constants.R_OK | constants.W_OK);
  } catch {
    return { accel: 'tcg', reason: '/dev/kvm is missing or not accessible' };
  }
  const dir = mkdtempSync(join(tmpdir(), 'continuum-kvm-probe-'));
  const log = join(dir, 'serial.log');
  try {
    const res = await tryRun(
      'qemu-system-x86_64',
      [
        '-accel',
        'kvm',
        '-cpu',
        'host',
        '-m',
        '256',
        '-display',
        'none',
        '-no-reboot',
        '-nodefaults',
        '-serial',
        `file:${log}`,
        '-kernel',
        kernel,
        '-append',
        'console=ttyS0 panic=-1 root=/dev/nonexistent',
      ],
      { timeoutMs },
    );
    const serial = readSafe(log);
    if (/Linux version/.test(serial))
      return { accel: 'kvm', reason: 'a KVM guest booted its kernel in the probe' };
    if (res.timedOut === true)
      return {
        accel: 'tcg',
        reason: `a KVM guest printed nothing within ${timeoutMs} ms (hangs on this host)`,
      };
    const why =
      res.stderr
        .trim()
        .split('\n')
        .find((l) => l.includes('qemu-system')) ??
      res.stderr.trim().split('\n')[0] ??
      'no output';
    return { accel: 'tcg', reason: `KVM guest failed${res.signal ? ` (${res.signal})` : ''}: ${why}` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function readSafe(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}
