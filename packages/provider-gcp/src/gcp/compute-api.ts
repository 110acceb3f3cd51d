import { homedir } from 'node:os';
import type { protos } from '@google-cloud/compute';
import type { Logger } from '@continuum/plugin-api';
import { classifyGcpError, GcpOperationError, GcpTimeoutError, isRetryable } from './errors.js';
import { sleep, withRetry, withTimeout } from './retry.js';

type v1 = typeof protos.google.cloud.compute.v1;
export type Instance = protos.google.cloud.compute.v1.IInstance;
export type Network = protos.google.cloud.compute.v1.INetwork;
export type Subnetwork = protos.google.cloud.compute.v1.ISubnetwork;
export type Firewall = protos.google.cloud.compute.v1.IFirewall;
export type Disk = protos.google.cloud.compute.v1.IDisk;
export type Operation = protos.google.cloud.compute.v1.IOperation;
export type Project = protos.google.cloud.compute.v1.IProject;
export type Region = protos.google.cloud.compute.v1.IRegion;
export type Zone = protos.google.cloud.compute.v1.IZone;
export type MachineType = protos.google.cloud.compute.v1.IMachineType;
export type Image = protos.google.cloud.compute.v1.IImage;
export type Quota = protos.google.cloud.compute.v1.IQuota;
// Keep the type import of the namespace used so verbatimModuleSyntax does not complain.
export type ComputeV1 = v1;

export interface ComputeApiOptions {
  project: string;
  zone: string;
  region: string;
  /** Service-account key file; undefined: Application Default Credentials. */
  credentials?: string | undefined;
  /** `http(s)://host:port` of a non-default endpoint (private endpoint, local test server). */
  apiEndpoint?: string | undefined;
  /** Bound for one call including the wait for its operation. */
  operationTimeoutMs: number;
  log?: Logger;
  signal?: AbortSignal;
  /** Backoff base for retries (tests shorten it). */
  retryBaseDelayMs?: number;
}

type Scope = { kind: 'zone' } | { kind: 'region' } | { kind: 'global' };

/* The subset of the generated clients this module uses, typed loosely: the generated overloads do
   not compose with generic helpers. */
type AnyCall = (request: object, options?: object) => Promise<unknown[]>;
type ClientLike = Record<string, AnyCall> & { close(): Promise<void> };
interface Clients {
  instances: Record<string, AnyCall> & { close(): Promise<void> };
  networks: Record<string, AnyCall> & { close(): Promise<void> };
  subnetworks: Record<string, AnyCall> & { close(): Promise<void> };
  firewalls: Record<string, AnyCall> & { close(): Promise<void> };
  disks: Record<string, AnyCall> & { close(): Promise<void> };
  zoneOperations: Record<string, AnyCall> & { close(): Promise<void> };
  regionOperations: Record<string, AnyCall> & { close(): Promise<void> };
  globalOperations: Record<string, AnyCall> & { close(): Promise<void> };
  projects: Record<string, AnyCall> & { close(): Promise<void> };
  regions: Record<string, AnyCall> & { close(): Promise<void> };
  zones: Record<string, AnyCall> & { close(): Promise<void> };
  machineTypes: Record<string, AnyCall> & { close(): Promise<void> };
  images: Record<string, AnyCall> & { close(): Promise<void> };
}

export function expandHome(path: string): string {
  return path === '~' ? homedir() : path.startsWith('~/') ? `${homedir()}${path.slice(1)}` : path;
}

/** Client options for @google-cloud/compute: credentials and (optionally) a custom endpoint. */
export function clientOptions(
  options: Pick<ComputeApiOptions, 'project' | 'credentials' | 'apiEndpoint'>,
): Record<string, unknown> {
  const out: Record<string, unknown> = { projectId: options.project, fallback: true };
  if (options.credentials !== undefined) out['keyFilename'] = expandHome(options.credentials);
  if (options.apiEndpoint !== undefined) {
    const url = new URL(options.apiEndpoint);
    out['apiEndpoint'] = url.hostname;
    out['port'] = url.port !== '' ? Number(url.port) : url.protocol === 'http:' ? 80 : 443;
    out['protocol'] = url.protocol.replace(':', '');
    // Present-but-undefined scopes stop the client from adding OAuth scopes for a custom endpoint,
    // so service-account keys use self-signed JWTs (no token exchange with another host).
    out['scopes'] = undefined;
  }
  return out;
}

/**
 * A thin layer over the official Compute client: every call is retried on rate limits and
 * transient errors, bounded in time, and mutations wait for their operation to finish and throw
 * GcpOperationError when it failed.
 */
