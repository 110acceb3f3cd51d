import type { VmSpec } from './vm/spec.js';

/** Everything teardown needs, written before each resource is created (write-ahead). */
export interface QemuState {
  version: 1;
  tag: string;
  backend: 'qemu' | 'libvirt';
  libvirtUri: string;
  /** Directory holding overlays, seeds, console logs and pidfiles of this run. */
  dir: string;
  /** The bridge, if this run created it (an existing bridge is never recorded here). */
  bridge: string | undefined;
  taps: string[];
  vxlans: string[];
  nftTable: string | undefined;
  vms: (VmSpec & { cgroup: string; host: string | undefined })[];
  /** Remote hosts' cleanup commands (multi-host), run over ssh at teardown. */
  remoteCleanup: { sshTarget: string; commands: string[][] }[];
}

export function emptyState(
  tag: string,
  dir: string,
  backend: 'qemu' | 'libvirt',
  libvirtUri: string,
): QemuState {
  return {
    version: 1,
    tag,
    backend,
    libvirtUri,
    dir,
    bridge: undefined,
    taps: [],
    vxlans: [],
    nftTable: undefined,
    vms: [],
    remoteCleanup: [],
  };
}
