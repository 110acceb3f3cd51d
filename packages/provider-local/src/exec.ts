import { spawn } from 'node:child_process';
import { ContinuumError } from '@continuum/plugin-api';

export interface RunResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

/**
 * Run a host program with an argument array (never a shell string). `check` (default true)
 * turns a non-zero exit into a ContinuumError that quotes the command and its stderr.
 */
export function run(
  argv: readonly string[],
  options: { input?: string; check?: boolean; timeoutMs?: number } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0] as string, argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer =
      options.timeoutMs === undefined
        ? undefined
        : setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input ?? '');
    child.on('error', (error) => {
      if (timer) clearTimeout(timer);
      reject(
        new ContinuumError('LOCAL_COMMAND_MISSING', `Could not run ${argv[0]}: ${error.message}`, {
          hint: `Install ${argv[0]} (iproute2 provides ip and tc).`,
          cause: error,
        }),
      );
    });
    child.on('close', (code) => {
      if (timer) clearTimeout(timer);
      const exitCode = code ?? 1;
      if ((options.check ?? true) && exitCode !== 0) {
        const shown = argv.join(' ');
        const input = options.input
          ? `\n--- batch input (first lines) ---\n${options.input.split('\n').slice(0, 8).join('\n')}`
          : '';
        reject(
          new ContinuumError(
            'LOCAL_COMMAND_FAILED',
            `${shown} failed (exit ${exitCode}): ${(stderr || stdout).trim().slice(0, 1500)}${input}`,
            {
              details: { command: [...argv], exitCode, stderr: stderr.slice(0, 4000) },
            },
          ),
        );
        return;
      }
      resolve({ stdout, stderr, exitCode });
    });
  });
}

/** Run async jobs with at most `limit` in flight (2 cores: more parallel `ip` processes only add contention). */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i] as T, i);
    }
  });
  await Promise.all(workers);
  return results;
}
