import { ContinuumError } from '@continuum/plugin-api';
import type { ExternalHost } from '../config.js';
import { names } from '../naming.js';
import { vxlanCommands } from './host-net.js';

/** `qemu+ssh://user@host/system` → `user@host` (the ssh target for qemu-img and ip on that host). */
export function sshTargetOf(uri: string): string {
  const m = /^qemu\+ssh:\/\/([^/?]+)\/system/.exec(uri);
  if (m?.[1] === undefined)
    throw new ContinuumError('QEMU_BAD_URI', `${uri} is not a qemu+ssh:// libvirt URI`, {
      hint: 'Use qemu+ssh://user@host/system',
    });
  return m[1];
}

/** Upstream placed VMs machine by machine; here round-robin over this machine (0) and the external hosts. */
export function placeNodes<T>(nodes: readonly T[], externalHosts: number): number[] {
  return nodes.map((_, i) => i % (externalHosts + 1));
}

export interface RemoteHostPlan {
  sshTarget: string;
  uri: string;
  /** Directory on the remote host for this run's overlays and console logs. */
  runDir: string;
  bridge: string;
  /** Commands run on the remote host (over ssh) before any VM starts. */
  setup: string[][];
  /** Commands that undo setup, recorded in the state before setup runs. */
  cleanup: string[][];
  /** Commands run on this machine: the VXLAN from our bridge to that host. */
  localSetup: string[][];
  localVxlan: string | undefined;
}

/**
 * One L2 segment across machines without touching anyone's netplan: each external host gets a
 * bridge named with the run tag, joined to this machine's bridge by a VXLAN (VNI derived from the
 * tag), unless the user names an existing bridge there that is already connected.
 */
export function remoteHostPlan(o: {
  tag: string;
  hostIndex: number;
  host: ExternalHost;
  localAddress: string;
  localBridge: string;
}): RemoteHostPlan {
  const sshTarget = sshTargetOf(o.host.uri);
  const vni = vniFor(o.tag);
  const runDir = `/var/tmp/continuum-${o.tag}`;
  const setup: string[][] = [['mkdir', '-p', runDir]];
  const cleanup: string[][] = [];
  const localSetup: string[][] = [];
  let bridge = o.host.existingBridge ?? names.bridge(o.tag);
  let localVxlan: string | undefined;
  if (o.host.existingBridge === undefined) {
    bridge = names.bridge(o.tag);
    const remoteVx = names.vxlan(o.tag, 0);
    setup.push(
      ['ip', 'link', 'add', 'name', bridge, 'type', 'bridge'],
      ['ip', 'link', 'set', bridge, 'up'],
      ...vxlanCommands(remoteVx, vni, o.localAddress, bridge),
    );
    cleanup.push(['ip', 'link', 'del', remoteVx], ['ip', 'link', 'del', bridge]);
    localVxlan = names.vxlan(o.tag, o.hostIndex + 1);
    localSetup.push(...vxlanCommands(localVxlan, vni, o.host.address, o.localBridge));
  }
  cleanup.push(['rm', '-rf', runDir]);
  return { sshTarget, uri: o.host.uri, runDir, bridge, setup, cleanup, localSetup, localVxlan };
}

/** A VXLAN network identifier from the run tag (1..16M), so concurrent runs do not share a segment. */
export function vniFor(tag: string): number {
  let h = 0;
  for (const ch of tag) h = (h * 131 + ch.charCodeAt(0)) % 16_000_000;
  return h + 1;
}

/** argv for running a command on a remote host with the system ssh client (argument array, `--` before the command). */
export function sshArgv(sshTarget: string, command: readonly string[]): string[] {
  return ['-o', 'BatchMode=yes', '-o', 'ConnectTimeout=10', sshTarget, '--', ...command];
}
