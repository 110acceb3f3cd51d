import { ContinuumError, isContinuumError } from '@continuum/plugin-api';

export type GcpErrorKind =
  | 'not-found'
  | 'exists'
  | 'permission'
  | 'unauthenticated'
  | 'quota'
  | 'rate-limit'
  | 'zone-exhausted'
  | 'in-use'
  | 'unavailable'
  | 'invalid'
  | 'timeout'
  | 'other';

export interface GcpErrorInfo {
  kind: GcpErrorKind;
  status: number | undefined;
  reason: string | undefined;
  message: string;
}

/** An error carried by a finished Compute operation (`operation.error.errors[]`). */
export class GcpOperationError extends Error {
  override readonly name = 'GcpOperationError';
  constructor(
    readonly errors: { code?: string | null; message?: string | null }[],
    readonly httpStatus: number | undefined,
    readonly operation: string,
  ) {
    super(
      errors.map((e) => `${e.code ?? 'ERROR'}: ${e.message ?? ''}`).join('; ') ||
        `operation ${operation} failed`,
    );
  }
}

export class GcpTimeoutError extends Error {
  override readonly name = 'GcpTimeoutError';
}

const GRPC_TO_HTTP: Record<number, number> = {
  3: 400,
  5: 404,
  6: 409,
  7: 403,
  8: 429,
  13: 500,
  14: 503,
  16: 401,
  4: 504,
};

