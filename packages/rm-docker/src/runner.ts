import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import {
  ContinuumError,
  componentNode,
  copyComponentFiles,
  waitForExit,
  type ComponentSpec,
  type LogLine,
  type Node,
  type StatusChange,
  type Workload,
  type WorkloadExit,
  type WorkloadRunner,
} from '@continuum/plugin-api';
import { COMPONENT_LABEL, RUN_LABEL, containerName, docker, type DockerEndpoint } from './docker-cli.js';

export interface ContainerRecord {
  node: string;
  name: string;
}

export interface DockerRunnerOptions {
  runId: string;
  tag: string;
  nodes: readonly Node[];
  endpoint: DockerEndpoint;
  /** Where host-side logs of each component go. */
  logDir: string;
  /** `host` as upstream (endpoints and mist workers use the node's network). */
  network: string;
  /** Image for components whose spec names none; ensured on a node before its first container. */
  ensureDefaultImage: (node: Node) => Promise<string>;
  /** Write-ahead hook: called BEFORE a container is created so teardown can find it. */
  record: (container: ContainerRecord) => Promise<void>;
}

/** Parses one `docker logs -t` line: RFC 3339 timestamp with nanoseconds, a space, the text. */
export function parseTimestampedLine(raw: string): { time: number; line: string } | undefined {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d) ?(.*)$/.exec(raw);
  if (m === null) return undefined;
  const base = Date.parse(`${m[1]}${m[3]}`);
  if (Number.isNaN(base)) return undefined;
  const frac = m[2] === undefined ? 0 : Number(`0.${m[2]}`) * 1000;
  return { time: base + frac, line: m[4] ?? '' };
}

const SYSTEM_DIRS = new Set([
  '/',
  '/bin',
  '/boot',
  '/dev',
  '/etc',
  '/lib',
  '/lib64',
  '/proc',
  '/run',
  '/sbin',
  '/sys',
  '/usr',
  '/var',
  '/tmp',
  '/root',
  '/home',
]);

/** Nearest ancestor directory holding a package.json (the package a script belongs to). */
function packageRoot(path: string): string | undefined {
  for (let dir = dirname(path); dirname(dir) !== dir; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
  }
  return undefined;
}

