/**
 * The api calls of the share page, as a guest: only the share-session routes (member routes
 * refuse a guest's cookie), made as every page makes them (api-call.ts).
 */
import type { OperationInput, OperationOutput } from '@mediavault/sdk';
import { ApiError, callApi } from './api-call.ts';
import type { Comment } from './review-api.ts';

export type ShareSession = OperationOutput<'getShareSession'>;
export type ShareItem = ShareSession['items'][number];
export type SharePolicy = ShareSession['share'];
export type SharePlayback = OperationOutput<'getSharePlayback'>;
export type ReadyPlayback = Extract<SharePlayback, { status: 'ready' }>;
export type NewGuestComment = OperationInput<'createShareComment'>['body'];

/**
 * A share route's refusal, with the details the page acts on: `reason` (why a session does not
 * open or has ended) and `retryAfterSeconds` (how long to wait before a password try).
 */
export class ShareApiError extends ApiError {
  override readonly name = 'ShareApiError';
  readonly reason: string | null;
  readonly retryAfterSeconds: number | null;

  constructor(status: number, code: string, message: string, details: Record<string, unknown> = {}) {
    super(status, code, message, details);
    this.reason = typeof details.reason === 'string' ? details.reason : null;
    this.retryAfterSeconds = typeof details.retryAfterSeconds === 'number' ? details.retryAfterSeconds : null;
  }
}

function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  return callApi<T>(method, path, body).catch((err: unknown) => {
    if (err instanceof ApiError) throw new ShareApiError(err.status, err.code, err.message, err.details);
    throw err;
  });
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
