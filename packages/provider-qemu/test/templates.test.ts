import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { renderDomainXml, validateDomainXml } from '../src/vm/libvirt.js';
import type { VmSpec } from '../src/vm/spec.js';
import { kernelCmdline, qemuArgs } from '../src/vm/spec.js';
import { render } from '../src/templates.js';
import { createSeed } from '../src/vm/disks.js';

const dir = mkdtempSync(join(tmpdir(), 'cq-templates-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const vm = (over: Partial<VmSpec> = {}): VmSpec => ({
  node: 'cloud0',
  domain: 'cloud0_ab12cd',
  hostname: 'cloud0',
  address: '192.168.100.3',
  prefixLength: 24,
  gateway: '192.168.100.1',
  mac: '52:54:12:34:00:01',
  tap: 'ctab12cd-1',
  bridge: 'cbr-ab12cd',
  vcpus: 2,
  memoryMiB: 512,
  cpuQuota: 0.5,
  diskReadMBps: 100,
  diskWriteMBps: 50,
  pins: [],
  overlay: '/var/tmp/x/cloud0.qcow2',
  seed: undefined,
  kernel: '/images/vmlinux',
  initrd: '/images/initrd.img',
  cmdline: 'root=/dev/vda rw console=ttyS0',
  consoleLog: '/var/tmp/x/cloud0.console.log',
  pidfile: '/var/tmp/x/cloud0.pid',
  accel: 'tcg',
  tbSizeMiB: 128,
  ...over,
});

const hasValidator = existsSync('/usr/bin/virt-xml-validate');

describe('libvirt domain XML', () => {
  it.runIf(hasValidator)('validates with virt-xml-validate (TCG, direct boot, iotune, quota)', async () => {
    const xml = await renderDomainXml(vm());
    const file = join(dir, 'tcg.xml');
    writeFileSync(file, xml);
    const res = await validateDomainXml(file);
    expect(res.output).toMatch(/validates/);
    expect(res.ok).toBe(true);
    expect(xml).toContain("<domain type='qemu'>");
    expect(xml).toContain("<memory unit='KiB'>524288</memory>");
    expect(xml).toContain('<quota>50000</quota>');
    expect(xml).toContain('<read_bytes_sec>100000000</read_bytes_sec>');
    expect(xml).toContain('<write_bytes_sec>50000000</write_bytes_sec>');
    expect(xml).toContain("<model type='virtio'/>");
    expect(xml).toContain('tcg,tb-size=128');
  });
  it.runIf(hasValidator)('validates with KVM, pinning, cloud-init seed, boot from disk', async () => {
    const xml = await renderDomainXml(
      vm({
        accel: 'kvm',
        pins: [0, 1],
        seed: '/var/tmp/x/seed.iso',
        kernel: undefined,
        initrd: undefined,
        diskReadMBps: 0,
        diskWriteMBps: 0,
      }),
    );
    const file = join(dir, 'kvm.xml');
    writeFileSync(file, xml);
    const res = await validateDomainXml(file);
    expect(res.ok, res.output).toBe(true);
    expect(xml).toContain("<domain type='kvm'>");
    expect(xml).toContain("<vcpupin vcpu='1' cpuset='1'/>");
    expect(xml).toContain("<boot dev='hd'/>");
    expect(xml).not.toContain('iotune');
    expect(xml).not.toContain('qemu:commandline');
  });
  it.runIf(hasValidator)(
    'an invalid document is rejected by the validator (the check can fail)',
    async () => {
      const file = join(dir, 'bad.xml');
      writeFileSync(
        file,
        (await renderDomainXml(vm())).replace(
          "<vcpu placement='static'>2</vcpu>",
          "<vcpu placement='static'>two</vcpu>",
        ),
      );
      expect((await validateDomainXml(file)).ok).toBe(false);
    },
  );
  it('escapes values (autoescape)', async () => {
    const xml = await renderDomainXml(vm({ cmdline: 'a<b & "c"' }));
    expect(xml).toContain('a&lt;b &amp; &quot;c&quot;');
  });
});

