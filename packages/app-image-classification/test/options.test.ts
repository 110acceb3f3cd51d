import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateWithSchema } from '@continuum/plugin-api';
import { createTestContext } from '@continuum/plugin-api/testing';
import app from '../src/index.js';
import { optionsSchema, type Options } from '../src/options.js';
import type { AppState } from '../src/state.js';
import { resolveModel } from '../src/model/resolve.js';

describe('options and bad input', () => {
  it('frequency 0 and negative counts are rejected with clear messages', async () => {
    const zero = await validateWithSchema(optionsSchema, { frequency: 0 }, ['application', 'options']);
    expect(zero.ok).toBe(false);
    if (!zero.ok)
      expect(zero.issues[0]).toMatchObject({
        path: 'application.options.frequency',
        message: expect.stringContaining('at least 1'),
      });
    const neg = await validateWithSchema(optionsSchema, { frequency: 5, duration: -3, perWorker: -1 }, [
      'application',
      'options',
    ]);
    expect(neg.ok).toBe(false);
    if (!neg.ok)
      expect(neg.issues.map((i) => i.path).sort()).toEqual([
        'application.options.duration',
        'application.options.perWorker',
      ]);
    const missing = await validateWithSchema(optionsSchema, {});
    expect(missing.ok).toBe(false);
    const frac = await validateWithSchema(optionsSchema, { frequency: 2.5 });
    expect(frac.ok).toBe(false);
  });

  it('defaults follow upstream (duration 300, one application per worker)', async () => {
    const ok = await validateWithSchema(optionsSchema, { frequency: 5 });
    expect(ok.ok && ok.value).toMatchObject({ frequency: 5, duration: 300, perWorker: 1, mode: 'auto' });
  });

  it('a missing custom model file is a ContinuumError naming application.options.model.onnx', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'app-ic-opt-'));
    writeFileSync(join(dir, 'labels.txt'), 'a\nb\n');
    expect(() => resolveModel({ onnx: 'nope.onnx', labels: 'labels.txt' }, dir)).toThrow(
      /application\.options\.model\.onnx/,
    );
    const ctx = createTestContext<Options, AppState>({
      config: optionsSchema.parse({
        frequency: 1,
        model: { onnx: join(dir, 'nope.onnx'), labels: join(dir, 'labels.txt') },
      }),
      tiers: { cloud: { nodes: 1, cores: 2 }, endpoint: { nodes: 1 } },
    });
    const diags = await app.validate!(ctx);
    expect(diags).toContainEqual(
      expect.objectContaining({ severity: 'error', path: 'application.options.model.onnx' }),
    );
    await expect(app.deploy!(ctx)).rejects.toMatchObject({ code: 'APP_MODEL_NOT_FOUND' });
    rmSync(dir, { recursive: true, force: true });
  });

  it('more cores than the host has is reported before anything runs', async () => {
    const ctx = createTestContext<Options, AppState>({
      config: optionsSchema.parse({ frequency: 1, workerCpu: 64 }),
      tiers: { cloud: { nodes: 1, cores: 2 }, endpoint: { nodes: 1 } },
    });
    const diags = await app.validate!(ctx);
    expect(diags).toContainEqual(
      expect.objectContaining({ severity: 'error', path: 'application.options.workerCpu' }),
    );
  });

  it('the upstream default workerCpu (tier cores - 0.5) above the host cores is a warning', async () => {
    const ctx = createTestContext<Options, AppState>({
      config: optionsSchema.parse({ frequency: 1 }),
      tiers: { cloud: { nodes: 1, cores: 4 }, endpoint: { nodes: 1 } },
    });
    const diags = await app.validate!(ctx);
    expect(diags).toContainEqual(
      expect.objectContaining({ severity: 'warning', path: 'application.options.workerCpu' }),
    );
  });

  it('mode edge without edge nodes, and no endpoints, are diagnosed', async () => {
    const ctx = createTestContext<Options, AppState>({
      config: optionsSchema.parse({ frequency: 1, mode: 'edge' }),
      tiers: { cloud: { nodes: 1 } },
    });
    const diags = await app.validate!(ctx);
    expect(diags.map((d) => d.path)).toEqual(
      expect.arrayContaining(['application.options.mode', 'infrastructure']),
    );
  });
});
