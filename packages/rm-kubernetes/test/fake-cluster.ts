import { fakeApiServer } from './helpers.js';

/**
 * A scripted "cluster" behind the fake API server: Jobs posted to it get pods whose status moves
 * Pending(ContainerCreating) → Running → Succeeded on a timer, in the documented v1 formats, with
 * `logs --timestamps` output. Behaviour per Job can be overridden (stuck image, failing exit).
 */
export interface ScriptedJob {
  name: string;
  created: number;
  body: {
    metadata: { labels?: Record<string, string> };
    spec: {
      parallelism?: number;
      template: {
        metadata?: { labels?: Record<string, string> };
        spec: { containers: { name: string; image: string }[] };
      };
    };
  };
}

export interface Script {
  pendingMs: number;
  runMs: number;
  /** Per job name: 'stuck' = ErrImageNeverPull forever, 'fail' = exits 2, 'never' = Pending with no status. */
  behaviour?: (job: string) => 'ok' | 'stuck' | 'fail' | 'never';
}

const iso = (ms: number): string => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');
const isoNano = (ms: number): string =>
  `${new Date(Math.floor(ms)).toISOString().slice(0, 19)}.${String(Math.round((ms % 1000) * 1e6)).padStart(9, '0')}Z`;

export async function scriptedCluster(script: Script) {
  const jobs = new Map<string, ScriptedJob>();
  const deleted: string[] = [];
  // The true container start (API stamps are whole seconds; the runtime's log stamps are not).
  const startMs = new Map<string, number>();
  const podsOf = (job: ScriptedJob, now: number) => {
    const n = job.body.spec.parallelism ?? 1;
    const behaviour = script.behaviour?.(job.name) ?? 'ok';
    return Array.from({ length: n }, (_, i) => {
      const t0 = job.created + i * 20;
      const elapsed = now - t0;
      const labels = { ...job.body.spec.template.metadata?.labels, 'job-name': job.name };
      const containers = job.body.spec.template.spec.containers;
      const base = {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: `${job.name}-p${i}`, namespace: 'default', creationTimestamp: iso(t0), labels },
        spec: { nodeName: 'cloud0', containers },
      };
      startMs.set(base.metadata.name, t0 + script.pendingMs);
      const scheduled = [{ type: 'PodScheduled', status: 'True', lastTransitionTime: iso(t0) }];
      if (behaviour === 'never')
        return {
          ...base,
          spec: { containers },
          status: {
            phase: 'Pending',
            conditions: [
              {
                type: 'PodScheduled',
                status: 'False',
                reason: 'Unschedulable',
                message: '0/2 nodes are available',
              },
            ],
          },
        };
      if (behaviour === 'stuck' || elapsed < script.pendingMs) {
        const reason = behaviour === 'stuck' ? 'ErrImageNeverPull' : 'ContainerCreating';
        return {
          ...base,
          status: {
            phase: 'Pending',
            conditions: [...scheduled, { type: 'Initialized', status: 'True', lastTransitionTime: iso(t0) }],
            containerStatuses: containers.map((c) => ({
              name: c.name,
              image: c.image,
              imageID: '',
              ready: false,
              restartCount: 0,
              state: { waiting: { reason } },
            })),
          },
        };
      }
      const startedAt = t0 + script.pendingMs;
      const conditions = [...scheduled, { type: 'Initialized', status: 'True', lastTransitionTime: iso(t0) }];
      if (elapsed < script.pendingMs + script.runMs) {
        return {
          ...base,
          status: {
            phase: 'Running',
            conditions,
            containerStatuses: containers.map((c) => ({
              name: c.name,
              image: c.image,
              imageID: 'sha256:1',
              ready: true,
              restartCount: 0,
              state: { running: { startedAt: iso(startedAt) } },
            })),
          },
        };
      }
      const fail = behaviour === 'fail';
      return {
        ...base,
        status: {
          phase: fail ? 'Failed' : 'Succeeded',
          conditions,
          containerStatuses: containers.map((c) => ({
            name: c.name,
            image: c.image,
            imageID: 'sha256:1',
            ready: false,
            restartCount: 0,
            state: {
              terminated: {
                exitCode: fail ? 2 : 0,
                reason: fail ? 'Error' : 'Completed',
                startedAt: iso(startedAt),
                finishedAt: iso(startedAt + script.runMs),
              },
            },
          })),
        },
      };
    });
  };
  const allPods = (now: number) => [...jobs.values()].flatMap((j) => podsOf(j, now));
  const server = await fakeApiServer((req, url, body) => {
    const now = Date.now();
    const path = url.pathname;
    if (req.method === 'POST' && path === '/apis/batch/v1/namespaces/default/jobs') {
      const parsed = JSON.parse(body) as ScriptedJob['body'] & { metadata: { name: string } };
      jobs.set(parsed.metadata.name, { name: parsed.metadata.name, created: now, body: parsed });
      return { status: 201, json: parsed };
    }
    if (req.method === 'DELETE' && path.startsWith('/apis/batch/v1/namespaces/default/jobs/')) {
      const name = path.split('/').at(-1) as string;
      deleted.push(name);
      jobs.delete(name);
      return { json: { kind: 'Status', apiVersion: 'v1', status: 'Success' } };
    }
    if (req.method === 'GET' && path === '/api/v1/namespaces/default/pods') {
      const [k, v] = (url.searchParams.get('labelSelector') ?? '=').split('=');
      return {
        json: {
          apiVersion: 'v1',
          kind: 'PodList',
          metadata: {},
          items: allPods(now).filter((p) => (p.metadata.labels as Record<string, string>)[k as string] === v),
        },
      };
    }
    const log = /^\/api\/v1\/namespaces\/default\/pods\/([^/]+)\/log$/.exec(path);
    if (req.method === 'GET' && log !== null) {
      const pod = allPods(now).find((p) => p.metadata.name === log[1]);
      const started = pod?.status.containerStatuses?.[0]?.state as
        { running?: { startedAt: string }; terminated?: { startedAt: string } } | undefined;
      const s = started?.running?.startedAt ?? started?.terminated?.startedAt;
      if (s === undefined)
        return { status: 400, json: { kind: 'Status', code: 400, message: 'container is waiting to start' } };
      const t = (startMs.get(log[1] as string) ?? Date.parse(s)) + 123.456789;
      const lines = [`${isoNano(t)} Start the application`, `${isoNano(t + 50)} Latency (ns): 1234`];
      if (pod?.status.phase === 'Succeeded')
        lines.push(`${isoNano(t + script.runMs - 10)} End the application`);
      return { text: `${lines.join('\n')}\n` };
    }
    if (req.method === 'GET' && path === '/apis/events.k8s.io/v1/namespaces/default/events') {
      return {
        json: {
          apiVersion: 'events.k8s.io/v1',
          kind: 'EventList',
          metadata: {},
          items: allPods(now).map((p) => ({
            metadata: { name: `${p.metadata.name}.1` },
            eventTime: `${p.metadata.creationTimestamp.slice(0, 19)}.250000Z`,
            reason: 'Scheduled',
            regarding: { kind: 'Pod', name: p.metadata.name },
            reportingController: 'default-scheduler',
            reportingInstance: 's',
            action: 'Binding',
            type: 'Normal',
          })),
        },
      };
    }
    return undefined;
  });
  return { ...server, jobs, deleted };
}
