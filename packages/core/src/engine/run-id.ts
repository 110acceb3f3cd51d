import { randomBytes } from 'node:crypto';

/** `YYYYMMDD-HHMMSS-xxxx` in UTC; `xxxx` is 4 random base36 chars (plugin-api `runTag()` extracts it). */
export function newRunId(now = new Date()): string {
  const pad = (n: number): string => String(n).padStart(2, '0');
  const date = `${now.getUTCFullYear()}${pad(now.getUTCMonth() + 1)}${pad(now.getUTCDate())}`;
  const time = `${pad(now.getUTCHours())}${pad(now.getUTCMinutes())}${pad(now.getUTCSeconds())}`;
  const alphabet = '0123456789abcdefghijklmnopqrstuvwxyz';
  const tag = [...randomBytes(4)].map((b) => alphabet[b % 36]).join('');
  return `${date}-${time}-${tag}`;
}

export const RUN_ID_PATTERN = /^\d{8}-\d{6}-[0-9a-z]{4}$/;
