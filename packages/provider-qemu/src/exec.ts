import { ContinuumError } from '@continuum/plugin-api';

export interface RunResult {
  stdout: string;
  stderr: string;
  exitCode: number;
  /** Set when the program was killed by a signal (exitCode is then -1). */
  signal?: string;
  timedOut?: boolean;
}

export interface RunOptions {
  input?: string;
  timeoutMs?: number;
  signal?: AbortSignal;
  env?: Record<string, string>;
}

/** Runs a program with an argument array (never a shell string); resolves whatever the exit code. */
export async function tryRun(
  file: string,
  args: readonly string[],
  options: RunOptions = {},
): Promise<RunResult> {
  const { execa } = await import('execa');
  const res = await execa(file, args, {
    reject: false,
    ...(options.input !== undefined ? { input: options.input } : { stdin: 'ignore' as const }),
    ...(options.timeoutMs !== undefined ? { timeout: options.timeoutMs } : {}),
    ...(options.signal !== undefined ? { cancelSignal: options.signal } : {}),
    ...(options.env !== undefined ? { env: options.env } : {}),
  });
  if (res.failed && res.exitCode === undefined) {
    const why = res.timedOut
      ? `timed out after ${options.timeoutMs} ms`
      : (res.originalMessage ?? res.shortMessage);
    return {
      stdout: String(res.stdout ?? ''),
      stderr: `${String(res.stderr ?? '')}\n${why}`.trim(),
      exitCode: -1,
      ...(res.signal !== undefined ? { signal: res.signal } : {}),
      timedOut: res.timedOut,
    };
  }
  return { stdout: String(res.stdout ?? ''), stderr: String(res.stderr ?? ''), exitCode: res.exitCode ?? -1 };
}

/** Like tryRun but throws a ContinuumError naming the command when it fails. */
export async function run(
  file: string,
  args: readonly string[],
  options: RunOptions = {},
): Promise<RunResult> {
  const res = await tryRun(file, args, options);
  if (res.exitCode !== 0) {
    const missing = /ENOENT/.test(res.stderr);
    throw new ContinuumError(
      missing ? 'QEMU_TOOL_MISSING' : 'QEMU_COMMAND_FAILED',
      missing
        ? `${file} is not installed`
        : `${file} ${args.join(' ')} failed (exit ${res.exitCode}): ${res.stderr.trim().slice(0, 800)}`,
      missing ? { hint: `Install it, e.g. apt-get install ${packageFor(file)}` } : {},
    );
  }
  return res;
}

function packageFor(file: string): string {
  const map: Record<string, string> = {
    'qemu-system-x86_64': 'qemu-system-x86',
    'qemu-img': 'qemu-utils',
    debootstrap: 'debootstrap',
    virsh: 'libvirt-clients',
    'virt-xml-validate': 'libvirt-clients',
    'cloud-localds': 'cloud-image-utils genisoimage',
    'ssh-keygen': 'openssh-client',
    ip: 'iproute2',
    nft: 'nftables',
    'mkfs.ext4': 'e2fsprogs',
  };
  return map[file] ?? file;
}
