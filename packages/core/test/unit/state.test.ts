import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runTag } from '@continuum/plugin-api';
import { RunLock } from '../../src/engine/lock.js';
import { newRunId, RUN_ID_PATTERN } from '../../src/engine/run-id.js';
import { StateFile } from '../../src/engine/state.js';
import { configHash, canonicalJson } from '../../src/engine/run-engine.js';
import { configSchema } from '../../src/engine/config-schema.js';
import { resolveTopology } from '../../src/engine/topology.js';
import { tempDir } from '../helpers/tmp.js';

const config = configSchema.parse({ infrastructure: { cloud: { nodes: 1, cores: 1, memory: 1, quota: 1 } } });

function newState(dir: string): StateFile {
  return StateFile.create(dir, {
    runId: 'r',
    coreVersion: '0.1.0',
    configPath: undefined,
    configHash: configHash(config),
    config: config as never,
    topology: resolveTopology(config, false),
    status: 'running',
    keep: false,
  });
}

describe('run ids', () => {
  it('look like YYYYMMDD-HHMMSS-xxxx and carry a run tag', () => {
    const id = newRunId(new Date('2026-11-23T18:20:05Z'));
    expect(id).toMatch(RUN_ID_PATTERN);
    expect(id.startsWith('20261123-182005-')).toBe(true);
    expect(runTag(id)).toBe(id.slice(-4));
    expect(new Set(Array.from({ length: 50 }, () => newRunId())).size).toBeGreaterThan(45);
  });
});

describe('state file', () => {
  it('is written before each step starts and survives a reload in a new reader', () => {
    const dir = tempDir('continuum-state-');
    const state = newState(dir);
    const step = state.beginStep({
      kind: 'provider',
      name: 'fake',
      plugin: 'p@1',
      apiVersion: 1,
      phase: 'provision',
    });
    const onDisk = JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')) as { steps: unknown[] };
    expect(onDisk.steps[0]).toMatchObject({ kind: 'provider', name: 'fake', status: 'pending' });
    state.updateStep(step, { state: { markers: ['a'] } });
    state.updateStep(step, { status: 'done', output: { provider: 'fake' } });
    const reloaded = StateFile.load(dir);
    expect(reloaded.steps[0]).toMatchObject({
      status: 'done',
      state: { markers: ['a'] },
      output: { provider: 'fake' },
    });
    // Atomic rename leaves no temp files behind.
    expect(readdirSync(dir)).toEqual(['state.json']);
  });

  it('replaces a step of the same kind/name instead of duplicating it', () => {
    const dir = tempDir('continuum-state-');
    const state = newState(dir);
    state.beginStep({ kind: 'application', name: 'a', plugin: 'p@1', apiVersion: 1, phase: 'benchmark' });
    state.beginStep({ kind: 'application', name: 'a', plugin: 'p@1', apiVersion: 1, phase: 'benchmark' });
    expect(StateFile.load(dir).steps).toHaveLength(1);
  });

  it('refuses corrupt and foreign-version files with a hint', () => {
    const dir = tempDir('continuum-state-');
    writeFileSync(join(dir, 'state.json'), '{"stateVersion": 1, "ste');
    expect(() => StateFile.load(dir)).toThrow(expect.objectContaining({ code: 'STATE_CORRUPT' }));
    writeFileSync(join(dir, 'state.json'), JSON.stringify({ stateVersion: 7, coreVersion: '9.0.0' }));
    expect(() => StateFile.load(dir)).toThrow(expect.objectContaining({ code: 'STATE_VERSION' }));
    expect(() => StateFile.load(join(dir, 'missing'))).toThrow(
      expect.objectContaining({ code: 'STATE_NOT_FOUND' }),
    );
  });

  it('hashes configs independently of key order', () => {
    expect(canonicalJson({ b: 1, a: [{ d: 2, c: 3 }] })).toBe('{"a":[{"c":3,"d":2}],"b":1}');
    const reordered = configSchema.parse({
      infrastructure: { cloud: { quota: 1, memory: 1, cores: 1, nodes: 1 } },
    });
    expect(configHash(reordered)).toBe(configHash(config));
    const changed = configSchema.parse({
      infrastructure: { cloud: { quota: 1, memory: 2, cores: 1, nodes: 1 } },
    });
    expect(configHash(changed)).not.toBe(configHash(config));
  });
});

describe('run lock', () => {
  it('is exclusive while its holder lives and released on request', () => {
    const dir = tempDir('continuum-lock-');
    const lock = RunLock.acquire(dir, 'test');
    expect(JSON.parse(readFileSync(join(dir, 'lock'), 'utf8'))).toMatchObject({
      pid: process.pid,
      host: hostname(),
      command: 'test',
    });
    lock.release();
    expect(readdirSync(dir)).toEqual([]);
    const again = RunLock.acquire(dir, 'test');
    again.release();
  });

  it('refuses a lock held by another live process', () => {
    const dir = tempDir('continuum-lock-');
    writeFileSync(
      join(dir, 'lock'),
      JSON.stringify({ pid: process.ppid, host: hostname(), time: 'then', command: 'continuum run' }),
    );
    expect(() => RunLock.acquire(dir, 'continuum down')).toThrow(
      expect.objectContaining({ code: 'RUN_LOCKED' }),
    );
  });

  it('takes over a stale lock whose process is gone (crash, SIGKILL)', () => {
    const dir = tempDir('continuum-lock-');
    const dead = spawnSync('sh', ['-c', 'echo $$'], { encoding: 'utf8' });
    writeFileSync(
      join(dir, 'lock'),
      JSON.stringify({
        pid: Number(dead.stdout.trim()),
        host: hostname(),
        time: 'then',
        command: 'continuum run',
      }),
    );
    const lock = RunLock.acquire(dir, 'continuum down');
    expect((JSON.parse(readFileSync(join(dir, 'lock'), 'utf8')) as { pid: number }).pid).toBe(process.pid);
    lock.release();
  });

  it('never breaks a lock from another host', () => {
    const dir = tempDir('continuum-lock-');
    writeFileSync(
      join(dir, 'lock'),
      JSON.stringify({ pid: 1, host: 'elsewhere', time: 'then', command: 'continuum run' }),
    );
    expect(() => RunLock.acquire(dir, 'continuum down')).toThrow(/another host|elsewhere/);
  });
});
