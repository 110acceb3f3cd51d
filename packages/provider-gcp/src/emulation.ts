import { ContinuumError, measureRttMatrix } from '@continuum/plugin-api';
import type { EmulationReport, Logger, Node, Topology } from '@continuum/plugin-api';
import { guestTcCommands, guestTcResetCommand, parseRouteDevice, tcBatch } from '@continuum/plugin-api';

/** Run a command as root on a guest (the SSH user has passwordless sudo on GCE images). */
export const asRoot = (command: readonly string[]): string[] => ['sudo', '-n', ...command];

const UNKNOWN_QDISC = /unknown qdisc|qdisc kind is unknown|No such file or directory/i;

/**
 * Ubuntu's cloud kernels keep sch_netem in linux-modules-extra. Detect by trying: add a netem
 * qdisc on the loopback of the guest; if the kind is unknown, install the extra modules once.
 */
async function ensureNetem(node: Node, log: Logger, signal?: AbortSignal): Promise<void> {
  const opts = { check: false, timeoutMs: 30_000, ...(signal ? { signal } : {}) };
  const probe = async (): Promise<{ ok: boolean; text: string }> => {
    const add = await node.exec(
      asRoot(['tc', 'qdisc', 'add', 'dev', 'lo', 'root', 'handle', '1:', 'netem', 'delay', '0ms']),
      opts,
    );
    if (add.exitCode === 0) await node.exec(asRoot(['tc', 'qdisc', 'del', 'dev', 'lo', 'root']), opts);
    return { ok: add.exitCode === 0 || /File exists/i.test(add.stderr), text: add.stderr.trim() };
  };
  let result = await probe();
  if (result.ok) return;
  if (!UNKNOWN_QDISC.test(result.text)) {
    throw new ContinuumError('GCP_TC_FAILED', `tc on ${node.name} failed: ${result.text}`);
  }
  await node.exec(asRoot(['modprobe', 'sch_netem']), opts);
  result = await probe();
  if (result.ok) return;
  const kernel = (await node.exec(['uname', '-r'], opts)).stdout.trim();
  log.info(`${node.name}: installing linux-modules-extra-${kernel} for netem`);
  const install = await node.exec(
    asRoot([
      'env',
      'DEBIAN_FRONTEND=noninteractive',
      'apt-get',
      '-o',
      'DPkg::Lock::Timeout=300',
      'install',
      '-y',
      '--no-install-recommends',
      `linux-modules-extra-${kernel}`,
    ]),
    { check: false, timeoutMs: 600_000, ...(signal ? { signal } : {}) },
  );
  if (install.exitCode !== 0) {
    // First boot runs unattended-upgrades: wait for the dpkg lock instead of failing on it.
    await node.exec(asRoot(['apt-get', '-o', 'DPkg::Lock::Timeout=300', 'update']), {
      check: false,
      timeoutMs: 300_000,
    });
    await node.exec(
      asRoot([
        'env',
        'DEBIAN_FRONTEND=noninteractive',
        'apt-get',
        '-o',
        'DPkg::Lock::Timeout=300',
        'install',
        '-y',
        '--no-install-recommends',
        `linux-modules-extra-${kernel}`,
      ]),
      {
        check: false,
        timeoutMs: 600_000,
      },
    );
  }
  await node.exec(asRoot(['modprobe', 'sch_netem']), opts);
  result = await probe();
  if (!result.ok) {
    throw new ContinuumError(
      'GCP_NETEM_MISSING',
      `The kernel of ${node.name} (${kernel}) has no netem qdisc: ${result.text}`,
      {
        hint: 'Use an image whose kernel ships sch_netem (Ubuntu: linux-modules-extra-<kernel>; Debian: the standard kernel), or set options.image.',
      },
    );
  }
}

/** Apply upstream's htb+netem model on every guest, then measure the latency matrix. */
export async function applyGuestEmulation(
  nodes: readonly Node[],
  topology: Topology,
  options: { iface?: string | undefined; log: Logger; signal?: AbortSignal },
): Promise<EmulationReport> {
  if (!topology.network.emulation) return { backend: 'none', measurements: [], warnings: [] };
  const links = topology.network.links;
  const peers = nodes.map((n) => ({ address: n.address, tier: n.tier }));
  await Promise.all(
    nodes.map(async (node) => {
      await ensureNetem(node, options.log, options.signal);
      let iface = options.iface;
      if (iface === undefined) {
        const other = nodes.find((n) => n.address !== node.address) ?? node;
        const route = await node.exec(['ip', '-o', 'route', 'get', other.address], { timeoutMs: 15_000 });
        iface = parseRouteDevice(route.stdout);
        if (iface === undefined)
          throw new ContinuumError(
            'GCP_TC_FAILED',
            `Could not find the interface of ${node.name} towards ${other.address}: ${route.stdout}`,
          );
      }
      await node.exec(asRoot(guestTcResetCommand(iface)), { check: false, timeoutMs: 15_000 });
      // One `tc -batch` per node instead of ~70 SSH round trips on a 100-node run; tc stops at the first error.
      const commands = guestTcCommands({
        iface,
        self: { address: node.address, tier: node.tier },
        peers,
        links,
      });
      await node.exec(asRoot(['tc', '-batch', '-']), { input: tcBatch(commands), timeoutMs: 30_000 });
      options.log.debug(`${node.name}: tc applied on ${iface}`);
    }),
  );
  // The VPC itself adds ~0.2-0.5 ms RTT within a zone on top of the emulated delay.
  const measurements = await measureRttMatrix(nodes, links, {
    backend: 'netem',
    slackMs: 1,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const warnings = measurements
    .filter((m) => !m.ok)
    .map((m) => m.note ?? `${m.from} -> ${m.to} outside tolerance`);
  return { backend: 'netem', rateBackend: 'htb', measurements, warnings };
}
