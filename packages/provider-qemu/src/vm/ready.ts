import { existsSync, readFileSync } from 'node:fs';
import { ContinuumError } from '@continuum/plugin-api';
import type { SshTarget } from '../node/ssh-node.js';
import { closeClient, connectSsh } from '../node/ssh-node.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export function consoleTail(file: string, lines = 15): string {
  if (!existsSync(file)) return '(no console output)';
  return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
}

/**
 * Polls until the VM accepts the framework key over ssh and runs a command, with a hard deadline
 * (upstream polled ssh-keyscan forever). Stops early, with the console log, when QEMU has exited.
 */
export async function waitForSsh(o: {
  node: string;
  target: SshTarget;
  timeoutMs: number;
  consoleLog: string;
  isAlive: () => boolean | Promise<boolean>;
  signal?: AbortSignal;
}): Promise<number> {
  const started = Date.now();
  let lastError = '';
  while (Date.now() - started < o.timeoutMs) {
    if (o.signal?.aborted)
      throw new ContinuumError('ABORTED', `Cancelled while waiting for ${o.node} to boot`);
    if (!(await o.isAlive())) {
      throw new ContinuumError('QEMU_VM_DIED', `VM ${o.node} stopped while booting`, {
        hint: `Console log ${o.consoleLog}:\n${consoleTail(o.consoleLog)}`,
        details: { node: o.node, consoleLog: o.consoleLog },
      });
    }
    try {
      const client = await connectSsh(o.target, 5000);
      const ok = await new Promise<boolean>((resolve) => {
        client.exec('true', (err, ch) => {
          if (err) return resolve(false);
          ch.on('exit', (code: number) => resolve(code === 0)).resume();
          ch.stderr.resume();
        });
      });
      closeClient(client);
      if (ok) return Date.now() - started;
    } catch (error) {
      lastError = error instanceof Error ? error.message : String(error);
    }
    await sleep(1000);
  }
  throw new ContinuumError(
    'QEMU_BOOT_TIMEOUT',
    `VM ${o.node} did not accept ssh on ${o.target.host}:${o.target.port} within ${Math.round(o.timeoutMs / 1000)} s (last error: ${lastError || 'none'})`,
    {
      hint: `Console log ${o.consoleLog}:\n${consoleTail(o.consoleLog)}\nRaise options.bootTimeoutS if the host is slow (TCG).`,
      details: { node: o.node, consoleLog: o.consoleLog },
    },
  );
}
