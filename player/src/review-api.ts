/**
 * The api calls the review page makes, as the signed-in reviewer: the review session's cookie
 * goes with each (same origin), and every mutation carries the page's Origin, which the api
 * checks for cookie callers. Shapes are the spec's (sdk/src/generated via `npm run gen`).
 */
import type { components, OperationInput, OperationOutput } from '@mediavault/sdk';
import { callApi } from './api-call.ts';

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

const id = encodeURIComponent;

export const reviewApi = {
  getMe: () => callApi<Me>('GET', '/api/me'),
  getAsset: (assetId: string) => callApi<Asset>('GET', `/api/assets/${id(assetId)}`),
  getPlayback: (assetId: string, versionId: string) =>
    callApi<Playback>('GET', `/api/assets/${id(assetId)}/playback?versionId=${id(versionId)}`),
  /** Every comment of the asset, all pages (newest version first, then frame, replies after parents). */
  async listComments(assetId: string): Promise<Comment[]> {
    const comments: Comment[] = [];
    let cursor: string | null = null;
    do {
      const query = new URLSearchParams({ limit: '500', ...(cursor ? { cursor } : {}) });
      const page: { items: Comment[]; nextCursor: string | null } = await callApi(
        'GET',
        `/api/assets/${id(assetId)}/comments?${query}`,
      );
      comments.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor);
    return comments;
  },
  getComment: (commentId: string) => callApi<Comment>('GET', `/api/comments/${id(commentId)}`),
  createComment: (assetId: string, comment: NewComment) =>
    callApi<Comment>('POST', `/api/assets/${id(assetId)}/comments`, comment),
  updateComment: (commentId: string, change: { text?: string; annotation?: Annotation | null }) =>
    callApi<Comment>('PATCH', `/api/comments/${id(commentId)}`, change),
  deleteComment: (commentId: string) => callApi<Comment>('DELETE', `/api/comments/${id(commentId)}`),
  resolveComment: (commentId: string) => callApi<Comment>('POST', `/api/comments/${id(commentId)}/resolve`),
  reopenComment: (commentId: string) => callApi<Comment>('POST', `/api/comments/${id(commentId)}/reopen`),
  setApproval: (assetId: string, versionId: string, status: ApprovalStatus) =>
    callApi<Approval>('PUT', `/api/assets/${id(assetId)}/versions/${id(versionId)}/approval`, { status }),
};
