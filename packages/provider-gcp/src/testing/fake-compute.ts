import { createPublicKey, createVerify, type KeyObject } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local stand-in for the Compute Engine REST API (compute/v1), listening on 127.0.0.1 only.
 * It answers with the documented response shapes: resources, `compute#operation` objects that
 * finish through `.../operations/<op>/wait`, list pages with `nextPageToken`, and errors as
 * `{error: {code, message, errors: [{domain, reason, message}]}}`. Faults (quota, rate limit,
 * permission, zone exhausted) can be injected per route. It checks the bearer token is a JWT
 * signed with the test service account's key, so the real credential path is exercised.
 */

type Json = Record<string, unknown>;

export interface Fault {
  method?: string;
  /** Matched against the path without the /compute/v1/projects/<p> prefix. */
  path: RegExp;
  /** How many times to fire (default 1). */
  times?: number;
  /** An HTTP error answer. */
  status?: number;
  reason?: string;
  message?: string;
  /** Instead of an HTTP error, accept the request and fail its operation with these errors. */
  operationError?: { code: string; message: string; httpStatus?: number };
}

export interface FakeComputeOptions {
  project: string;
  /** PEM public key the bearer JWTs must be signed with; undefined: accept any bearer token. */
  publicKeyPem?: string;
  /** Items per list page at most, whatever maxResults says (forces pagination). */
  pageSize?: number;
  /** How many `wait` calls an operation takes before DONE. */
  operationPolls?: number;
  /** `get` calls an instance stays PROVISIONING/STAGING before RUNNING. */
  bootPolls?: number;
  /** External IP for instance k (0-based); undefined: 34.0.0.k+1 style fake public IPs. */
  natIp?: (index: number) => string;
  machineTypes?: Record<string, { guestCpus: number; memoryMb: number }>;
  imageFamilies?: string[];
  regionQuotas?: Record<string, { limit: number; usage: number }>;
  projectQuotas?: Record<string, { limit: number; usage: number }>;
  /** Project-wide metadata (`commonInstanceMetadata`), e.g. `{ 'enable-oslogin': 'TRUE' }`. */
  projectMetadata?: Record<string, string>;
  /** Called with each instance as it is created (tests install its ssh key in a local sshd). */
  onInstanceCreated?: (instance: Json) => void;
}

interface Op {
  resource: Json;
  polls: number;
  scope: string;
  apply?: () => void;
  error?: Fault['operationError'];
}

export interface FakeCompute {
  url: string;
  port: number;
  networks: Map<string, Json>;
  subnetworks: Map<string, Json>;
  firewalls: Map<string, Json>;
  instances: Map<string, Json>;
  disks: Map<string, Json>;
  faults: Fault[];
  requests: { method: string; path: string; query: string; authorized: boolean }[];
  close(): Promise<void>;
}

const DEFAULT_MACHINES: Record<string, { guestCpus: number; memoryMb: number }> = {
  'e2-micro': { guestCpus: 2, memoryMb: 1024 },
  'e2-small': { guestCpus: 2, memoryMb: 2048 },
  'e2-medium': { guestCpus: 2, memoryMb: 4096 },
  'e2-standard-2': { guestCpus: 2, memoryMb: 8192 },
  'e2-standard-4': { guestCpus: 4, memoryMb: 16384 },
  'n2-standard-8': { guestCpus: 8, memoryMb: 32768 },
};

function verifyJwt(token: string, key: KeyObject | undefined): boolean {
  const parts = token.split('.');
  if (parts.length !== 3) return false;
  if (key === undefined) return true;
  const [h, p, s] = parts as [string, string, string];
  const verifier = createVerify('RSA-SHA256');
  verifier.update(`${h}.${p}`);
  if (!verifier.verify(key, Buffer.from(s, 'base64url'))) return false;
  const claims = JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as { exp?: number };
  return claims.exp === undefined || claims.exp * 1000 > Date.now();
}

function matchFilter(filter: string | null, item: Json): boolean {
  if (filter === null || filter === '') return true;
  const m = /^labels\.([a-z0-9_-]+)\s*=\s*"([^"]*)"$/.exec(filter.trim());
  if (m === null) throw new Error(`unsupported filter ${filter}`);
  const labels = (item['labels'] ?? {}) as Record<string, string>;
  return labels[m[1] as string] === m[2];
}

