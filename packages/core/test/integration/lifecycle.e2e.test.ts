import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fakeConfig, Sandbox, waitFor } from './sandbox.js';

const boxes: Sandbox[] = [];
function sandbox(): Sandbox {
  const box = new Sandbox();
  box.link('provider-fake', 'os-fake', 'app-fake', 'monitor-fake');
  boxes.push(box);
  return box;
}
afterAll(() => {
  for (const b of boxes) b.cleanup();
});

describe('continuum run: benchmark incomplete', () => {
  it('exits 4 when the application reports partial results, keeps them and still tears down', async () => {
    const box = sandbox();
    const config = box.write('c.yaml', fakeConfig(box.markers, { app: { resultStatus: 'partial' } }));
    const r = await box.run(['run', config]);
    expect(r.code, r.stderr).toBe(4);
    expect(r.stderr).toMatch(/benchmark did not complete \(partial\): fake component lost its broker/);
    expect(r.stdout).toMatch(/FAKE OUTPUT/);
    expect(box.markerFiles()).toEqual([]);
    const [id] = box.runIds();
    const results = JSON.parse(readFileSync(join(box.runDir(id!), 'results.json'), 'utf8')) as {
      status: string;
    };
    expect(results.status).toBe('partial');
    expect(box.state(id!).status).toBe('torn-down');
  });
});

