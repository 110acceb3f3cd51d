import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, sep } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  COMPONENT_ENTRIES,
  ensureBundle,
  importedPackages,
  prunedPath,
  resolvePackageDir,
  runtimeClosure,
  type Bundle,
} from '../src/bundle.js';
import { PACKAGE_DIR, resolveModel } from '../src/model/resolve.js';
import { startMosquitto } from './support/env.js';

/**
 * The bundle is built outside the repository (no node_modules above it), so anything the
 * components load must come from inside it. Needs a build first (components run from dist/).
 */
const scratch = mkdtempSync(join(tmpdir(), 'app-ic-bundle-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function allFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name));
      else out.push(relative(dir, join(d, e.name)));
    }
  };
  walk(dir);
  return out;
}

interface Record_ {
  type: string;
  [k: string]: unknown;
}

/** Runs a component from the bundle with cwd outside the repository; resolves with its records. */
function runComponent(
  bundle: Bundle,
  entry: string,
  env: Record<string, string>,
): { done: Promise<{ code: number | null; records: Record_[]; stderr: string }>; ready: Promise<void> } {
  const child = spawn(process.execPath, [join(bundle.dir, 'dist', `${entry}.js`)], {
    cwd: scratch,
    env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  let markReady: () => void = () => undefined;
  const ready = new Promise<void>((r) => (markReady = r));
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    if (out.includes('"type":"ready"')) markReady();
  });
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  child.on('exit', () => markReady());
  const done = new Promise<{ code: number | null; records: Record_[]; stderr: string }>((resolve) =>
    child.on('exit', (code) =>
      resolve({
        code,
        stderr: err,
        records: out
          .split('\n')
          .filter((l) => l.startsWith('{'))
          .map((l) => JSON.parse(l) as Record_),
      }),
    ),
  );
  return { done, ready };
}

