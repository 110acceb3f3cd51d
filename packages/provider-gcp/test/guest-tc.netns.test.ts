import { execFileSync, spawnSync } from 'node:child_process';
import { resolveLinks, runTag } from '@continuum/plugin-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { guestTcCommands, guestTcResetCommand, tcBatch } from '@continuum/plugin-api';

/**
 * The generated argv lists run through the real `tc` inside a network namespace that stands in
 * for a guest, so a syntax error in a class, filter or netem line fails here, not on a VM.
 * Needs root (network namespaces). This host kernel has no sch_netem (machine-probes.md), so the
 * netem lines must fail only with "unknown qdisc" here; on a kernel with netem they must succeed.
 */
const isRoot = process.getuid?.() === 0;
const ns = `cgcp-${runTag(`t-${process.pid.toString(36)}`)}`;
const run = (argv: string[]): { code: number; out: string; err: string } => {
  const r = spawnSync('ip', ['netns', 'exec', ns, ...argv], { encoding: 'utf8' });
  return { code: r.status ?? 1, out: r.stdout, err: r.stderr };
};

describe.skipIf(!isRoot)('guest tc commands on a real kernel (network namespace, needs root)', () => {
  beforeAll(() => {
    execFileSync('ip', ['netns', 'add', ns]);
    execFileSync('ip', ['-n', ns, 'link', 'add', 'ens4', 'type', 'veth', 'peer', 'name', 'peer0']);
    execFileSync('ip', ['-n', ns, 'addr', 'add', '10.0.0.2/16', 'dev', 'ens4']);
    execFileSync('ip', ['-n', ns, 'link', 'set', 'ens4', 'up']);
    execFileSync('ip', ['-n', ns, 'link', 'set', 'peer0', 'up']);
  });
  afterAll(() => {
    spawnSync('ip', ['netns', 'del', ns]);
  });

  it('accepts the htb classes and u32 filters, and the netem lines where the kernel has netem', () => {
    const links = resolveLinks('5g', { 'edge-endpoint': { lossPct: 1 } }, ['cloud', 'edge', 'endpoint']);
    const peers = [
      { address: '10.0.0.3', tier: 'cloud' as const },
      { address: '10.0.1.2', tier: 'edge' as const },
      { address: '10.0.1.3', tier: 'edge' as const },
      { address: '10.0.2.2', tier: 'endpoint' as const },
    ];
    let netemMissing = false;
    for (const argv of guestTcCommands({
      iface: 'ens4',
      self: { address: '10.0.0.2', tier: 'cloud' },
      peers,
      links,
    })) {
      const r = run(argv);
      if (argv.includes('netem')) {
        if (r.code !== 0) {
          expect(r.err).toMatch(/Specified qdisc kind is unknown/);
          netemMissing = true;
        }
        continue;
      }
      expect({ argv: argv.join(' '), code: r.code, err: r.err }).toEqual({
        argv: argv.join(' '),
        code: 0,
        err: '',
      });
    }
    const classes = run(['tc', 'class', 'show', 'dev', 'ens4']).out;
    expect(classes).toMatch(/class htb 1:1 root .*rate 1Gbit/);
    expect(classes).toMatch(/class htb 1:3 root .*rate 29660Kbit/);
    const filters = run(['tc', 'filter', 'show', 'dev', 'ens4']).out;
    expect(filters.match(/flowid 1:2/g)?.length).toBe(2);
    expect(filters).toMatch(/match 0a000202\/ffffffff at 16/);
    if (!netemMissing) {
      expect(run(['tc', 'qdisc', 'show', 'dev', 'ens4']).out).toMatch(
        /netem 30: parent 1:3 .*delay 45ms\s+5ms/,
      );
    }
    expect(run(guestTcResetCommand('ens4')).code).toBe(0);
    expect(run(['tc', 'class', 'show', 'dev', 'ens4']).out).toBe('');
    // The batch form the provider sends over SSH is accepted too (netem lines left out here when the kernel lacks it).
    const commands = guestTcCommands({
      iface: 'ens4',
      self: { address: '10.0.0.2', tier: 'cloud' },
      peers,
      links,
    }).filter((c) => !netemMissing || !c.includes('netem'));
    const batch = spawnSync('ip', ['netns', 'exec', ns, 'tc', '-batch', '-'], {
      input: tcBatch(commands),
      encoding: 'utf8',
    });
    expect([batch.status, batch.stderr]).toEqual([0, '']);
    expect(run(['tc', 'filter', 'show', 'dev', 'ens4']).out.match(/flowid 1:2/g)?.length).toBe(2);
  });
});
