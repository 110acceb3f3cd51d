import { describe, expect, it } from 'vitest';
import { classifyGcpError, GcpOperationError, toContinuumError } from '../src/gcp/errors.js';
import { mapLimit, withRetry } from '../src/gcp/retry.js';

const gaxios = (status: number, reason: string, message: string): Error =>
  Object.assign(
    new Error(
      JSON.stringify({ error: { code: status, message, errors: [{ message, domain: 'global', reason }] } }),
    ),
    { status, code: status },
  );

describe('error classification', () => {
  it('maps REST errors by reason, then by status', () => {
    expect(
      classifyGcpError(
        gaxios(403, 'quotaExceeded', "Quota 'CPUS' exceeded. Limit: 8.0 in region us-central1."),
      ).kind,
    ).toBe('quota');
    expect(classifyGcpError(gaxios(403, 'rateLimitExceeded', 'Rate Limit Exceeded')).kind).toBe('rate-limit');
    expect(
      classifyGcpError(gaxios(403, 'forbidden', "Required 'compute.instances.create' permission")).kind,
    ).toBe('permission');
    expect(
      classifyGcpError(gaxios(403, 'accessNotConfigured', 'Compute Engine API has not been used in project'))
        .kind,
    ).toBe('permission');
    expect(classifyGcpError(gaxios(404, 'notFound', 'not found')).kind).toBe('not-found');
    expect(classifyGcpError(gaxios(409, 'alreadyExists', 'exists')).kind).toBe('exists');
    expect(classifyGcpError(gaxios(400, 'resourceInUseByAnotherResource', 'in use')).kind).toBe('in-use');
    expect(classifyGcpError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })).kind).toBe(
      'unavailable',
    );
    expect(classifyGcpError(Object.assign(new Error('x'), { status: 503 })).kind).toBe('unavailable');
    expect(classifyGcpError(Object.assign(new Error('x'), { status: 429 })).kind).toBe('rate-limit');
    expect(
      classifyGcpError(
        new Error(
          'Could not load the default credentials. Browse to https://cloud.google.com/docs/authentication/getting-started for more information.',
        ),
      ).kind,
    ).toBe('unauthenticated');
  });

  it('maps failed operations', () => {
    expect(
      classifyGcpError(
        new GcpOperationError(
          [{ code: 'ZONE_RESOURCE_POOL_EXHAUSTED', message: 'The zone does not have enough resources' }],
          503,
          'op',
        ),
      ).kind,
    ).toBe('zone-exhausted');
    expect(
      classifyGcpError(
        new GcpOperationError([{ code: 'QUOTA_EXCEEDED', message: "Quota 'CPUS' exceeded" }], 403, 'op'),
      ).kind,
    ).toBe('quota');
    expect(
      classifyGcpError(
        new GcpOperationError([{ code: 'RATE_LIMIT_EXCEEDED', message: 'slow down' }], 403, 'op'),
      ).kind,
    ).toBe('rate-limit');
  });

  it('turns them into ContinuumErrors with a hint naming the fix', () => {
    const e = toContinuumError(gaxios(403, 'quotaExceeded', "Quota 'CPUS' exceeded."), 'create instance x', {
      project: 'p-123456',
      zone: 'us-central1-a',
    });
    expect(e.code).toBe('GCP_QUOTA_EXCEEDED');
    expect(e.message).toMatch(
      /create instance x failed in project p-123456, zone us-central1-a: Quota 'CPUS' exceeded/,
    );
    expect(e.hint).toMatch(/quota/i);
    const z = toContinuumError(
      new GcpOperationError([{ code: 'ZONE_RESOURCE_POOL_EXHAUSTED', message: 'no room' }], 503, 'op'),
      'create',
      { project: 'p-123456', zone: 'us-central1-a' },
    );
    expect(z.code).toBe('GCP_ZONE_EXHAUSTED');
    expect(z.hint).toMatch(/another zone/);
    expect(toContinuumError(gaxios(403, 'forbidden', 'no'), 'x', { project: 'p-123456' }).hint).toMatch(
      /roles\/compute/,
    );
  });
});

describe('retry', () => {
  it('retries rate limits and transient errors, not permanent ones', async () => {
    let calls = 0;
    const value = await withRetry(
      () => {
        calls++;
        if (calls < 3) return Promise.reject(gaxios(429, 'rateLimitExceeded', 'slow'));
        return Promise.resolve('ok');
      },
      { baseDelayMs: 1 },
    );
    expect([value, calls]).toEqual(['ok', 3]);
    let permanent = 0;
    await expect(
      withRetry(() => (permanent++, Promise.reject(gaxios(403, 'forbidden', 'no'))), { baseDelayMs: 1 }),
    ).rejects.toThrow();
    expect(permanent).toBe(1);
    let capped = 0;
    await expect(
      withRetry(() => (capped++, Promise.reject(gaxios(503, 'backendError', 'x'))), {
        baseDelayMs: 1,
        attempts: 4,
      }),
    ).rejects.toThrow();
    expect(capped).toBe(4);
  });

  it('mapLimit keeps at most N in flight and settles all', async () => {
    let inFlight = 0;
    let peak = 0;
    const results = await mapLimit([1, 2, 3, 4, 5, 6, 7], 3, async (n) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise((r) => setTimeout(r, 5));
      inFlight--;
      if (n === 4) throw new Error('four');
      return n * 2;
    });
    expect(peak).toBe(3);
    expect(results.map((r) => (r.status === 'fulfilled' ? r.value : 'x'))).toEqual([
      2,
      4,
      6,
      'x',
      10,
      12,
      14,
    ]);
  });
});
