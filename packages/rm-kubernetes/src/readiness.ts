import { ContinuumError, type Logger } from '@continuum/plugin-api';
import type { KubeClient } from './k8s.js';

export interface NodeLike {
  metadata?: { name?: string };
  status?: { conditions?: { type: string; status: string; reason?: string; message?: string }[] };
}

export interface Readiness {
  ready: string[];
  notReady: { name: string; reason: string }[];
  missing: string[];
}

/** Which expected nodes are registered and Ready (condition type Ready, status "True"). */
export function nodeReadiness(items: readonly NodeLike[], expected: readonly string[]): Readiness {
  const byName = new Map(items.map((n) => [n.metadata?.name ?? '', n]));
  const out: Readiness = { ready: [], notReady: [], missing: [] };
  for (const name of expected) {
    const node = byName.get(name);
    if (node === undefined) {
      out.missing.push(name);
      continue;
    }
    const ready = node.status?.conditions?.find((c) => c.type === 'Ready');
    if (ready?.status === 'True') out.ready.push(name);
    else
      out.notReady.push({
        name,
        reason:
          ready === undefined
            ? 'no Ready condition yet'
            : `${ready.reason ?? ready.status}${ready.message ? `: ${ready.message}` : ''}`,
      });
  }
  return out;
}

const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
  });

/** Polls the API (upstream polled `kubectl get nodes` every 5 s) until every expected node is Ready. */
export async function waitForNodesReady(
  client: Pick<KubeClient, 'core' | 'server'>,
  expected: readonly string[],
  options: { timeoutMs: number; intervalMs?: number; signal?: AbortSignal; log?: Logger },
): Promise<{ elapsedMs: number; polls: number }> {
  const started = Date.now();
  let polls = 0;
  let last: Readiness | undefined;
  let lastError = '';
  while (Date.now() - started < options.timeoutMs) {
    if (options.signal?.aborted)
      throw new ContinuumError('ABORTED', 'Waiting for Kubernetes nodes was cancelled.');
    polls++;
    try {
      const list = await client.core.listNode();
      last = nodeReadiness(list.items, expected);
      if (last.ready.length === expected.length) return { elapsedMs: Date.now() - started, polls };
      options.log?.progress(`Kubernetes nodes Ready: ${last.ready.length}/${expected.length}`);
    } catch (error) {
      // The API server may still be starting: keep polling until the deadline.
      lastError = (error as Error).message;
    }
    await sleep(options.intervalMs ?? 5000, options.signal);
  }
  const detail =
    last === undefined
      ? `the API at ${client.server} never answered (${lastError})`
      : [
          last.missing.length > 0 ? `not registered: ${last.missing.join(', ')}` : '',
          ...last.notReady.map((n) => `${n.name}: ${n.reason}`),
        ]
          .filter(Boolean)
          .join('; ');
  throw new ContinuumError(
    'K8S_NODES_NOT_READY',
    `Kubernetes nodes were not all Ready after ${Math.round(options.timeoutMs / 1000)} s: ${detail}`,
    {
      hint: 'Check the install logs in the run directory (ansible-*.log) and `journalctl -u kubelet` on the nodes.',
    },
  );
}
