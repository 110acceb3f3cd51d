import { ContinuumError } from '@continuum/plugin-api';

/**
 * The CIDR SSH is allowed from: the configured one, or for `auto` this machine's public IPv4 as
 * an IP echo service sees it, as a /32.
 */
export async function resolveSshSourceCidr(
  value: string,
  ipEchoUrl: string,
  signal?: AbortSignal,
): Promise<string> {
  if (value !== 'auto') return value;
  let text: string;
  try {
    const response = await fetch(ipEchoUrl, {
      signal: signal ? AbortSignal.any([signal, AbortSignal.timeout(10_000)]) : AbortSignal.timeout(10_000),
    });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    text = (await response.text()).trim();
  } catch (error) {
    throw new ContinuumError(
      'GCP_SSH_SOURCE',
      `Could not find this machine's public IP address from ${ipEchoUrl}: ${(error as Error).message}`,
      {
        hint: 'Set provider options.sshSourceCidr to your public address, e.g. 203.0.113.7/32.',
      },
    );
  }
  if (!/^(\d{1,3}\.){3}\d{1,3}$/.test(text) || text.split('.').some((o) => Number(o) > 255)) {
    throw new ContinuumError(
      'GCP_SSH_SOURCE',
      `${ipEchoUrl} answered "${text.slice(0, 60)}", not an IPv4 address.`,
      {
        hint: 'Set provider options.sshSourceCidr explicitly, e.g. 203.0.113.7/32.',
      },
    );
  }
  return `${text}/32`;
}
