import type { GcpPlan, PlannedFirewall, PlannedInstance, PlannedSubnet } from '../plan.js';
import { runDescription } from '../naming.js';
import type { Firewall, Instance, Network, Subnetwork } from './compute-api.js';

/** Request bodies for the Compute API, built from the plan (pure; unit-tested). */

export function networkBody(plan: GcpPlan): Network {
  return {
    name: plan.network,
    description: runDescription(plan.runId),
    autoCreateSubnetworks: false,
    routingConfig: { routingMode: 'REGIONAL' },
  };
}

export function subnetBody(plan: GcpPlan, subnet: PlannedSubnet): Subnetwork {
  return {
    name: subnet.name,
    description: runDescription(plan.runId),
    network: `projects/${plan.project}/global/networks/${plan.network}`,
    ipCidrRange: subnet.cidr,
    region: plan.region,
  };
}

export function firewallBody(plan: GcpPlan, firewall: PlannedFirewall): Firewall {
  return {
    name: firewall.name,
    description: runDescription(plan.runId),
    network: `projects/${plan.project}/global/networks/${plan.network}`,
    direction: 'INGRESS',
    priority: 1000,
    sourceRanges: firewall.sourceRanges,
    allowed: firewall.allow.map((a) => ({ IPProtocol: a.protocol, ...(a.ports ? { ports: a.ports } : {}) })),
  };
}

export interface InstanceAccess {
  sshUser: string;
  /** OpenSSH public key line (`ssh-ed25519 AAAA… comment`). */
  publicKey: string;
  externalIp: boolean;
  image: { project: string; family: string };
}

export function instanceBody(plan: GcpPlan, instance: PlannedInstance, access: InstanceAccess): Instance {
  return {
    name: instance.name,
    description: runDescription(plan.runId),
    machineType: `zones/${plan.zone}/machineTypes/${instance.machineType}`,
    labels: instance.labels,
    disks: [
      {
        boot: true,
        autoDelete: true,
        type: 'PERSISTENT',
        initializeParams: {
          sourceImage: `projects/${access.image.project}/global/images/family/${access.image.family}`,
          diskSizeGb: instance.diskGb,
          diskType: `zones/${plan.zone}/diskTypes/${instance.diskType}`,
          labels: instance.labels,
        },
      },
    ],
    networkInterfaces: [
      {
        network: `projects/${plan.project}/global/networks/${plan.network}`,
        subnetwork: `projects/${plan.project}/regions/${plan.region}/subnetworks/${instance.subnet}`,
        accessConfigs: access.externalIp
          ? [{ name: 'External NAT', type: 'ONE_TO_ONE_NAT', networkTier: 'PREMIUM' }]
          : [],
      },
    ],
    metadata: {
      items: [
        // Only the framework's key for this run; metadata keys are ignored when OS Login is on.
        { key: 'ssh-keys', value: `${access.sshUser}:${access.publicKey.trim()}` },
        { key: 'block-project-ssh-keys', value: 'TRUE' },
        { key: 'enable-oslogin', value: 'FALSE' },
      ],
    },
    scheduling: { automaticRestart: true, onHostMaintenance: 'MIGRATE', preemptible: false },
    // No service account: the VMs need no Google API access (least privilege).
    serviceAccounts: [],
  };
}

/** Internal and external IPv4 of a created instance. */
export function instanceAddresses(instance: Instance): {
  internal: string | undefined;
  external: string | undefined;
} {
  const nic = instance.networkInterfaces?.[0];
  return {
    internal: nic?.networkIP ?? undefined,
    external:
      nic?.accessConfigs?.find((a) => typeof a.natIP === 'string' && a.natIP !== '')?.natIP ?? undefined,
  };
}
