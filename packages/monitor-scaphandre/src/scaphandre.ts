import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';

/**
 * The real scaphandre path (RAPL on the host). On QEMU each VM gets its own share of the host
 * power: `scaphandre qemu` on the host writes per-domain energy counters into
 * <sharesDir>/<domain>, that folder is exported into the guest with virtiofs, and
 * `scaphandre --vm prometheus` inside the guest serves it. The host's own power comes from
 * `scaphandre prometheus` on the host. These helpers generate every piece; the provider adds the
 * domain XML / QEMU arguments when it creates the VM (a virtiofs device must exist at boot).
 */

/** RAPL is usable when its energy counter can actually be read (detect by trying). */
export function probeRapl(
  path = '/sys/class/powercap/intel-rapl:0/energy_uj',
): { ok: true; microjoules: number } | { ok: false; reason: string } {
  try {
    const v = Number(readFileSync(path, 'utf8').trim());
    return Number.isFinite(v)
      ? { ok: true, microjoules: v }
      : { ok: false, reason: `${path} is not a number` };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return {
      ok: false,
      reason:
        code === 'ENOENT'
          ? `no RAPL powercap zone on this host (${path} missing: VM, AMD without the driver, or container)`
          : `cannot read ${path}: ${code ?? (error as Error).message}`,
    };
  }
}

export function probeBinary(
  binary: string,
): Promise<{ ok: true; version: string } | { ok: false; reason: string }> {
  return new Promise((resolvePromise) => {
    execFile(binary, ['--version'], { timeout: 10000 }, (error, stdout) => {
      if (error)
        resolvePromise({
          ok: false,
          reason:
            (error as NodeJS.ErrnoException).code === 'ENOENT'
              ? `${binary} is not installed`
              : `${binary} --version failed: ${error.message}`,
        });
      else resolvePromise({ ok: true, version: stdout.trim() });
    });
  });
}

export const hostExporterCommand = (binary: string, port: number): string[] => [
  binary,
  'prometheus',
  '--address',
  '127.0.0.1',
  '--port',
  String(port),
];
/** Writes per-domain energy counters for every running QEMU/libvirt domain into the shares folder. */
export const qemuExporterCommand = (binary: string): string[] => [binary, 'qemu'];
/** Inside a guest: serve the energy the host wrote into the virtiofs share. */
export const guestExporterCommand = (binary: string, port: number): string[] => [
  binary,
  '--vm',
  'prometheus',
  '--address',
  '0.0.0.0',
  '--port',
  String(port),
];

const xmlAttr = (v: string): string =>
  v
    .replace(/&/g, '&amp;')
    .replace(/'/g, '&apos;')
    .replace(/"/g, '&quot;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;');

/** libvirt domain XML pieces: shared memory backing (virtiofs needs it) and the filesystem device. */
export function virtiofsDomainXml(options: {
  domain: string;
  sharesDir: string;
  tag?: string;
  virtiofsd?: string;
}): { memoryBacking: string; filesystem: string } {
  const tag = options.tag ?? 'scaphandre';
  return {
    memoryBacking: "<memoryBacking><source type='memfd'/><access mode='shared'/></memoryBacking>",
    filesystem: [
      "<filesystem type='mount' accessmode='passthrough'>",
      "  <driver type='virtiofs'/>",
      ...(options.virtiofsd !== undefined ? [`  <binary path='${xmlAttr(options.virtiofsd)}'/>`] : []),
      `  <source dir='${xmlAttr(`${options.sharesDir}/${options.domain}`)}'/>`,
      `  <target dir='${xmlAttr(tag)}'/>`,
      '  <readonly/>',
      '</filesystem>',
    ].join('\n'),
  };
}

/** Plain QEMU (no libvirt): the virtiofsd daemon per VM and the QEMU arguments that attach it. */
export function virtiofsdCommand(virtiofsd: string, socket: string, sharedDir: string): string[] {
  return [
    virtiofsd,
    `--socket-path=${socket}`,
    `--shared-dir=${sharedDir}`,
    '--cache=never',
    '--sandbox=none',
  ];
}

export function qemuVirtiofsArgs(socket: string, memoryMiB: number, tag = 'scaphandre'): string[] {
  return [
    '-chardev',
    `socket,id=scaph-fs,path=${socket}`,
    '-device',
    `vhost-user-fs-pci,chardev=scaph-fs,tag=${tag}`,
    '-object',
    `memory-backend-memfd,id=scaph-mem,size=${memoryMiB}M,share=on`,
    '-numa',
    'node,memdev=scaph-mem',
  ];
}

/** Guest side, run at boot (cloud-init runcmd or fstab). */
export function guestMountCommand(mountPoint: string, tag = 'scaphandre'): string[] {
  return [
    'sh',
    '-c',
    'mkdir -p "$1" && (mountpoint -q "$1" || mount -t virtiofs "$2" "$1")',
    'mount-scaphandre',
    mountPoint,
    tag,
  ];
}
export const guestFstabLine = (mountPoint: string, tag = 'scaphandre'): string =>
  `${tag} ${mountPoint} virtiofs ro,nofail 0 0`;

/** Host power (W) from a scaphandre Prometheus exporter's text (scaph_host_power_microwatts). */
export function parseScaphandrePower(text: string): number | null {
  for (const line of text.split('\n')) {
    const m = /^scaph_host_power_microwatts(?:\{[^}]*\})?\s+([0-9.eE+-]+)/.exec(line);
    if (m) return Number(m[1]) / 1e6;
  }
  return null;
}
