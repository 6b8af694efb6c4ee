/**
 * The closed set of error codes the platform answers with. Every failure that
 * reaches a client is an AppError with one of these codes; the api renders them
 * all in one JSON shape: { error: { code, message, details? } }.
 */
export const errorCodes = {
  bad_request: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  gone: 410,
  payload_too_large: 413,
  precondition_failed: 412,
  range_not_satisfiable: 416,
  checksum_mismatch: 422,
  unprocessable: 422,
  rate_limited: 429,
  internal: 500,
  unavailable: 503,
} as const;

export type ErrorCode = keyof typeof errorCodes;

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
  gone: (message: string) => new AppError('gone', message),
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
