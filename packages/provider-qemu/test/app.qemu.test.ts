/**
 * The image-classification app on QEMU VMs through the real CLI (issue 4, `npm run test:qemu:bench`).
 * Opt-in: CONTINUUM_QEMU_TESTS=1 and CONTINUUM_QEMU_APP=1, as root. 1 cloud worker + 1 endpoint VM
 * (TCG here), mosquitto from the image (os-mqtt), the host's Node.js copied into the guests
 * (hostNode) and the app bundle (package, model, runtime node_modules) copied from the host: the
 * guests have no internet. Asserts upstream's tables with sane numbers and that nothing is left.
 * The worker decodes with sharp, whose prebuilt libvips needs an x86-64-v2 CPU (SSE4.2, POPCNT):
 * TCG guests must get `-cpu max` (QEMU's default qemu64 model dies with SIGILL on `import('sharp')`).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runTag } from '@continuum/plugin-api';
import { buildBaseImage } from '../src/images/build.js';
import { linksWithTag, processesWithTag, qemuTestsEnabled } from './helpers.js';

const enabled = qemuTestsEnabled && process.env['CONTINUUM_QEMU_APP'] === '1';
const root = new URL('../../..', import.meta.url).pathname;
const cli = join(root, 'packages/core/bin/run.js');
// Created in beforeAll: a skipped suite must not leave an empty directory behind.
let scratch = '';

const CONFIG = `# 1 cloud worker + 1 endpoint VM, 4G links, 2 images/s for 8 s
infrastructure:
  cloud: { nodes: 1, cores: 1, memory: 1, quota: 1.0 }
  endpoint: { nodes: 1, cores: 1, memory: 1, quota: 1.0 }
  network:
    emulation: true
    preset: 4g
    throughput: false
provider:
  use: qemu
  options:
    accel: auto
    hostNode: true
    prefixIP: "10.229"
    middleIP: 229
    bootTimeoutS: 600
services:
  - use: mqtt
application:
  use: image-classification
  options:
    frequency: 2
    duration: 8
    # TCG inference takes ~1.5 s per image: the worker queues, replies arrive well after the last send.
    replyTimeout: 90
`;

interface Table {
  id: string;
  columns: string[];
  rows: (string | number | null)[][];
}
interface Results {
  status: string;
  application?: {
    status: string;
    tables: Table[];
    summary: Record<string, unknown>;
    notes?: string[];
    problems?: string[];
  };
  emulation?: { backend: string; measurements: { fromTier: string; toTier: string; ok: boolean }[] };
  phases?: unknown;
}

function cliRun(args: string[], timeoutMs: number): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, ...args], { cwd: scratch, env: process.env });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    // SIGINT lets the CLI tear down what it created; the finally below runs `down` in any case.
    const timer = setTimeout(() => child.kill('SIGINT'), timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

const cell = (t: Table | undefined, column: string, row = 0): number =>
  Number(t?.rows[row]?.[t.columns.indexOf(column)]);

describe.runIf(enabled)('image-classification on qemu VMs (hostNode + app bundle)', () => {
  beforeAll(async () => {
    scratch = mkdtempSync(join(tmpdir(), 'cq-app-'));
    const res = await buildBaseImage({ niceness: 10 });
    console.log(`[app qemu] image ${res.image.key} ${res.cached ? 'cached' : `built in ${res.seconds} s`}`);
  }, 900_000);
  afterAll(() => {
    if (scratch !== '') rmSync(scratch, { recursive: true, force: true });
  });

  it('runs 1 cloud worker + 1 endpoint VM end to end and leaves nothing behind', async () => {
    const file = join(scratch, 'continuum.config.yaml');
    writeFileSync(file, CONFIG);
    const runDir = join(scratch, '.continuum');
    const t0 = Date.now();
    let run: { code: number | null; output: string } | undefined;
    let runId: string | undefined;
    try {
      run = await cliRun(['run', file, '--run-dir', runDir], 1_200_000);
      console.log(`[app qemu] continuum run ${(Date.now() - t0) / 1000} s, exit ${run.code}`);
    } finally {
      const runs = join(runDir, 'runs');
      runId = existsSync(runs) ? readdirSync(runs).find((d) => !d.startsWith('.')) : undefined;
      // Whatever happened, tear down from the state file (idempotent after a clean run).
      if (runId !== undefined) await cliRun(['down', runId, '--run-dir', runDir], 300_000);
    }
    expect(runId).toBeDefined();
    const output = run.output;
    const results = JSON.parse(
      readFileSync(join(runDir, 'runs', runId as string, 'results.json'), 'utf8'),
    ) as Results;
    const app = results.application;
    console.log('[app qemu] notes', JSON.stringify(app?.notes), 'problems', JSON.stringify(app?.problems));
    console.log('[app qemu] summary', JSON.stringify(app?.summary));
    console.log('[app qemu] phases', JSON.stringify(results.phases));
    console.log('[app qemu] tables', JSON.stringify(app?.tables));
    expect(run.code, output.slice(-4000)).toBe(0);
    expect(results.status).toBe('ok');
    expect(app?.status).toBe('ok');
    expect(results.emulation?.backend).toBe('netem');
    // The bundle travelled to the guests (its size is reported in the notes).
    expect(app?.notes?.some((n) => /app bundle .* MiB in \d+ files/.test(n))).toBe(true);

    const worker = app?.tables.find((t) => t.id === 'worker');
    const endpoint = app?.tables.find((t) => t.id === 'endpoint');
    expect(worker?.rows).toHaveLength(1);
    expect(endpoint?.rows).toHaveLength(1);
    expect(cell(endpoint, 'sent')).toBe(16);
    expect(cell(endpoint, 'received')).toBe(16);
    expect(cell(endpoint, 'lost')).toBe(0);
    expect(cell(worker, 'images')).toBe(16);
    // Each reply crosses the emulated 4G link (45 ms one way) twice, plus TCG inference.
    const latency = cell(endpoint, 'latency_avg (ms)');
    expect(latency).toBeGreaterThan(90);
    expect(latency).toBeLessThan(60_000);
    const proc = cell(worker, 'proc_time/data (ms)');
    expect(proc).toBeGreaterThan(0);
    expect(proc).toBeLessThan(30_000);
    expect(cell(worker, 'total_time (s)')).toBeGreaterThan(0);
    expect(output).toContain('CLOUD OUTPUT');

    const tag = runTag(runId as string);
    expect(processesWithTag(tag)).toEqual([]);
    expect(linksWithTag(tag)).toEqual([]);
  }, 1_800_000);
});
