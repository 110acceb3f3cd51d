import { chmodSync, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { ContinuumError } from '@continuum/plugin-api';
import { run } from '../exec.js';

export interface FrameworkKey {
  privateKey: string;
  publicKey: string;
  /** The base64 blob of the ed25519 public key, passed on the guest's kernel command line. */
  blob: string;
}

export function keyDir(env: NodeJS.ProcessEnv = process.env): string {
  const base =
    env['XDG_CONFIG_HOME'] !== undefined && env['XDG_CONFIG_HOME'] !== ''
      ? env['XDG_CONFIG_HOME']
      : join(homedir(), '.config');
  return join(base, 'continuum', 'ssh');
}

/**
 * The framework's own ed25519 key (never the user's keys, never a password). Created once, mode
 * 0600; a key with looser permissions is fixed rather than used as is (ssh would refuse it).
 */
export async function ensureFrameworkKey(dir = keyDir()): Promise<FrameworkKey> {
  const privateKey = join(dir, 'id_ed25519');
  const publicKey = `${privateKey}.pub`;
  if (!existsSync(privateKey)) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'continuum', '-f', privateKey]);
  }
  if ((statSync(privateKey).mode & 0o077) !== 0) chmodSync(privateKey, 0o600);
  const pub = readFileSync(publicKey, 'utf8').trim().split(/\s+/);
  if (pub[0] !== 'ssh-ed25519' || pub[1] === undefined) {
    throw new ContinuumError('QEMU_BAD_KEY', `${publicKey} is not an ed25519 public key`, {
      hint: `Delete ${dir} to let Continuum create a new key`,
    });
  }
  return { privateKey, publicKey, blob: pub[1] };
}
