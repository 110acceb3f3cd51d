import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, openSync, closeSync, readFileSync, rmSync, mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { isSameProcessRunning, processStartTime, stopHostProcess } from '@continuum/plugin-api';

/**
 * A private containerd + dockerd for tests (no systemd here): own root, state, exec-root and
 * socket, no bridge, no iptables, so nothing leaks onto the machine. Stopped by PID.
 */
export interface TestDocker {
  host: string;
  dir: string;
  stop(): Promise<void>;
}

export function dockerAvailable(): boolean {
  try {
    execFileSync('dockerd', ['--version'], { stdio: 'ignore' });
    execFileSync('containerd', ['--version'], { stdio: 'ignore' });
    return process.getuid?.() === 0;
  } catch {
    return false;
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function startTestDocker(): Promise<TestDocker> {
  const dir = mkdtempSync('/var/tmp/ct-rmdocker-');
  const id = dir.slice(-6);
  const run = `/run/ct-rmd-${id}`;
  mkdirSync(run, { recursive: true });
  const ctrSock = `${run}/containerd.sock`;
  const dockSock = `${run}/docker.sock`;
  const procs: { pid: number; startTime?: string }[] = [];
  const start = (argv: string[], log: string): void => {
    const fd = openSync(join(dir, log), 'a');
    const child = spawn(argv[0] as string, argv.slice(1), { stdio: ['ignore', fd, fd], detached: true });
    closeSync(fd);
    child.unref();
    const pid = child.pid as number;
    const startTime = processStartTime(pid);
    procs.push({ pid, ...(startTime !== undefined ? { startTime } : {}) });
  };
  const stop = async (): Promise<void> => {
    for (const p of [...procs].reverse()) await stopHostProcess(p, 10_000);
    // dockerd leaves bind mounts (exec-root/netns/default, overlay dirs): unmount ours, deepest first.
    const mounts = readFileSync('/proc/self/mounts', 'utf8')
      .split('\n')
      .map((l) => l.split(' ')[1] ?? '')
      .filter((m) => m.startsWith(`${run}/`) || m.startsWith(`${dir}/`))
      .sort((a, b) => b.length - a.length);
    for (const m of mounts) {
      try {
        execFileSync('umount', ['-l', m], { stdio: 'ignore' });
      } catch {
        // already gone
      }
    }
    rmSync(run, { recursive: true, force: true });
    // overlay2 leaves mounts only while containers run; all were removed before stop().
    rmSync(dir, { recursive: true, force: true });
  };
  start(
    [
      'containerd',
      '--root',
      join(dir, 'containerd'),
      '--state',
      join(run, 'ctr-state'),
      '--address',
      ctrSock,
    ],
    'containerd.log',
  );
  for (let i = 0; i < 80 && !existsSync(ctrSock); i++) await sleep(100);
  start(
    [
      'dockerd',
      '--containerd',
      ctrSock,
      '--data-root',
      join(dir, 'data'),
      '--exec-root',
      join(run, 'exec'),
      '--pidfile',
      join(run, 'dockerd.pid'),
      '-H',
      `unix://${dockSock}`,
      '--bridge=none',
      '--iptables=false',
      '--ip-masq=false',
      '--ip-forward=false',
    ],
    'dockerd.log',
  );
  const host = `unix://${dockSock}`;
  for (let i = 0; i < 120; i++) {
    try {
      execFileSync('docker', ['version'], { env: { ...process.env, DOCKER_HOST: host }, stdio: 'ignore' });
      return { host, dir, stop };
    } catch {
      if (!procs.every((p) => isSameProcessRunning(p))) break;
      await sleep(250);
    }
  }
  await stop();
  throw new Error(`dockerd did not come up (logs in ${dir})`);
}
