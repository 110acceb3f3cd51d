import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { PACKAGE_DIR, resolveModel } from '../src/model/resolve.js';
import type { FunctionResponse } from '../src/protocol.js';

/** dist/function.js on its own: the HTTP contract rm-openfaas deploys it with. */
let child: ChildProcess | undefined;
afterEach(() => {
  if (child !== undefined && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  child = undefined;
});

async function startFunction(env: Record<string, string>): Promise<{ url: string; lines: string[] }> {
  const model = resolveModel(undefined, PACKAGE_DIR);
  child = spawn(process.execPath, [join(PACKAGE_DIR, 'dist', 'function.js')], {
    env: {
      ...process.env,
      WORKER_ID: 'cloud0',
      CPU_THREADS: '1',
      MODEL_JSON: JSON.stringify(model),
      PORT: '0',
      HOST: '127.0.0.1',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines: string[] = [];
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ready record: ${lines.join(' | ')}`)), 30_000);
    createInterface({ input: child!.stdout! }).on('line', (line) => {
      lines.push(line);
      const m = /"url":"([^"]+)"/.exec(line);
      if (m !== null) {
        clearTimeout(timer);
        resolve(m[1] as string);
      }
    });
    child!.once('exit', (code) => reject(new Error(`function exited with ${code}: ${lines.join(' | ')}`)));
  });
  return { url, lines };
}

describe('function component (HTTP)', () => {
  it('health, classification with processing time, bad requests, /metrics, clean exit on SIGTERM', async () => {
    const { url, lines } = await startFunction({ METRICS_INLINE: '1' });
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect((await fetch(`${url}_/health`)).status).toBe(200);
    // The gateway forwards sub-paths: /function/image/_/health arrives as /_/health.
    const jpeg = readFileSync(join(PACKAGE_DIR, 'assets', 'images', 'coffee.jpg'));
    const sentNs = Date.now() * 1e6;
    const ok = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ image: jpeg.toString('base64'), time: sentNs }),
    });
    expect(ok.status).toBe(200);
    const answer = (await ok.json()) as FunctionResponse;
    expect(answer.labels).toHaveLength(5);
    expect(answer.worker).toBe('cloud0');
    expect(answer.processingNs).toBeGreaterThan(1e5);
    expect(answer.latencyNs).toBeGreaterThanOrEqual(0);
    expect(answer.latencyNs).toBeLessThan(5e9);

    const bad = async (body: string): Promise<number> => (await fetch(url, { method: 'POST', body })).status;
    expect(await bad('not json')).toBe(400);
    expect(await bad(JSON.stringify({ image: jpeg.toString('base64') }))).toBe(400);
    expect(await bad(JSON.stringify({ time: 1 }))).toBe(400);
    // Not a JPEG: the classifier refuses it and the function says so.
    expect(await bad(JSON.stringify({ image: Buffer.from('nope').toString('base64'), time: sentNs }))).toBe(
      500,
    );
    expect((await fetch(`${url}other`)).status).toBe(405);

    const metrics = await (await fetch(`${url}metrics`)).text();
    expect(metrics).toMatch(/continuum_app_messages_processed_total\{[^}]*worker="cloud0"[^}]*\} 1\n/);
    expect(metrics).toMatch(/continuum_app_processing_seconds_count\{[^}]*\} 1\n/);

    const exited = new Promise<number | null>((r) => child!.once('exit', (code) => r(code)));
    child!.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(lines.filter((l) => l.includes('"type":"processed"'))).toHaveLength(1);
  }, 60_000);

  it('without metrics, /metrics is 404', async () => {
    const { url } = await startFunction({});
    expect((await fetch(`${url}metrics`)).status).toBe(404);
  }, 60_000);
});