describe('app bundle for nodes without the host filesystem', () => {
  const model = resolveModel(undefined, PACKAGE_DIR);
  const cacheDir = join(scratch, 'cache');
  let bundle: Bundle | undefined;
  const get = (): Bundle => (bundle ??= ensureBundle({ model, cacheDir }));
  let senders: Bundle | undefined;
  const getSenders = (): Bundle => (senders ??= ensureBundle({ model, cacheDir, kind: 'endpoint' }));

  it('prunes foreign prebuilt payloads and type/doc files, keeps this platform', () => {
    const p = (s: string): string => s.split('/').join(sep);
    expect(prunedPath(p('bin/napi-v6/darwin/arm64/onnxruntime_binding.node'), 'linux', 'x64')).toBe(true);
    expect(prunedPath(p('bin/napi-v6/win32/x64/onnxruntime.dll'), 'linux', 'x64')).toBe(true);
    expect(prunedPath(p('bin/napi-v6/linux/arm64/libonnxruntime.so.1'), 'linux', 'x64')).toBe(true);
    expect(prunedPath(p('bin/napi-v6/linux/x64/libonnxruntime.so.1'), 'linux', 'x64')).toBe(false);
    expect(prunedPath(p('prebuilds/darwin-x64/addon.node'), 'linux', 'x64')).toBe(true);
    expect(prunedPath(p('prebuilds/linux-x64/addon.node'), 'linux', 'x64')).toBe(false);
    expect(prunedPath(p('dist/index.d.ts'), 'linux', 'x64')).toBe(true);
    expect(prunedPath(p('dist/index.js.map'), 'linux', 'x64')).toBe(true);
    expect(prunedPath(p('dist/index.js'), 'linux', 'x64')).toBe(false);
    expect(prunedPath(p('lib/platform/darwin.js'), 'linux', 'x64')).toBe(false);
  });

  it('holds the app, the model and exactly the runtime closure, linux/x64 binaries only', () => {
    const b = get();
    expect(b.built).toBe(true);
    const files = allFiles(b.dir);
    for (const f of ['package.json', 'dist/worker.js', 'dist/endpoint.js', 'assets/images'])
      expect(files.some((x) => x.startsWith(f.split('/').join(sep)))).toBe(true);
    expect(existsSync(join(b.dir, b.modelFile))).toBe(true);
    expect(readFileSync(join(b.dir, b.modelFile)).equals(readFileSync(model.onnxPath))).toBe(true);
    // Runtime dependencies are there; the host-only model source is not.
    for (const name of ['mqtt', 'onnxruntime-node', 'sharp', '@img/sharp-linux-x64', 'prom-client'])
      expect(b.packages.some((p) => p.startsWith(`${name}@`))).toBe(true);
    // Plugin-side packages stay on the host (components import none of them).
    for (const name of ['nsfwjs', 'zod', '@continuum/plugin-api'])
      expect(b.packages.some((p) => p.startsWith(`${name}@`))).toBe(false);
    expect(existsSync(join(b.dir, 'node_modules', 'nsfwjs'))).toBe(false);
    // onnxruntime-node ships every OS/arch: only linux/x64 is left.
    const ort = files.filter((f) => f.includes(`onnxruntime-node${sep}bin`));
    expect(ort.length).toBeGreaterThan(0);
    expect(ort.every((f) => f.includes(`${sep}linux${sep}x64${sep}`))).toBe(true);
    expect(files.some((f) => f.endsWith('onnxruntime_binding.node'))).toBe(true);
    expect(files.some((f) => f.endsWith('.d.ts') || f.endsWith('.map'))).toBe(false);
    // Far smaller than the ~290 MB onnxruntime-node alone.
    expect(b.bytes).toBeLessThan(150 * 1024 * 1024);
    console.log(
      `[bundle] ${(b.bytes / 1024 / 1024).toFixed(1)} MiB, ${b.files} files, ${b.packages.length} packages, built in ${Math.round(b.ms)} ms`,
    );
  });

  it('every dependency edge resolves inside the bundle to the same package as on the host', () => {
    const b = get();
    const roots = importedPackages(join(PACKAGE_DIR, 'dist'), COMPONENT_ENTRIES);
    expect([...roots].sort()).toEqual(['mqtt', 'onnxruntime-node', 'prom-client', 'sharp']);
    const closure = runtimeClosure(PACKAGE_DIR, { roots });
    const byTarget = new Map(closure.map((e) => [e.target, e]));
    const requesters = [{ target: '', source: PACKAGE_DIR }, ...closure];
    let edges = 0;
    for (const r of requesters) {
      const json = JSON.parse(readFileSync(join(r.source, 'package.json'), 'utf8')) as {
        dependencies?: Record<string, string>;
      };
      for (const dep of Object.keys(json.dependencies ?? {})) {
        if (r.target === '' && !roots.has(dep)) continue;
        const onHost = resolvePackageDir(dep, r.source);
        const inBundle = resolvePackageDir(dep, join(b.dir, r.target));
        expect(inBundle, `${dep} from ${r.target || 'the app'}`).toBeDefined();
        const placed = byTarget.get(relative(b.dir, inBundle as string));
        expect(placed?.source, `${dep} from ${r.target || 'the app'}`).toBe(onHost);
        edges++;
      }
    }
    expect(edges).toBeGreaterThan(30);
    // Nothing above the bundle could have helped: the scratch dir has no node_modules ancestors.
    for (let d = dirname(b.dir); d !== dirname(d); d = dirname(d))
      expect(existsSync(join(d, 'node_modules'))).toBe(false);
  });

  it('the endpoint bundle leaves the inference runtime and the model behind', () => {
    const full = get();
    const e = getSenders();
    expect(e.dir).not.toBe(full.dir);
    expect(e.packages.some((p) => p.startsWith('mqtt@'))).toBe(true);
    expect(e.packages.some((p) => /^(onnxruntime-node|sharp|@img\/sharp-linux-x64)@/.test(p))).toBe(false);
    expect(existsSync(join(e.dir, 'model'))).toBe(false);
    expect(e.bytes).toBeLessThan(full.bytes / 4);
    console.log(`[bundle] endpoint bundle ${(e.bytes / 1024 / 1024).toFixed(1)} MiB, ${e.files} files`);
  });

  it('is reused from the cache while nothing changed', () => {
    const first = get();
    const again = ensureBundle({ model, cacheDir });
    expect(again.built).toBe(false);
    expect(again.dir).toBe(first.dir);
    expect(again.bytes).toBe(first.bytes);
  });

  it('a worker and an endpoint run from their bundles alone (real mosquitto, real inference)', async () => {
    const b = get();
    const broker = await startMosquitto('127.0.0.1', scratch);
    try {
      const url = `mqtt://127.0.0.1:${broker.port}`;
      const topic = 'continuum/bundle-test/requests';
      const bundledModel = {
        ...model,
        onnxPath: join(b.dir, b.modelFile),
        labelsPath: join(b.dir, b.labelsFile),
      };
      const worker = runComponent(b, 'worker', {
        WORKER_ID: 'cloud0',
        MQTT_LOCAL_URL: url,
        MQTT_TOPIC: topic,
        ENDPOINT_CONNECTED: '1',
        CPU_THREADS: '1',
        MODEL_JSON: JSON.stringify(bundledModel),
        BROKER_LOSS_SECONDS: '5',
        MAX_SECONDS: '60',
      });
      // As the benchmark does: endpoints start once the worker has subscribed.
      await worker.ready;
      // The endpoint runs from the senders' bundle: no onnxruntime or sharp in it.
      const endpoint = runComponent(getSenders(), 'endpoint', {
        ENDPOINT_ID: 'cloud0_endpoint0',
        FREQUENCY: '4',
        DURATION: '2',
        MQTT_LOCAL_URL: url,
        MQTT_REMOTE_URL: url,
        MQTT_TOPIC: topic,
        REPLY_TOPIC: 'continuum/bundle-test/replies',
        REPLY_TIMEOUT: '20',
        BROKER_LOSS_SECONDS: '5',
        IMAGES_DIR: join(getSenders().dir, 'assets', 'images'),
      });
      const [w, e] = await Promise.all([worker.done, endpoint.done]);
      expect(e.stderr).not.toMatch(/ERR_MODULE_NOT_FOUND|Cannot find/);
      expect(w.stderr).not.toMatch(/ERR_MODULE_NOT_FOUND|Cannot find/);
      const end = e.records.find((r) => r.type === 'end');
      expect(end, e.stderr + JSON.stringify(e.records.slice(-3))).toMatchObject({
        sent: 8,
        received: 8,
        lost: 0,
      });
      expect(w.records.find((r) => r.type === 'worker-end')).toMatchObject({ processed: 8 });
      expect(w.code).toBe(0);
      expect(e.code).toBe(0);
    } finally {
      await broker.stop();
    }
  }, 90_000);
});
