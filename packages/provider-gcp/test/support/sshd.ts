import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { isSameProcessRunning, processStartTime, stopHostProcess } from '@continuum/plugin-api';

/**
 * A real OpenSSH server on 127.0.0.1 standing in for the VMs' sshd (apt: openssh-server). It
 * accepts the keys written to `authorizedKeys` for the current user; commands run on this host.
 */
export interface TestSshd {
  port: number;
  user: string;
  authorizedKeys: string;
  addKey(line: string): void;
  stop(): Promise<void>;
}

const SSHD = '/usr/sbin/sshd';

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

async function waitForPort(port: number, deadline: number): Promise<void> {
  while (Date.now() < deadline) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = createConnection({ host: '127.0.0.1', port }, () => {
        s.end();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`sshd did not listen on ${port}`);
}

export async function startSshd(dir: string): Promise<TestSshd> {
  if (!existsSync(SSHD)) throw new Error(`${SSHD} is missing: apt-get install -y openssh-server`);
  mkdirSync(dir, { recursive: true });
  // Privilege separation directory the Debian sshd insists on (only creatable as root).
  if (process.getuid?.() === 0) mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  const hostKey = join(dir, 'host_ed25519');
  if (!existsSync(hostKey)) execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', hostKey]);
  const authorizedKeys = join(dir, 'authorized_keys');
  writeFileSync(authorizedKeys, '', { mode: 0o600 });
  const port = await freePort();
  const config = join(dir, 'sshd_config');
  writeFileSync(
    config,
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${hostKey}`,
      `AuthorizedKeysFile ${authorizedKeys}`,
      `PidFile ${join(dir, 'sshd.pid')}`,
      'StrictModes no',
      'UsePAM no',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'PubkeyAuthentication yes',
      'PermitRootLogin prohibit-password',
      'Subsystem sftp internal-sftp',
      'MaxStartups 100:30:200',
      'LogLevel ERROR',
      '',
    ].join('\n'),
  );
  const child = spawn(SSHD, ['-D', '-e', '-f', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const pid = child.pid as number;
  const startTime = processStartTime(pid);
  const ref = { pid, ...(startTime !== undefined ? { startTime } : {}) };
  try {
    await waitForPort(port, Date.now() + 10_000);
  } catch (error) {
    if (isSameProcessRunning(ref)) await stopHostProcess(ref, 1000);
    throw new Error(`${(error as Error).message}: ${stderr}`);
  }
  return {
    port,
    user: userInfo().username,
    authorizedKeys,
    addKey: (line) => writeFileSync(authorizedKeys, `${line.trim()}\n`, { flag: 'a' }),
    stop: async () => {
      if (isSameProcessRunning(ref)) {
        try {
          process.kill(pid, 'SIGTERM');
        } catch {
          // gone
        }
        for (let i = 0; i < 50 && isSameProcessRunning(ref); i++) await new Promise((r) => setTimeout(r, 50));
        if (isSameProcessRunning(ref)) process.kill(pid, 'SIGKILL');
      }
    },
  };
}
