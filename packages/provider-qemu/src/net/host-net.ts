import { ContinuumError } from '@continuum/plugin-api';
import { cidrOverlaps } from '../naming.js';
import { run, tryRun } from '../exec.js';

interface IpLink {
  ifname: string;
  master?: string;
  linkinfo?: { info_kind?: string };
}
interface IpAddr {
  ifname: string;
  addr_info: { family: string; local: string; prefixlen: number }[];
}

export async function linkExists(name: string): Promise<boolean> {
  const res = await tryRun('ip', ['-j', 'link', 'show', 'dev', name]);
  return res.exitCode === 0;
}

export async function listLinks(): Promise<IpLink[]> {
  const res = await run('ip', ['-j', '-d', 'link', 'show']);
  return JSON.parse(res.stdout || '[]') as IpLink[];
}

/** Fails when the subnet overlaps an address already configured on this host (another run, a LAN). */
export async function assertSubnetFree(subnet: string, ownBridge: string): Promise<void> {
  const res = await run('ip', ['-j', '-4', 'addr', 'show']);
  const addrs = JSON.parse(res.stdout || '[]') as IpAddr[];
  for (const iface of addrs) {
    if (iface.ifname === ownBridge) continue;
    for (const a of iface.addr_info) {
      if (a.family === 'inet' && cidrOverlaps(`${a.local}/${a.prefixlen}`, subnet)) {
        throw new ContinuumError(
          'QEMU_SUBNET_IN_USE',
          `The VM subnet ${subnet} overlaps ${a.local}/${a.prefixlen} on ${iface.ifname}`,
          {
            hint: 'Pick another options.prefixIP / options.middleIP for the qemu provider (another run may be using this one)',
          },
        );
      }
    }
  }
}

export async function createBridge(name: string, gatewayCidr: string): Promise<void> {
  await run('ip', ['link', 'add', 'name', name, 'type', 'bridge']);
  await run('ip', ['addr', 'add', gatewayCidr, 'dev', name]);
  await run('ip', ['link', 'set', name, 'up']);
}

export async function createTap(name: string, bridge: string): Promise<void> {
  await run('ip', ['tuntap', 'add', 'dev', name, 'mode', 'tap']);
  await run('ip', ['link', 'set', name, 'master', bridge]);
  await run('ip', ['link', 'set', name, 'up']);
}

/** VXLAN to a remote machine, enslaved to the bridge: VMs on both hosts share one L2 segment. */
export function vxlanCommands(name: string, vni: number, remote: string, bridge: string): string[][] {
  return [
    ['ip', 'link', 'add', name, 'type', 'vxlan', 'id', String(vni), 'remote', remote, 'dstport', '4789'],
    ['ip', 'link', 'set', name, 'master', bridge],
    ['ip', 'link', 'set', name, 'up'],
  ];
}

export async function deleteLink(name: string): Promise<void> {
  if (await linkExists(name)) await tryRun('ip', ['link', 'del', 'dev', name]);
}

/** nftables ruleset for options.nat: masquerade the VM subnet, in a table named with the run tag. */
export function natRuleset(table: string, subnet: string, bridge: string): string {
  return [
    `table ip ${table} {`,
    `  chain postrouting {`,
    `    type nat hook postrouting priority srcnat; policy accept;`,
    `    ip saddr ${subnet} oifname != "${bridge}" masquerade`,
    `  }`,
    `}`,
    '',
  ].join('\n');
}
