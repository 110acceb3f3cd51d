import { spawn, type ChildProcess } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const CORE_ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const BIN = join(CORE_ROOT, 'bin', 'run.js');
export const FIXTURES = join(CORE_ROOT, 'test', 'fixtures', 'plugins');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * An isolated user for the real CLI: its own XDG data/config/cache dirs (so linked and installed
 * plugins never leak between tests or into the developer's home), working directory and marker dir.
 */
export class Sandbox {
  private created: string | undefined;
  private readonly pendingLinks: string[] = [];
  private readonly children = new Set<ChildProcess>();

  constructor(readonly options: { firstParty?: boolean } = {}) {}

  /** Created on first use, so a suite whose tests are all skipped leaves nothing behind. */
  get dir(): string {
    if (this.created === undefined) {
      this.created = mkdtempSync(join(tmpdir(), 'continuum-e2e-'));
      mkdirSync(join(this.created, 'markers'), { recursive: true });
      mkdirSync(join(this.created, 'xdg-data', 'continuum'), { recursive: true });
      this.writeLinks();
    }
    return this.created;
  }

  get markers(): string {
    return join(this.dir, 'markers');
  }

  get dataDir(): string {
    return join(this.dir, 'xdg-data', 'continuum');
  }

  env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = {
      PATH: process.env['PATH'],
      HOME: this.dir,
      XDG_DATA_HOME: join(this.dir, 'xdg-data'),
      XDG_CONFIG_HOME: join(this.dir, 'xdg-config'),
      XDG_CACHE_HOME: join(this.dir, 'xdg-cache'),
      // Production mode: no devPlugins, exactly what users get.
      NODE_ENV: 'production',
      npm_config_cache: join(this.dir, 'npm-cache'),
      npm_config_update_notifier: 'false',
      npm_config_audit: 'false',
      npm_config_fund: 'false',
      ...extra,
    };
    if (this.options.firstParty !== true) env['CONTINUUM_NO_FIRST_PARTY'] = '1';
    return env;
  }

  /** Record fixture plugins as linked, exactly as `continuum plugins link` writes them (when the sandbox is first used). */
  link(...names: string[]): void {
    this.pendingLinks.push(...names);
    if (this.created !== undefined) this.writeLinks();
  }

  private writeLinks(): void {
    const names = this.pendingLinks.splice(0);
    if (names.length === 0) return;
    const file = join(this.dataDir, 'package.json');
    const pjson = existsSync(file)
      ? (JSON.parse(readFileSync(file, 'utf8')) as { oclif: { plugins: unknown[] } } & Record<
          string,
          unknown
        >)
      : { private: true, oclif: { schema: 1, plugins: [] as unknown[] } };
    for (const name of names) {
      const root = join(FIXTURES, name);
      const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { name: string };
      pjson.oclif.plugins.push({ name: pkg.name, root, type: 'link' });
    }
    writeFileSync(file, JSON.stringify(pjson, null, 2));
  }

  write(name: string, content: string): string {
    const file = join(this.dir, name);
    writeFileSync(file, content);
    return file;
  }

  start(
    args: string[],
    extraEnv: Record<string, string> = {},
  ): { child: ChildProcess; done: Promise<CliResult>; output: () => { stdout: string; stderr: string } } {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: this.dir,
      env: this.env(extraEnv),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.children.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const done = new Promise<CliResult>((resolve) => {
      child.on('close', (code, signal) => {
        this.children.delete(child);
        resolve({ code, signal, stdout, stderr });
      });
    });
    return { child, done, output: () => ({ stdout, stderr }) };
  }

  run(args: string[], extraEnv: Record<string, string> = {}): Promise<CliResult> {
    return this.start(args, extraEnv).done;
  }

  markerFiles(): string[] {
    return readdirSync(this.markers).sort();
  }

  runIds(): string[] {
    const runs = join(this.dir, '.continuum', 'runs');
    return existsSync(runs) ? readdirSync(runs).sort() : [];
  }

  runDir(id: string): string {
    return join(this.dir, '.continuum', 'runs', id);
  }

  state(id: string): {
    status: string;
    configHash: string;
    steps: { kind: string; name: string; status: string; teardownError?: string }[];
  } {
    return JSON.parse(readFileSync(join(this.runDir(id), 'state.json'), 'utf8')) as never;
  }

  /** Kill whatever is still running (by the PIDs we started) and remove the sandbox. */
  cleanup(): void {
    for (const child of this.children) {
      if (child.exitCode === null && child.pid !== undefined) child.kill('SIGKILL');
    }
    if (this.created !== undefined) rmSync(this.created, { recursive: true, force: true });
  }
}

export const waitFor = async (
  predicate: () => boolean,
  timeoutMs = 20_000,
  what = 'condition',
): Promise<void> => {
  const start = Date.now();
  while (!predicate()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
};

/** A config using the fixture plugins; `opts` are merged into each selection's options. */
export function fakeConfig(
  markers: string,
  opts: { provider?: object; service?: object; app?: object; monitor?: object; extra?: string } = {},
): string {
  const o = (extra: object | undefined): string => JSON.stringify({ markerDir: markers, ...extra });
  return [
    'infrastructure:',
    '  cloud: { nodes: 1, cores: 1, memory: 0.5, quota: 1 }',
    '  endpoint: { nodes: 2, cores: 1, memory: 0.25, quota: 0.5 }',
    `provider: { use: fake, options: ${o(opts.provider)} }`,
    `services: [ { use: fake-service, options: ${o(opts.service)} } ]`,
    `application: { use: fake-app, options: ${o(opts.app)} }`,
    `monitors: [ { use: fake-monitor, options: ${o(opts.monitor)} } ]`,
    opts.extra ?? '',
    '',
  ].join('\n');
}
