import type { ErrorCode } from './generated/operations.ts';

/**
 * Every failure the SDK reports is a MediavaultError with a stable `code`:
 * - MediavaultApiError: the api (or a presigned storage URL) answered with an error status;
 * - MediavaultNetworkError: no answer at all (refused, reset, DNS, TLS);
 * - MediavaultError itself: a local or job failure (timeout, promotion failed, file changed).
 */
export class MediavaultError extends Error {
  readonly code: string;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: string, message: string, options: { details?: Record<string, unknown>; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'MediavaultError';
    this.code = code;
    this.details = options.details;
  }
}

/**
 * The code of a failed HTTP answer: one of the api's codes (ErrorCode, generated from the spec)
 * when the api answered; when something else did, a storage service's own code (an S3
 * `<Code>` such as `AccessDenied`, for a presigned part PUT) or `http_<status>` (a proxy).
 */
export type ApiErrorCode = ErrorCode | (string & {});

export class MediavaultApiError extends MediavaultError {
  declare readonly code: ApiErrorCode;
  readonly status: number;
  /** The api's x-request-id of the failed request (quote it when reporting a problem). */
  readonly requestId: string | undefined;
  /** operationId, or 'uploadPart' for a presigned part PUT. */
  readonly operation: string;

  constructor(input: {
    status: number;
    code: ApiErrorCode;
    message: string;
    details?: Record<string, unknown>;
    requestId?: string;
    operation: string;
  }) {
    super(input.code, input.message, { details: input.details });
    this.name = 'MediavaultApiError';
    this.status = input.status;
    this.requestId = input.requestId;
    this.operation = input.operation;
  }
}

export class MediavaultNetworkError extends MediavaultError {
  readonly url: string;

  constructor(url: string, cause: unknown) {
    const origin = safeOrigin(url);
    const reason = (cause as { code?: string; message?: string }) ?? {};
    super(reason.code ?? 'network_error', `cannot reach ${origin}: ${reason.message ?? String(cause)}`, { cause });
    this.name = 'MediavaultNetworkError';
    this.url = url;
  }
}

function safeOrigin(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return url;
  }
}

/**
 * Builds the error of a failed HTTP answer. The api's shape is
 * `{ error: { code, message, details? } }`; anything else (a proxy's HTML, an
 * S3 XML error) keeps the status and a short excerpt of the body.
 */
export function errorFromResponse(input: {
  status: number;
  body: string;
  requestId?: string;
  operation: string;
}): MediavaultApiError {
  let parsed: unknown;
  try {
    parsed = JSON.parse(input.body);
  } catch {
    parsed = undefined;
  }
  const error = (parsed as { error?: { code?: unknown; message?: unknown; details?: unknown } } | undefined)?.error;
  if (error && typeof error.code === 'string' && typeof error.message === 'string') {
    const details =
      error.details && typeof error.details === 'object' ? (error.details as Record<string, unknown>) : undefined;
    return new MediavaultApiError({
      status: input.status,
      code: error.code,
      message: error.message,
      details,
      requestId: input.requestId,
      operation: input.operation,
    });
  }
  const s3Code = /<Code>([^<]+)<\/Code>/.exec(input.body)?.[1];
  const s3Message = /<Message>([^<]+)<\/Message>/.exec(input.body)?.[1];
  const excerpt = input.body.replace(/\s+/g, ' ').trim().slice(0, 200);
  return new MediavaultApiError({
    status: input.status,
    code: s3Code ?? `http_${input.status}`,
    message: s3Message ?? `${input.operation} failed with HTTP ${input.status}${excerpt ? `: ${excerpt}` : ''}`,
    requestId: input.requestId,
    operation: input.operation,
  });
}

/** The fields an error is reported with (an ingest's `error` event, the CLI's `--json` errors). */
export interface ErrorFields {
  code: string;
  message: string;
  status?: number;
  requestId?: string;
  details?: Record<string, unknown>;
}

export function errorFields(err: unknown): ErrorFields {
  if (err instanceof MediavaultApiError) {
    return {
      code: err.code,
      message: err.message,
      status: err.status,
      ...(err.requestId ? { requestId: err.requestId } : {}),
      ...(err.details ? { details: err.details } : {}),
    };
  }
  if (err instanceof MediavaultError) return { code: err.code, message: err.message };
  return { code: 'internal', message: err instanceof Error ? err.message : String(err) };
}
