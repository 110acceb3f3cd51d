import { createHash } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { basename, dirname, join, sep } from 'node:path';
import { ContinuumError } from '@continuum/plugin-api';
import { PACKAGE_DIR, type ResolvedModel } from './model/resolve.js';

/**
 * A self-contained copy of the app for nodes that do not share the host's filesystem (VMs): the
 * package (package.json, dist, assets), the converted model, and a node_modules holding exactly
 * the runtime dependency closure. Workspaces hoist dependencies to the root node_modules, so
 * copying the package folder alone leaves `node dist/worker.js` unable to resolve mqtt or sharp.
 */

/** Bump when the bundle's layout or pruning rules change, so cached bundles are rebuilt. */
export const BUNDLE_FORMAT = 'bundle-1';

/** The programs that run on the nodes (each imports the rest of what it needs from dist). */
export const COMPONENT_ENTRIES = [
  'worker.js',
  'endpoint.js',
  'combined.js',
  'function.js',
  'serverless-endpoint.js',
];
/** Senders never classify: their bundle has no inference runtime (~65 MB native code) nor the model. */
export const SENDER_ENTRIES = ['endpoint.js', 'serverless-endpoint.js'];
/**
 * Reachable from the senders only through runtime/pool.js's worker-thread script (they import pool
 * for its clock and never start a pool); test/bundle.test.ts runs an endpoint without them.
 */
export const INFERENCE_PACKAGES: ReadonlySet<string> = new Set(['onnxruntime-node', 'sharp']);

/** `full`: workers, functions and endpoints that classify locally; `endpoint`: senders only. */
export type BundleKind = 'full' | 'endpoint';

const IMPORT_RE =
  /(?:^|[;\s])(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|(?:^|[;\s])import\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|new URL\(\s*['"](\.[^'"]+)['"]/gm;

/**
 * The packages the component programs import, following their relative imports (static, dynamic
 * and `new URL('./x.js', import.meta.url)` worker scripts) through dist. Only these are roots of
 * the bundle's closure: the plugin side (zod, @continuum/plugin-api, nsfwjs for the model
 * conversion) stays on the host.
 */
export function importedPackages(distDir: string, entries: readonly string[]): Set<string> {
  const seen = new Set<string>();
  const packages = new Set<string>();
  const queue = entries.map((e) => join(distDir, e));
  while (queue.length > 0) {
    const file = queue.pop() as string;
    if (seen.has(file) || !existsSync(file)) continue;
    seen.add(file);
    for (const m of readFileSync(file, 'utf8').matchAll(IMPORT_RE)) {
      const spec = (m[1] ?? m[2] ?? m[3] ?? m[4]) as string;
      if (spec.startsWith('.')) queue.push(join(dirname(file), spec));
      else if (!spec.startsWith('node:')) {
        const parts = spec.split('/');
        packages.add(spec.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] as string));
      }
    }
  }
  return packages;
}

export interface Bundle {
  /** Host directory to copy to the node as a whole. */
  dir: string;
  kind: BundleKind;
  /** Paths inside `dir` of the converted model and its labels (present in full bundles only). */
  modelFile: string;
  labelsFile: string;
  /** name@version of every package in node_modules, sorted. */
  packages: string[];
  bytes: number;
  files: number;
  /** False when an identical bundle was already in the cache. */
  built: boolean;
  ms: number;
}

export interface BundleOptions {
  model: ResolvedModel;
  /** Where bundles are cached, one directory per content key. */
  cacheDir: string;
  packageDir?: string;
  platform?: NodeJS.Platform;
  arch?: string;
  /** Default `full`. */
  kind?: BundleKind;
}

export function bundleCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env['CONTINUUM_BUNDLE_CACHE']) return env['CONTINUUM_BUNDLE_CACHE'];
  if (env['XDG_CACHE_HOME']) return join(env['XDG_CACHE_HOME'], 'continuum', 'app-bundles');
  return join(PACKAGE_DIR, '.cache', 'bundles');
}

interface PackageJson {
  name?: string;
  version?: string;
  files?: string[];
  os?: string[];
  cpu?: string[];
  libc?: string[];
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
}

const readJson = (file: string): PackageJson => JSON.parse(readFileSync(file, 'utf8')) as PackageJson;

/** The package directory `name` resolves to from `fromDir`, walking up node_modules as Node does. */
export function resolvePackageDir(name: string, fromDir: string): string | undefined {
  for (let dir = fromDir; ; dir = dirname(dir)) {
    if (basename(dir) !== 'node_modules') {
      const candidate = join(dir, 'node_modules', name);
      if (existsSync(join(candidate, 'package.json'))) return realpathSync(candidate);
    }
    if (dirname(dir) === dir) return undefined;
  }
}

