import { findLink } from './network.js';
import { TIERS } from './topology.js';
import type { LinkSpec, Tier } from './topology.js';

/**
 * Guest-side link emulation, upstream's model (infrastructure/network.py): on the node's egress
 * interface an htb root, one htb class per destination tier with that link's rate, u32 filters
 * sending each peer address to its tier's class, and under each class a netem qdisc with the
 * link's delay, normal jitter and loss. Endpoint→endpoint traffic matches no filter and is never
 * shaped; neither is anything else (SSH from the operator, package downloads).
 *
 * Pure: returns argv lists (run them with root rights on the guest). Shared by the VM providers
 * (qemu, gcp); provider-local shapes namespaces with its own per-tier prefixes instead.
 */
export interface GuestTcInput {
  /** Egress interface on the guest (`ens4` on GCP, `ens2` under QEMU; detect, do not assume). */
  iface: string;
  self: { address: string; tier: Tier };
  /** Every other node; those in tiers without a link from self.tier are left unshaped. */
  peers: readonly { address: string; tier: Tier }[];
  links: readonly LinkSpec[];
}

/** Class minor per destination tier (1:1 cloud, 1:2 edge, 1:3 endpoint), stable across nodes. */
export function tierClass(tier: Tier): number {
  return TIERS.indexOf(tier) + 1;
}

function ms(value: number): string {
  return `${Number(value.toFixed(3))}ms`;
}

/**
 * htb's default quantum (rate / r2q) exceeds its 200000-byte cap above ~16 Mbit/s and tc warns on
 * stderr (which upstream treated as a failure); pick it explicitly within [MTU, 200000].
 */
export function htbQuantum(rateMbit: number): number {
  const bytesPerSecond = (rateMbit * 1_000_000) / 8;
  return Math.min(200_000, Math.max(1514, Math.round(bytesPerSecond / 10)));
}

/** netem arguments for a link, or undefined when it adds neither delay nor loss. */
export function netemArgs(link: Pick<LinkSpec, 'latencyMs' | 'jitterMs' | 'lossPct'>): string[] | undefined {
  const args: string[] = [];
  if (link.latencyMs > 0) {
    args.push('delay', ms(link.latencyMs));
    if (link.jitterMs > 0) args.push(ms(link.jitterMs), 'distribution', 'normal');
  }
  if (link.lossPct > 0) args.push('loss', `${Number(link.lossPct.toFixed(4))}%`);
  return args.length > 0 ? args : undefined;
}

export function guestTcCommands(input: GuestTcInput): string[][] {
  const { iface } = input;
  // replace: idempotent, so links can be re-applied without a reset first.
  const commands: string[][] = [['tc', 'qdisc', 'replace', 'dev', iface, 'root', 'handle', '1:', 'htb']];
  for (const to of TIERS) {
    const link = findLink(input.links, input.self.tier, to);
    if (link === undefined) continue;
    const peers = input.peers.filter((p) => p.tier === to && p.address !== input.self.address);
    if (peers.length === 0) continue;
    const k = tierClass(to);
    const rate = `${Number(link.rateMbit.toFixed(3))}mbit`;
    commands.push([
      'tc',
      'class',
      'add',
      'dev',
      iface,
      'parent',
      '1:',
      'classid',
      `1:${k}`,
      'htb',
      'rate',
      rate,
      'ceil',
      rate,
      'quantum',
      String(htbQuantum(link.rateMbit)),
    ]);
    for (const peer of peers) {
      commands.push([
        'tc',
        'filter',
        'add',
        'dev',
        iface,
        'parent',
        '1:',
        'protocol',
        'ip',
        'prio',
        String(k),
        'u32',
        'match',
        'ip',
        'dst',
        `${peer.address}/32`,
        'flowid',
        `1:${k}`,
      ]);
    }
    const netem = netemArgs(link);
    if (netem !== undefined) {
      commands.push([
        'tc',
        'qdisc',
        'add',
        'dev',
        iface,
        'parent',
        `1:${k}`,
        'handle',
        `${k}0:`,
        'netem',
        ...netem,
        'limit',
        '100000',
      ]);
    }
  }
  return commands;
}

/** Removes everything guestTcCommands added (exit code 2 "no such qdisc" is fine). */
export function guestTcResetCommand(iface: string): string[] {
  return ['tc', 'qdisc', 'del', 'dev', iface, 'root'];
}

/** The egress interface from `ip -o route get <addr>` output. */
export function parseRouteDevice(output: string): string | undefined {
  return /\bdev\s+(\S+)/.exec(output)?.[1];
}

/** The same commands as input for `tc -batch -` (one line each, without the leading `tc`). */
export function tcBatch(commands: readonly (readonly string[])[]): string {
  const lines = commands.map((argv) => {
    if (argv[0] !== 'tc' || argv.some((a) => /[\s"'\\#]/.test(a)))
      throw new Error(`not a plain tc command: ${argv.join(' ')}`);
    return argv.slice(1).join(' ');
  });
  return `${lines.join('\n')}\n`;
}
