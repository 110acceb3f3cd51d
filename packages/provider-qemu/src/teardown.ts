import { existsSync, rmSync } from 'node:fs';
import type { Logger } from '@continuum/plugin-api';
import type { QemuState } from './state.js';
import { removeCgroup, stopQemu } from './vm/qemu-process.js';
import { destroyAndUndefine } from './vm/libvirt.js';
import { deleteLink } from './net/host-net.js';
import { tryRun } from './exec.js';

/**
 * Removes everything recorded in the state blob, in reverse creation order, continuing past
 * errors. Idempotent: every step tolerates a resource that is already gone. Needs nothing but the
 * state (works in a new process after a crash).
 */
export async function teardownFromState(state: QemuState, log: Logger): Promise<void> {
  const errors: string[] = [];
  const attempt = async (what: string, fn: () => Promise<void> | void): Promise<void> => {
    try {
      await fn();
    } catch (error) {
      errors.push(`${what}: ${error instanceof Error ? error.message : String(error)}`);
    }
  };
  await Promise.all(
    state.vms.map((vm) =>
      attempt(`stop ${vm.domain}`, async () => {
        if (state.backend === 'libvirt') await destroyAndUndefine(vm.host ?? state.libvirtUri, vm.domain);
        await stopQemu(vm);
        removeCgroup(vm.cgroup);
      }),
    ),
  );
  for (const remote of state.remoteCleanup) {
    for (const cmd of remote.commands) {
      await attempt(`remote ${remote.sshTarget}`, async () => {
        await tryRun(
          'ssh',
          ['-o', 'BatchMode=yes', '-o', 'ConnectTimeout=10', remote.sshTarget, '--', ...cmd],
          { timeoutMs: 30_000 },
        );
      });
    }
  }
  for (const vm of state.vms) {
    await attempt(`files of ${vm.domain}`, () => {
      for (const f of [vm.overlay, vm.seed, vm.pidfile])
        if (f !== undefined && existsSync(f)) rmSync(f, { force: true });
    });
  }
  for (const tap of state.taps) await attempt(`tap ${tap}`, () => deleteLink(tap));
  for (const vx of state.vxlans) await attempt(`vxlan ${vx}`, () => deleteLink(vx));
  if (state.nftTable !== undefined) {
    const table = state.nftTable;
    await attempt(`nft table ${table}`, async () => {
      await tryRun('nft', ['delete', 'table', 'ip', table]);
    });
  }
  if (state.bridge !== undefined) {
    const bridge = state.bridge;
    await attempt(`bridge ${bridge}`, () => deleteLink(bridge));
  }
  if (errors.length > 0) log.warn(`teardown finished with ${errors.length} problem(s): ${errors.join('; ')}`);
}
