import { ContinuumError } from './errors.js';
import type { Node } from './node.js';
import type { ComponentSpec, WorkloadExit } from './workload.js';

/** How a runner words a component whose node it does not manage. */
export interface UnknownNodeWording {
  /** What the component is to this runner: "Component" (default), "Function", ... */
  readonly noun?: string;
  /** Why the node is not usable: "which does not exist" (default), "which is not a Kubernetes node", ... */
  readonly because?: string;
  /** Label of the list of usable nodes in the hint: "Known nodes" (default). */
  readonly listLabel?: string;
}

/** The node a component targets, or a RUNNER_UNKNOWN_NODE error listing the nodes this runner has. */
export function componentNode<N extends Pick<Node, 'name'>>(
  byName: ReadonlyMap<string, N>,
  spec: Pick<ComponentSpec, 'name' | 'node'>,
  wording: UnknownNodeWording = {},
): N {
  const node = byName.get(spec.node);
  if (node !== undefined) return node;
  throw new ContinuumError(
    'RUNNER_UNKNOWN_NODE',
    `${wording.noun ?? 'Component'} ${spec.name} targets node "${spec.node}", ${wording.because ?? 'which does not exist'}.`,
    { hint: `${wording.listLabel ?? 'Known nodes'}: ${[...byName.keys()].join(', ')}` },
  );
}

/** Copies a component's files onto its node, unless the node sees the host's filesystem already. */
export async function copyComponentFiles(
  node: Pick<Node, 'sharesHostFilesystem' | 'copy'>,
  spec: Pick<ComponentSpec, 'files'>,
): Promise<void> {
  if (node.sharesHostFilesystem) return;
  for (const file of spec.files ?? []) await node.copy(file.from, file.to);
}

/**
 * `Workload.wait()` for every runner: the workload's exit, unless the timeout passes first
 * (WORKLOAD_TIMEOUT: "<subject> did not finish within N s.") or the signal aborts the wait (ABORTED).
 * Only the wait ends early; the workload itself keeps running (stopping it is `stop()`'s job).
 */
export async function waitForExit(
  exit: Promise<WorkloadExit>,
  options: { signal?: AbortSignal; timeoutMs?: number },
  what: { component: string; subject: string },
): Promise<WorkloadExit> {
  const waiters: Promise<WorkloadExit>[] = [exit];
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const { signal, timeoutMs } = options;
  if (timeoutMs !== undefined) {
    waiters.push(
      new Promise((_, reject) => {
        timer = setTimeout(
          () =>
            reject(
              new ContinuumError(
                'WORKLOAD_TIMEOUT',
                `${what.subject} did not finish within ${timeoutMs / 1000} s.`,
              ),
            ),
          timeoutMs,
        );
      }),
    );
  }
  if (signal !== undefined) {
    waiters.push(
      new Promise((_, reject) => {
        onAbort = (): void =>
          reject(new ContinuumError('ABORTED', `Waiting for ${what.component} was cancelled.`));
        if (signal.aborted) onAbort();
        else signal.addEventListener('abort', onAbort, { once: true });
      }),
    );
  }
  try {
    return await Promise.race(waiters);
  } finally {
    if (timer !== undefined) clearTimeout(timer);
    if (signal !== undefined && onAbort !== undefined) signal.removeEventListener('abort', onAbort);
  }
}
