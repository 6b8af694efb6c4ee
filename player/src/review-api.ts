/**
 * The api calls the review page makes, as the signed-in reviewer: the review session's cookie
 * goes with each (same origin), and every mutation carries the page's Origin, which the api
 * checks for cookie callers. Shapes are the spec's (sdk/src/generated via `npm run gen`).
 */
import type { FrameRate } from '@mediavault/core/timecode';

export type CommentShape =
  | { kind: 'freehand'; points: [number, number][] }
  | { kind: 'arrow'; from: [number, number]; to: [number, number] }
  | { kind: 'rect'; from: [number, number]; to: [number, number] };

export interface Annotation {
  shapes: CommentShape[];
  color?: string;
}

export interface Comment {
  id: string;
  assetId: string;
  versionId: string;
  versionNumber: number;
  parentId: string | null;
  frame: number;
  endFrame: number | null;
  timecode: string;
  endTimecode: string | null;
  text: string;
  internal: boolean;
  annotation: Annotation | null;
  author: { userId: string | null; name: string; kind: 'member' | 'guest' };
  resolved: boolean;
  resolvedAt: string | null;
  resolvedBy: { userId: string; name: string } | null;
  createdAt: string;
  editedAt: string | null;
  deleted: boolean;
}

export type ApprovalStatus = 'approved' | 'changes_requested' | 'none';

export interface Approval {
  versionId: string;
  status: ApprovalStatus;
  decidedBy: { userId: string; name: string } | null;
  decidedAt: string | null;
}

export interface AssetVersion {
  id: string;
  number: number;
  originalName: string;
  createdAt: string;
  meta: Record<string, unknown>;
  preview: { status: 'queued' | 'building' | 'ready' | 'failed' } | null;
  approval?: Approval | null;
}

export interface Asset {
  id: string;
  projectId: string;
  name: string;
  versions: AssetVersion[];
}

export interface Playback {
  assetId: string;
  versionId: string;
  versionNumber: number;
  manifestUrl: string;
  posterUrl: string;
  frameRate: FrameRate | null;
  startTimecode: string;
  dropFrame: boolean;
  spritesVttUrl: string | null;
  waveformUrl: string | null;
  durationFrames: number | null;
}

export interface NewComment {
  versionId: string;
  frame: number;
  endFrame?: number;
  text: string;
  parentId?: string;
  internal?: boolean;
  annotation?: Annotation;
}

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

export interface Me {
  user: { id: string; name: string; email: string };
  memberships: { projectId: string; role: 'admin' | 'editor' | 'reviewer' | 'viewer' }[];
}

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