function hostLibc(): 'glibc' | 'musl' {
  const header = (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)
    ?.header;
  return header?.glibcVersionRuntime !== undefined ? 'glibc' : 'musl';
}

/** npm's `os`/`cpu`/`libc` fields: a list of allowed values, or of `!excluded` ones. */
function allows(list: string[] | undefined, value: string): boolean {
  if (list === undefined || list.length === 0) return true;
  if (list.includes(`!${value}`)) return false;
  const positive = list.filter((v) => !v.startsWith('!'));
  return positive.length === 0 || positive.includes(value);
}

export interface ClosureEntry {
  name: string;
  version: string;
  /** Real directory on the host. */
  source: string;
  /** Where it goes, relative to the bundle root (`node_modules/...`). */
  target: string;
  /** A workspace package (not under any node_modules): copy only what its `files` field publishes. */
  workspace: boolean;
}

/**
 * The runtime dependency closure of the package at `packageDir`: dependencies, optional
 * dependencies that are installed and fit this platform, and non-optional peers, recursively,
 * each resolved from its requester's real location. Placement mimics an npm tree: a package goes
 * to the top-level node_modules unless a different copy of the same name is already what the
 * requester would resolve, in which case it is nested under the requester.
 */
export function runtimeClosure(
  packageDir: string,
  /** roots: the app's packages to start from (default: every dependency in its package.json). */
  options: { platform?: string; arch?: string; roots?: ReadonlySet<string> } = {},
): ClosureEntry[] {
  const platform = options.platform ?? process.platform;
  const arch = options.arch ?? process.arch;
  const libc = hostLibc();
  const placed = new Map<string, ClosureEntry>(); // target → entry
  const bySource = new Map<string, ClosureEntry>();
  const queue: { source: string; target: string; json: PackageJson; root: boolean }[] = [
    {
      source: realpathSync(packageDir),
      target: '',
      json: readJson(join(packageDir, 'package.json')),
      root: true,
    },
  ];

  /** Where `name` resolves to inside the bundle from `target`, if it was placed already. */
  const resolvedInBundle = (name: string, target: string): ClosureEntry | undefined => {
    for (let dir = target; ; dir = dirname(dir)) {
      const here = dir === '.' ? '' : dir;
      if (!here.endsWith('node_modules')) {
        const hit = placed.get(join(here, 'node_modules', name));
        if (hit !== undefined) return hit;
      }
      if (here === '') return undefined;
    }
  };

  while (queue.length > 0) {
    const req = queue.shift()!;
    const wanted: [string, boolean][] = [
      ...Object.keys(req.json.dependencies ?? {}).map((n): [string, boolean] => [n, false]),
      // A package a component imports without declaring it still has to travel (hoisting hid it).
      ...(req.root ? [...(options.roots ?? [])] : [])
        .filter((n) => req.json.dependencies?.[n] === undefined)
        .map((n): [string, boolean] => [n, false]),
      ...Object.keys(req.json.optionalDependencies ?? {}).map((n): [string, boolean] => [n, true]),
      ...Object.keys(req.json.peerDependencies ?? {})
        .filter((n) => req.json.peerDependenciesMeta?.[n]?.optional !== true)
        .map((n): [string, boolean] => [n, true]),
    ];
    for (const [name, optional] of wanted) {
      if (req.root && options.roots !== undefined && !options.roots.has(name)) continue;
      const source = resolvePackageDir(name, req.source);
      if (source === undefined) {
        if (optional) continue;
        throw new ContinuumError(
          'APP_BUNDLE_UNRESOLVED',
          `Cannot bundle the image-classification app: ${req.json.name ?? req.source} depends on ${name}, which is not installed.`,
          { hint: 'Run npm install in the Continuum installation, then retry.' },
        );
      }
      const json = readJson(join(source, 'package.json'));
      if (!allows(json.os, platform) || !allows(json.cpu, arch) || !allows(json.libc, libc)) continue;
      const existing = resolvedInBundle(name, req.target);
      if (existing?.source === source) continue;
      const target =
        existing === undefined && !placed.has(join('node_modules', name))
          ? join('node_modules', name)
          : join(req.target, 'node_modules', name);
      if (placed.has(target)) continue;
      const entry: ClosureEntry = {
        name,
        version: json.version ?? '0.0.0',
        source,
        target,
        workspace: !source.split(sep).includes('node_modules'),
      };
      placed.set(target, entry);
      bySource.set(source, entry);
      queue.push({ source, target, json, root: false });
    }
  }
  return [...placed.values()].sort((a, b) => a.target.localeCompare(b.target));
}

