import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
  chmodSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { ContinuumError } from '@continuum/plugin-api';

/**
 * The image components run in when their spec names none: the host's own `node` binary plus the
 * shared libraries it and the components' native addons link against, assembled into a rootfs
 * and `docker import`ed. No base image and no registry are needed (there is no Docker Hub
 * here and guests have no internet), and the image is a few tens of MB.
 *
 * Component files are not baked in: they are bind-mounted, so one image serves every app.
 */
const run = promisify(execFile);

export interface RuntimeImagePlan {
  tag: string;
  /** Absolute host paths of the files to put in the rootfs, at the same path. */
  files: string[];
  nodeBinary: string;
}

/** Parses `ldd` output into the absolute library paths it resolved (vdso and "not found" skipped). */
export function parseLdd(output: string): string[] {
  const libs: string[] = [];
  for (const raw of output.split('\n')) {
    const line = raw.trim();
    const arrow = /=>\s+(\/\S+)/.exec(line);
    if (arrow?.[1] !== undefined) libs.push(arrow[1]);
    else if (line.startsWith('/')) libs.push(line.split(/\s+/)[0] as string);
  }
  return [...new Set(libs)];
}

async function lddOf(file: string): Promise<string[]> {
  try {
    const { stdout } = await run('ldd', [file], { maxBuffer: 1 << 20 });
    return parseLdd(stdout);
  } catch {
    // Not a dynamic executable, or built for another architecture (darwin/arm64 addons ship too).
    return [];
  }
}

/** Native addons and shared objects under `dirs` for this machine's architecture. */
async function nativeFiles(dirs: readonly string[]): Promise<string[]> {
  const found: string[] = [];
  for (const dir of dirs) {
    if (!existsSync(dir)) continue;
    try {
      const { stdout } = await run(
        'find',
        [dir, '-type', 'f', '(', '-name', '*.node', '-o', '-name', '*.so', '-o', '-name', '*.so.*', ')'],
        {
          maxBuffer: 16 << 20,
        },
      );
      found.push(
        ...stdout.split('\n').filter((l) => l !== '' && !/\/(darwin|win32|arm64|aarch64)\//.test(l)),
      );
    } catch {
      // unreadable tree: the container will report the missing library itself
    }
  }
  return found;
}

/** Decides the rootfs contents and the content-addressed tag (node version + library set). */
export async function planRuntimeImage(
  options: { nodeBinary?: string; nativeDirs?: readonly string[] } = {},
): Promise<RuntimeImagePlan> {
  const nodeBinary = realpathSync(options.nodeBinary ?? process.execPath);
  const libs = new Set(await lddOf(nodeBinary));
  for (const addon of await nativeFiles(options.nativeDirs ?? [])) {
    for (const lib of await lddOf(addon)) {
      // Libraries that live next to the addon are bind-mounted with it; take only system ones.
      if (!lib.includes('/node_modules/')) libs.add(lib);
    }
  }
  const files = [...libs].sort();
  const hash = createHash('sha256');
  hash.update(process.version).update(nodeBinary);
  for (const f of files) hash.update(f).update(String(statSync(f).size));
  return {
    tag: `continuum/node-runtime:${process.version.slice(1)}-${hash.digest('hex').slice(0, 10)}`,
    files,
    nodeBinary,
  };
}

/** Builds the rootfs tarball (cached by tag under cacheDir). Returns its path. */
export async function buildRuntimeTarball(plan: RuntimeImagePlan, cacheDir: string): Promise<string> {
  const name = plan.tag.replace(/[^a-zA-Z0-9.-]/g, '_');
  const tarball = join(cacheDir, `${name}.tar`);
  if (existsSync(tarball)) return tarball;
  const root = join(cacheDir, `${name}.rootfs`);
  rmSync(root, { recursive: true, force: true });
  mkdirSync(root, { recursive: true });
  const place = (hostPath: string): void => {
    const target = join(root, hostPath);
    mkdirSync(dirname(target), { recursive: true });
    // Copy the resolved content to the path the loader asks for (symlink chains flattened).
    copyFileSync(realpathSync(hostPath), target);
    chmodSync(target, 0o755);
  };
  place(plan.nodeBinary);
  // Commands name the binary as the host does (process.execPath may be a symlink to it).
  if (process.execPath !== plan.nodeBinary) place(process.execPath);
  for (const lib of plan.files) place(lib);
  for (const dir of ['tmp', 'etc', 'proc', 'sys', 'dev', 'opt', 'root'])
    mkdirSync(join(root, dir), { recursive: true });
  chmodSync(join(root, 'tmp'), 0o1777);
  writeFileSync(
    join(root, 'etc/passwd'),
    'root:x:0:0:root:/root:/bin/false\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n',
  );
  writeFileSync(join(root, 'etc/group'), 'root:x:0:\nnogroup:x:65534:\n');
  writeFileSync(join(root, 'etc/nsswitch.conf'), 'hosts: files dns\n');
  writeFileSync(join(root, 'etc/hosts'), '127.0.0.1 localhost\n');
  const partial = `${tarball}.partial`;
  try {
    await run('tar', ['--numeric-owner', '--owner=0', '--group=0', '-C', root, '-cf', partial, '.']);
  } catch (error) {
    throw new ContinuumError(
      'DOCKER_RUNTIME_IMAGE',
      `Could not pack the runtime image rootfs ${root}: ${(error as Error).message}`,
      { cause: error },
    );
  }
  renameSync(partial, tarball);
  rmSync(root, { recursive: true, force: true });
  return tarball;
}

/** `docker import` arguments giving the image a PATH and the node binary's directory first. */
export function importChanges(plan: RuntimeImagePlan): string[] {
  return [
    '--change',
    `ENV PATH=${dirname(plan.nodeBinary)}:/usr/local/bin:/usr/bin:/bin`,
    '--change',
    'WORKDIR /tmp',
  ];
}
