import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createHostNode, isSameProcessRunning } from '../src/host-node.js';
import { createProcessRunner } from '../src/process-runner.js';
import type { NodeInfo } from '../src/node.js';

const info: NodeInfo = {
  name: 'n0',
  tier: 'cloud',
  role: 'cloud',
  address: '127.0.0.1',
  limits: { cores: 1, cpuQuota: 1, memoryMiB: 256 },
  access: { kind: 'process', shell: 'sh' },
  sharesHostFilesystem: true,
};

describe('host node', () => {
  it('runs commands and reports failures with the node name', async () => {
    const node = createHostNode(info, { env: { FROM_NODE: 'yes' } });
    const ok = await node.exec(['sh', '-c', 'echo $FROM_NODE'], {});
    expect(ok.stdout.trim()).toBe('yes');
    await expect(node.exec(['sh', '-c', 'echo boom >&2; exit 3'])).rejects.toThrow(/n0.*exited with 3: boom/);
    const unchecked = await node.exec(['sh', '-c', 'exit 4'], { check: false });
    expect(unchecked.exitCode).toBe(4);
  });

  it('stops a detached process tree by PID and knows when it is gone', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hostnode-'));
    const node = createHostNode(info);
    const proc = await node.spawn(['sh', '-c', 'echo started; sleep 30 & wait'], {
      logFile: join(dir, 'd.log'),
      detached: true,
    });
    expect(await node.isRunning(proc.ref)).toBe(true);
    for (let i = 0; i < 100 && !readFileSync(join(dir, 'd.log'), 'utf8').includes('started'); i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    await node.stop(proc.ref, { graceMs: 2000 });
    expect(isSameProcessRunning(proc.ref)).toBe(false);
    expect(readFileSync(join(dir, 'd.log'), 'utf8')).toContain('started');
    // A recycled PID (different start time) is never signalled.
    expect(isSameProcessRunning({ pid: process.pid, startTime: 'not-this-one' })).toBe(false);
  });

  it('runs a component through the process runner with timestamped logs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'runner-'));
    const runner = createProcessRunner([createHostNode(info)], { logDir: dir });
    const w = await runner.run({
      name: 'c1',
      node: 'n0',
      command: ['sh', '-c', 'echo one; echo two >&2; exit 0'],
    });
    const exit = await w.wait({ timeoutMs: 10000 });
    expect(exit.phase).toBe('succeeded');
    const lines = await w.logs();
    expect(lines.map((l) => l.line).sort()).toEqual(['one', 'two']);
    expect(w.timeline().map((s) => s.phase)).toEqual(['pending', 'running', 'succeeded']);
    const bad = await runner.run({ name: 'c2', node: 'n0', command: ['sh', '-c', 'exit 7'] });
    expect((await bad.wait()).reason).toBe('exit code 7');
  });
});
