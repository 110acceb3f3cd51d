import { describe, expect, it } from 'vitest';
import { assertSubnetFree, natRuleset, vxlanCommands } from '../src/net/host-net.js';

describe('host networking helpers', () => {
  it('NAT ruleset masquerades only the VM subnet leaving through other interfaces, in a tagged table', () => {
    const rules = natRuleset('continuum_ab12cd', '192.168.100.0/24', 'cbr-ab12cd');
    expect(rules).toContain('table ip continuum_ab12cd {');
    expect(rules).toContain('type nat hook postrouting priority srcnat; policy accept;');
    expect(rules).toContain('ip saddr 192.168.100.0/24 oifname != "cbr-ab12cd" masquerade');
  });
  it('VXLAN commands are argument arrays', () => {
    expect(vxlanCommands('cvxab-1', 42, '10.0.0.2', 'cbr-ab')).toEqual([
      ['ip', 'link', 'add', 'cvxab-1', 'type', 'vxlan', 'id', '42', 'remote', '10.0.0.2', 'dstport', '4789'],
      ['ip', 'link', 'set', 'cvxab-1', 'master', 'cbr-ab'],
      ['ip', 'link', 'set', 'cvxab-1', 'up'],
    ]);
  });
  it('a subnet that overlaps loopback is refused; an unused one passes (reads the real host addresses)', async () => {
    await expect(assertSubnetFree('127.0.0.0/24', 'none')).rejects.toMatchObject({
      code: 'QEMU_SUBNET_IN_USE',
    });
    await expect(assertSubnetFree('10.254.253.0/24', 'none')).resolves.toBeUndefined();
  });
});
