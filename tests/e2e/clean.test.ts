// `continuum clean`: a run whose state file is gone is still removed completely, found by its tag.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = new URL('../..', import.meta.url).pathname;
const cli = join(root, 'packages/core/bin/run.js');
const isRoot = process.getuid?.() === 0;
const dir = mkdtempSync(join(tmpdir(), 'continuum-e2e-clean-'));
const run = (...args: string[]) =>
  spawnSync(process.execPath, [cli, ...args], {
    cwd: dir,
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, XDG_DATA_HOME: join(dir, 'xdg') },
  });
const leftovers = (tag: string): string[] =>
  [
    spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout,
    spawnSync('ip', ['-o', 'link'], { encoding: 'utf8' }).stdout,
  ]
    .join('\n')
    .split('\n')
    .filter((l) => l.includes(`ct-${tag}-`) || l.includes(`ct${tag}`));

let runId = '';
afterAll(() => {
  if (runId !== '') run('clean', runId, '--provider', 'local');
  rmSync(dir, { recursive: true, force: true });
});

describe.runIf(isRoot)('continuum clean', () => {
  it('removes a kept run whose run directory was deleted, by its tag alone', () => {
    writeFileSync(
      join(dir, 'c.yaml'),
      'infrastructure:\n  endpoint: { nodes: 2, cores: 1, memory: 0.25, quota: 0.5 }\n  network: { emulation: true }\nprovider: { use: local }\n',
    );
    const up = run('up', 'c.yaml');
    expect(up.status, up.stderr).toBe(0);
    runId = readdirSync(join(dir, '.continuum', 'runs'))[0] as string;
    const tag = runId.split('-').at(-1) as string;
    expect(leftovers(tag).length).toBeGreaterThan(0);

    const dry = run('clean', runId, '--dry-run');
    expect(dry.stdout).toMatch(new RegExp(`local: would remove netns ct-${tag}-hub`));
    expect(leftovers(tag).length).toBeGreaterThan(0);

    rmSync(join(dir, '.continuum'), { recursive: true, force: true });
    const noProvider = run('clean', runId);
    expect(noProvider.status).toBe(2);
    expect(noProvider.stderr).toMatch(/--provider/);

    const clean = run('clean', runId, '--provider', 'local');
    expect(clean.status, clean.stderr).toBe(0);
    expect(clean.stdout).toMatch(/removed relay pid/);
    expect(leftovers(tag)).toEqual([]);
    runId = '';
  });
});
