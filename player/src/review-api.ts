/**
 * The api calls the review page makes, as the signed-in reviewer: the review session's cookie
 * goes with each (same origin), and every mutation carries the page's Origin, which the api
 * checks for cookie callers. Shapes are the spec's (sdk/src/generated via `npm run gen`).
 */
import type { components, OperationInput, OperationOutput } from '@mediavault/sdk';

// The spec's shapes, as `npm run gen` writes them for the SDK (types only: nothing of the SDK is bundled).
export type Comment = components['schemas']['Comment'];
export type Annotation = components['schemas']['Annotation'];
export type CommentShape = Annotation['shapes'][number];
export type Approval = components['schemas']['Approval'];
export type ApprovalStatus = Approval['status'];
export type Asset = components['schemas']['Asset'];
export type AssetVersion = components['schemas']['Version'];
export type Playback = OperationOutput<'getPlayback'>;
export type Me = OperationOutput<'getMe'>;
export type NewComment = OperationInput<'createComment'>['body'];

/** An answer other than 2xx: the api's `{"error":{code,message}}`, or what the network said. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
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
    throw new ApiError(0, 'network', 'The server could not be reached. Check your connection.');
  }
  const text = await response.text();
  const parsed = text ? (JSON.parse(text) as unknown) : null;
  if (!response.ok) {
    const error = (parsed as { error?: { code?: string; message?: string } } | null)?.error;
    throw new ApiError(response.status, error?.code ?? 'unknown', error?.message ?? response.statusText);
  }
  return parsed as T;
}

const id = encodeURIComponent;

export const reviewApi = {
  getMe: () => call<Me>('GET', '/api/me'),
  getAsset: (assetId: string) => call<Asset>('GET', `/api/assets/${id(assetId)}`),
  getPlayback: (assetId: string, versionId: string) =>
    call<Playback>('GET', `/api/assets/${id(assetId)}/playback?versionId=${id(versionId)}`),
  /** Every comment of the asset, all pages (newest version first, then frame, replies after parents). */
  async listComments(assetId: string): Promise<Comment[]> {
    const comments: Comment[] = [];
    let cursor: string | null = null;
    do {
      const query = new URLSearchParams({ limit: '500', ...(cursor ? { cursor } : {}) });
      const page: { items: Comment[]; nextCursor: string | null } = await call(
        'GET',
        `/api/assets/${id(assetId)}/comments?${query}`,
      );
      comments.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor);
    return comments;
  },
  getComment: (commentId: string) => call<Comment>('GET', `/api/comments/${id(commentId)}`),
  createComment: (assetId: string, comment: NewComment) =>
    call<Comment>('POST', `/api/assets/${id(assetId)}/comments`, comment),
  updateComment: (commentId: string, change: { text?: string; annotation?: Annotation | null }) =>
    call<Comment>('PATCH', `/api/comments/${id(commentId)}`, change),
  deleteComment: (commentId: string) => call<Comment>('DELETE', `/api/comments/${id(commentId)}`),
  resolveComment: (commentId: string) => call<Comment>('POST', `/api/comments/${id(commentId)}/resolve`),
  reopenComment: (commentId: string) => call<Comment>('POST', `/api/comments/${id(commentId)}/reopen`),
  setApproval: (assetId: string, versionId: string, status: ApprovalStatus) =>
    call<Approval>('PUT', `/api/assets/${id(assetId)}/versions/${id(versionId)}/approval`, { status }),
};