/** Absolute host paths mentioned in the command or env (also inside JSON values) that exist. */
export function referencedHostPaths(spec: ComponentSpec): string[] {
  const texts = [...spec.command, ...Object.values(spec.env ?? {})];
  const found = new Set<string>();
  for (const text of texts) {
    for (const m of text.matchAll(/(?:^|[\s"'=,:[{])(\/[^\s"',\]}]+)/g)) {
      const path = m[1] as string;
      if (!SYSTEM_DIRS.has(path) && existsSync(path)) found.add(path);
    }
  }
  return [...found];
}

/**
 * Paths to bind-mount into a component's container, each at the same path as on the node so the
 * command's arguments stay valid. On nodes that share the host filesystem the component may name
 * host paths directly (its script, a model file): those are mounted too — a script as its whole
 * package — plus the `node_modules` directories of every ancestor, because Node resolves packages
 * by walking up the parents and workspaces hoist dependencies to the root.
 */
export function mountsFor(spec: ComponentSpec, sharesHostFilesystem: boolean): string[] {
  const mounts = new Set<string>();
  for (const file of spec.files ?? []) mounts.add(sharesHostFilesystem ? resolve(file.from) : file.to);
  if (sharesHostFilesystem) {
    for (const path of referencedHostPaths(spec)) {
      if (path === process.execPath) continue;
      const root = /\.(c|m)?js$/.test(path) ? packageRoot(path) : undefined;
      mounts.add(root ?? path);
    }
    for (const path of [...mounts]) {
      for (let dir = dirname(path); ; dir = dirname(dir)) {
        const modules = join(dir, 'node_modules');
        if (existsSync(modules)) mounts.add(modules);
        if (dirname(dir) === dir) break;
      }
    }
  }
  // A path inside another mounted directory is already visible.
  const sorted = [...mounts].sort();
  return sorted.filter((m) => !sorted.some((o) => o !== m && m.startsWith(`${o}/`)));
}

/** The `docker run` arguments for a component (pure, unit-tested). */
export function runArguments(
  spec: ComponentSpec,
  options: { name: string; runId: string; image: string; network: string; mounts: readonly string[] },
): string[] {
  const args = ['run', '--detach', '--name', options.name, '--network', options.network];
  args.push('--label', `${RUN_LABEL}=${options.runId}`, '--label', `${COMPONENT_LABEL}=${spec.name}`);
  for (const [k, v] of Object.entries(spec.labels ?? {})) args.push('--label', `${k}=${v}`);
  // Fractional CPUs are passed as they are: upstream's `--cpus=%i` turned 0.5 into 0 (= unlimited).
  if (spec.cpu !== undefined) args.push('--cpus', String(spec.cpu));
  if (spec.memoryMiB !== undefined) args.push('--memory', `${Math.max(6, Math.round(spec.memoryMiB))}m`);
  for (const [k, v] of Object.entries(spec.env ?? {})) args.push('--env', `${k}=${v}`);
  for (const m of options.mounts) args.push('--volume', `${m}:${m}:ro`);
  args.push(options.image, ...spec.command);
  return args;
}

interface InspectState {
  Status: string;
  Running: boolean;
  OOMKilled: boolean;
  ExitCode: number;
  Error: string;
  StartedAt: string;
  FinishedAt: string;
}

/** Timeline from `docker inspect`: created → running (StartedAt) → exited (FinishedAt). */
export function timelineFromInspect(created: string, state: InspectState): StatusChange[] {
  const t = (iso: string): number | undefined => {
    const ms = Date.parse(iso);
    return Number.isNaN(ms) || iso.startsWith('0001-') ? undefined : ms;
  };
  const out: StatusChange[] = [];
  const c = t(created);
  if (c !== undefined) out.push({ time: c, phase: 'pending', reason: 'created' });
  const s = t(state.StartedAt);
  if (s !== undefined) out.push({ time: s, phase: 'running' });
  const f = t(state.FinishedAt);
  if (!state.Running && f !== undefined && s !== undefined) {
    const ok = state.ExitCode === 0 && !state.OOMKilled;
    const reason = state.OOMKilled
      ? 'OOMKilled'
      : state.Error !== ''
        ? state.Error
        : ok
          ? undefined
          : `exit code ${state.ExitCode}`;
    out.push({ time: f, phase: ok ? 'succeeded' : 'failed', ...(reason !== undefined ? { reason } : {}) });
  }
  return out;
}

export function createDockerRunner(options: DockerRunnerOptions): WorkloadRunner {
  const byName = new Map(options.nodes.map((n) => [n.name, n]));
  return {
    name: 'docker',
    async run(spec: ComponentSpec, runOptions = {}): Promise<Workload> {
      const node = componentNode(byName, spec);
      await copyComponentFiles(node, spec);
      const image = spec.image ?? (await options.ensureDefaultImage(node));
      const name = containerName(options.tag, spec.name);
      await options.record({ node: node.name, name });
      // A container left by an earlier attempt with the same name would make `docker run` fail.
      await docker(node, options.endpoint, ['rm', '--force', name], { check: false });
      const args = runArguments(spec, {
        name,
        runId: options.runId,
        image,
        network: options.network,
        mounts: mountsFor(spec, node.sharesHostFilesystem),
      });
      const requested = Date.now();
      let started = await docker(node, options.endpoint, args, {
        check: false,
        ...(runOptions.signal ? { signal: runOptions.signal } : {}),
      });
      if (started.exitCode !== 0 && started.stderr.includes('apparmor_parser')) {
        // The guest kernel has AppArmor but the image lacks apparmor_parser (docker.io without recommends):
        // run unconfined rather than not at all; installing `apparmor` in the image avoids this.
        await docker(node, options.endpoint, ['rm', '--force', name], { check: false });
        started = await docker(
          node,
          options.endpoint,
          [args[0] as string, '--security-opt', 'apparmor=unconfined', ...args.slice(1)],
          {
            check: false,
            ...(runOptions.signal ? { signal: runOptions.signal } : {}),
          },
        );
      }
      if (started.exitCode !== 0) {
        throw new ContinuumError(
          'DOCKER_RUN_FAILED',
          `docker run for ${spec.name} on ${node.name} failed: ${started.stderr.trim().slice(0, 1500)}`,
          {
            hint:
              image === spec.image
                ? `Is the image "${image}" present on ${node.name}? Guests have no internet: build it on the host and deliver it.`
                : 'See the docker daemon log on the node.',
            details: { node: node.name, container: name },
          },
        );
      }
      const timeline: StatusChange[] = [{ time: requested, phase: 'pending', reason: 'docker run' }];
      const lines: LogLine[] = [];
      const listeners: ((l: LogLine) => void)[] = [];
      // `docker logs -f -t` replays from the start, so nothing is lost between run and attach.
      const follower = await node.spawn(['docker', 'logs', '--follow', '--timestamps', name], {
        env: options.endpoint.host === undefined ? {} : { DOCKER_HOST: options.endpoint.host },
        logFile: join(options.logDir, `${spec.name}.docker-logs.log`),
        detached: false,
        limited: false,
        onLine: (raw, stream, seen) => {
          const parsed = parseTimestampedLine(raw);
          const entry: LogLine = { time: parsed?.time ?? seen, stream, line: parsed?.line ?? raw };
          lines.push(entry);
          for (const l of listeners) l(entry);
        },
      });
      let inspected: StatusChange[] | undefined;
      const inspect = async (): Promise<{ state: InspectState; created: string } | undefined> => {
        const r = await docker(
          node,
          options.endpoint,
          ['inspect', '--format', '{{json .State}}|{{.Created}}', name],
          { check: false },
        );
        if (r.exitCode !== 0) return undefined;
        const [json, created] = r.stdout.trim().split('|');
        return { state: JSON.parse(json as string) as InspectState, created: created ?? '' };
      };
      let exit: Promise<WorkloadExit> | undefined;
      const waitExit = (): Promise<WorkloadExit> => {
        exit ??= (async () => {
          const waited = await docker(node, options.endpoint, ['wait', name], { check: false });
          await follower.wait();
          const info = await inspect();
          if (info === undefined) {
            const reason = `container ${name} disappeared: ${waited.stderr.trim()}`;
            timeline.push({ time: Date.now(), phase: 'failed', reason });
            return { phase: 'failed', exitCode: null, reason };
          }
          inspected = timelineFromInspect(info.created, info.state);
          const last = inspected.at(-1);
          const ok = last?.phase === 'succeeded';
          return {
            phase: ok ? 'succeeded' : 'failed',
            exitCode: info.state.ExitCode,
            ...(last?.reason !== undefined && !ok ? { reason: last.reason } : {}),
          };
        })();
        return exit;
      };
      void waitExit().catch(() => undefined);
      return {
        ref: { runner: 'docker', name: spec.name, node: node.name, data: { container: name, image } },
        wait: (opts = {}) =>
          waitForExit(waitExit(), opts, {
            component: spec.name,
            subject: `Container ${name} (${spec.name}) on ${node.name}`,
          }),
        async stop() {
          await docker(node, options.endpoint, ['stop', '--time', '3', name], { check: false });
        },
        logs: () => Promise.resolve([...lines]),
        onLine: (listener) => void listeners.push(listener),
        timeline: () => {
          if (inspected === undefined) return [...timeline];
          // Daemon timestamps are authoritative once known; keep the request time in front.
          return [...timeline, ...inspected.filter((s) => s.phase !== 'pending')];
        },
      };
    },
  };
}

/** Removes every container of a run on a node: by recorded name and by the run label. */
export async function removeRunContainers(
  node: Node,
  endpoint: DockerEndpoint,
  runId: string,
  names: readonly string[],
): Promise<string[]> {
  const found = await docker(
    node,
    endpoint,
    ['ps', '--all', '--quiet', '--filter', `label=${RUN_LABEL}=${runId}`],
    { check: false },
  );
  const ids = found.exitCode === 0 ? found.stdout.split('\n').filter((l) => l.trim() !== '') : [];
  const targets = [...new Set([...names, ...ids])];
  if (targets.length > 0) await docker(node, endpoint, ['rm', '--force', ...targets], { check: false });
  return targets;
}
