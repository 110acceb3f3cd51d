import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHostNode, createMemoryLogger, processStartTime, stopHostProcess } from '@continuum/plugin-api';
import { createContainerdImageDelivery, runPlaybook } from '../src/index.js';

const has = (cmd: string): boolean => {
  try {
    execFileSync(cmd, ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};

describe('runPlaybook with the real ansible-playbook (local connection)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rmk8s-ansible-'));
  const playbook = (name: string, task: string): string => {
    const p = join(dir, name);
    writeFileSync(
      p,
      `- name: Local\n  hosts: localhost\n  connection: local\n  gather_facts: false\n  tasks:\n${task}`,
    );
    return p;
  };
  it('succeeds and returns the recap', async () => {
    const p = playbook(
      'ok.yml',
      `    - name: Write a marker\n      ansible.builtin.copy:\n        content: "ok\\n"\n        dest: ${join(dir, 'marker')}\n        mode: "0644"\n`,
    );
    const log = createMemoryLogger();
    const r = await runPlaybook({ playbook: p, inventory: 'localhost,', log, logFile: join(dir, 'ok.log') });
    expect(r.recap).toEqual([expect.objectContaining({ host: 'localhost', ok: 1, changed: 1, failed: 0 })]);
    expect(readFileSync(join(dir, 'marker'), 'utf8')).toBe('ok\n');
    expect(log.lines.some((l) => l.level === 'progress' && l.message.includes('Write a marker'))).toBe(true);
  }, 60_000);
  it('fails with the fatal message and the host name', async () => {
    const p = playbook(
      'bad.yml',
      `    - name: Fail on purpose\n      ansible.builtin.command: /bin/false\n      changed_when: false\n`,
    );
    await expect(
      runPlaybook({
        playbook: p,
        inventory: 'localhost,',
        log: createMemoryLogger(),
        logFile: join(dir, 'bad.log'),
      }),
    ).rejects.toMatchObject({
      code: 'ANSIBLE_FAILED',
      message: expect.stringMatching(/bad\.yml failed on localhost: fatal: \[localhost\]: FAILED!/),
    });
  }, 60_000);
});

// The runtime image as an OCI archive imported into a real containerd (started here) and run with ctr:
// what kubelet does with imagePullPolicy Never on a node without a registry.
describe.runIf(has('containerd') && has('ctr') && process.getuid?.() === 0)(
  'runtime image into a real containerd',
  () => {
    const root = mkdtempSync('/var/tmp/ct-rmk8s-ctr-');
    const run = `/run/ct-rmk8s-${root.slice(-6)}`;
    const sock = `${run}/containerd.sock`;
    let proc: { pid: number; startTime?: string } | undefined;
    beforeAll(async () => {
      const child = spawn(
        'containerd',
        ['--root', join(root, 'root'), '--state', join(run, 'state'), '--address', sock],
        { stdio: 'ignore', detached: true },
      );
      child.unref();
      const startTime = processStartTime(child.pid as number);
      proc = { pid: child.pid as number, ...(startTime !== undefined ? { startTime } : {}) };
      for (let i = 0; i < 100 && !existsSync(sock); i++) await new Promise((r) => setTimeout(r, 100));
    }, 30_000);
    afterAll(async () => {
      if (proc !== undefined) await stopHostProcess(proc, 10_000);
      const mounts = readFileSync('/proc/self/mounts', 'utf8')
        .split('\n')
        .map((l) => l.split(' ')[1] ?? '')
        .filter((m) => m.startsWith(root) || m.startsWith(run));
      for (const m of mounts.sort((a, b) => b.length - a.length)) execFileSync('umount', ['-l', m]);
      rmSync(root, { recursive: true, force: true });
      rmSync(run, { recursive: true, force: true });
    }, 30_000);

    it('imports into the k8s.io namespace and runs node from it', async () => {
      const node = createHostNode(
        {
          name: 'cloud0',
          tier: 'cloud',
          role: 'cloud',
          address: '127.0.0.1',
          limits: { cores: 1, cpuQuota: 1, memoryMiB: 512 },
          access: { kind: 'process', shell: 'sh' },
          sharesHostFilesystem: true,
        },
        { env: { CONTAINERD_ADDRESS: sock } },
      );
      const delivery = createContainerdImageDelivery({
        cacheDir: root,
        log: createMemoryLogger(),
        nativeDirs: [],
      });
      const tag = await delivery.ensure(node);
      const ls = await node.exec(['ctr', '--namespace', 'k8s.io', 'images', 'ls', '--quiet']);
      expect(ls.stdout).toContain(`docker.io/${tag}`);
      const out = await node.exec(
        [
          'ctr',
          '--namespace',
          'k8s.io',
          'run',
          '--rm',
          `docker.io/${tag}`,
          'ct-test',
          process.execPath,
          '-e',
          'console.log("Start the application", process.version)',
        ],
        { timeoutMs: 60_000 },
      );
      expect(out.stdout.trim()).toBe(`Start the application ${process.version}`);
    }, 120_000);
  },
);
