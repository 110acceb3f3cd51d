import { readFileSync } from 'node:fs';
import { ContinuumError } from '@continuum/plugin-api';
import { expandHome } from './gcp/compute-api.js';

const KNOWN_TYPES = new Set([
  'service_account',
  'authorized_user',
  'external_account',
  'impersonated_service_account',
]);

/**
 * Check a credentials file without ever echoing its content: exists, is JSON, has a known `type`.
 * Returns the problem, or undefined when it looks usable.
 */
export function checkCredentialsFile(path: string): { message: string; hint: string } | undefined {
  const full = expandHome(path);
  let text: string;
  try {
    text = readFileSync(full, 'utf8');
  } catch (error) {
    return {
      message: `credentials file ${full} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
      hint: 'Point options.credentials at a service-account key (JSON), or remove it to use Application Default Credentials.',
    };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return {
      message: `credentials file ${full} is not JSON`,
      hint: 'Download the key again from IAM & Admin > Service accounts > Keys (JSON).',
    };
  }
  const type =
    typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>)['type'] : undefined;
  if (typeof type !== 'string' || !KNOWN_TYPES.has(type)) {
    return {
      message: `credentials file ${full} is not a Google credentials file (type ${String(type)})`,
      hint: 'Use a service-account JSON key.',
    };
  }
  return undefined;
}

export function assertCredentials(path: string | undefined): void {
  if (path === undefined) return;
  const problem = checkCredentialsFile(path);
  if (problem !== undefined)
    throw new ContinuumError('GCP_CREDENTIALS', `GCP: ${problem.message}`, { hint: problem.hint });
}