export async function startFakeCompute(options: FakeComputeOptions): Promise<FakeCompute> {
  const key = options.publicKeyPem !== undefined ? createPublicKey(options.publicKeyPem) : undefined;
  const machines = options.machineTypes ?? DEFAULT_MACHINES;
  const families = new Set(
    options.imageFamilies ?? ['ubuntu-os-cloud/ubuntu-2404-lts-amd64', 'debian-cloud/debian-12'],
  );
  const networks = new Map<string, Json>();
  const subnetworks = new Map<string, Json>();
  const firewalls = new Map<string, Json>();
  const instances = new Map<string, Json>();
  const disks = new Map<string, Json>();
  const ops = new Map<string, Op>();
  const bootPolls = new Map<string, number>();
  const faults: Fault[] = [];
  const requests: FakeCompute['requests'] = [];
  let opCounter = 0;
  let instanceCounter = 0;
  const base = (): string => `http://127.0.0.1:${port}/compute/v1/projects/${options.project}`;
  let port = 0;

  const send = (res: ServerResponse, status: number, body: Json): void => {
    res.statusCode = status;
    res.setHeader('content-type', 'application/json; charset=UTF-8');
    res.end(JSON.stringify(body));
  };
  const apiError = (res: ServerResponse, status: number, reason: string, message: string): void =>
    send(res, status, {
      error: {
        code: status,
        message,
        errors: [
          {
            message,
            domain: status === 403 && reason === 'quotaExceeded' ? 'usageLimits' : 'global',
            reason,
          },
        ],
      },
    });

  const startOp = (
    scope: string,
    opType: string,
    target: string,
    apply: () => void,
    error?: Fault['operationError'],
  ): Json => {
    const name = `operation-${Date.now()}-${++opCounter}`;
    const resource: Json = {
      kind: 'compute#operation',
      id: String(1000 + opCounter),
      name,
      operationType: opType,
      targetLink: target,
      status: 'RUNNING',
      progress: 0,
      insertTime: new Date().toISOString(),
      selfLink: `${base()}/${scope}/operations/${name}`,
      ...(scope.startsWith('zones/') ? { zone: `${base()}/${scope}` } : {}),
      ...(scope.startsWith('regions/') ? { region: `${base()}/${scope}` } : {}),
    };
    const op: Op = {
      resource,
      polls: options.operationPolls ?? 1,
      scope,
      apply,
      ...(error ? { error } : {}),
    };
    ops.set(name, op);
    return { ...resource };
  };
  const advance = (op: Op): Json => {
    if (op.resource['status'] !== 'DONE') {
      op.polls -= 1;
      if (op.polls <= 0) {
        op.resource['status'] = 'DONE';
        op.resource['progress'] = 100;
        op.resource['endTime'] = new Date().toISOString();
        if (op.error !== undefined) {
          op.resource['error'] = { errors: [{ code: op.error.code, message: op.error.message }] };
          op.resource['httpErrorStatusCode'] = op.error.httpStatus ?? 412;
          op.resource['httpErrorMessage'] = 'PRECONDITION FAILED';
        } else {
          op.apply?.();
        }
      }
    }
    return { ...op.resource };
  };

  const list = (res: ServerResponse, kind: string, items: Json[], query: URLSearchParams): void => {
    let filtered: Json[];
    try {
      filtered = items.filter((i) => matchFilter(query.get('filter'), i));
    } catch (error) {
      apiError(res, 400, 'invalid', (error as Error).message);
      return;
    }
    const max = Math.min(Number(query.get('maxResults') ?? 500), options.pageSize ?? 500);
    const start = Number(query.get('pageToken') ?? '0');
    const page = filtered.slice(start, start + max);
    const next = start + max < filtered.length ? String(start + max) : undefined;
    send(res, 200, {
      kind,
      id: 'list',
      items: page,
      selfLink: base(),
      ...(next !== undefined ? { nextPageToken: next } : {}),
    });
  };

  const quotaList = (q: Record<string, { limit: number; usage: number }> | undefined): Json[] =>
    Object.entries(q ?? {}).map(([metric, v]) => ({ metric, limit: v.limit, usage: v.usage }));

  const lastSegment = (link: unknown): string =>
    (typeof link === 'string' ? link : '').split('/').at(-1) ?? '';

  const handle = (req: IncomingMessage, res: ServerResponse, body: string): void => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const method = req.method ?? 'GET';
    if (url.pathname === '/ip') {
      res.end('127.0.0.1\n');
      return;
    }
    const auth = req.headers.authorization ?? '';
    const authorized = auth.startsWith('Bearer ') && verifyJwt(auth.slice(7), key);
    const prefix = '/compute/v1/projects/';
    requests.push({ method, path: url.pathname, query: url.search, authorized });
    if (!authorized)
      return apiError(res, 401, 'authError', 'Request had invalid authentication credentials.');
    if (!url.pathname.startsWith(prefix)) return apiError(res, 404, 'notFound', `no route ${url.pathname}`);
    const rest = url.pathname.slice(prefix.length);
    const slash = rest.indexOf('/');
    const project = slash < 0 ? rest : rest.slice(0, slash);
    const path = slash < 0 ? '' : rest.slice(slash + 1);
    // Image families live in public image projects.
    const fam = /^global\/images\/family\/([^/]+)$/.exec(path);
    if (fam !== null && method === 'GET') {
      if (!families.has(`${project}/${fam[1]}`))
        return apiError(
          res,
          404,
          'notFound',
          `The resource 'projects/${project}/global/images/family/${fam[1]}' was not found`,
        );
      return send(res, 200, {
        kind: 'compute#image',
        name: `${fam[1]}-v20251101`,
        family: fam[1],
        status: 'READY',
        diskSizeGb: '10',
      });
    }
    if (project !== options.project)
      return apiError(
        res,
        403,
        'forbidden',
        `Required 'compute.projects.get' permission for 'projects/${project}'`,
      );

    const fault = faults.find(
      (f) => (f.method === undefined || f.method === method) && f.path.test(path) && (f.times ?? 1) > 0,
    );
    if (fault !== undefined) {
      fault.times = (fault.times ?? 1) - 1;
      if (fault.operationError === undefined) {
        return apiError(
          res,
          fault.status ?? 403,
          fault.reason ?? 'forbidden',
          fault.message ?? 'injected fault',
        );
      }
    }
    const payload = body !== '' ? (JSON.parse(body) as Json) : {};
    let m: RegExpExecArray | null;

    if (path === '' && method === 'GET') {
      return send(res, 200, {
        kind: 'compute#project',
        name: options.project,
        id: '1234',
        quotas: quotaList(options.projectQuotas),
        commonInstanceMetadata: {
          items: Object.entries(options.projectMetadata ?? {}).map(([key, value]) => ({ key, value })),
        },
      });
    }
    if ((m = /^regions\/([^/]+)$/.exec(path)) && method === 'GET') {
      return send(res, 200, {
        kind: 'compute#region',
        name: m[1],
        status: 'UP',
        quotas: quotaList(options.regionQuotas),
      });
    }
    if ((m = /^zones\/([^/]+)$/.exec(path)) && method === 'GET') {
      const zone = m[1] as string;
      if (!/^[a-z]+-[a-z]+\d+-[a-z]$/.test(zone))
        return apiError(
          res,
          404,
          'notFound',
          `The resource 'projects/${project}/zones/${zone}' was not found`,
        );
      return send(res, 200, {
        kind: 'compute#zone',
        name: zone,
        status: 'UP',
        region: `${base()}/regions/${zone.replace(/-[a-z]$/, '')}`,
      });
    }
    if ((m = /^zones\/([^/]+)\/machineTypes\/([^/]+)$/.exec(path)) && method === 'GET') {
      const mt = machines[m[2] as string];
      if (mt === undefined)
        return apiError(
          res,
          404,
          'notFound',
          `The resource 'projects/${project}/zones/${m[1]}/machineTypes/${m[2]}' was not found`,
        );
      return send(res, 200, { kind: 'compute#machineType', name: m[2], ...mt });
    }
    // Operations
    if ((m = /^(zones\/[^/]+|regions\/[^/]+|global)\/operations\/([^/]+)(\/wait)?$/.exec(path))) {
      const op = ops.get(m[2] as string);
      if (op === undefined) return apiError(res, 404, 'notFound', `operation ${m[2]} not found`);
      return send(res, 200, m[3] !== undefined || method === 'POST' ? advance(op) : { ...op.resource });
    }

    // Networks
    if (path === 'global/networks') {
      if (method === 'GET') return list(res, 'compute#networkList', [...networks.values()], url.searchParams);
      const name = String(payload['name']);
      if (networks.has(name))
        return apiError(
          res,
          409,
          'alreadyExists',
          `The resource 'projects/${project}/global/networks/${name}' already exists`,
        );
      const target = `${base()}/global/networks/${name}`;
      const error = fault?.operationError;
      return send(
        res,
        200,
        startOp(
          'global',
          'insert',
          target,
          () => networks.set(name, { ...payload, selfLink: target, kind: 'compute#network' }),
          error,
        ),
      );
    }
    if ((m = /^global\/networks\/([^/]+)$/.exec(path))) {
      const name = m[1] as string;
      const net = networks.get(name);
      if (net === undefined)
        return apiError(
          res,
          404,
          'notFound',
          `The resource 'projects/${project}/global/networks/${name}' was not found`,
        );
      if (method === 'GET') return send(res, 200, net);
      const users = [...subnetworks.values(), ...firewalls.values()].filter(
        (x) => lastSegment(x['network']) === name,
      );
      if (users.length > 0) {
        return apiError(
          res,
          400,
          'resourceInUseByAnotherResource',
          `The network resource 'projects/${project}/global/networks/${name}' is already being used by '${String(users[0]?.['selfLink'])}'`,
        );
      }
      return send(
        res,
        200,
        startOp('global', 'delete', net['selfLink'] as string, () => networks.delete(name)),
      );
    }
    // Subnetworks
    if ((m = /^regions\/([^/]+)\/subnetworks$/.exec(path))) {
      const region = m[1] as string;
      if (method === 'GET')
        return list(
          res,
          'compute#subnetworkList',
          [...subnetworks.values()].filter((s) => lastSegment(s['region']) === region),
          url.searchParams,
        );
      const name = String(payload['name']);
      if (subnetworks.has(name))
        return apiError(
          res,
          409,
          'alreadyExists',
          `The resource 'projects/${project}/regions/${region}/subnetworks/${name}' already exists`,
        );
      if (!networks.has(lastSegment(payload['network'])))
        return apiError(res, 404, 'notFound', `The resource '${String(payload['network'])}' was not found`);
      const target = `${base()}/regions/${region}/subnetworks/${name}`;
      return send(
        res,
        200,
        startOp(`regions/${region}`, 'insert', target, () =>
          subnetworks.set(name, {
            ...payload,
            region: `${base()}/regions/${region}`,
            selfLink: target,
            gatewayAddress: '',
          }),
        ),
      );
    }
    if ((m = /^regions\/([^/]+)\/subnetworks\/([^/]+)$/.exec(path))) {
      const name = m[2] as string;
      const subnet = subnetworks.get(name);
      if (subnet === undefined)
        return apiError(
          res,
          404,
          'notFound',
          `The resource 'projects/${project}/regions/${m[1]}/subnetworks/${name}' was not found`,
        );
      if (method === 'GET') return send(res, 200, subnet);
      const user = [...instances.values()].find(
        (i) => lastSegment((i['networkInterfaces'] as Json[])[0]?.['subnetwork']) === name,
      );
      if (user !== undefined)
        return apiError(
          res,
          400,
          'resourceInUseByAnotherResource',
          `The subnetwork resource '${name}' is already being used by '${String(user['selfLink'])}'`,
        );
      return send(
        res,
        200,
        startOp(`regions/${m[1]}`, 'delete', subnet['selfLink'] as string, () => subnetworks.delete(name)),
      );
    }
    // Firewalls
    if (path === 'global/firewalls') {
      if (method === 'GET')
        return list(res, 'compute#firewallList', [...firewalls.values()], url.searchParams);
      const name = String(payload['name']);
      if (firewalls.has(name))
        return apiError(
          res,
          409,
          'alreadyExists',
          `The resource 'projects/${project}/global/firewalls/${name}' already exists`,
        );
      if (!networks.has(lastSegment(payload['network'])))
        return apiError(res, 404, 'notFound', `The resource '${String(payload['network'])}' was not found`);
      const target = `${base()}/global/firewalls/${name}`;
      return send(
        res,
        200,
        startOp('global', 'insert', target, () => firewalls.set(name, { ...payload, selfLink: target })),
      );
    }
    if ((m = /^global\/firewalls\/([^/]+)$/.exec(path))) {
      const name = m[1] as string;
      const fw = firewalls.get(name);
      if (fw === undefined)
        return apiError(
          res,
          404,
          'notFound',
          `The resource 'projects/${project}/global/firewalls/${name}' was not found`,
        );
      if (method === 'GET') return send(res, 200, fw);
      return send(
        res,
        200,
        startOp('global', 'delete', fw['selfLink'] as string, () => firewalls.delete(name)),
      );
    }
    // Instances
    if ((m = /^zones\/([^/]+)\/instances$/.exec(path))) {
      const zone = m[1] as string;
      if (method === 'GET')
        return list(res, 'compute#instanceList', [...instances.values()], url.searchParams);
      const name = String(payload['name']);
      if (instances.has(name))
        return apiError(
          res,
          409,
          'alreadyExists',
          `The resource 'projects/${project}/zones/${zone}/instances/${name}' already exists`,
        );
      const nic = ((payload['networkInterfaces'] as Json[] | undefined) ?? [])[0] ?? {};
      const subnet = subnetworks.get(lastSegment(nic['subnetwork']));
      if (subnet === undefined)
        return apiError(res, 404, 'notFound', `The resource '${String(nic['subnetwork'])}' was not found`);
      const mt = lastSegment(payload['machineType']);
      if (machines[mt] === undefined)
        return apiError(
          res,
          404,
          'notFound',
          `Invalid value for field 'resource.machineType': '${String(payload['machineType'])}'. Machine type with name '${mt}' does not exist in zone '${zone}'.`,
        );
      const target = `${base()}/zones/${zone}/instances/${name}`;
      const error = fault?.operationError;
      return send(
        res,
        200,
        startOp(
          `zones/${zone}`,
          'insert',
          target,
          () => {
            const index = instanceCounter++;
            const cidr = String(subnet['ipCidrRange']);
            const [a, b, c] = cidr.split('/')[0]!.split('.');
            const used = [...instances.values()].filter(
              (i) => lastSegment((i['networkInterfaces'] as Json[])[0]?.['subnetwork']) === subnet['name'],
            ).length;
            const networkIP = `${a}.${b}.${c}.${used + 2}`;
            const accessConfigs = ((nic['accessConfigs'] as Json[] | undefined) ?? []).map((ac) => ({
              ...ac,
              natIP: options.natIp?.(index) ?? `34.0.${Math.floor(index / 250)}.${(index % 250) + 1}`,
            }));
            const disk = (payload['disks'] as Json[] | undefined)?.[0];
            const init = (disk?.['initializeParams'] ?? {}) as Json;
            disks.set(name, {
              kind: 'compute#disk',
              name,
              labels: init['labels'] ?? {},
              sizeGb: JSON.stringify(init['diskSizeGb'] ?? 10),
              users: [target],
              zone: `${base()}/zones/${zone}`,
              selfLink: `${base()}/zones/${zone}/disks/${name}`,
            });
            instances.set(name, {
              ...payload,
              kind: 'compute#instance',
              id: String(9000 + index),
              status: 'PROVISIONING',
              zone: `${base()}/zones/${zone}`,
              selfLink: target,
              machineType: `${base()}/zones/${zone}/machineTypes/${mt}`,
              networkInterfaces: [{ ...nic, name: 'nic0', networkIP, accessConfigs }],
            });
            bootPolls.set(name, options.bootPolls ?? 1);
            options.onInstanceCreated?.(instances.get(name) as Json);
          },
          error,
        ),
      );
    }
    if ((m = /^zones\/([^/]+)\/instances\/([^/]+)$/.exec(path))) {
      const name = m[2] as string;
      const found = instances.get(name);
      // An instance exists only in its own zone.
      const instance = found !== undefined && lastSegment(found['zone']) === m[1] ? found : undefined;
      if (instance === undefined)
        return apiError(
          res,
          404,
          'notFound',
          `The resource 'projects/${project}/zones/${m[1]}/instances/${name}' was not found`,
        );
      if (method === 'GET') {
        const left = bootPolls.get(name) ?? 0;
        if (left > 0) {
          bootPolls.set(name, left - 1);
          instance['status'] = left > 1 ? 'PROVISIONING' : 'STAGING';
        } else instance['status'] = 'RUNNING';
        return send(res, 200, instance);
      }
      return send(
        res,
        200,
        startOp(`zones/${m[1]}`, 'delete', instance['selfLink'] as string, () => {
          instances.delete(name);
          const d = (instance['disks'] as Json[] | undefined)?.[0];
          if (d?.['autoDelete'] === true) disks.delete(name);
        }),
      );
    }
    // aggregatedList: every zone, `items` keyed by `zones/<zone>`, paged by item count.
    if ((m = /^aggregated\/(instances|disks)$/.exec(path)) && method === 'GET') {
      const kind = m[1] as 'instances' | 'disks';
      let all: Json[];
      try {
        all = [...(kind === 'instances' ? instances : disks).values()].filter((i) =>
          matchFilter(url.searchParams.get('filter'), i),
        );
      } catch (error) {
        return apiError(res, 400, 'invalid', (error as Error).message);
      }
      const max = Math.min(Number(url.searchParams.get('maxResults') ?? 500), options.pageSize ?? 500);
      const start = Number(url.searchParams.get('pageToken') ?? '0');
      const items: Record<string, Json> = {};
      for (const item of all.slice(start, start + max)) {
        const key = `zones/${lastSegment(item['zone'])}`;
        const scoped = (items[key] ??= { [kind]: [] });
        (scoped[kind] as Json[]).push(item);
      }
      // Zones without matches come back with a warning, as the real API does.
      items['zones/antarctica-south1-a'] = {
        warning: {
          code: 'NO_RESULTS_ON_PAGE',
          message: 'There are no results for scope zones/antarctica-south1-a on this page.',
        },
      };
      const next = start + max < all.length ? String(start + max) : undefined;
      return send(res, 200, {
        kind: `compute#${kind === 'instances' ? 'instance' : 'disk'}AggregatedList`,
        items,
        ...(next !== undefined ? { nextPageToken: next } : {}),
      });
    }
    // Disks
    if ((m = /^zones\/([^/]+)\/disks$/.exec(path)) && method === 'GET') {
      return list(res, 'compute#diskList', [...disks.values()], url.searchParams);
    }
    if ((m = /^zones\/([^/]+)\/disks\/([^/]+)$/.exec(path))) {
      const name = m[2] as string;
      const foundDisk = disks.get(name);
      const disk = foundDisk !== undefined && lastSegment(foundDisk['zone']) === m[1] ? foundDisk : undefined;
      if (disk === undefined)
        return apiError(
          res,
          404,
          'notFound',
          `The resource 'projects/${project}/zones/${m[1]}/disks/${name}' was not found`,
        );
      if (method === 'GET') return send(res, 200, disk);
      if (instances.has(name))
        return apiError(
          res,
          400,
          'resourceInUseByAnotherResource',
          `The disk resource '${name}' is already being used by '${name}'`,
        );
      return send(
        res,
        200,
        startOp(`zones/${m[1]}`, 'delete', disk['selfLink'] as string, () => disks.delete(name)),
      );
    }
    return apiError(res, 404, 'notFound', `no route ${method} ${path}`);
  };

  const server: Server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (d: string) => (body += d));
    req.on('end', () => {
      try {
        handle(req, res, body);
      } catch (error) {
        apiError(res, 500, 'backendError', (error as Error).message);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    networks,
    subnetworks,
    firewalls,
    instances,
    disks,
    faults,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
