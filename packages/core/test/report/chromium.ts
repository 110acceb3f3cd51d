import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const hasChromium = (): boolean =>
  spawnSync('chromium', ['--version'], { encoding: 'utf8' }).status === 0;

/**
 * Open a page in headless Debian Chromium, screenshot it and return every console message
 * (Chromium logs them as `INFO:CONSOLE` with --enable-logging=stderr). DNS is mapped to nothing,
 * so any attempt to fetch from the network fails loudly as a console error.
 */
/** Chromium's own background traffic (updates, time, dictionaries, accounts), not the page's. */
const BROWSER_HOSTS = /(^|\.)(google\.com|googleapis\.com|gvt1\.com|gstatic\.com)$/;

export function renderInChromium(
  file: string,
  screenshot: string,
  size = '1400,2600',
): { console: string[]; requests: string[]; status: number | null; stderr: string } {
  const profile = mkdtempSync(join(tmpdir(), 'continuum-chromium-'));
  try {
    const r = spawnSync(
      'chromium',
      [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        `--user-data-dir=${profile}`,
        '--host-resolver-rules=MAP * ~NOTFOUND',
        `--log-net-log=${join(profile, 'net.json')}`,
        '--enable-logging=stderr',
        '--v=0',
        `--window-size=${size}`,
        `--screenshot=${screenshot}`,
        `file://${file}`,
      ],
      { encoding: 'utf8', timeout: 90000 },
    );
    const console = r.stderr
      .split('\n')
      .filter((l) => /:CONSOLE[:(]/.test(l) || /Uncaught|Failed to load resource/.test(l));
    let netlog = '';
    try {
      netlog = readFileSync(join(profile, 'net.json'), 'utf8');
    } catch {
      // no net log: no request
    }
    const requests = [
      ...new Set([...netlog.matchAll(/"url":"(https?:\/\/[^"]+)"/g)].map((m) => m[1] as string)),
    ].filter((u) => !BROWSER_HOSTS.test(new URL(u).hostname));
    return { console, requests, status: r.status, stderr: r.stderr };
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
}
