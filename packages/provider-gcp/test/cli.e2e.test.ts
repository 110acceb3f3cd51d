import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startFakeCompute, type FakeCompute } from '../src/testing/fake-compute.js';
import { makeServiceAccount } from './support/credentials.js';
import { startSshd, type TestSshd } from './support/sshd.js';

/**
 * The real CLI discovers this plugin and runs validate → plan → up → down with provider gcp,
 * pointed at the local Compute stand-in and a real sshd. The CLI runs as a child process
 * (asynchronously, so the stand-in in this process keeps answering).
 */
vi.setConfig({ testTimeout: 180_000, hookTimeout: 60_000 });

const root = new URL('../../..', import.meta.url).pathname;
const cliPath = join(root, 'packages/core/bin/run.js');
const dir = mkdtempSync(join(tmpdir(), 'gcp-cli-e2e-'));
let fake: FakeCompute;
let sshd: TestSshd;

function cli(...args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cliPath, ...args], {
      cwd: dir,
      env: { ...process.env, XDG_DATA_HOME: join(dir, 'xdg-data'), XDG_CACHE_HOME: join(dir, 'xdg-cache') },
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('close', (code) => resolve({ code, output }));
  });
}

beforeAll(async () => {
  const sa = makeServiceAccount(dir, 'continuum-cli-1');
  sshd = await startSshd(join(dir, 'sshd'));
  fake = await startFakeCompute({
    project: 'continuum-cli-1',
    publicKeyPem: sa.publicKeyPem,
    natIp: () => '127.0.0.1',
    onInstanceCreated: (instance) => {
      const items =
        (instance['metadata'] as { items?: { key: string; value: string }[] } | undefined)?.items ?? [];
      const value = items.find((i) => i.key === 'ssh-keys')?.value ?? '';
      sshd.addKey(value.slice(value.indexOf(':') + 1));
    },
  });
  writeFileSync(
    join(dir, 'continuum.config.yaml'),
    [
      'infrastructure:',
      '  cloud: { nodes: 1, cores: 2, memory: 8, quota: 1.0 }',
      '  endpoint: { nodes: 2, cores: 2, memory: 1, quota: 0.5 }',
      'provider:',
      '  use: gcp',
      '  options:',
      '    project: continuum-cli-1',
      '    zone: europe-west4-a',
      `    credentials: ${sa.keyFile}`,
      `    apiEndpoint: ${fake.url}`,
      `    ipEchoUrl: ${fake.url}/ip`,
      `    sshUser: ${sshd.user}`,
      `    sshPort: ${sshd.port}`,
      '    machineTypes: { cloud: e2-standard-2, endpoint: e2-micro }',
      '',
    ].join('\n'),
  );
});

afterAll(async () => {
  await fake?.close();
  await sshd?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe.runIf(existsSync(cliPath))('continuum CLI with provider gcp (local Compute stand-in)', () => {
  it('validates, plans, brings the run up over SSH and takes it down completely', async () => {
    const validate = await cli('validate', 'continuum.config.yaml');
    expect(validate.code, validate.output).toBe(0);
    const plan = await cli('plan', 'continuum.config.yaml');
    expect(plan.code, plan.output).toBe(0);
    expect(plan.output).toMatch(/gcp-instance\s+continuum-plan-endpoint1\s+node=endpoint1/);
    expect(plan.output).toMatch(/cost-estimate\s+hourly\s+usdPerHour=0\.\d+/);

    const up = await cli('up', 'continuum.config.yaml');
    expect(up.code, up.output).toBe(0);
    expect(fake.instances.size).toBe(3);
    const runs = readdirSync(join(dir, '.continuum', 'runs'));
    expect(runs).toHaveLength(1);
    const state = readFileSync(join(dir, '.continuum', 'runs', runs[0] as string, 'state.json'), 'utf8');
    // Neither the key nor (beyond the resolved config) credentials end up in the state.
    expect(state).not.toMatch(/PRIVATE KEY|private_key/);

    const down = await cli('down');
    expect(down.code, down.output).toBe(0);
    expect([
      fake.instances.size,
      fake.disks.size,
      fake.firewalls.size,
      fake.subnetworks.size,
      fake.networks.size,
    ]).toEqual([0, 0, 0, 0, 0]);
  });
});
