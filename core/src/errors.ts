/**
 * The closed set of error codes the platform answers with. Every failure that
 * reaches a client is an AppError with one of these codes; the api renders them
 * all in one JSON shape, { error: { code, message, details? } }, and the OpenAPI
 * document lists the set as the `ErrorCode` enum (the SDK gets it as a union type).
 * A code names one kind of failure, so a client can act on it without reading the
 * message; messages are for people and never carry server paths or raw exception text.
 */
export const errorCodes = {
  /** The input is invalid; `details.field` names what to fix. */
  bad_request: 400,
  unauthenticated: 401,
  forbidden: 403,
  /** Unknown, or not visible to the caller (another tenant's ids answer the same). */
  not_found: 404,
  /** The resource is in a state the request cannot start from; `details.status` is its state now. */
  invalid_state: 409,
  /** The store refused to write: the key is under retention or collides with another object. */
  conflict: 409,
  /** The upload's bytes are not all stored yet (parts missing, the PUT not made): send them, then retry. */
  upload_incomplete: 409,
  /** A name or email that must be unique is taken. */
  already_exists: 409,
  /** Playback asked before the preview set is built; `details.previewStatus`. */
  preview_not_ready: 409,
  /** The upload passed its expiry before it was completed. */
  upload_expired: 410,
  /** The upload was aborted (expired and cleaned up, or cancelled). */
  upload_aborted: 410,
  precondition_failed: 412,
  payload_too_large: 413,
  range_not_satisfiable: 416,
  /** Bytes differ from the sha256 they were declared or signed with. */
  checksum_mismatch: 422,
  /** Well-formed input the platform cannot act on (a file ffprobe cannot read). */
  unprocessable: 422,
  rate_limited: 429,
  internal: 500,
  /** A dependency (database, object store) is unreachable; retry later. */
  unavailable: 503,
} as const;

export type ErrorCode = keyof typeof errorCodes;

export const errorCodeList = Object.keys(errorCodes) as ErrorCode[];

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = 'AppError';
    this.code = code;
    this.status = errorCodes[code];
    this.details = details;
  }
}

export const errors = {
  badRequest: (message: string, details?: Record<string, unknown>) => new AppError('bad_request', message, details),
  unauthenticated: (message = 'a valid bearer token is required') => new AppError('unauthenticated', message),
  forbidden: (message = 'your role does not allow this') => new AppError('forbidden', message),
  notFound: (what: string) => new AppError('not_found', `${what} not found`),
  conflict: (message: string, details?: Record<string, unknown>) => new AppError('conflict', message, details),
  invalidState: (message: string, status: string, details?: Record<string, unknown>) =>
    new AppError('invalid_state', message, { status, ...details }),
  uploadIncomplete: (message: string) => new AppError('upload_incomplete', message, { status: 'uploading' }),
  alreadyExists: (message: string) => new AppError('already_exists', message),
  previewNotReady: (message: string, previewStatus: string | null) =>
    new AppError('preview_not_ready', message, { previewStatus }),
  uploadExpired: () => new AppError('upload_expired', 'the upload has expired; start a new one'),
  uploadAborted: () => new AppError('upload_aborted', 'the upload was aborted; start a new one'),
  payloadTooLarge: (message: string) => new AppError('payload_too_large', message),
  checksumMismatch: (message: string, details?: Record<string, unknown>) =>
    new AppError('checksum_mismatch', message, details),
  unprocessable: (message: string, details?: Record<string, unknown>) =>
    new AppError('unprocessable', message, details),
  unavailable: (message: string) => new AppError('unavailable', message),
};

export function isAppError(err: unknown): err is AppError {
  return err instanceof AppError;
}

export function hasErrorCode(err: unknown, code: ErrorCode): err is AppError {
  return err instanceof AppError && err.code === code;
}

// An absolute path of two or more segments (a workspace, a storage root, a tool's binary).
const ABSOLUTE_PATH = /(?<![\w.:/-])\/(?:[^\s/:;,'"()[\]]+\/)+[^\s/:;,'"()[\]]*/g;

/** Text a client may see: server paths replaced by "<path>" (tool output names its input files). */
export function withoutServerPaths(text: string): string {
  return text.replace(ABSOLUTE_PATH, '<path>');
}

/**
 * An error as the catalogue records it for clients (job runs, preview and upload states): an
 * AppError keeps its code and message without server paths; anything else is an internal
 * failure whose own text (a driver's, a library's) stays in the logs, found by `reference`.
 */
export function clientErrorRecord(err: unknown, reference: string): { code: ErrorCode; message: string } {
  if (err instanceof AppError && err.status < 500) return { code: err.code, message: withoutServerPaths(err.message) };
  const code = err instanceof AppError ? err.code : 'internal';
  return { code, message: `the job failed (${code}); the worker's log has the details under ${reference}` };
}
