import { readFileSync } from 'node:fs';
import { ContinuumError } from '@continuum/plugin-api';

/** MemAvailable from /proc/meminfo, MiB. */
export function availableMemoryMiB(meminfo = readFileSync('/proc/meminfo', 'utf8')): number {
  const m = /^MemAvailable:\s+(\d+) kB/m.exec(meminfo);
  return m ? Math.floor(Number(m[1]) / 1024) : 0;
}

/** Refuses a topology whose VMs (guest RAM + QEMU overhead) do not fit in the host's available memory. */
export function assertMemoryFits(
  vms: readonly { node: string; memoryMiB: number }[],
  overheadMiB: number,
  availableMiB: number,
): void {
  const needed = vms.reduce((sum, vm) => sum + vm.memoryMiB + overheadMiB, 0);
  if (needed > availableMiB) {
    throw new ContinuumError(
      'QEMU_NOT_ENOUGH_MEMORY',
      `${vms.length} VMs need ${needed} MiB (guest memory + ${overheadMiB} MiB QEMU overhead each) but the host has ${availableMiB} MiB available`,
      {
        hint: 'Lower infrastructure.*_memory or the node counts, or free memory on the host',
        details: { neededMiB: needed, availableMiB },
      },
    );
  }
}

/** Host cores for vCPU pinning: sequential from core 0, like upstream; refuses oversubscription. */
export function pinPlan(coresPerVm: readonly number[], hostCores: number): number[][] {
  const total = coresPerVm.reduce((a, b) => a + b, 0);
  if (total > hostCores) {
    throw new ContinuumError(
      'QEMU_PIN_OVERSUBSCRIBED',
      `cpuPin needs ${total} host cores for the VMs' vCPUs but the host has ${hostCores}`,
      {
        hint: 'Turn options.cpuPin off or give the VMs fewer cores',
      },
    );
  }
  let next = 0;
  return coresPerVm.map((n) => Array.from({ length: n }, () => next++));
}
