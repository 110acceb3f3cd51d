import { spawn } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { createInterface } from 'node:readline';
import { ContinuumError, type Logger } from '@continuum/plugin-api';

export interface RecapLine {
  host: string;
  ok: number;
  changed: number;
  unreachable: number;
  failed: number;
  skipped: number;
  rescued: number;
  ignored: number;
}

/** Parses the PLAY RECAP block (`host : ok=3 changed=1 unreachable=0 failed=0 skipped=0 …`). */
export function parseRecap(output: string): RecapLine[] {
  const out: RecapLine[] = [];
  let inRecap = false;
  for (const line of output.split('\n')) {
    if (line.startsWith('PLAY RECAP')) {
      inRecap = true;
      continue;
    }
    if (!inRecap) continue;
    const m = /^(\S+)\s*:\s*(.*)$/.exec(line.trim());
    if (m === null) continue;
    const fields: Record<string, number> = Object.fromEntries(
      [...(m[2] ?? '').matchAll(/(\w+)=(\d+)/g)].map((f) => [f[1] ?? '', Number(f[2])]),
    );
    if (!('ok' in fields)) continue;
    out.push({
      host: m[1] as string,
      ok: fields['ok'] ?? 0,
      changed: fields['changed'] ?? 0,
      unreachable: fields['unreachable'] ?? 0,
      failed: fields['failed'] ?? 0,
      skipped: fields['skipped'] ?? 0,
      rescued: fields['rescued'] ?? 0,
      ignored: fields['ignored'] ?? 0,
    });
  }
  return out;
}

/** The `fatal: [host]: FAILED! => {...msg...}` lines, for error messages that name the node. */
export function fatalLines(output: string): string[] {
  return output
    .split('\n')
    .filter((l) => /^(fatal|failed): \[/.test(l.trim()))
    .map((l) => l.trim().slice(0, 600));
}

export interface PlaybookRun {
  playbook: string;
  inventory: string;
  log: Logger;
  logFile: string;
  signal?: AbortSignal;
  extraVars?: Record<string, string>;
  /** Spawn override for tests (defaults to ansible-playbook on PATH). */
  command?: string;
}

const ANSIBLE_ENV = {
  ANSIBLE_HOST_KEY_CHECKING: 'False',
  ANSIBLE_PIPELINING: 'True',
  ANSIBLE_CALLBACKS_ENABLED: 'ansible.posix.profile_tasks',
  ANSIBLE_FORCE_COLOR: '0',
  ANSIBLE_NOCOLOR: '1',
  ANSIBLE_RETRY_FILES_ENABLED: 'False',
};

/**
 * Runs a playbook with an argument array. Failure is judged by the exit code and the recap, not
 * by "any stderr line" as upstream did (continuum-upstream.md §7 item 6).
 */
export function runPlaybook(run: PlaybookRun): Promise<{ output: string; recap: RecapLine[] }> {
  mkdirSync(dirname(run.logFile), { recursive: true });
  const args = ['-i', run.inventory, run.playbook];
  for (const [k, v] of Object.entries(run.extraVars ?? {})) args.push('--extra-vars', `${k}=${v}`);
  return new Promise((resolve, reject) => {
    const child = spawn(run.command ?? 'ansible-playbook', args, {
      env: { ...process.env, ...ANSIBLE_ENV },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    const log = createWriteStream(run.logFile, { flags: 'a' });
    let output = '';
    const onAbort = (): void => {
      if (child.pid !== undefined) {
        try {
          process.kill(-child.pid, 'SIGTERM');
        } catch {
          // gone
        }
      }
    };
    run.signal?.addEventListener('abort', onAbort, { once: true });
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream }).on('line', (line) => {
        output += `${line}\n`;
        log.write(`${line}\n`);
        if (line.startsWith('TASK ['))
          run.log.progress(`${basename(run.playbook)}: ${line.slice(6, line.indexOf(']'))}`);
      });
    }
    child.on('error', (error) =>
      reject(
        new ContinuumError('ANSIBLE_MISSING', `Could not start ansible-playbook: ${error.message}`, {
          hint: 'Install Ansible on the Continuum host (Debian: apt-get install ansible).',
          cause: error,
        }),
      ),
    );
    child.on('close', (code) => {
      run.signal?.removeEventListener('abort', onAbort);
      log.end();
      const recap = parseRecap(output);
      const bad = recap.filter((r) => r.failed > 0 || r.unreachable > 0);
      if (run.signal?.aborted)
        reject(new ContinuumError('ABORTED', `${basename(run.playbook)} was cancelled.`));
      else if (code !== 0 || bad.length > 0) {
        const fatals = fatalLines(output);
        reject(
          new ContinuumError(
            'ANSIBLE_FAILED',
            `${basename(run.playbook)} failed on ${bad.map((b) => b.host).join(', ') || 'the hosts'}: ${fatals.join(' | ') || `exit code ${code}`}`,
            {
              hint: `Full output: ${run.logFile}`,
              details: { recap, exitCode: code },
            },
          ),
        );
      } else resolve({ output, recap });
    });
  });
}

/** `ansible-playbook --syntax-check`, used before every install and by the tests. */
export function syntaxCheck(playbook: string, inventory: string): Promise<{ ok: boolean; output: string }> {
  return collect('ansible-playbook', ['--syntax-check', '-i', inventory, playbook], dirname(playbook));
}

/** `ansible-lint` (production profile) on rendered playbooks. */
export function lint(playbooks: readonly string[], cwd: string): Promise<{ ok: boolean; output: string }> {
  return collect('ansible-lint', ['--nocolor', '--profile', 'production', ...playbooks], cwd);
}

function collect(cmd: string, args: string[], cwd: string): Promise<{ ok: boolean; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      cwd,
      env: { ...process.env, ...ANSIBLE_ENV },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', (error) =>
      reject(
        new ContinuumError('ANSIBLE_MISSING', `Could not start ${cmd}: ${error.message}`, { cause: error }),
      ),
    );
    child.on('close', (code) => resolve({ ok: code === 0, output }));
  });
}
