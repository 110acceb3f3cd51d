/**
 * A user-facing error: a stable code, a message that names what is wrong (file, key, node) and a
 * hint that says how to fix it. Anything thrown that is not a ContinuumError is reported as a bug
 * in the plugin that threw it.
 *
 * Recognised by shape (`isContinuumError`), because every installed plugin has its own copy of
 * this package and `instanceof` would fail across copies.
 */
export class ContinuumError extends Error {
  override readonly name = 'ContinuumError';
  readonly code: string;
  readonly hint: string | undefined;
  /** Extra machine-readable details (node name, file path, …), shown with --json. */
  readonly details: Record<string, unknown> | undefined;

  constructor(
    code: string,
    message: string,
    options: { hint?: string; cause?: unknown; details?: Record<string, unknown> } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.hint = options.hint;
    this.details = options.details;
  }
}

export interface ContinuumErrorShape {
  name: 'ContinuumError';
  code: string;
  message: string;
  hint?: string | undefined;
  details?: Record<string, unknown> | undefined;
}

export function isContinuumError(value: unknown): value is ContinuumErrorShape & Error {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return v['name'] === 'ContinuumError' && typeof v['code'] === 'string' && typeof v['message'] === 'string';
}

/** Thrown by `throwIfAborted`-style checks so the core can tell cancellation from failure. */
export function abortError(signal: AbortSignal): ContinuumError {
  const reason: unknown = signal.reason;
  if (isContinuumError(reason)) return reason as unknown as ContinuumError;
  const text = reason instanceof Error ? reason.message : typeof reason === 'string' ? reason : 'aborted';
  return new ContinuumError('ABORTED', `Cancelled: ${text}`);
}