export class ComputeApi {
  readonly project: string;
  readonly zone: string;
  readonly region: string;
  private clients: Clients | undefined;
  private loading: Promise<Clients> | undefined;
  private made: Map<keyof Clients, ClientLike> | undefined;

  constructor(private readonly options: ComputeApiOptions) {
    this.project = options.project;
    this.zone = options.zone;
    this.region = options.region;
  }

  private async load(): Promise<Clients> {
    if (this.clients !== undefined) return this.clients;
    this.loading ??= (async () => {
      // Only the v1 clients: the package index also loads v1beta/v1small and a 30 MB protos.js (seconds).
      const compute = (await import('@google-cloud/compute/build/src/v1/index.js')) as unknown as Record<
        string,
        new (o: unknown) => unknown
      >;
      const opts = clientOptions(this.options);
      // Each generated client parses the large Compute proto on construction: build them on first use.
      const made = new Map<keyof Clients, ClientLike>();
      const names: Record<keyof Clients, string> = {
        instances: 'InstancesClient',
        networks: 'NetworksClient',
        subnetworks: 'SubnetworksClient',
        firewalls: 'FirewallsClient',
        disks: 'DisksClient',
        zoneOperations: 'ZoneOperationsClient',
        regionOperations: 'RegionOperationsClient',
        globalOperations: 'GlobalOperationsClient',
        projects: 'ProjectsClient',
        regions: 'RegionsClient',
        zones: 'ZonesClient',
        machineTypes: 'MachineTypesClient',
        images: 'ImagesClient',
      };
      const clients = {} as Clients;
      for (const key of Object.keys(names) as (keyof Clients)[]) {
        Object.defineProperty(clients, key, {
          enumerable: true,
          get: () => {
            let client = made.get(key);
            if (client === undefined) {
              const C = compute[names[key]] as new (o: unknown) => unknown;
              client = new C({ ...opts }) as ClientLike;
              made.set(key, client);
            }
            return client;
          },
        });
      }
      this.made = made;
      this.clients = clients;
      return clients;
    })();
    return this.loading;
  }

  async close(): Promise<void> {
    const made = this.made;
    this.clients = undefined;
    this.loading = undefined;
    this.made = undefined;
    if (made === undefined) return;
    await Promise.allSettled([...made.values()].map((c) => c.close()));
  }

  /** One API call: retried on rate limits / 5xx, each attempt bounded. */
  private async call<T>(
    what: string,
    fn: (c: Clients) => Promise<unknown[]>,
    retryIf?: (e: unknown) => boolean,
  ): Promise<T> {
    const clients = await this.load();
    return withRetry(
      async () => {
        const [result] = await withTimeout(
          fn(clients),
          Math.min(this.options.operationTimeoutMs, 120_000),
          what,
          this.options.signal,
        );
        return result as T;
      },
      {
        ...(this.options.signal !== undefined ? { signal: this.options.signal } : {}),
        ...(this.options.retryBaseDelayMs !== undefined
          ? { baseDelayMs: this.options.retryBaseDelayMs }
          : {}),
        ...(retryIf !== undefined ? { retryIf } : {}),
        onRetry: (error, attempt, delay) =>
          this.options.log?.debug(
            `${what}: retry ${attempt} in ${delay} ms (${classifyGcpError(error).kind})`,
          ),
      },
    );
  }

  /** Wait until an operation is DONE (Compute's `wait` returns after at most ~2 min; loop until the deadline). */
  private async waitOperation(
    first: Operation,
    scope: Scope,
    what: string,
    deadline: number,
  ): Promise<Operation> {
    let op = first;
    let pause = 200;
    while (op.status !== 'DONE') {
      if (Date.now() > deadline)
        throw new GcpTimeoutError(`${what}: operation ${op.name ?? '?'} did not finish in time`);
      const name = op.name ?? '';
      op = await this.call<Operation>(`${what} (wait)`, (c) => {
        // A zonal operation names its zone (clean may delete in other zones than the configured one).
        const zone = (typeof op.zone === 'string' ? op.zone.split('/').at(-1) : undefined) || this.zone;
        if (scope.kind === 'zone')
          return c.zoneOperations['wait']!({ project: this.project, zone, operation: name });
        if (scope.kind === 'region')
          return c.regionOperations['wait']!({ project: this.project, region: this.region, operation: name });
        return c.globalOperations['wait']!({ project: this.project, operation: name });
      });
      if (op.status !== 'DONE') {
        await sleep(pause, this.options.signal);
        pause = Math.min(pause * 2, 5000);
      }
    }
    const errors = op.error?.errors ?? [];
    if (errors.length > 0) {
      throw new GcpOperationError(
        errors,
        typeof op.httpErrorStatusCode === 'number' ? op.httpErrorStatusCode : undefined,
        op.name ?? '?',
      );
    }
    return op;
  }