describe('plain qemu argv', () => {
  it('uses TCG tb-size, PVH kernel, virtio, tap, pidfile and bytes/s throttling', () => {
    const args = qemuArgs(vm());
    const joined = args.join(' ');
    expect(args).toContain('tcg,tb-size=128');
    expect(joined).toContain('-kernel /images/vmlinux');
    expect(joined).toContain('-initrd /images/initrd.img');
    expect(joined).toContain('throttling.bps-read=100000000');
    expect(joined).toContain('throttling.bps-write=50000000');
    expect(joined).toContain('tap,id=n0,ifname=ctab12cd-1,script=no,downscript=no');
    expect(joined).toContain('-pidfile /var/tmp/x/cloud0.pid');
    expect(args[args.indexOf('-name') + 1]).toBe('cloud0_ab12cd,process=qemu-cloud0_ab12cd');
  });
  it('TCG uses -cpu max (SSE4.2/POPCNT for prebuilt native modules in guests)', () => {
    expect(qemuArgs(vm({ accel: 'tcg' })).join(' ')).toMatch(/-accel tcg,tb-size=\d+ -cpu max/);
  });
  it('KVM uses -accel kvm -cpu host; no throttling when limits are 0', () => {
    const args = qemuArgs(vm({ accel: 'kvm', diskReadMBps: 0, diskWriteMBps: 0 }));
    expect(args.join(' ')).toContain('-accel kvm -cpu host');
    expect(args.join(' ')).not.toContain('throttling');
  });
  it('kernel command line carries identity unless cloud-init does it', () => {
    const c = kernelCmdline({
      root: '/dev/vda',
      identity: 'cmdline',
      address: '192.168.100.2',
      prefixLength: 24,
      gateway: '192.168.100.1',
      hostname: 'cloud0',
      publicKeyBlob: 'AAAAC3Nz',
    });
    expect(c).toContain('continuum_ip=192.168.100.2/24');
    expect(c).toContain('continuum_gw=192.168.100.1');
    expect(c).toContain('continuum_key=AAAAC3Nz');
    expect(c).toContain('cloud-init=disabled');
    const ci = kernelCmdline({
      root: '/dev/vda1',
      identity: 'cloud-init',
      address: '192.168.100.2',
      prefixLength: 24,
      gateway: undefined,
      hostname: 'x',
      publicKeyBlob: 'K',
    });
    expect(ci).not.toContain('continuum_ip');
    expect(ci).toContain('cloud-init=enabled');
  });
});

describe('cloud-init NoCloud seed', () => {
  const input = {
    name: 'edge0_ab12cd',
    hostname: 'edge0',
    publicKey: 'ssh-ed25519 AAAAC3Nz continuum',
    interface: 'ens3',
    mac: '52:54:12:34:00:02',
    address: '192.168.100.4',
    prefixLength: 24,
    gateway: '192.168.100.1',
  };
  it('keys the network config by interface name and MAC, no password anywhere', async () => {
    const net = await render('network-config.njk', input);
    expect(net).toMatch(/^ {2}ens3:$/m);
    expect(net).toContain('macaddress: "52:54:12:34:00:02"');
    expect(net).toContain('addresses: [192.168.100.4/24]');
    const user = await render('user-data.njk', input);
    expect(user.startsWith('#cloud-config')).toBe(true);
    expect(user).toContain('ssh_pwauth: false');
    expect(user).toContain('lock_passwd: true');
    expect(user).not.toMatch(/chpasswd|password:/);
    expect(user).toContain('- ssh-ed25519 AAAAC3Nz continuum');
  });
  it.runIf(existsSync('/usr/bin/cloud-localds'))('packs a cidata ISO with cloud-localds', async () => {
    const seed = join(dir, 'seed.iso');
    await createSeed(dir, seed, input);
    const head = readFileSync(seed);
    expect(head.subarray(0x8001, 0x8006).toString()).toBe('CD001');
    expect(head.includes(Buffer.from('CIDATA')) || head.includes(Buffer.from('cidata'))).toBe(true);
  });
});
