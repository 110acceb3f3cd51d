import { describe, expect, it } from 'vitest';
import { qemuOptionsSchema } from '../src/config.js';
import { placeNodes, remoteHostPlan, sshArgv, sshTargetOf, vniFor } from '../src/net/remote.js';

describe('multi-host (external_physical_machines through qemu+ssh:// and VXLAN)', () => {
  const host = { uri: 'qemu+ssh://alice@node2/system', address: '10.0.0.2' };
  it('parses the ssh target out of the libvirt URI', () => {
    expect(sshTargetOf('qemu+ssh://alice@node2/system')).toBe('alice@node2');
    expect(() => sshTargetOf('qemu:///system')).toThrow(expect.objectContaining({ code: 'QEMU_BAD_URI' }));
  });
  it('plans a tagged bridge + VXLAN on the remote host and the matching VXLAN here, with cleanup', () => {
    const p = remoteHostPlan({
      tag: 'ab12cd',
      hostIndex: 0,
      host,
      localAddress: '10.0.0.1',
      localBridge: 'cbr-ab12cd',
    });
    const vni = String(vniFor('ab12cd'));
    expect(p.sshTarget).toBe('alice@node2');
    expect(p.bridge).toBe('cbr-ab12cd');
    expect(p.setup).toContainEqual(['ip', 'link', 'add', 'name', 'cbr-ab12cd', 'type', 'bridge']);
    expect(p.setup).toContainEqual([
      'ip',
      'link',
      'add',
      'cvxab12cd-0',
      'type',
      'vxlan',
      'id',
      vni,
      'remote',
      '10.0.0.1',
      'dstport',
      '4789',
    ]);
    expect(p.localSetup).toContainEqual([
      'ip',
      'link',
      'add',
      'cvxab12cd-1',
      'type',
      'vxlan',
      'id',
      vni,
      'remote',
      '10.0.0.2',
      'dstport',
      '4789',
    ]);
    expect(p.localSetup).toContainEqual(['ip', 'link', 'set', 'cvxab12cd-1', 'master', 'cbr-ab12cd']);
    expect(p.cleanup).toEqual([
      ['ip', 'link', 'del', 'cvxab12cd-0'],
      ['ip', 'link', 'del', 'cbr-ab12cd'],
      ['rm', '-rf', '/var/tmp/continuum-ab12cd'],
    ]);
    for (const cmd of [...p.setup, ...p.cleanup, ...p.localSetup])
      for (const a of cmd) expect(a).not.toMatch(/\s/);
  });
  it('joins an existing remote bridge without creating or deleting anything there', () => {
    const p = remoteHostPlan({
      tag: 'ab12cd',
      hostIndex: 1,
      host: { ...host, existingBridge: 'br0' },
      localAddress: '10.0.0.1',
      localBridge: 'cbr-ab12cd',
    });
    expect(p.bridge).toBe('br0');
    expect(p.localSetup).toEqual([]);
    expect(p.cleanup).toEqual([['rm', '-rf', '/var/tmp/continuum-ab12cd']]);
  });
  it('places VMs round-robin over this machine and the external hosts', () => {
    expect(placeNodes(['a', 'b', 'c', 'd', 'e'], 2)).toEqual([0, 1, 2, 0, 1]);
    expect(placeNodes(['a', 'b'], 0)).toEqual([0, 0]);
  });
  it('VNIs differ between runs and stay in range', () => {
    expect(vniFor('ab12cd')).not.toBe(vniFor('ab12ce'));
    for (const t of ['a', 'zzzzzz', '999999']) {
      expect(vniFor(t)).toBeGreaterThan(0);
      expect(vniFor(t)).toBeLessThanOrEqual(16_000_000);
    }
  });
  it('ssh argv passes the command after --', () => {
    expect(sshArgv('alice@node2', ['ip', 'link', 'del', 'x'])).toEqual([
      '-o',
      'BatchMode=yes',
      '-o',
      'ConnectTimeout=10',
      'alice@node2',
      '--',
      'ip',
      'link',
      'del',
      'x',
    ]);
  });
  it('options require localAddress when a VXLAN must reach back here', () => {
    expect(qemuOptionsSchema.safeParse({ externalHosts: [host] }).success).toBe(false);
    expect(qemuOptionsSchema.safeParse({ externalHosts: [host], localAddress: '10.0.0.1' }).success).toBe(
      true,
    );
    expect(qemuOptionsSchema.safeParse({ externalHosts: [{ ...host, existingBridge: 'br0' }] }).success).toBe(
      true,
    );
  });
});