  /** A mutation: start it, then wait for its operation. */
  private async mutate(
    what: string,
    scope: Scope,
    fn: (c: Clients) => Promise<unknown[]>,
    retryIf?: (e: unknown) => boolean,
  ): Promise<Operation> {
    const deadline = Date.now() + this.options.operationTimeoutMs;
    const run = async (): Promise<Operation> => {
      const started = await this.call<{ latestResponse?: Operation }>(what, fn, retryIf);
      const op = started.latestResponse ?? (started as Operation);
      return this.waitOperation(op, scope, what, deadline);
    };
    // An operation can also fail with a rate limit (e.g. too many concurrent operations); start over.
    return withRetry(run, {
      attempts: 4,
      ...(this.options.signal !== undefined ? { signal: this.options.signal } : {}),
      ...(this.options.retryBaseDelayMs !== undefined ? { baseDelayMs: this.options.retryBaseDelayMs } : {}),
      retryable: (e) =>
        e instanceof GcpOperationError && (isRetryable(classifyGcpError(e)) || (retryIf?.(e) ?? false)),
    });
  }

  private async listAll<T>(
    what: string,
    method: (c: Clients, request: object, options: object) => Promise<unknown[]>,
    request: Record<string, unknown>,
  ): Promise<T[]> {
    const items: T[] = [];
    let pageToken: string | undefined;
    for (let page = 0; page < 10_000; page++) {
      const req = { ...request, maxResults: 500, ...(pageToken !== undefined ? { pageToken } : {}) };
      const clients = await this.load();
      const response = await withRetry(
        () => withTimeout(method(clients, req, { autoPaginate: false }), 60_000, what, this.options.signal),
        {
          ...(this.options.signal !== undefined ? { signal: this.options.signal } : {}),
          ...(this.options.retryBaseDelayMs !== undefined
            ? { baseDelayMs: this.options.retryBaseDelayMs }
            : {}),
        },
      );
      const [pageItems, , raw] = response as [T[] | null, unknown, { nextPageToken?: string | null } | null];
      items.push(...(pageItems ?? []));
      pageToken = raw?.nextPageToken ?? undefined;
      if (pageToken === undefined || pageToken === '') break;
    }
    return items;
  }

  // --- reads -------------------------------------------------------------------------------

  getProject(): Promise<Project> {
    return this.call('get project', (c) => c.projects['get']!({ project: this.project }));
  }
  getRegion(): Promise<Region> {
    return this.call('get region', (c) => c.regions['get']!({ project: this.project, region: this.region }));
  }
  getZone(): Promise<Zone> {
    return this.call('get zone', (c) => c.zones['get']!({ project: this.project, zone: this.zone }));
  }
  getMachineType(machineType: string): Promise<MachineType> {
    return this.call(`get machine type ${machineType}`, (c) =>
      c.machineTypes['get']!({ project: this.project, zone: this.zone, machineType }),
    );
  }
  getImageFromFamily(project: string, family: string): Promise<Image> {
    return this.call(`get image family ${project}/${family}`, (c) =>
      c.images['getFromFamily']!({ project, family }),
    );
  }
  getInstance(name: string): Promise<Instance> {
    return this.call(`get instance ${name}`, (c) =>
      c.instances['get']!({ project: this.project, zone: this.zone, instance: name }),
    );
  }

  listInstances(filter?: string): Promise<Instance[]> {
    return this.listAll('list instances', (c, r, o) => c.instances['list']!(r, o), {
      project: this.project,
      zone: this.zone,
      ...(filter ? { filter } : {}),
    });
  }
  listDisks(filter?: string): Promise<Disk[]> {
    return this.listAll('list disks', (c, r, o) => c.disks['list']!(r, o), {
      project: this.project,
      zone: this.zone,
      ...(filter ? { filter } : {}),
    });
  }
  listFirewalls(filter?: string): Promise<Firewall[]> {
    return this.listAll('list firewalls', (c, r, o) => c.firewalls['list']!(r, o), {
      project: this.project,
      ...(filter ? { filter } : {}),
    });
  }
  listSubnetworks(filter?: string): Promise<Subnetwork[]> {
    return this.listAll('list subnetworks', (c, r, o) => c.subnetworks['list']!(r, o), {
      project: this.project,
      region: this.region,
      ...(filter ? { filter } : {}),
    });
  }
  listNetworks(filter?: string): Promise<Network[]> {
    return this.listAll('list networks', (c, r, o) => c.networks['list']!(r, o), {
      project: this.project,
      ...(filter ? { filter } : {}),
    });
  }

