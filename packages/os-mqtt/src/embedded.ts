import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ContinuumError, type Node } from '@continuum/plugin-api';

/** This package's root on the host (real path: workspaces symlink it into node_modules). */
export function packageRoot(): string {
  return realpathSync(fileURLToPath(new URL('..', import.meta.url)));
}

/** The embedded broker script on the host. */
export function hostBrokerScript(): string {
  return join(packageRoot(), 'dist', 'broker', 'main.js');
}

/** Node's lookup: `<dir>/node_modules/<name>`, walking up to the filesystem root. */
function findPackageDir(fromDir: string, name: string): string | undefined {
  let dir = fromDir;
  for (;;) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return realpathSync(candidate);
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/** Real directories of `aedes` and every runtime dependency it pulls in (types-only packages skipped). */
export function brokerDependencyDirs(root = packageRoot()): string[] {
  const seen = new Set<string>();
  const queue: [string, string][] = [[root, 'aedes']];
  for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
    const [from, name] = next;
    if (name.startsWith('@types/') || name === 'undici-types') continue;
    const dir = findPackageDir(from, name);
    if (dir === undefined) {
      throw new ContinuumError(
        'MQTT_EMBEDDED_INCOMPLETE',
        `The embedded broker needs the npm package ${name}, which is not installed next to ${from}.`,
        {
          hint: 'Reinstall @continuum/os-mqtt with its dependencies (npm install), or use implementation: mosquitto.',
        },
      );
    }
    if (seen.has(dir)) continue;
    seen.add(dir);
    const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
      dependencies?: Record<string, string>;
    };
    for (const dep of Object.keys(manifest.dependencies ?? {})) queue.push([dir, dep]);
  }
  return [...seen];
}

function commonAncestor(paths: readonly string[]): string {
  const split = paths.map((p) => p.split(sep));
  const first = split[0] ?? [];
  let n = 0;
  while (n < first.length && split.every((parts) => parts[n] === first[n])) n++;
  return first.slice(0, n).join(sep) || sep;
}

/**
 * What to copy so the broker runs on a node that does not see the host's filesystem: this
 * package's package.json (it marks dist as ESM) and dist, plus aedes' dependency closure, each at
 * the same path relative to their common ancestor, so Node resolves the imports exactly as on the host.
 */
export function embeddedBundle(): { copies: { from: string; to: string }[]; script: string } {
  const root = packageRoot();
  const deps = brokerDependencyDirs(root);
  const base = commonAncestor([root, ...deps]);
  // A package nested in another one's node_modules travels with its parent.
  const topLevel = deps.filter((d) => !deps.some((o) => o !== d && d.startsWith(o + sep)));
  const copies = [
    { from: join(root, 'package.json'), to: relative(base, join(root, 'package.json')) },
    { from: join(root, 'dist'), to: relative(base, join(root, 'dist')) },
    ...topLevel.map((d) => ({ from: d, to: relative(base, d) })),
  ];
  return { copies, script: relative(base, hostBrokerScript()) };
}

/** Copies the embedded broker to `remoteDir` on the node; returns the script path there. */
export async function stageEmbeddedBroker(node: Node, remoteDir: string): Promise<string> {
  const { copies, script } = embeddedBundle();
  const dirs = new Set(copies.map((c) => dirname(`${remoteDir}/${c.to}`)));
  await node.exec(['mkdir', '-p', ...dirs]);
  for (const c of copies) await node.copy(c.from, `${remoteDir}/${c.to}`);
  return `${remoteDir}/${script}`;
}

/** The `node` binary that runs the embedded broker: ours when the node shares the host, else the node's own. */
export async function nodeBinaryOn(node: Node): Promise<string> {
  if (node.sharesHostFilesystem) return process.execPath;
  const res = await node.exec(['node', '--version'], { check: false }).catch(() => undefined);
  const major = Number(/^v(\d+)\./.exec(res?.stdout.trim() ?? '')?.[1] ?? NaN);
  if (res === undefined || res.exitCode !== 0 || !(major >= 20)) {
    throw new ContinuumError(
      'MQTT_NO_NODE_RUNTIME',
      `The embedded MQTT broker needs Node.js >= 20 on node ${node.name}, which ${res?.exitCode === 0 ? `has ${res.stdout.trim()}` : 'has no `node` on PATH'}.`,
      {
        hint: `Install mosquitto on ${node.name} (apt-get install mosquitto) and use implementation: mosquitto, or install Node.js 20 there.`,
      },
    );
  }
  return 'node';
}
