import { describe, expect, it } from 'vitest';
import { componentNode, copyComponentFiles, waitForExit } from '../src/workload-helpers.js';
import type { WorkloadExit } from '../src/workload.js';

const what = { component: 'worker0', subject: 'Job j (worker0)' };
const succeeded: WorkloadExit = { phase: 'succeeded', exitCode: 0 };

describe('waitForExit', () => {
  it('resolves with the exit when it comes first', async () => {
    await expect(waitForExit(Promise.resolve(succeeded), { timeoutMs: 1000 }, what)).resolves.toEqual(
      succeeded,
    );
  });

  it('rejects with WORKLOAD_TIMEOUT naming the subject when the deadline passes first', async () => {
    const never = new Promise<WorkloadExit>(() => undefined);
    await expect(waitForExit(never, { timeoutMs: 20 }, what)).rejects.toMatchObject({
      code: 'WORKLOAD_TIMEOUT',
      message: 'Job j (worker0) did not finish within 0.02 s.',
    });
  });

  it('rejects with ABORTED at once for an aborted signal and on a later abort', async () => {
    const never = new Promise<WorkloadExit>(() => undefined);
    await expect(waitForExit(never, { signal: AbortSignal.abort() }, what)).rejects.toMatchObject({
      code: 'ABORTED',
      message: 'Waiting for worker0 was cancelled.',
    });
    const controller = new AbortController();
    const waiting = waitForExit(never, { signal: controller.signal }, what);
    controller.abort();
    await expect(waiting).rejects.toMatchObject({ code: 'ABORTED' });
  });

  it('passes a failed exit through unchanged', async () => {
    const failed: WorkloadExit = { phase: 'failed', exitCode: 3, reason: 'exit code 3' };
    await expect(waitForExit(Promise.resolve(failed), {}, what)).resolves.toEqual(failed);
  });
});

describe('componentNode', () => {
  const byName = new Map([
    ['a', { name: 'a' }],
    ['b', { name: 'b' }],
  ]);
  it('returns the node the component targets', () => {
    expect(componentNode(byName, { name: 'c', node: 'b' })).toEqual({ name: 'b' });
  });
  it('names the component, the node and the known nodes in the runner wording', () => {
    expect(() =>
      componentNode(byName, { name: 'c', node: 'z' }, { noun: 'Function', listLabel: 'Workers' }),
    ).toThrow(
      expect.objectContaining({
        code: 'RUNNER_UNKNOWN_NODE',
        message: 'Function c targets node "z", which does not exist.',
        hint: 'Workers: a, b',
      }),
    );
  });
});

describe('copyComponentFiles', () => {
  it('copies each file unless the node shares the host filesystem', async () => {
    const copied: string[] = [];
    const copy = (from: string, to: string): Promise<void> => {
      copied.push(`${from}>${to}`);
      return Promise.resolve();
    };
    const files = [
      { from: '/h/a', to: '/g/a' },
      { from: '/h/b', to: '/g/b' },
    ];
    await copyComponentFiles({ sharesHostFilesystem: true, copy }, { files });
    expect(copied).toEqual([]);
    await copyComponentFiles({ sharesHostFilesystem: false, copy }, { files });
    expect(copied).toEqual(['/h/a>/g/a', '/h/b>/g/b']);
  });
});
