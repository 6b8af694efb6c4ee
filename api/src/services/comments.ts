/**
 * Review: comments pinned to frames of a version, and the approval of each version. Rights are
 * the project's (viewers read, reviewers and above write, a project admin may delete anyone's
 * comment); another organization's ids are not found. The api, not the client, turns frames
 * into SMPTE timecode, from the version's start timecode and rate (core/src/review.ts). Every
 * change writes an activity in its transaction; the database publishes it as an event.
 */
import type { Static } from '@sinclair/typebox';
import { withTransaction } from '@mediavault/core/db/pool';
import { errors } from '@mediavault/core/errors';
import { can, type Action } from '@mediavault/core/roles';
import {
  anchorTimecodes,
  checkAnchor,
  checkAnnotation,
  checkCommentText,
  versionTimebase,
  type Annotation,
  type ApprovalStatus,
  type Timebase,
} from '@mediavault/core/review';
import { recordActivity } from '@mediavault/core/catalogue/activity';
import { decideApproval, findApproval, type ApprovalRecord } from '@mediavault/core/catalogue/approvals-store';
import {
  editComment,
  findComment,
  findReviewVersion,
  insertComment,
  listAssetComments,
  reopenThread,
  resolveThread,
  tombstoneComment,
  type CommentPosition,
  type CommentRecord,
  type VersionTiming,
} from '@mediavault/core/catalogue/comments-store';
import type { ApiDeps, RequestContext } from '../deps.ts';
import type { Approval as ApprovalSchema, Comment as CommentSchema } from '../schemas/common.ts';
import { authorizeAsset, authorizeProject, type Caller } from './access.ts';
import { playbackLabels } from './player-labels.ts';

/** A comment and a decision as the api answers them (the `Comment` and `Approval` schemas). */
export type Comment = Static<typeof CommentSchema>;
export type Approval = Static<typeof ApprovalSchema>;

/** How a version's frames are counted and labelled, as the player counts and labels them. */
export function timebaseOf(timing: VersionTiming): Timebase {
  return versionTimebase(playbackLabels({ originalName: '', meta: timing }), timing.durationSeconds);
}

function toComment(record: CommentRecord, timebase: Timebase = timebaseOf(record.timing)): Comment {
  const { timing: _timing, projectId: _p, organizationId: _o, deletedAt, ...fields } = record;
  return {
    ...fields,
    ...anchorTimecodes(timebase, record.frame, record.endFrame),
    resolved: record.resolvedAt !== null,
    deleted: deletedAt !== null,
  };
}

/** A comment of the caller's organization, and the caller's role in its project (404 without one). */
async function authorizeComment(deps: ApiDeps, caller: Caller, commentId: string, action: Action) {
  const comment = await findComment(deps.pool, caller.organizationId, commentId);
  if (!comment) throw errors.notFound('comment');
  const role = await authorizeProject(deps.pool, caller, comment.projectId, action, 'comment');
  return { comment, role };
}

async function reread(deps: ApiDeps, caller: Caller, commentId: string): Promise<Comment> {
  const comment = await findComment(deps.pool, caller.organizationId, commentId);
  if (!comment) throw errors.notFound('comment');
  return toComment(comment);
}

function refuseDeleted(comment: CommentRecord): void {
  if (comment.deletedAt) throw errors.invalidState('the comment was deleted', 'deleted');
}

function activity(ctx: RequestContext, action: string, comment: CommentRecord, data: Record<string, unknown> = {}) {
  return {
    organizationId: ctx.caller.organizationId,
    actorUserId: ctx.caller.userId,
    action,
    subjectType: 'comment',
    subjectId: comment.id,
    projectId: comment.projectId,
    requestId: ctx.requestId,
    data: { assetId: comment.assetId, versionId: comment.versionId, ...data },
  };
}

// Opaque page cursors: the last comment's place in list order (times to the microsecond).
const ISO_MICROSECONDS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function encodeCommentCursor(p: CommentPosition): string {
  const fields = [p.versionNumber, p.frame, p.threadAt, p.threadId, p.reply, p.at, p.id];
  return Buffer.from(JSON.stringify(fields)).toString('base64url');
}

function decodeCommentCursor(cursor: string): CommentPosition {
  const fields: unknown = (() => {
    try {
      return JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    } catch {
      return null;
    }
  })();
  if (Array.isArray(fields) && fields.length === 7) {
    const [versionNumber, frame, threadAt, threadId, reply, at, id] = fields as unknown[];
    if (
      Number.isSafeInteger(versionNumber) &&
      Number.isSafeInteger(frame) &&
      typeof threadAt === 'string' &&
      ISO_MICROSECONDS.test(threadAt) &&
      typeof threadId === 'string' &&
      UUID.test(threadId) &&
      typeof reply === 'boolean' &&
      typeof at === 'string' &&
      ISO_MICROSECONDS.test(at) &&
      typeof id === 'string' &&
      UUID.test(id)
    ) {
      return { versionNumber: versionNumber as number, frame: frame as number, threadAt, threadId, reply, at, id };
    }
  }
  throw errors.badRequest('cursor is not valid: pass the nextCursor of a previous page', {
    field: 'querystring.cursor',
  });
}