const FOREIGN_OS = ['darwin', 'win32', 'linux', 'freebsd', 'openbsd', 'sunos', 'aix', 'android'];
const FOREIGN_ARCH = ['x64', 'arm64', 'arm', 'ia32', 'ppc64', 's390x', 'riscv64', 'loong64', 'mips64el'];

/**
 * Whether a path inside a package is an obviously foreign-platform prebuilt payload or a file
 * nothing loads at run time (types, source maps, docs). onnxruntime-node ships every OS/arch under
 * bin/napi-v*\/<os>/<arch> (~290 MB); node-gyp-build packages use prebuilds/<os>-<arch>.
 */
export function prunedPath(relPath: string, platform: string, arch: string): boolean {
  const parts = relPath.split(sep);
  const file = parts.at(-1) ?? '';
  if (/\.(d\.[cm]?ts|map|md|markdown)$/i.test(file) || /(^|\.)tsbuildinfo$/.test(file)) return true;
  if (/\.[cm]?ts$/.test(file)) return true;
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i] as string;
    const parent = parts[i - 1];
    if (
      FOREIGN_OS.includes(part) &&
      part !== platform &&
      parts.slice(0, i).some((p) => /^(bin|napi-v\d+|prebuilds|binding|lib)$/.test(p))
    )
      return true;
    if (FOREIGN_ARCH.includes(part) && part !== arch && parent !== undefined && FOREIGN_OS.includes(parent))
      return true;
    if (parent === 'prebuilds') {
      const m = /^([a-z0-9]+)-([a-z0-9]+)/.exec(part);
      if (m !== null && (m[1] !== platform || m[2] !== arch)) return true;
    }
  }
  return false;
}

interface CopyStats {
  bytes: number;
  files: number;
}

function copyTree(
  from: string,
  to: string,
  keep: (rel: string, isDir: boolean) => boolean,
  stats: CopyStats,
  rel = '',
): void {
  const st = statSync(from);
  if (st.isDirectory()) {
    mkdirSync(to, { recursive: true });
    for (const entry of readdirSync(from)) {
      const childRel = rel === '' ? entry : join(rel, entry);
      const childFrom = join(from, entry);
      // Dangling symlinks (a package's dev leftovers) are skipped, not fatal.
      if (!existsSync(childFrom)) continue;
      const isDir = statSync(childFrom).isDirectory();
      if (!keep(childRel, isDir)) continue;
      copyTree(childFrom, join(to, entry), keep, stats, childRel);
    }
    return;
  }
  copyFileSync(from, to);
  stats.bytes += st.size;
  stats.files += 1;
}