function parseBody(text: unknown): Record<string, unknown> | undefined {
  if (typeof text === 'object' && text !== null) return text as Record<string, unknown>;
  if (typeof text !== 'string') return undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function kindFromCode(code: string, message: string): GcpErrorKind {
  if (code.startsWith('ZONE_RESOURCE_POOL_EXHAUSTED') || code === 'STOCKOUT') return 'zone-exhausted';
  if (code === 'QUOTA_EXCEEDED') return 'quota';
  if (code === 'RESOURCE_NOT_FOUND' || code === 'NOT_FOUND') return 'not-found';
  if (code === 'RESOURCE_ALREADY_EXISTS' || code === 'ALREADY_EXISTS') return 'exists';
  if (code === 'RESOURCE_IN_USE_BY_ANOTHER_RESOURCE' || code === 'RESOURCE_NOT_READY') return 'in-use';
  if (code === 'PERMISSION_DENIED' || code === 'FORBIDDEN') return 'permission';
  if (code === 'RATE_LIMIT_EXCEEDED') return 'rate-limit';
  if (code === 'RESOURCE_EXHAUSTED') return /rate/i.test(message) ? 'rate-limit' : 'quota';
  if (code === 'UNAVAILABLE' || code === 'INTERNAL_ERROR') return 'unavailable';
  if (code === 'INVALID_ARGUMENT' || code === 'INVALID_FIELD_VALUE' || code === 'BAD_REQUEST')
    return 'invalid';
  return 'other';
}

function kindFromReason(reason: string, message: string): GcpErrorKind | undefined {
  switch (reason) {
    case 'notFound':
      return 'not-found';
    case 'alreadyExists':
    case 'conflict':
      return 'exists';
    case 'forbidden':
    case 'insufficientPermissions':
    case 'accessNotConfigured':
    case 'SERVICE_DISABLED':
    case 'IAM_PERMISSION_DENIED':
      return 'permission';
    case 'quotaExceeded':
    case 'QUOTA_EXCEEDED':
      return 'quota';
    case 'rateLimitExceeded':
    case 'userRateLimitExceeded':
    case 'RATE_LIMIT_EXCEEDED':
      return 'rate-limit';
    case 'resourceInUseByAnotherResource':
    case 'resourceNotReady':
      return 'in-use';
    case 'authError':
    case 'unauthorized':
    case 'ACCESS_TOKEN_EXPIRED':
      return 'unauthenticated';
    default:
      if (
        /ZONE_RESOURCE_POOL_EXHAUSTED|does not have enough resources available/i.test(`${reason} ${message}`)
      )
        return 'zone-exhausted';
      return undefined;
  }
}

/**
 * Normalise what the Compute client throws (GaxiosError from the REST transport, GoogleError
 * from gax, GcpOperationError from a failed operation, network errors) into one shape.
 */
export function classifyGcpError(error: unknown): GcpErrorInfo {
  if (error instanceof GcpTimeoutError)
    return { kind: 'timeout', status: undefined, reason: undefined, message: error.message };
  if (error instanceof GcpOperationError) {
    const first = error.errors[0];
    const code = first?.code ?? '';
    const message = error.message;
    let kind = kindFromCode(code, message);
    if (kind === 'other' && error.httpStatus !== undefined) kind = kindFromStatus(error.httpStatus, message);
    return { kind, status: error.httpStatus, reason: code || undefined, message };
  }
  const e = (typeof error === 'object' && error !== null ? error : {}) as Record<string, unknown>;
  const response = e['response'] as Record<string, unknown> | undefined;
  const body = parseBody(response?.['data']) ?? parseBody(e['message']);
  const apiError = body?.['error'] as Record<string, unknown> | undefined;
  let status: number | undefined =
    typeof e['status'] === 'number'
      ? e['status']
      : typeof response?.['status'] === 'number'
        ? response['status']
        : typeof apiError?.['code'] === 'number'
          ? apiError['code']
          : undefined;
  if (status === undefined && typeof e['code'] === 'number') status = GRPC_TO_HTTP[e['code']] ?? undefined;
  const message =
    (typeof apiError?.['message'] === 'string' ? apiError['message'] : undefined) ??
    (typeof e['message'] === 'string' ? e['message'] : String(error));
  const errors = Array.isArray(apiError?.['errors']) ? (apiError['errors'] as Record<string, unknown>[]) : [];
  const details = Array.isArray(apiError?.['details'])
    ? (apiError['details'] as Record<string, unknown>[])
    : [];
  const reason =
    (errors.find((x) => typeof x['reason'] === 'string')?.['reason'] as string | undefined) ??
    (details.find((x) => typeof x['reason'] === 'string')?.['reason'] as string | undefined) ??
    (typeof apiError?.['status'] === 'string' ? apiError['status'] : undefined);
  const networkCode = typeof e['code'] === 'string' ? e['code'] : undefined;
  if (
    status === undefined &&
    networkCode !== undefined &&
    /^(ECONNRESET|ECONNREFUSED|ETIMEDOUT|EAI_AGAIN|ENOTFOUND|EPIPE|UND_ERR)/.test(networkCode)
  ) {
    return { kind: 'unavailable', status, reason: networkCode, message };
  }
  // google-auth-library's own failures (no ADC found, revoked key) come without an HTTP status.
  if (
    status === undefined &&
    /Could not load the default credentials|invalid_grant|unauthorized_client|Could not refresh access token/i.test(
      message,
    )
  ) {
    return { kind: 'unauthenticated', status, reason, message };
  }
  const byReason = reason !== undefined ? kindFromReason(reason, message) : undefined;
  const byCode = reason !== undefined && byReason === undefined ? kindFromCode(reason, message) : undefined;
  const kind =
    byReason ?? (byCode !== undefined && byCode !== 'other' ? byCode : kindFromStatus(status, message));
  return { kind, status, reason, message };
}

const STATUS_KIND: Record<number, GcpErrorKind> = {
  400: 'invalid',
  401: 'unauthenticated',
  403: 'permission',
  404: 'not-found',
  409: 'exists',
  429: 'rate-limit',
  500: 'unavailable',
  502: 'unavailable',
  503: 'unavailable',
  504: 'unavailable',
};

function kindFromStatus(status: number | undefined, message: string): GcpErrorKind {
  if (/ZONE_RESOURCE_POOL_EXHAUSTED|does not have enough resources available/i.test(message))
    return 'zone-exhausted';
  if (/Quota .* exceeded/i.test(message)) return 'quota';
  if (/rate limit/i.test(message)) return 'rate-limit';
  return (status !== undefined ? STATUS_KIND[status] : undefined) ?? 'other';
}

export function isRetryable(info: GcpErrorInfo): boolean {
  return info.kind === 'rate-limit' || info.kind === 'unavailable';
}

/** A user-facing error naming what was being done, in which project/zone, and how to fix it. */
export function toContinuumError(
  error: unknown,
  doing: string,
  where: { project: string; zone?: string },
): ContinuumError {
  if (isContinuumError(error)) return error as ContinuumError;
  const info = classifyGcpError(error);
  const place =
    where.zone !== undefined ? `project ${where.project}, zone ${where.zone}` : `project ${where.project}`;
  const base = `GCP: ${doing} failed in ${place}: ${info.message}`;
  const details = { kind: info.kind, status: info.status ?? null, reason: info.reason ?? null };
  switch (info.kind) {
    case 'permission':
      return new ContinuumError('GCP_PERMISSION_DENIED', base, {
        hint:
          'The credentials lack a permission or the Compute Engine API is disabled. Enable it (gcloud services enable compute.googleapis.com) ' +
          'and grant the account roles/compute.instanceAdmin.v1 and roles/compute.networkAdmin (or roles/compute.admin) on the project.',
        cause: error,
        details,
      });
    case 'unauthenticated':
      return new ContinuumError('GCP_UNAUTHENTICATED', base, {
        hint: 'Set provider options.credentials to a service-account key file, or run `gcloud auth application-default login`.',
        cause: error,
        details,
      });
    case 'quota':
      return new ContinuumError('GCP_QUOTA_EXCEEDED', base, {
        hint: 'Lower the node counts or pick smaller machineTypes, or request a higher quota under IAM & Admin > Quotas for this region.',
        cause: error,
        details,
      });
    case 'zone-exhausted':
      return new ContinuumError('GCP_ZONE_EXHAUSTED', base, {
        hint: `Zone ${where.zone ?? ''} has no capacity for this machine type right now. Try another zone of the region (options.zone) or another machine type.`,
        cause: error,
        details,
      });
    case 'timeout':
      return new ContinuumError('GCP_TIMEOUT', base, {
        hint: 'Raise options.timeouts, or check the Compute Engine console for the stuck operation.',
        cause: error,
        details,
      });
    case 'in-use':
      return new ContinuumError('GCP_RESOURCE_IN_USE', base, {
        hint: 'Something still uses it (a VM or rule not created by this run?). Delete that first, then run `continuum clean --provider gcp` again.',
        cause: error,
        details,
      });
    case 'not-found':
      return new ContinuumError('GCP_NOT_FOUND', base, {
        hint: 'Check options.project, options.zone, options.machineTypes and options.image.',
        cause: error,
        details,
      });
    case 'exists':
    case 'invalid':
    case 'rate-limit':
    case 'unavailable':
    case 'other':
      return new ContinuumError('GCP_API_ERROR', base, { cause: error, details });
  }
}