/** An asset's comments across its versions: newest version first, then by frame; replies after their thread. */
export async function listComments(
  deps: ApiDeps,
  { caller }: RequestContext,
  assetId: string,
  query: { versionId?: string; resolved?: boolean; limit: number; cursor?: string },
): Promise<{ items: Comment[]; nextCursor: string | null }> {
  await authorizeAsset(deps.pool, caller, assetId, 'asset.read');
  const after = query.cursor ? decodeCommentCursor(query.cursor) : null;
  const { items, next } = await listAssetComments(
    deps.pool,
    assetId,
    { versionId: query.versionId ?? null, resolved: query.resolved ?? null },
    { after, limit: query.limit },
  );
  // One timebase per version on the page, not per comment.
  const timings = new Map(items.map((c) => [c.versionId, c.timing] as const));
  const byVersion = new Map([...timings].map(([versionId, timing]) => [versionId, timebaseOf(timing)]));
  return {
    items: items.map((c) => toComment(c, byVersion.get(c.versionId))),
    nextCursor: next ? encodeCommentCursor(next) : null,
  };
}

export interface CommentInput {
  versionId?: string;
  frame?: number;
  endFrame?: number;
  text: string;
  parentId?: string;
  internal?: boolean;
  annotation?: Annotation;
}

/**
 * A new comment on a version (the latest by default) at a frame, or a reply: a reply belongs to a
 * top-level comment of the same asset and takes its version, frame and end frame (values given
 * for them are not used); a reply in an internal thread is internal too.
 */
export async function createComment(
  deps: ApiDeps,
  ctx: RequestContext,
  assetId: string,
  input: CommentInput,
): Promise<Comment> {
  const { caller } = ctx;
  const { projectId } = await authorizeAsset(deps.pool, caller, assetId, 'comment.write');
  checkCommentText(input.text);
  const annotation = input.annotation ?? null;
  checkAnnotation(annotation);

  let anchor: { versionId: string; frame: number; endFrame: number | null; internal: boolean; timebase: Timebase };
  if (input.parentId !== undefined) {
    const parent = await findComment(deps.pool, caller.organizationId, input.parentId);
    if (!parent || parent.assetId !== assetId) {
      throw errors.badRequest('parentId is not a comment of this asset', { field: 'body.parentId' });
    }
    if (parent.parentId !== null) {
      throw errors.badRequest(`a reply answers a thread's first comment: reply to ${parent.parentId}`, {
        field: 'body.parentId',
      });
    }
    refuseDeleted(parent);
    anchor = {
      versionId: parent.versionId,
      frame: parent.frame,
      endFrame: parent.endFrame,
      internal: parent.internal || input.internal === true,
      timebase: timebaseOf(parent.timing),
    };
  } else {
    const version = await findReviewVersion(deps.pool, assetId, input.versionId ?? null);
    if (!version) throw errors.notFound('version');
    if (input.frame === undefined) throw errors.badRequest('frame is required', { field: 'body.frame' });
    const timebase = timebaseOf(version.timing);
    checkAnchor(timebase, input.frame, input.endFrame ?? null);
    anchor = {
      versionId: version.id,
      frame: input.frame,
      endFrame: input.endFrame ?? null,
      internal: input.internal === true,
      timebase,
    };
  }

  const created = await withTransaction(deps.pool, async (db) => {
    const id = await insertComment(db, {
      assetId,
      projectId,
      organizationId: caller.organizationId,
      versionId: anchor.versionId,
      parentId: input.parentId ?? null,
      author: { userId: caller.userId },
      frame: anchor.frame,
      endFrame: anchor.endFrame,
      rate: anchor.timebase.rate,
      text: input.text,
      internal: anchor.internal,
      annotation,
    });
    const comment = (await findComment(db, caller.organizationId, id))!;
    await recordActivity(
      db,
      activity(ctx, 'comment.create', comment, {
        frame: comment.frame,
        endFrame: comment.endFrame,
        parentId: comment.parentId,
        internal: comment.internal,
      }),
    );
    return comment;
  });
  return toComment(created, anchor.timebase);
}

export async function getComment(deps: ApiDeps, { caller }: RequestContext, commentId: string): Promise<Comment> {
  return toComment((await authorizeComment(deps, caller, commentId, 'asset.read')).comment);
}

