import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { ContinuumError } from '@continuum/plugin-api';
import { run } from '../exec.js';
import { processQuotaUs, CPU_PERIOD_US } from '../units.js';
import type { VmSpec } from './spec.js';
import { qemuArgs } from './spec.js';

const CPU_CGROUP_ROOT = '/sys/fs/cgroup/cpu';
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export function readPid(pidfile: string): number | undefined {
  try {
    const pid = Number(readFileSync(pidfile, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** True when `pid` is a QEMU process of this domain (guards against a recycled PID). */
export function isOurQemu(pid: number, domain: string): boolean {
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    const i = cmdline.indexOf('-name');
    return i >= 0 && (cmdline[i + 1] ?? '').startsWith(`${domain},`);
  } catch {
    return false;
  }
}

export function runningQemuPid(vm: Pick<VmSpec, 'pidfile' | 'domain'>): number | undefined {
  const pid = readPid(vm.pidfile);
  return pid !== undefined && isOurQemu(pid, vm.domain) ? pid : undefined;
}

/** Starts QEMU daemonized (returns once the pidfile exists), then applies quota and pinning. */
export async function startQemu(vm: VmSpec, cgroupName: string): Promise<number> {
  await run('qemu-system-x86_64', qemuArgs(vm), { timeoutMs: 60_000 });
  const pid = readPid(vm.pidfile);
  if (pid === undefined) {
    throw new ContinuumError(
      'QEMU_START_FAILED',
      `QEMU for ${vm.node} did not write its pidfile ${vm.pidfile}`,
      {
        hint: `See the console log ${vm.consoleLog}`,
      },
    );
  }
  if (vm.cpuQuota < 1) applyCpuQuota(cgroupName, pid, processQuotaUs(vm.cpuQuota, vm.vcpus));
  if (vm.pins.length > 0) await run('taskset', ['-a', '-p', '-c', vm.pins.join(','), String(pid)]);
  return pid;
}

/**
 * Plain QEMU has no libvirt `<cputune>`: the same bandwidth limit is a cgroup v1 CPU quota on the
 * whole QEMU process (per-vCPU share × vCPUs). All threads move with the PID (cgroup.procs).
 */
export function applyCpuQuota(cgroupName: string, pid: number, quotaUs: number): void {
  if (!existsSync(CPU_CGROUP_ROOT)) {
    throw new ContinuumError(
      'QEMU_NO_CPU_CGROUP',
      `CPU quota needs the cgroup v1 cpu controller at ${CPU_CGROUP_ROOT}`,
      {
        hint: 'Set the tier quota to 1.0, or use backend: libvirt (cputune)',
      },
    );
  }
  const dir = `${CPU_CGROUP_ROOT}/${cgroupName}`;
  mkdirSync(dir, { recursive: true });
  writeFileSync(`${dir}/cpu.cfs_period_us`, String(CPU_PERIOD_US));
  writeFileSync(`${dir}/cpu.cfs_quota_us`, String(quotaUs));
  writeFileSync(`${dir}/cgroup.procs`, String(pid));
}

export function removeCgroup(cgroupName: string): void {
  const dir = `${CPU_CGROUP_ROOT}/${cgroupName}`;
  if (!existsSync(dir)) return;
  try {
    rmdirSync(dir);
  } catch {
    // still has tasks (a QEMU that is shutting down); teardown retries after killing
  }
}

/** SIGTERM the recorded QEMU (only if it is still ours), SIGKILL after graceMs. */
export async function stopQemu(vm: Pick<VmSpec, 'pidfile' | 'domain'>, graceMs = 3000): Promise<void> {
  const pid = runningQemuPid(vm);
  if (pid === undefined) return;
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline && isOurQemu(pid, vm.domain)) await sleep(50);
  if (isOurQemu(pid, vm.domain)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone meanwhile
    }
    for (let i = 0; i < 60 && isOurQemu(pid, vm.domain); i++) await sleep(50);
  }
}
