import { mibToKib, mbpsToBytesPerSec, vcpuQuotaUs, CPU_PERIOD_US } from '../units.js';

/** Everything needed to start one VM, with either backend. Plain JSON: stored in the run state. */
export interface VmSpec {
  node: string;
  domain: string;
  hostname: string;
  address: string;
  prefixLength: number;
  gateway: string;
  mac: string;
  tap: string;
  bridge: string;
  vcpus: number;
  memoryMiB: number;
  cpuQuota: number;
  diskReadMBps: number;
  diskWriteMBps: number;
  /** Host cores to pin vCPU i to (cpuPin), else empty. */
  pins: number[];
  overlay: string;
  seed: string | undefined;
  kernel: string | undefined;
  initrd: string | undefined;
  /** Kernel command line (direct boot only). */
  cmdline: string;
  consoleLog: string;
  pidfile: string;
  accel: 'kvm' | 'tcg';
  tbSizeMiB: number;
}

/** The guest kernel command line: root disk, serial console, and identity when no cloud-init seed is used. */
export function kernelCmdline(o: {
  root: string;
  identity: 'cmdline' | 'cloud-init';
  address: string;
  prefixLength: number;
  gateway: string | undefined;
  hostname: string;
  publicKeyBlob: string;
}): string {
  const parts = [`root=${o.root}`, 'rw', 'console=ttyS0', 'quiet', 'panic=-1'];
  if (o.identity === 'cmdline') {
    parts.push(
      'cloud-init=disabled',
      // The identity unit configures eth0 itself, before udev could rename it.
      'net.ifnames=0',
      `continuum_ip=${o.address}/${o.prefixLength}`,
      `continuum_hostname=${o.hostname}`,
      `continuum_key=${o.publicKeyBlob}`,
    );
    if (o.gateway !== undefined) parts.push(`continuum_gw=${o.gateway}`);
  } else {
    parts.push('cloud-init=enabled', 'ds=nocloud');
  }
  return parts.join(' ');
}

/**
 * The plain-QEMU argv (machine probes P2 recipe): PVH direct kernel boot, virtio disk and NIC on a
 * tap, serial console into a file, daemonized with a pidfile. Disk limits go to QEMU's block
 * throttling in bytes/s, converted from MB/s (upstream passed the MB/s number as bytes/s).
 */
export function qemuArgs(vm: VmSpec): string[] {
  // TCG's default qemu64 model lacks SSE4.2/POPCNT, which prebuilt native code in guests (sharp's
  // libvips) requires: `max` exposes everything TCG can emulate.
  const accel =
    vm.accel === 'kvm'
      ? ['-accel', 'kvm', '-cpu', 'host']
      : ['-accel', `tcg,tb-size=${vm.tbSizeMiB}`, '-cpu', 'max'];
  const read = mbpsToBytesPerSec(vm.diskReadMBps);
  const write = mbpsToBytesPerSec(vm.diskWriteMBps);
  const throttle = [
    read > 0 ? `,throttling.bps-read=${read}` : '',
    write > 0 ? `,throttling.bps-write=${write}` : '',
  ].join('');
  const args = [
    '-name',
    `${vm.domain},process=qemu-${vm.domain}`,
    ...accel,
    '-machine',
    'pc',
    '-m',
    String(vm.memoryMiB),
    '-smp',
    String(vm.vcpus),
    '-display',
    'none',
    '-no-reboot',
    '-daemonize',
    '-pidfile',
    vm.pidfile,
    '-serial',
    `file:${vm.consoleLog}`,
    '-drive',
    `file=${vm.overlay},if=virtio,format=qcow2,cache=unsafe${throttle}`,
    '-netdev',
    `tap,id=n0,ifname=${vm.tap},script=no,downscript=no`,
    '-device',
    `virtio-net-pci,netdev=n0,mac=${vm.mac}`,
    // Entropy for sshd host-key generation at first boot (TCG guests gather it slowly).
    '-device',
    'virtio-rng-pci',
  ];
  if (vm.kernel !== undefined) {
    args.push('-kernel', vm.kernel, '-append', vm.cmdline);
    if (vm.initrd !== undefined) args.push('-initrd', vm.initrd);
  }
  if (vm.seed !== undefined) args.push('-drive', `file=${vm.seed},if=virtio,format=raw,readonly=on`);
  return args;
}

/** Values for templates/domain.xml.njk. */
export function domainXmlContext(vm: VmSpec, emulator: string): Record<string, unknown> {
  return {
    domainType: vm.accel === 'kvm' ? 'kvm' : 'qemu',
    name: vm.domain,
    memoryKiB: mibToKib(vm.memoryMiB),
    vcpus: vm.vcpus,
    cpuPeriodUs: CPU_PERIOD_US,
    cpuQuotaUs: vcpuQuotaUs(vm.cpuQuota),
    pins: vm.pins.map((cpu, vcpu) => ({ vcpu, cpu })),
    kernel: vm.kernel ?? '',
    initrd: vm.initrd ?? '',
    cmdline: vm.cmdline,
    emulator,
    disk: vm.overlay,
    readBytesSec: mbpsToBytesPerSec(vm.diskReadMBps),
    writeBytesSec: mbpsToBytesPerSec(vm.diskWriteMBps),
    seed: vm.seed ?? '',
    mac: vm.mac,
    bridge: vm.bridge,
    tap: vm.tap,
    consoleLog: vm.consoleLog,
    tcgTbSizeMiB: vm.accel === 'tcg' ? vm.tbSizeMiB : 0,
  };
}
