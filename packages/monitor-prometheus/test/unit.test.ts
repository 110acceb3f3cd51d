import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CgroupReader, parseHostCpu, parseProcStat } from '../src/cgroup-stats.js';
import { formatMetrics } from '../src/exporter/format.js';
import { dashboardJson, writeGrafanaProvisioning } from '../src/grafana.js';
import { prometheusConfig, promDuration } from '../src/prometheus-config.js';
import { resolveOptions } from '../src/options.js';
import { seriesFromSamples } from '../src/samples.js';
import { hasBinary } from './helpers.js';

const tmp = mkdtempSync(join(tmpdir(), 'mon-prom-unit-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const promtool = hasBinary('promtool');

describe('prometheus.yml', () => {
  it('passes promtool check config, with hostile node names quoted', () => {
    const text = prometheusConfig('20261123-182000-k3x9', 0.5, [
      { job: 'continuum-nodes', path: '/metrics', targets: [{ address: '127.0.0.1:9999', labels: {} }] },
      {
        job: 'node-exporter',
        path: '/metrics',
        targets: [{ address: '[fd00::2]:9100', labels: { node: 'edge0: {x}', tier: 'edge' } }],
      },
      { job: 'empty', path: '/metrics', targets: [] },
    ]);
    expect(text).toContain('scrape_interval: 500ms');
    expect(text).not.toContain('empty');
    const file = join(tmp, 'p.yml');
    writeFileSync(file, text);
    if (!promtool) return expect.fail('promtool (Debian package prometheus) is needed for this test');
    const out = execFileSync('promtool', ['check', 'config', file], { encoding: 'utf8' });
    expect(out).toContain('SUCCESS');
  });

  it('formats durations the way Prometheus parses them', () => {
    expect(promDuration(1)).toBe('1s');
    expect(promDuration(0.25)).toBe('250ms');
  });
});

describe('metrics exposition', () => {
  it('passes promtool check metrics', () => {
    const text = formatMetrics(
      {
        t: 1,
        host: { cpuSeconds: 12.5, cores: 2, memoryUsedBytes: 1e9 },
        nodes: [
          {
            node: 'cloud0',
            tier: 'cloud',
            cpuSeconds: 1.25,
            memoryBytes: 1024,
            limitCores: 1,
            method: 'procs',
          },
          {
            node: 'we"ird',
            tier: 'edge',
            cpuSeconds: null,
            memoryBytes: null,
            limitCores: 0.5,
            method: 'none',
          },
        ],
      },
      'r1',
    );
    expect(text).toContain(
      'continuum_node_cpu_seconds_total{run="r1",node="cloud0",tier="cloud",method="procs"} 1.25',
    );
    expect(text).toContain('node="we\\"ird"');
    expect(text).not.toMatch(/we\\"ird.*method/); // null CPU is left out, not written as NaN
    if (!promtool) return expect.fail('promtool missing');
    const out = execFileSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect(out.trim()).toBe('');
  });
});

describe('cgroup reader', () => {
  const proc = join(tmp, 'proc');
  const writeProc = (pid: number, utime: number, stime: number, start: string): void => {
    mkdirSync(join(proc, String(pid)), { recursive: true });
    const fields = Array.from({ length: 50 }, () => '0');
    fields[11] = String(utime);
    fields[12] = String(stime);
    fields[19] = start;
    writeFileSync(join(proc, String(pid), 'stat'), `${pid} (my (odd) name) S ${fields.slice(1).join(' ')}`);
  };

  it('parses /proc stat lines with parentheses in the command name', () => {
    const fields = Array.from({ length: 50 }, (_, i) => String(i));
    expect(parseProcStat(`7 (a) b) ${fields.join(' ')}`)).toEqual({ cpuTicks: 11 + 12, startTime: '19' });
    expect(parseHostCpu('cpu  100 0 50 1000 20 0 0 0 0 0\ncpu0 1\ncpu1 1\n')).toEqual({
      busySeconds: 1.5,
      cores: 2,
    });
  });

  it('prefers cpuacct.usage, then cgroup v2 cpu.stat, then sums processes (keeping exited ones)', () => {
    mkdirSync(proc, { recursive: true });
    writeFileSync(join(proc, 'stat'), 'cpu  100 0 100 1000 0 0 0 0 0 0\ncpu0 x\n');
    writeFileSync(join(proc, 'meminfo'), 'MemTotal: 1000 kB\nMemAvailable: 400 kB\n');
    const acct = join(tmp, 'acct');
    const v2 = join(tmp, 'v2');
    const procs = join(tmp, 'procs');
    for (const d of [acct, v2, procs]) mkdirSync(d, { recursive: true });
    writeFileSync(join(acct, 'cpuacct.usage'), '2500000000\n');
    writeFileSync(join(acct, 'memory.usage_in_bytes'), '4096\n');
    writeFileSync(join(v2, 'cpu.stat'), 'usage_usec 1500000\nuser_usec 1\n');
    writeFileSync(join(v2, 'memory.current'), '8192\n');
    writeFileSync(join(procs, 'cgroup.procs'), '11\n12\n');
    writeProc(11, 100, 50, 'A');
    writeProc(12, 30, 20, 'B');
    const reader = new CgroupReader(
      [
        { node: 'a', tier: 'cloud', cgroups: [acct], limitCores: 1 },
        { node: 'b', tier: 'edge', cgroups: [v2], limitCores: 1 },
        { node: 'c', tier: 'endpoint', cgroups: [procs], limitCores: 1 },
        { node: 'd', tier: 'endpoint', cgroups: [], limitCores: 1 },
      ],
      proc,
    );
    const s1 = reader.sample(1000);
    expect(s1.host).toEqual({ cpuSeconds: 2, cores: 1, memoryUsedBytes: 600 * 1024 });
    expect(s1.nodes.map((n) => [n.node, n.cpuSeconds, n.memoryBytes, n.method])).toEqual([
      ['a', 2.5, 4096, 'cpuacct'],
      ['b', 1.5, 8192, 'cpu.stat'],
      ['c', 2, null, 'procs'],
      ['d', null, null, 'none'],
    ]);
    // pid 12 exits; pid 11 runs on: the counter keeps 12's last value and never decreases.
    writeFileSync(join(procs, 'cgroup.procs'), '11\n');
    writeProc(11, 200, 50, 'A');
    expect(reader.sample(2000).nodes[2]?.cpuSeconds).toBe(3);
  });
});

describe('series from the sampler file', () => {
  it('turns CPU counters into % of the node limit and memory into MiB', () => {
    const node = (cpu: number, mem: number) => ({
      node: 'cloud0',
      tier: 'cloud',
      cpuSeconds: cpu,
      memoryBytes: mem,
      limitCores: 0.5,
      method: 'procs' as const,
    });
    const samples = [
      { t: 1000, host: { cpuSeconds: 0, cores: 2, memoryUsedBytes: 0 }, nodes: [node(0, 1048576)] },
      { t: 2000, host: { cpuSeconds: 1, cores: 2, memoryUsedBytes: 0 }, nodes: [node(0.25, 2097152)] },
      { t: 3000, host: { cpuSeconds: 3, cores: 2, memoryUsedBytes: 0 }, nodes: [node(0.75, 2097152)] },
    ];
    const series = seriesFromSamples(samples, { start: 1000, end: 3000 });
    const cpu = series.find((s) => s.id === 'cpu-cloud0');
    expect(cpu?.points).toEqual([
      [2000, 50],
      [3000, 100],
    ]);
    expect(series.find((s) => s.id === 'memory-cloud0')?.points.map(([, v]) => v)).toEqual([1, 2, 2]);
    expect(series.find((s) => s.id === 'cpu-host')?.points).toEqual([
      [2000, 50],
      [3000, 100],
    ]);
  });
});

describe('grafana provisioning and options', () => {
  it('writes a datasource for the run and a dashboard that parses as JSON', () => {
    const { provisioningDir, dashboard } = writeGrafanaProvisioning(
      join(tmp, 'g'),
      'http://127.0.0.1:1234',
      'run-1',
    );
    expect(readFileSync(join(provisioningDir, 'datasources', 'continuum.yaml'), 'utf8')).toContain(
      'url: "http://127.0.0.1:1234"',
    );
    const parsed = JSON.parse(readFileSync(dashboard, 'utf8')) as ReturnType<typeof dashboardJson>;
    expect((parsed['panels'] as unknown[]).length).toBeGreaterThanOrEqual(6);
  });

  it('fills defaults and rejects unknown keys', () => {
    expect(resolveOptions(undefined)).toMatchObject({
      binary: 'prometheus',
      port: 0,
      scrapeIntervalS: 1,
      required: false,
      grafana: { start: true },
    });
    expect(() => resolveOptions({ prot: 1 })).toThrow();
  });
});
