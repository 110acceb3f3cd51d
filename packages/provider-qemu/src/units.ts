/**
 * Unit conversions in one place. Upstream documented disk limits in MB/s but wrote the number
 * unchanged into libvirt's `*_bytes_sec` (so "100" meant 100 bytes/s); here MB/s means 10^6 bytes/s.
 */
export const CPU_PERIOD_US = 100_000;

export function mbpsToBytesPerSec(mbps: number | undefined): number {
  if (mbps === undefined || !Number.isFinite(mbps) || mbps <= 0) return 0;
  return Math.round(mbps * 1_000_000);
}

export function mibToKib(mib: number): number {
  return Math.round(mib * 1024);
}

/** libvirt `<cputune><quota>`: applies to each vCPU (0.5 = every vCPU runs half of each period). */
export function vcpuQuotaUs(cpuQuota: number): number {
  return Math.round(CPU_PERIOD_US * clampQuota(cpuQuota));
}

/** cgroup v1 `cpu.cfs_quota_us` for a whole QEMU process: the per-vCPU share times the vCPU count. */
export function processQuotaUs(cpuQuota: number, cores: number): number {
  return Math.round(CPU_PERIOD_US * clampQuota(cpuQuota) * cores);
}

function clampQuota(q: number): number {
  return Math.min(1, Math.max(0.01, q));
}

/** tc wants integers to be safe across iproute2 versions: 7.21 Mbit/s → "7210kbit". */
export function tcRate(mbit: number): string {
  return `${Math.max(1, Math.round(mbit * 1000))}kbit`;
}

/** tc time values in microseconds avoid float parsing differences: 7.5 ms → "7500us". */
export function tcTime(ms: number): string {
  return `${Math.round(ms * 1000)}us`;
}

/** htb quantum (bytes): rate/r2q clamped to [MTU, 200000] so tc prints no "quantum is big/small" warnings. */
export function htbQuantum(mbit: number): number {
  const bytesPerSec = (mbit * 1_000_000) / 8;
  return Math.min(200_000, Math.max(1514, Math.round(bytesPerSec / 10)));
}
