import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Node, NodeInfo } from '@continuum/plugin-api';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { commandLine, createSshNode, generateSshKeyPair, shellQuote, waitForSsh } from '../src/ssh-node.js';
import { startSshd, type TestSshd } from './support/sshd.js';

vi.setConfig({ testTimeout: 60_000, hookTimeout: 60_000 });

const dir = mkdtempSync(join(tmpdir(), 'gcp-ssh-test-'));
let sshd: TestSshd;
let node: Node;
let info: NodeInfo;

beforeAll(async () => {
  sshd = await startSshd(join(dir, 'sshd'));
  const key = await generateSshKeyPair('continuum-test');
  const keyFile = join(dir, 'id_ed25519');
  writeFileSync(keyFile, key.privateKey, { mode: 0o600 });
  sshd.addKey(key.publicKey);
  const hostKeySha256 = await waitForSsh(
    { host: '127.0.0.1', port: sshd.port, user: sshd.user, keyFile },
    { deadline: Date.now() + 20_000, intervalMs: 200 },
  );
  info = {
    name: 'edge0',
    tier: 'edge',
    role: 'edge',
    address: '10.0.1.2',
    limits: { cores: 1, cpuQuota: 1, memoryMiB: 512 },
    access: { kind: 'ssh', user: sshd.user, host: '127.0.0.1', port: sshd.port, keyFile, shell: '' },
    sharesHostFilesystem: false,
    details: { hostKeySha256 },
  };
  node = createSshNode(info, { remoteLogDir: join(dir, 'remote-logs') });
});

afterAll(async () => {
  await node?.dispose?.();
  await sshd?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('ssh node (ssh2 against OpenSSH)', () => {
  it('quotes arguments so nothing reaches the remote shell unquoted', async () => {
    expect(shellQuote("a'b")).toBe(`'a'\\''b'`);
    expect(commandLine(['echo', '$(id)'], { env: { A: 'x y' }, cwd: '/tmp' })).toBe(
      `cd /tmp && env 'A=x y' echo '$(id)'`,
    );
    const marker = join(dir, 'pwned');
    const res = await node.exec(['echo', `; touch ${marker}`, '$(touch x)', '`id`']);
    expect(res.stdout).toBe(`; touch ${marker} $(touch x) \`id\`\n`);
    expect(existsSync(marker)).toBe(false);
  });

  it('passes env, cwd and stdin, reports exit codes, and enforces timeouts', async () => {
    const res = await node.exec(['sh', '-c', 'pwd; echo "$V"; cat'], {
      env: { V: 'value' },
      cwd: dir,
      input: 'from stdin',
    });
    expect(res.stdout).toBe(`${dir}\nvalue\nfrom stdin`);
    const failed = await node.exec(['sh', '-c', 'echo oops >&2; exit 3'], { check: false });
    expect([failed.exitCode, failed.stderr]).toEqual([3, 'oops\n']);
    await expect(node.exec(['false'])).rejects.toMatchObject({ code: 'NODE_EXEC_FAILED' });
    const started = Date.now();
    await expect(node.exec(['sleep', '30'], { timeoutMs: 500 })).rejects.toThrow(/timed out/);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('runs many commands at once on one connection (more than sshd MaxSessions)', async () => {
    const results = await Promise.all(
      Array.from({ length: 25 }, (_, i) => node.exec(['sh', '-c', `sleep 0.2; echo ${i}`])),
    );
    expect(results.map((r) => Number(r.stdout.trim()))).toEqual(Array.from({ length: 25 }, (_, i) => i));
  });

  it('copies files and directories and fetches them back', async () => {
    const src = join(dir, 'src');
    mkdirSync(join(src, 'sub'), { recursive: true });
    writeFileSync(join(src, 'a.txt'), 'alpha');
    writeFileSync(join(src, 'sub', 'b.bin'), Buffer.from([0, 1, 2, 255]));
    const remote = join(dir, 'remote-copy', 'nested');
    await node.copy(src, remote);
    expect(readFileSync(join(remote, 'sub', 'b.bin'))).toEqual(Buffer.from([0, 1, 2, 255]));
    await node.fetch(join(remote, 'a.txt'), join(dir, 'back', 'a.txt'));
    expect(readFileSync(join(dir, 'back', 'a.txt'), 'utf8')).toBe('alpha');
  });

  it('spawns attached processes with live lines and their exit code', async () => {
    const lines: string[] = [];
    const proc = await node.spawn(['sh', '-c', 'echo one; echo two >&2; exit 4'], {
      logFile: join(dir, 'logs', 'attached.log'),
      onLine: (l, s) => lines.push(`${s}:${l}`),
    });
    expect(proc.ref.pid).toBeGreaterThan(1);
    const exit = await proc.wait();
    expect(exit.exitCode).toBe(4);
    expect(lines.sort()).toEqual(['stderr:two', 'stdout:one']);
    expect(readFileSync(join(dir, 'logs', 'attached.log'), 'utf8')).toMatch(/stdout one/);
  });

  it('spawns detached daemons that outlive the connection and stops them by PID and start time', async () => {
    const proc = await node.spawn(['sh', '-c', 'echo daemon up; exec sleep 300'], {
      logFile: join(dir, 'logs', 'daemon.log'),
      detached: true,
    });
    expect(proc.ref.startTime).toMatch(/^\d+$/);
    await node.dispose?.();
    // A new handle (another process) finds it running.
    const again = createSshNode(info, { remoteLogDir: join(dir, 'remote-logs') });
    try {
      expect(await again.isRunning(proc.ref)).toBe(true);
      // A recycled PID (different start time) is never signalled.
      expect(await again.isRunning({ ...proc.ref, startTime: '1' })).toBe(false);
      await again.stop(proc.ref, { graceMs: 1000 });
      expect(await again.isRunning(proc.ref)).toBe(false);
      // The remote log was fetched to the host path.
      expect(readFileSync(join(dir, 'logs', 'daemon.log'), 'utf8')).toMatch(/daemon up/);
      await again.stop(proc.ref);
    } finally {
      await again.dispose?.();
    }
  });

  it('refuses a host whose key changed since it was recorded', async () => {
    const impostor = createSshNode({ ...info, details: { hostKeySha256: 'AAAAnot-the-key' } });
    await expect(impostor.exec(['true'])).rejects.toMatchObject({ code: 'SSH_CONNECT_FAILED' });
  });
});