  /** Instances in every zone of the project (aggregatedList), with their zone. */
  listInstancesAllZones(filter?: string): Promise<{ zone: string; item: Instance }[]> {
    return this.aggregated<Instance>('instances', 'instances', filter);
  }
  /** Disks in every zone of the project (aggregatedList), with their zone. */
  listDisksAllZones(filter?: string): Promise<{ zone: string; item: Disk }[]> {
    return this.aggregated<Disk>('disks', 'disks', filter);
  }

  private async aggregated<T>(
    client: 'instances' | 'disks',
    field: string,
    filter?: string,
  ): Promise<{ zone: string; item: T }[]> {
    const clients = await this.load();
    const collect = async (): Promise<{ zone: string; item: T }[]> => {
      const out: { zone: string; item: T }[] = [];
      const iterable = (
        clients[client] as unknown as Record<
          string,
          (r: object, o: object) => AsyncIterable<[string, Record<string, unknown>]>
        >
      )['aggregatedListAsync']!(
        { project: this.project, maxResults: 500, returnPartialSuccess: true, ...(filter ? { filter } : {}) },
        { autoPaginate: false },
      );
      for await (const [key, scoped] of iterable) {
        const items = scoped[field];
        if (!key.startsWith('zones/') || !Array.isArray(items)) continue;
        for (const item of items as T[]) out.push({ zone: key.slice('zones/'.length), item });
      }
      return out;
    };
    return withRetry(
      () => withTimeout(collect(), 120_000, `list ${client} in all zones`, this.options.signal),
      {
        ...(this.options.signal !== undefined ? { signal: this.options.signal } : {}),
        ...(this.options.retryBaseDelayMs !== undefined
          ? { baseDelayMs: this.options.retryBaseDelayMs }
          : {}),
      },
    );
  }

  // --- mutations (each waits for its operation) ------------------------------------------------

  insertNetwork(networkResource: Network): Promise<Operation> {
    return this.mutate(`create network ${networkResource.name ?? ''}`, { kind: 'global' }, (c) =>
      c.networks['insert']!({ project: this.project, networkResource }),
    );
  }
  insertSubnetwork(subnetworkResource: Subnetwork): Promise<Operation> {
    return this.mutate(
      `create subnetwork ${subnetworkResource.name ?? ''}`,
      { kind: 'region' },
      (c) => c.subnetworks['insert']!({ project: this.project, region: this.region, subnetworkResource }),
      // The network's own operation may be DONE a moment before it can take subnets.
      (e) => classifyGcpError(e).kind === 'in-use',
    );
  }
  insertFirewall(firewallResource: Firewall): Promise<Operation> {
    return this.mutate(`create firewall ${firewallResource.name ?? ''}`, { kind: 'global' }, (c) =>
      c.firewalls['insert']!({ project: this.project, firewallResource }),
    );
  }
  insertInstance(instanceResource: Instance): Promise<Operation> {
    return this.mutate(`create instance ${instanceResource.name ?? ''}`, { kind: 'zone' }, (c) =>
      c.instances['insert']!({ project: this.project, zone: this.zone, instanceResource }),
    );
  }

  deleteInstance(name: string, zone = this.zone): Promise<Operation> {
    return this.mutate(`delete instance ${name}`, { kind: 'zone' }, (c) =>
      c.instances['delete']!({ project: this.project, zone, instance: name }),
    );
  }
  deleteDisk(name: string, zone = this.zone): Promise<Operation> {
    return this.mutate(
      `delete disk ${name}`,
      { kind: 'zone' },
      (c) => c.disks['delete']!({ project: this.project, zone, disk: name }),
      inUse,
    );
  }
  deleteFirewall(name: string): Promise<Operation> {
    return this.mutate(`delete firewall ${name}`, { kind: 'global' }, (c) =>
      c.firewalls['delete']!({ project: this.project, firewall: name }),
    );
  }
  deleteSubnetwork(name: string): Promise<Operation> {
    return this.mutate(
      `delete subnetwork ${name}`,
      { kind: 'region' },
      (c) => c.subnetworks['delete']!({ project: this.project, region: this.region, subnetwork: name }),
      inUse,
    );
  }
  deleteNetwork(name: string): Promise<Operation> {
    return this.mutate(
      `delete network ${name}`,
      { kind: 'global' },
      (c) => c.networks['delete']!({ project: this.project, network: name }),
      inUse,
    );
  }
}

/** Deleting a subnet/network right after its users were deleted can briefly report "in use". */
const inUse = (e: unknown): boolean => classifyGcpError(e).kind === 'in-use';
