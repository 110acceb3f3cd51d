import type { NodeInfo } from '../node.js';
import type { Role, Tier } from '../topology.js';

/** NodeInfo of the i-th VM reached over ssh, as the VM providers record it (nothing is contacted). */
export function sshNodeInfo(name: string, tier: Tier, role: Role, i: number): NodeInfo {
  return {
    name,
    tier,
    role,
    address: `192.168.100.${10 + i}`,
    limits: { cores: 2, cpuQuota: 1, memoryMiB: 2048 },
    access: {
      kind: 'ssh',
      user: 'continuum',
      host: `192.168.100.${10 + i}`,
      port: 22,
      keyFile: '/home/user/.continuum/id_ed25519',
      shell: `ssh -i /home/user/.continuum/id_ed25519 continuum@192.168.100.${10 + i}`,
    },
    sharesHostFilesystem: false,
  };
}
