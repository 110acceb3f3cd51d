import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * ssh2 and @google-cloud/compute are CommonJS. Vitest's interop is more lenient than Node's, so
 * the built entry is loaded by plain Node here: a named export that only exists under vitest
 * (ssh2's `utils` did) fails this test.
 */
describe('built package under plain Node ESM', () => {
  it('loads lazily, generates an SSH key and constructs the Compute client', () => {
    const script = `
      const started = performance.now();
      const m = await import('./dist/index.js');
      const loadMs = performance.now() - started;
      const { generateSshKeyPair } = await import('./dist/ssh-node.js');
      const key = await generateSshKeyPair('interop');
      const { ComputeApi } = await import('./dist/gcp/compute-api.js');
      const api = new ComputeApi({ project: 'continuum-123456', zone: 'us-central1-a', region: 'us-central1', apiEndpoint: 'http://127.0.0.1:9', operationTimeoutMs: 1000 });
      const err = await api.getZone().then(() => 'no error', (e) => e.constructor.name);
      await api.close();
      console.log(JSON.stringify({ provider: m.default.name, loadMs, key: key.publicKey.split(' ')[0], err }));
    `;
    const cwd = fileURLToPath(new URL('..', import.meta.url));
    const res = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd,
      encoding: 'utf8',
      timeout: 60_000,
      env: { ...process.env, GOOGLE_APPLICATION_CREDENTIALS: '/nonexistent.json' },
    });
    expect(res.stderr).not.toMatch(/TypeError|SyntaxError/);
    const out = JSON.parse(res.stdout.trim().split('\n').at(-1) ?? '{}') as {
      provider?: string;
      loadMs?: number;
      key?: string;
      err?: string;
    };
    expect(out.provider).toBe('gcp');
    expect(out.key).toBe('ssh-ed25519');
    // The client really ran (and failed to authenticate or connect), it did not throw on construction.
    expect(out.err).toMatch(/Error$/);
    // The entry point does not load the Compute client or ssh2 up front.
    expect(out.loadMs).toBeLessThan(1500);
  });
});
