import { z } from 'zod';

/** A strict IPv4 CIDR (`203.0.113.7/32`). */
const cidr = z
  .string()
  .regex(
    /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/,
    'must be an IPv4 CIDR such as 203.0.113.7/32',
  )
  .refine((v) => {
    const [ip, bits] = v.split('/') as [string, string];
    return ip.split('.').every((o) => Number(o) <= 255) && Number(bits) <= 32;
  }, 'octets must be <= 255 and the prefix length <= 32');

const machineType = z
  .string()
  .regex(/^[a-z][a-z0-9-]{1,62}$/, 'must be a Compute Engine machine type such as e2-standard-4 (no quotes)');

/**
 * Options of the `gcp` provider. The upstream .cfg importer maps `gcp_project`, `gcp_region`,
 * `gcp_zone`, `gcp_credentials` and `gcp_cloud/edge/endpoint` (quotes stripped) onto `project`,
 * `region`, `zone`, `credentials` and `machineTypes`.
 */
export const gcpOptionsSchema = z
  .strictObject({
    project: z
      .string()
      .regex(
        /^[a-z][a-z0-9-]{4,28}[a-z0-9]$/,
        'must be a project id (6-30 lowercase letters, digits or dashes), e.g. continuum-123456',
      ),
    /** Derived from `zone` when omitted; must contain the zone when given. */
    region: z
      .string()
      .regex(/^[a-z]+-[a-z]+\d+$/, 'must be a region such as europe-west4')
      .optional(),
    zone: z.string().regex(/^[a-z]+-[a-z]+\d+-[a-z]$/, 'must be a zone such as europe-west4-a'),
    /** Path to a service-account JSON key; omitted: Application Default Credentials. */
    credentials: z.string().min(1).optional(),
    machineTypes: z
      .strictObject({
        cloud: machineType.default('e2-standard-4'),
        edge: machineType.default('e2-standard-2'),
        endpoint: machineType.default('e2-medium'),
      })
      .prefault({}),
    image: z
      .strictObject({
        project: z.string().default('ubuntu-os-cloud'),
        family: z.string().default('ubuntu-2404-lts-amd64'),
      })
      .prefault({}),
    diskGb: z.number().int().min(10).max(65536).default(30),
    diskType: z.enum(['pd-standard', 'pd-balanced', 'pd-ssd']).default('pd-balanced'),
    /**
     * Who may reach the VMs over SSH. `auto` asks `ipEchoUrl` for this machine's public address
     * and allows that single address (/32). Never opened to the world unless you write 0.0.0.0/0.
     */
    sshSourceCidr: z.union([z.literal('auto'), cidr]).default('auto'),
    ipEchoUrl: z.url().default('https://api.ipify.org'),
    sshUser: z
      .string()
      .regex(/^[a-z_][a-z0-9_-]{0,31}$/, 'must be a Linux user name')
      .default('continuum'),
    sshPort: z.number().int().min(1).max(65535).default(22),
    /** VPC name; default `continuum-<run tag>`. */
    network: z
      .string()
      .regex(/^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/, 'must be a valid resource name')
      .optional(),
    subnetCidrs: z
      .strictObject({
        cloud: cidr.default('10.0.0.0/24'),
        edge: cidr.default('10.0.1.0/24'),
        endpoint: cidr.default('10.0.2.0/24'),
      })
      .prefault({}),
    /** Ephemeral external IPs so this machine can reach the VMs (SSH only, from sshSourceCidr). */
    externalIps: z.boolean().default(true),
    /** Parallel API calls while creating and deleting. */
    concurrency: z.number().int().min(1).max(64).default(8),
    timeouts: z
      .strictObject({
        /** One API call (including its operation) before giving up. */
        operationS: z.number().positive().default(300),
        /** From insert until every VM answers SSH. */
        readyS: z.number().positive().default(600),
      })
      .prefault({}),
    /**
     * Compute API endpoint (`http(s)://host:port`); for private endpoints and the local test
     * server. Omitted: the public Compute API.
     */
    apiEndpoint: z.url().optional(),
    /** Guest interface for tc; omitted: detected on the guest by `ip route get <peer>`. */
    guestInterface: z
      .string()
      .regex(/^[a-zA-Z0-9_.-]{1,15}$/)
      .optional(),
  })
  .superRefine((o, ctx) => {
    if (o.region !== undefined && !o.zone.startsWith(`${o.region}-`)) {
      ctx.addIssue({
        code: 'custom',
        path: ['zone'],
        message: `zone ${o.zone} is not in region ${o.region}`,
      });
    }
    const subnets = Object.entries(o.subnetCidrs);
    for (let i = 0; i < subnets.length; i++) {
      for (let j = i + 1; j < subnets.length; j++) {
        const [ta, a] = subnets[i] as [string, string];
        const [tb, b] = subnets[j] as [string, string];
        if (cidrsOverlap(a, b)) {
          ctx.addIssue({
            code: 'custom',
            path: ['subnetCidrs', tb],
            message: `${b} overlaps subnetCidrs.${ta} (${a})`,
          });
        }
      }
    }
  });

export type GcpOptionsInput = z.input<typeof gcpOptionsSchema>;
export type GcpOptions = z.output<typeof gcpOptionsSchema>;

export function parseGcpOptions(input: unknown): GcpOptions {
  return gcpOptionsSchema.parse(input);
}

export function regionOf(options: Pick<GcpOptions, 'region' | 'zone'>): string {
  return options.region ?? options.zone.replace(/-[a-z]$/, '');
}

function ipToInt(ip: string): number {
  return ip.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
}

export function cidrRange(value: string): [number, number] {
  const [ip, bitsText] = value.split('/') as [string, string];
  const bits = Number(bitsText);
  const size = 2 ** (32 - bits);
  const start = Math.floor(ipToInt(ip) / size) * size;
  return [start, start + size - 1];
}

export function cidrsOverlap(a: string, b: string): boolean {
  const [a0, a1] = cidrRange(a);
  const [b0, b1] = cidrRange(b);
  return a0 <= b1 && b0 <= a1;
}

/** Usable VM addresses in a GCP subnet: the network, gateway and last two addresses are reserved. */
export function usableAddresses(value: string): number {
  const [start, end] = cidrRange(value);
  return Math.max(0, end - start + 1 - 4);
}
