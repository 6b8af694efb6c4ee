/**
 * How the pages call the api: same origin, the session cookie going with each call (HttpOnly:
 * no script sees it), never cached, JSON in and out. Shapes are the spec's (sdk/src/generated).
 */

/**
 * An answer other than 2xx: the api's `{"error":{code,message,details}}`, or what the network
 * said (status 0, code `network`). A 429's Retry-After is in `details.retryAfterSeconds` when the
 * body does not say it.
 */
export class ApiError extends Error {
  override readonly name: string = 'ApiError';
  readonly status: number;
  readonly code: string;
  readonly details: Record<string, unknown>;
  constructor(status: number, code: string, message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

export async function callApi<T>(method: string, path: string, body?: unknown): Promise<T> {
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      credentials: 'same-origin',
      cache: 'no-store',
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, 'network', 'The server could not be reached. Check your connection and try again.');
  }
  const text = await response.text();
  let parsed: unknown = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    // A proxy's HTML error page: said as the status below.
  }
  if (!response.ok) {
    const error = (parsed as { error?: { code?: string; message?: string; details?: Record<string, unknown> } })?.error;
    const details = { ...error?.details };
    const retryAfter = Number(response.headers.get('retry-after'));
    if (details.retryAfterSeconds === undefined && Number.isFinite(retryAfter) && retryAfter > 0)
      details.retryAfterSeconds = retryAfter;
    throw new ApiError(response.status, error?.code ?? 'unknown', error?.message ?? response.statusText, details);
  }
  return parsed as T;
}