/** What a workspace package publishes: package.json plus the entries of its `files` field. */
function publishedEntries(dir: string, json: PackageJson): string[] | undefined {
  if (json.files === undefined) return undefined;
  return ['package.json', ...json.files.map((f) => f.replace(/^\.\//, '').replace(/\/$/, ''))].filter(
    (f) => !f.includes('*') && existsSync(join(dir, f)),
  );
}

function copyPackage(
  entry: ClosureEntry,
  dest: string,
  platform: string,
  arch: string,
  stats: CopyStats,
): void {
  const json = readJson(join(entry.source, 'package.json'));
  const published = entry.workspace ? publishedEntries(entry.source, json) : undefined;
  const keep = (rel: string): boolean => {
    const top = rel.split(sep)[0] as string;
    // Nested node_modules come from the closure, never wholesale.
    if (top === 'node_modules' || top === '.git') return false;
    if (published !== undefined && !published.includes(top) && !published.includes(rel)) return false;
    return !prunedPath(rel, platform, arch);
  };
  copyTree(entry.source, dest, keep, stats);
}

function hashTree(hash: ReturnType<typeof createHash>, dir: string, rel = ''): void {
  for (const entry of readdirSync(join(dir, rel)).sort()) {
    const r = join(rel, entry);
    const st = lstatSync(join(dir, r));
    if (st.isDirectory()) hashTree(hash, dir, r);
    else if (st.isFile()) hash.update(`${r}\0`).update(readFileSync(join(dir, r)));
  }
}

/** Content key: the app's runtime files, the closure (name@version@path), the model, the platform. */
function bundleKey(
  packageDir: string,
  closure: ClosureEntry[],
  model: ResolvedModel,
  platform: string,
  arch: string,
  kind: BundleKind,
): string {
  const hash = createHash('sha256').update(
    `${BUNDLE_FORMAT}\0${kind}\0${platform}\0${arch}\0${kind === 'full' ? model.hash : ''}\0`,
  );
  hash.update(readFileSync(join(packageDir, 'package.json')));
  for (const sub of ['dist', 'assets'])
    if (existsSync(join(packageDir, sub))) hashTree(hash, packageDir, sub);
  for (const e of closure) {
    hash.update(`${e.target}\0${e.name}@${e.version}\0${e.source}\0`);
    // Workspace packages change without a version bump: their published output counts.
    if (e.workspace && existsSync(join(e.source, 'dist'))) hashTree(hash, e.source, 'dist');
  }
  return hash.digest('hex').slice(0, 16);
}

function summarise(dir: string): CopyStats {
  const stats: CopyStats = { bytes: 0, files: 0 };
  const walk = (d: string): void => {
    for (const entry of readdirSync(d)) {
      const p = join(d, entry);
      const st = lstatSync(p);
      if (st.isDirectory()) walk(p);
      else {
        stats.bytes += st.size;
        stats.files += 1;
      }
    }
  };
  walk(dir);
  return stats;
}

/**
 * Builds the bundle once per content key (app files, dependency versions, model, platform) and
 * reuses it afterwards. Built in a temporary directory and renamed, so a concurrent run never sees
 * half a bundle.
 */
export function ensureBundle(options: BundleOptions): Bundle {
  const started = performance.now();
  const packageDir = options.packageDir ?? PACKAGE_DIR;
  const platform = options.platform ?? process.platform;
  const arch = options.arch ?? process.arch;
  const distDir = join(packageDir, 'dist');
  if (!existsSync(distDir)) {
    throw new ContinuumError(
      'APP_BUNDLE_NO_DIST',
      `Cannot bundle the image-classification app: ${distDir} does not exist.`,
      { hint: 'Build it first: npx tsc -b packages/app-image-classification' },
    );
  }
  const kind = options.kind ?? 'full';
  const roots = importedPackages(distDir, kind === 'full' ? COMPONENT_ENTRIES : SENDER_ENTRIES);
  if (kind === 'endpoint') for (const name of INFERENCE_PACKAGES) roots.delete(name);
  const closure = runtimeClosure(packageDir, { platform, arch, roots });
  const key = bundleKey(packageDir, closure, options.model, platform, arch, kind);
  const dir = join(options.cacheDir, `app-image-classification-${kind === 'full' ? '' : `${kind}-`}${key}`);
  const modelFile = join('model', basename(options.model.onnxPath));
  const labelsFile = join('model', basename(options.model.labelsPath));
  const packages = closure.map((e) => `${e.name}@${e.version}`).sort();
  const done = join(dir, '.complete');
  if (existsSync(done)) {
    const stats = summarise(dir);
    return {
      dir,
      kind,
      modelFile,
      labelsFile,
      packages,
      ...stats,
      built: false,
      ms: performance.now() - started,
    };
  }
  mkdirSync(options.cacheDir, { recursive: true });
  const tmp = `${dir}.${process.pid}.tmp`;
  rmSync(tmp, { recursive: true, force: true });
  try {
    const stats: CopyStats = { bytes: 0, files: 0 };
    copyFileSync(join(packageDir, 'package.json'), join(mkdirp(tmp), 'package.json'));
    const keepApp = (rel: string): boolean => !prunedPath(rel, platform, arch);
    copyTree(distDir, join(tmp, 'dist'), keepApp, stats);
    if (existsSync(join(packageDir, 'assets')))
      copyTree(join(packageDir, 'assets'), join(tmp, 'assets'), keepApp, stats);
    if (kind === 'full') {
      mkdirSync(join(tmp, 'model'), { recursive: true });
      copyFileSync(options.model.onnxPath, join(tmp, modelFile));
      copyFileSync(options.model.labelsPath, join(tmp, labelsFile));
    }
    for (const e of closure) copyPackage(e, join(tmp, e.target), platform, arch, stats);
    writeFileSync(
      join(tmp, 'bundle.json'),
      `${JSON.stringify({ format: BUNDLE_FORMAT, kind, key, platform, arch, model: kind === 'full' ? options.model.hash : null, packages }, null, 2)}\n`,
    );
    writeFileSync(join(tmp, '.complete'), `${key}\n`);
    rmSync(dir, { recursive: true, force: true });
    renameSync(tmp, dir);
  } catch (error) {
    rmSync(tmp, { recursive: true, force: true });
    throw error;
  }
  const stats = summarise(dir);
  return {
    dir,
    kind,
    modelFile,
    labelsFile,
    packages,
    ...stats,
    built: true,
    ms: performance.now() - started,
  };
}

function mkdirp(dir: string): string {
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Human-readable size for log lines and notes. */
export function formatBytes(bytes: number): string {
  return bytes >= 1024 * 1024
    ? `${(bytes / 1024 / 1024).toFixed(1)} MiB`
    : `${(bytes / 1024).toFixed(0)} KiB`;
}