/** New text and/or drawing (null removes it), by the comment's author only. */
export async function updateComment(
  deps: ApiDeps,
  ctx: RequestContext,
  commentId: string,
  change: { text?: string; annotation?: Annotation | null },
): Promise<Comment> {
  const { comment } = await authorizeComment(deps, ctx.caller, commentId, 'comment.write');
  if (comment.author.userId !== ctx.caller.userId) throw errors.forbidden('only its author can edit a comment');
  if (change.text === undefined && change.annotation === undefined) {
    throw errors.badRequest('nothing to change: give text or annotation', { field: 'body' });
  }
  if (change.text !== undefined) checkCommentText(change.text);
  if (change.annotation !== undefined) checkAnnotation(change.annotation);
  refuseDeleted(comment);
  await withTransaction(deps.pool, async (db) => {
    if (!(await editComment(db, commentId, change))) throw errors.invalidState('the comment was deleted', 'deleted');
    await recordActivity(
      db,
      activity(ctx, 'comment.update', comment, {
        text: change.text !== undefined,
        annotation: change.annotation === undefined ? 'kept' : change.annotation === null ? 'removed' : 'set',
      }),
    );
  });
  return reread(deps, ctx.caller, commentId);
}

/**
 * Deletes a comment into a tombstone: by its author (who may still comment) or a project admin.
 * Deleting a tombstone again changes nothing and answers it.
 */
export async function deleteComment(deps: ApiDeps, ctx: RequestContext, commentId: string): Promise<Comment> {
  const { comment, role } = await authorizeComment(deps, ctx.caller, commentId, 'asset.read');
  const byAuthor = comment.author.userId === ctx.caller.userId && can(role, 'comment.write');
  if (!byAuthor && !can(role, 'comment.moderate')) {
    throw errors.forbidden('only its author or a project admin can delete a comment');
  }
  await withTransaction(deps.pool, async (db) => {
    if (await tombstoneComment(db, commentId))
      await recordActivity(db, activity(ctx, 'comment.delete', comment, { by: byAuthor ? 'author' : 'admin' }));
  });
  return reread(deps, ctx.caller, commentId);
}

/**
 * Resolves (or opens again) a thread, through its first comment. Asking for the state it is
 * already in changes nothing and answers it; a reply or a deleted comment is refused.
 */
async function setResolved(deps: ApiDeps, ctx: RequestContext, commentId: string, resolved: boolean) {
  const { comment } = await authorizeComment(deps, ctx.caller, commentId, 'comment.write');
  if (comment.parentId !== null) {
    throw errors.badRequest(`a reply is resolved with its thread: resolve ${comment.parentId}`, {
      field: 'params.commentId',
    });
  }
  refuseDeleted(comment);
  await withTransaction(deps.pool, async (db) => {
    const changed = resolved
      ? await resolveThread(db, commentId, ctx.caller.userId)
      : await reopenThread(db, commentId);
    if (changed) await recordActivity(db, activity(ctx, resolved ? 'comment.resolve' : 'comment.reopen', comment));
  });
  const after = await reread(deps, ctx.caller, commentId);
  // Deleted meanwhile: the guarded update changed nothing.
  if (after.deleted) throw errors.invalidState('the comment was deleted', 'deleted');
  return after;
}

export const resolveComment = (deps: ApiDeps, ctx: RequestContext, commentId: string) =>
  setResolved(deps, ctx, commentId, true);
export const reopenComment = (deps: ApiDeps, ctx: RequestContext, commentId: string) =>
  setResolved(deps, ctx, commentId, false);

/**
 * Approves a version, asks for changes, or clears the decision ('none'). The same decision again
 * keeps who took it and when, and writes no activity.
 */
export async function setApproval(
  deps: ApiDeps,
  ctx: RequestContext,
  assetId: string,
  versionId: string,
  status: ApprovalStatus | 'none',
): Promise<Approval> {
  const { projectId } = await authorizeAsset(deps.pool, ctx.caller, assetId, 'version.approve');
  const version = await findReviewVersion(deps.pool, assetId, versionId);
  if (!version) throw errors.notFound('version');
  await withTransaction(deps.pool, async (db) => {
    const decided = await decideApproval(db, versionId, status === 'none' ? null : status, ctx.caller.userId);
    if (decided.unchanged) return;
    await recordActivity(db, {
      organizationId: ctx.caller.organizationId,
      actorUserId: ctx.caller.userId,
      action: 'version.approve',
      subjectType: 'version',
      subjectId: versionId,
      projectId,
      requestId: ctx.requestId,
      data: { assetId, versionNumber: version.number, status, previous: decided.previous ?? 'none' },
    });
  });
  return approvalOf(versionId, await findApproval(deps.pool, versionId));
}

/** The api's answer for a version's decision, `none` when there is none. */
export function approvalOf(versionId: string, decision: ApprovalRecord | null): Approval {
  return decision ?? { versionId, status: 'none', decidedBy: null, decidedAt: null };
}