describe('continuum run: success', () => {
  it('runs every phase, prints tables, writes results, tears everything down, exit 0', async () => {
    const box = sandbox();
    const config = box.write('c.yaml', fakeConfig(box.markers));
    const r = await box.run(['run', config]);
    expect(r.stderr).not.toMatch(/error|warning/i);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /FAKE OUTPUT\n\s+node\s+output\s+exit_code\s+duration_ms\n\s+cloud0\s+hello from cloud0\s+0\s+\d+/,
    );
    expect(r.stderr).toMatch(/✔ provision \(provider fake, 3 nodes\)/);
    expect(box.markerFiles()).toEqual([]);
    const [id] = box.runIds();
    expect(id).toMatch(/^\d{8}-\d{6}-[0-9a-z]{4}$/);
    const dir = box.runDir(id!);
    const state = box.state(id!);
    expect(state.status).toBe('torn-down');
    expect(state.steps.map((s) => `${s.kind}/${s.name}:${s.status}`)).toEqual([
      'provider/fake:torn-down',
      'operating-service/fake-service:torn-down',
      'monitor/fake-monitor:torn-down',
      'application/fake-app:torn-down',
    ]);
    const results = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as {
      status: string;
      phases: { phase: string; status: string }[];
      application: { summary: Record<string, unknown> };
      emulation: { backend: string };
    };
    expect(results.status).toBe('ok');
    expect(results.phases.map((p) => p.phase)).toEqual([
      'validate',
      'plan',
      'provision',
      'install',
      'benchmark',
      'collect',
      'teardown',
    ]);
    expect(results.application.summary).toEqual({ nodes: 3, services: 'fake-service' });
    expect(results.emulation.backend).toBe('none');
    expect(readFileSync(join(dir, 'fake.csv'), 'utf8')).toMatch(
      /^node,output,exit_code,duration_ms\ncloud0,hello from cloud0,0,\d+\n/,
    );
    expect(existsSync(join(dir, 'config.resolved.json'))).toBe(true);
    expect(readFileSync(join(dir, 'logs', 'echo-endpoint1.log'), 'utf8')).toMatch(
      /stdout hello from endpoint1/,
    );
    expect(readFileSync(join(dir, 'debug.log'), 'utf8')).toMatch(/DEBUG +\[core\] tore down provider\/fake/);
    expect(readFileSync(join(box.dir, '.continuum', 'current'), 'utf8').trim()).toBe(id);
    // The third-party continuum:phase hook saw before/after of every phase.
    const hookEvents = readFileSync(join(dir, 'hook-events.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { phase: string; when: string });
    expect(hookEvents.map((e) => `${e.when}:${e.phase}`)).toEqual(
      ['validate', 'plan', 'provision', 'install', 'benchmark', 'collect', 'teardown'].flatMap((p) => [
        `before:${p}`,
        `after:${p}`,
      ]),
    );
  });

  it('--json prints exactly one JSON document on stdout', async () => {
    const box = sandbox();
    const config = box.write('c.yaml', fakeConfig(box.markers));
    const r = await box.run(['run', config, '--json'], { FIXTURE_HOOK_THROW: '1' });
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as { status: string; application: { tables: { id: string }[] } };
    expect(doc.status).toBe('ok');
    expect(doc.application.tables[0]?.id).toBe('fake');
    // A throwing observer hook is reported, never fatal.
    expect(r.stderr).toMatch(
      /warning: continuum:phase hook of plugin continuum-fixture-monitor-fake failed on before validate: observer hook exploded/,
    );
  });
});

describe('continuum run: failure in each phase tears down what was created', () => {
  const cases: {
    what: string;
    opts: Parameters<typeof fakeConfig>[1];
    message: RegExp;
    created: string[];
  }[] = [
    {
      what: 'provision',
      opts: { provider: { failAt: 'provision' } },
      message:
        /provider "fake" \(continuum-fixture-provider-fake@0\.1\.0\) failed during provision: fake provider fails at provision/,
      created: ['provider/fake'],
    },
    {
      what: 'attach (plain Error: reported as a plugin bug)',
      opts: { provider: { failAt: 'attach' } },
      message:
        /failed during provision \(attach\) with an unexpected error: boom in attach[\s\S]*This is a bug in continuum-fixture-provider-fake@0\.1\.0/,
      created: ['provider/fake'],
    },
    {
      what: 'install (operating service)',
      opts: { service: { failAt: 'install' } },
      message: /operating-service "fake-service" .* failed during install/,
      created: ['provider/fake', 'operating-service/fake-service'],
    },
    {
      what: 'install (monitor)',
      opts: { monitor: { failAt: 'install' } },
      message: /monitor "fake-monitor" .* failed during install/,
      created: ['provider/fake', 'operating-service/fake-service', 'monitor/fake-monitor'],
    },
    {
      what: 'benchmark (deploy)',
      opts: { app: { failAt: 'deploy' } },
      message: /application "fake-app" .* failed during benchmark: fake app fails at deploy/,
      created: [
        'provider/fake',
        'operating-service/fake-service',
        'monitor/fake-monitor',
        'application/fake-app',
      ],
    },
    {
      what: 'benchmark',
      opts: { app: { failAt: 'benchmark' } },
      message: /fake app fails at benchmark/,
      created: [
        'provider/fake',
        'operating-service/fake-service',
        'monitor/fake-monitor',
        'application/fake-app',
      ],
    },
    {
      what: 'collect',
      opts: { monitor: { failAt: 'collect' } },
      message: /monitor "fake-monitor" .* failed during collect/,
      created: [
        'provider/fake',
        'operating-service/fake-service',
        'monitor/fake-monitor',
        'application/fake-app',
      ],
    },
  ];
  for (const c of cases) {
    it(`fails at ${c.what}: exit 1, everything created is torn down in reverse`, async () => {
      const box = sandbox();
      const r = await box.run(['run', box.write('c.yaml', fakeConfig(box.markers, c.opts))]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(c.message);
      expect(r.stderr).toMatch(/✔ teardown/);
      expect(box.markerFiles()).toEqual([]);
      const [id] = box.runIds();
      const state = box.state(id!);
      expect(state.status).toBe('torn-down');
      expect(state.steps.map((s) => `${s.kind}/${s.name}`)).toEqual(c.created);
      expect(state.steps.every((s) => s.status === 'torn-down')).toBe(true);
      const results = JSON.parse(readFileSync(join(box.runDir(id!), 'results.json'), 'utf8')) as {
        status: string;
        application?: unknown;
        errors: unknown[];
      };
      expect(results.status).toBe('failed');
      expect(results.errors).toHaveLength(1);
      // Results gathered before the failure are kept.
      if (c.what === 'collect') expect(results.application).toMatchObject({ name: 'fake-app', status: 'ok' });
    });
  }

  it('with --json, a failure prints one error document that carries the partial results', async () => {
    const box = sandbox();
    const r = await box.run([
      'run',
      box.write('c.yaml', fakeConfig(box.markers, { monitor: { failAt: 'collect' } })),
      '--json',
    ]);
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout) as {
      status: string;
      exitCode: number;
      error: { code: string };
      results: { status: string; application: { name: string } };
    };
    expect(doc).toMatchObject({
      status: 'error',
      exitCode: 1,
      error: { code: 'COLLECT_FAILED' },
      results: { status: 'failed', application: { name: 'fake-app' } },
    });
  });

  it('a failing teardown is reported with exit 3 while the other steps are still torn down', async () => {
    const box = sandbox();
    const r = await box.run([
      'run',
      box.write('c.yaml', fakeConfig(box.markers, { provider: { failAt: 'teardown' } })),
    ]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(
      /Teardown of run .* left 1 problem:\n\s+- provider "fake" .* failed during teardown: fake provider fails at teardown/,
    );
    expect(r.stderr).toMatch(/continuum down/);
    const [id] = box.runIds();
    const state = box.state(id!);
    expect(state.status).toBe('teardown-failed');
    expect(state.steps.filter((s) => s.status !== 'torn-down').map((s) => s.name)).toEqual(['fake']);
    // Only the provider's markers are left.
    expect(box.markerFiles().every((f) => /-(cloud0|endpoint\d)\.marker$/.test(f))).toBe(true);
    expect(box.markerFiles()).toHaveLength(3);
  });
});

describe('crash and interrupt', () => {
  it('SIGKILL mid-provision, then `continuum down` in a new process removes everything from state alone', async () => {
    const box = sandbox();
    const config = box.write('c.yaml', fakeConfig(box.markers, { provider: { hang: true } }));
    const { child, done } = box.start(['run', config]);
    await waitFor(() => box.markerFiles().some((f) => f.endsWith('.hanging')), 20_000, 'provision to hang');
    child.kill('SIGKILL');
    const killed = await done;
    expect(killed.signal).toBe('SIGKILL');
    expect(box.markerFiles()).toHaveLength(4);
    const [id] = box.runIds();
    expect(box.state(id!).steps).toEqual([expect.objectContaining({ kind: 'provider', status: 'pending' })]);
    expect(existsSync(join(box.runDir(id!), 'lock'))).toBe(true);

    const down = await box.run(['down']);
    expect(down.stderr).not.toMatch(/error/);
    expect(down.code).toBe(0);
    expect(down.stderr).toMatch(new RegExp(`run ${id}: torn down \\(provider/fake\\)`));
    expect(box.markerFiles()).toEqual([]);
    expect(box.state(id!).status).toBe('torn-down');
    expect(existsSync(join(box.runDir(id!), 'lock'))).toBe(false);
    const again = await box.run(['down', id!]);
    expect(again.code).toBe(0);
    expect(again.stderr).toMatch(/nothing to tear down/);
  });

  it('SIGINT cancels the phase and tears down (exit 130); the run is not left locked', async () => {
    const box = sandbox();
    const config = box.write('c.yaml', fakeConfig(box.markers, { provider: { hang: true } }));
    const { child, done } = box.start(['run', config]);
    await waitFor(() => box.markerFiles().some((f) => f.endsWith('.hanging')), 20_000, 'provision to hang');
    child.kill('SIGINT');
    const r = await done;
    expect(r.code).toBe(130);
    expect(r.stderr).toMatch(/SIGINT: cancelling; tearing down/);
    expect(r.stderr).toMatch(/Interrupted by SIGINT/);
    expect(box.markerFiles()).toEqual([]);
    const [id] = box.runIds();
    expect(box.state(id!).steps[0]?.status).toBe('torn-down');
    expect(existsSync(join(box.runDir(id!), 'lock'))).toBe(false);
  });
});

describe('second signal and missing plugins', () => {
  it('a second SIGINT during teardown exits at once (130), keeping the state for `down`', async () => {
    const box = sandbox();
    const config = box.write(
      'c.yaml',
      fakeConfig(box.markers, { provider: { hang: true, teardownDelayMs: 4000 } }),
    );
    const { child, done, output } = box.start(['run', config]);
    await waitFor(() => box.markerFiles().some((f) => f.endsWith('.hanging')), 20_000, 'provision to hang');
    child.kill('SIGINT');
    await waitFor(() => output().stderr.includes('slow teardown'), 20_000, 'teardown to start');
    const second = Date.now();
    child.kill('SIGINT');
    const r = await done;
    expect(Date.now() - second).toBeLessThan(3000);
    expect(r.code).toBe(130);
    expect(r.stderr).toMatch(/SIGINT again: exiting now\. Remove what is left with: continuum down/);
    const [id] = box.runIds();
    expect(box.state(id!).steps[0]?.status).not.toBe('torn-down');
    expect(box.markerFiles().filter((f) => f.endsWith('.marker'))).toHaveLength(3);
    expect(existsSync(join(box.runDir(id!), 'lock'))).toBe(false);
    const down = await box.run(['down']);
    expect(down.code).toBe(0);
    expect(box.markerFiles()).toEqual([]);
  });

  it('`down` names the plugin@version to install when a recorded plugin is gone, and tears down the rest', async () => {
    const box = sandbox();
    const config = box.write('c.yaml', fakeConfig(box.markers));
    expect((await box.run(['up', config])).code).toBe(0);
    const pjsonFile = join(box.dataDir, 'package.json');
    const original = readFileSync(pjsonFile, 'utf8');
    const pjson = JSON.parse(original) as { oclif: { plugins: { name: string }[] } };
    pjson.oclif.plugins = pjson.oclif.plugins.filter((p) => p.name !== 'continuum-fixture-os-fake');
    writeFileSync(pjsonFile, JSON.stringify(pjson));
    const down = await box.run(['down']);
    expect(down.code).toBe(3);
    expect(down.stderr).toMatch(
      /operating-service "fake-service" needs continuum-fixture-os-fake@0\.1\.0: continuum plugins:install continuum-fixture-os-fake@0\.1\.0/,
    );
    expect(box.markerFiles()).toEqual([expect.stringMatching(/-service\.marker$/)]);
    writeFileSync(pjsonFile, original);
    const again = await box.run(['down']);
    expect(again.code).toBe(0);
    expect(box.markerFiles()).toEqual([]);
  });
});

describe('up, status, bench, resume, down', () => {
  it('keeps a run, shows its nodes, benchmarks it twice, refuses to resume a changed config, and tears it down', async () => {
    const box = sandbox();
    const config = box.write('c.yaml', fakeConfig(box.markers));
    const up = await box.run(['up', config]);
    expect(up.stderr).not.toMatch(/error/);
    expect(up.code).toBe(0);
    expect(up.stdout).toMatch(/endpoint1\s+endpoint\s+127\.0\.0\.1\s+sh {2}# endpoint1 is a host process/);
    const [id] = box.runIds();
    expect(box.state(id!).status).toBe('up');
    expect(box.markerFiles().length).toBe(5); // 3 nodes + service + monitor

    const status = await box.run(['status', id!]);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/provider\/fake\s+continuum-fixture-provider-fake@0\.1\.0\s+done/);
    expect(status.stdout).toMatch(
      /cloud0\s+cloud\s+127\.0\.0\.1\s+1\s+512 MiB\s+1\s+sh {2}# cloud0 is a host process/,
    );
    const list = await box.run(['status', '--json']);
    expect(
      (JSON.parse(list.stdout) as { runs: { id: string; current: boolean; status: string }[] }).runs,
    ).toEqual([expect.objectContaining({ id, current: true, status: 'up' })]);

    for (let i = 0; i < 2; i++) {
      const bench = await box.run(['bench']);
      expect(bench.code).toBe(0);
      expect(bench.stdout).toMatch(/FAKE OUTPUT/);
      expect(box.state(id!).status).toBe('up');
    }
    expect(box.markerFiles().length).toBe(6); // + the application's deploy marker

    const resumeSame = await box.run(['up', config, '--resume']);
    expect(resumeSame.code).toBe(0);
    expect(resumeSame.stderr).toMatch(/already provisioned; re-attaching/);

    const changed = box.write('c.yaml', fakeConfig(box.markers, { app: { sleepMs: 5 } }));
    const refused = await box.run(['up', changed, '--resume']);
    expect(refused.code).toBe(2);
    const recorded = box.state(id!).configHash;
    expect(refused.stderr).toMatch(
      new RegExp(
        `Refusing to resume run ${id}: the config changed since it was created \\(recorded hash ${recorded}, .* now hashes to [0-9a-f]{16}\\)`,
      ),
    );
    expect(refused.stderr).toMatch(/continuum down/);

    const down = await box.run(['down', id!]);
    expect(down.code).toBe(0);
    expect(box.markerFiles()).toEqual([]);
    expect(box.state(id!).steps.every((s) => s.status === 'torn-down')).toBe(true);
  });

  it('bench refuses a run that is not up', async () => {
    const box = sandbox();
    await box.run(['run', box.write('c.yaml', fakeConfig(box.markers))]);
    const bench = await box.run(['bench']);
    expect(bench.code).toBe(1);
    expect(bench.stderr).toMatch(/is not a kept, fully installed run/);
  });

  it('a failed `up` removes what it created', async () => {
    const box = sandbox();
    const r = await box.run([
      'up',
      box.write('c.yaml', fakeConfig(box.markers, { service: { failAt: 'install' } })),
    ]);
    expect(r.code).toBe(1);
    expect(box.markerFiles()).toEqual([]);
  });
});
