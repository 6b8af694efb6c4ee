/**
 * The api calls of the share page, as a guest: only the share-session routes (member routes
 * refuse a guest's cookie). The guest session's cookie goes with each call (same origin, HttpOnly:
 * this script never sees it). Shapes are the spec's (sdk/src/generated via `npm run gen`).
 */
import type { OperationInput, OperationOutput } from '@mediavault/sdk';
import type { Comment } from './review-api.ts';

export type ShareSession = OperationOutput<'getShareSession'>;
export type ShareItem = ShareSession['items'][number];
export type SharePolicy = ShareSession['share'];
export type SharePlayback = OperationOutput<'getSharePlayback'>;
export type ReadyPlayback = Extract<SharePlayback, { status: 'ready' }>;
export type NewGuestComment = OperationInput<'createShareComment'>['body'];

/**
 * An answer other than 2xx: the api's `{"error":{code,message,details}}`, or what the network
 * said (status 0, code `network`). `reason` and `retryAfterSeconds` are the details the share
 * routes give (why a session does not open or has ended; how long to wait before a password try).
 */
export class ShareApiError extends Error {
  override readonly name = 'ShareApiError';
  readonly status: number;
  readonly code: string;
  readonly reason: string | null;
  readonly retryAfterSeconds: number | null;
  readonly details: Record<string, unknown>;

  constructor(status: number, code: string, message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
    this.reason = typeof details.reason === 'string' ? details.reason : null;
    this.retryAfterSeconds = typeof details.retryAfterSeconds === 'number' ? details.retryAfterSeconds : null;
  }
}

async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
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
    throw new ShareApiError(0, 'network', 'The server could not be reached. Check your connection and try again.');
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
    // A 429 says how long in its header too; the header wins when the body has no details.
    const retryAfter = Number(response.headers.get('retry-after'));
    if (details.retryAfterSeconds === undefined && Number.isFinite(retryAfter) && retryAfter > 0)
      details.retryAfterSeconds = retryAfter;
    throw new ShareApiError(response.status, error?.code ?? 'unknown', error?.message ?? response.statusText, details);
  }
  return parsed as T;
}

const id = encodeURIComponent;
const current = '/api/share-sessions/current';

export const shareApi = {
  /** Exchanges the link's token (and password) for the session cookie. */
  /** The first try sends the link's token; later password tries send the password alone (the api's cookie names the share). */
  start: (attempt: { token: string } | { password: string }) =>
    call<ShareSession>('POST', '/api/share-sessions', attempt),
  current: () => call<ShareSession>('GET', current),
  end: () => call<null>('DELETE', current),
  setName: (name: string) => call<ShareSession>('PUT', `${current}/name`, { name }),
  playback: (assetId: string) => call<SharePlayback>('POST', `${current}/assets/${id(assetId)}/playback`),
  listComments: async (assetId: string) =>
    (await call<{ items: Comment[] }>('GET', `${current}/assets/${id(assetId)}/comments?limit=500`)).items,
  createComment: (assetId: string, comment: NewGuestComment) =>
    call<Comment>('POST', `${current}/assets/${id(assetId)}/comments`, comment),
};

/** The address of a download (a plain link: the cookie goes with it, the api redirects or streams). */
export function downloadUrl(assetId: string, kind: 'proxy' | 'master'): string {
  return `${current}/assets/${id(assetId)}/download?kind=${kind}`;
}
