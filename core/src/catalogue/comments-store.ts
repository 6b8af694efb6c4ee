/**
 * Review comments: every SQL statement about the `comments` table. A comment belongs to one
 * version and sits at a frame (`timecode` column) with an optional inclusive end frame
 * (`timecode_out`); a reply belongs to a top-level comment and shares its version and frame.
 * State changes are guarded in their WHERE clause (a deleted comment changes no more, a thread
 * is resolved once), so a change that met another state changes nothing and says so.
 * Triggers (migration 0009) publish every change on the events channel.
 */
import type { Queryable } from '../db/pool.ts';
import type { Annotation } from '../review.ts';
import type { VersionMeta } from './assets-store.ts';
import { microsecondsIso } from './columns.ts';

/** The parts of a version's probe a comment's timecode is computed from. */
export type VersionTiming = Pick<VersionMeta, 'video' | 'startTimecode'> & { durationSeconds?: number | null };

export interface CommentRecord {
  id: string;
  assetId: string;
  versionId: string;
  versionNumber: number;
  projectId: string;
  organizationId: string;
  parentId: string | null;
  frame: number;
  endFrame: number | null;
  text: string;
  internal: boolean;
  annotation: Annotation | null;
  author: { userId: string | null; name: string; kind: 'member' | 'guest' };
  /** Of the thread: a reply reports its first comment's state. */
  resolvedAt: Date | null;
  resolvedBy: { userId: string; name: string } | null;
  createdAt: Date;
  editedAt: Date | null;
  deletedAt: Date | null;
  timing: VersionTiming;
}

/**
 * Where a page of an asset's comments goes on, in list order: newest version first, then frame,
 * then thread (its first comment's creation, to the microsecond, and id), the first comment
 * before its replies, replies by creation.
 */
export interface CommentPosition {
  versionNumber: number;
  frame: number;
  threadAt: string;
  threadId: string;
  reply: boolean;
  at: string;
  id: string;
}

const versionTiming = `json_build_object('video', json_build_object('frameRate', v.meta->'video'->'frameRate'),
  'startTimecode', v.meta->'startTimecode', 'durationSeconds', v.meta->'durationSeconds')`;

// `t` is the thread's first comment: the comment itself when it is not a reply.
const selectComment = `
  SELECT c.id, c.asset_id AS "assetId", c.version_id AS "versionId", v.number AS "versionNumber",
         c.project_id AS "projectId", c.organization_id AS "organizationId", c.parent_id AS "parentId",
         c.timecode AS frame, c.timecode_out AS "endFrame", c.body AS text, c.internal, c.annotation,
         json_build_object('userId', c.author_user_id, 'name', c.author_name, 'kind', c.author_kind) AS author,
         t.resolved_at AS "resolvedAt",
         CASE WHEN t.resolved_by IS NULL THEN NULL
              ELSE json_build_object('userId', t.resolved_by, 'name', resolver.name) END AS "resolvedBy",
         c.created_at AS "createdAt", c.edited_at AS "editedAt", c.deleted_at AS "deletedAt",
         ${versionTiming} AS timing,
         ${microsecondsIso('t.created_at')} AS "threadAt", ${microsecondsIso('c.created_at')} AS "at",
         t.id AS "threadId"
    FROM comments c
    JOIN versions v ON v.id = c.version_id
    JOIN comments t ON t.id = coalesce(c.parent_id, c.id)
    LEFT JOIN users resolver ON resolver.id = t.resolved_by`;

type CommentRow = CommentRecord & { threadAt: string; at: string; threadId: string };

function toRecord({ threadAt: _t, at: _a, threadId: _i, ...record }: CommentRow): CommentRecord {
  return record;
}

/** A comment of the organization (tombstones too), or null. */
export async function findComment(
  db: Queryable,
  organizationId: string,
  commentId: string,
): Promise<CommentRecord | null> {
  const { rows } = await db.query<CommentRow>(`${selectComment} WHERE c.id = $1 AND c.organization_id = $2`, [
    commentId,
    organizationId,
  ]);
  return rows[0] ? toRecord(rows[0]) : null;
}

/**
 * A page of an asset's comments in list order, and where the next page starts (null: last page).
 * Deleted comments are left out, except a thread's first comment whose replies are not all
 * deleted (its tombstone keeps the thread readable). `resolved` filters by the thread's state.
 */
export async function listAssetComments(
  db: Queryable,
  assetId: string,
  /** withInternal false: team-only comments are left out (what a share guest may see). */
  filter: { versionId: string | null; resolved: boolean | null; withInternal?: boolean },
  page: { after: CommentPosition | null; limit: number },
): Promise<{ items: CommentRecord[]; next: CommentPosition | null }> {
  const after = page.after;
  const { rows } = await db.query<CommentRow>(
    `${selectComment}
      WHERE c.asset_id = $1
        AND ($2::uuid IS NULL OR c.version_id = $2)
        AND ($3::boolean IS NULL OR (t.resolved_at IS NOT NULL) = $3)
        AND ($12::boolean OR NOT c.internal)
        AND (c.deleted_at IS NULL
             OR (c.parent_id IS NULL AND EXISTS (SELECT 1 FROM comments r WHERE r.parent_id = c.id AND r.deleted_at IS NULL)))
        AND ($4::integer IS NULL
             OR (-v.number, c.timecode, t.created_at, t.id, c.parent_id IS NOT NULL, c.created_at, c.id)
                > (-$4::integer, $5::bigint, $6::timestamptz, $7::uuid, $8::boolean, $9::timestamptz, $10::uuid))
      ORDER BY v.number DESC, c.timecode, t.created_at, t.id, c.parent_id IS NOT NULL, c.created_at, c.id
      LIMIT $11`,
    [
      assetId,
      filter.versionId,
      filter.resolved,
      after?.versionNumber ?? null,
      after?.frame ?? null,
      after?.threadAt ?? null,
      after?.threadId ?? null,
      after?.reply ?? null,
      after?.at ?? null,
      after?.id ?? null,
      page.limit + 1,
      filter.withInternal ?? true,
    ],
  );
  const items = rows.slice(0, page.limit);
  const last = items[items.length - 1];
  return {
    items: items.map(toRecord),
    next:
      rows.length > page.limit && last
        ? {
            versionNumber: last.versionNumber,
            frame: last.frame,
            threadAt: last.threadAt,
            threadId: last.threadId,
            reply: last.parentId !== null,
            at: last.at,
            id: last.id,
          }
        : null,
  };
}

export interface NewComment {
  assetId: string;
  versionId: string;
  projectId: string;
  organizationId: string;
  parentId: string | null;
  /** A member (their name as it is now goes with it), or a share guest by the name they gave. */
  author: { userId: string } | { guestName: string };
  frame: number;
  endFrame: number | null;
  /** The rate the frame was counted at, kept with it. */
  rate: { num: number; den: number };
  text: string;
  internal: boolean;
  annotation: Annotation | null;
}

const insertCommentInto = `INSERT INTO comments (asset_id, version_id, project_id, organization_id, parent_id,
    author_user_id, author_name, author_kind, timecode, timecode_out, rate_num, rate_den, body, internal, annotation)`;

/** Inserts a comment and answers its id; $6 is the member's user id, or the guest's name. */
export async function insertComment(db: Queryable, c: NewComment): Promise<string> {
  const byMember = 'userId' in c.author;
  const { rows } = await db.query<{ id: string }>(
    byMember
      ? `${insertCommentInto}
         SELECT $1, $2, $3, $4, $5, u.id, u.name, 'member', $7, $8, $9, $10, $11, $12, $13 FROM users u WHERE u.id = $6
         RETURNING id`
      : `${insertCommentInto}
         VALUES ($1, $2, $3, $4, $5, NULL, $6, 'guest', $7, $8, $9, $10, $11, $12, $13)
         RETURNING id`,
    [
      c.assetId,
      c.versionId,
      c.projectId,
      c.organizationId,
      c.parentId,
      'userId' in c.author ? c.author.userId : c.author.guestName,
      c.frame,
      c.endFrame,
      c.rate.num,
      c.rate.den,
      c.text,
      c.internal,
      c.annotation === null ? null : JSON.stringify(c.annotation),
    ],
  );
  return rows[0]!.id;
}

/**
 * New text and/or drawing (`annotation` null removes it, undefined keeps it) of a comment not
 * deleted; false when it is deleted.
 */
export async function editComment(
  db: Queryable,
  commentId: string,
  change: { text?: string; annotation?: Annotation | null },
): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE comments SET body = coalesce($2, body),
                         annotation = CASE WHEN $3 THEN $4::jsonb ELSE annotation END,
                         edited_at = now(), updated_at = now()
      WHERE id = $1 AND deleted_at IS NULL`,
    [
      commentId,
      change.text ?? null,
      change.annotation !== undefined,
      change.annotation ? JSON.stringify(change.annotation) : null,
    ],
  );
  return rowCount === 1;
}

/** Resolves an open thread (by its first comment); false when it was not open. */
export async function resolveThread(db: Queryable, commentId: string, userId: string): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE comments SET resolved_at = now(), resolved_by = $2, updated_at = now()
      WHERE id = $1 AND parent_id IS NULL AND deleted_at IS NULL AND resolved_at IS NULL`,
    [commentId, userId],
  );
  return rowCount === 1;
}

/** Opens a resolved thread again; false when it was not resolved. */
export async function reopenThread(db: Queryable, commentId: string): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE comments SET resolved_at = NULL, resolved_by = NULL, updated_at = now()
      WHERE id = $1 AND parent_id IS NULL AND deleted_at IS NULL AND resolved_at IS NOT NULL`,
    [commentId],
  );
  return rowCount === 1;
}

/** Empties a comment into a tombstone (the row, its place and its replies stay); false when it already was. */
export async function tombstoneComment(db: Queryable, commentId: string): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE comments SET body = '', annotation = NULL, deleted_at = now(), updated_at = now()
      WHERE id = $1 AND deleted_at IS NULL`,
    [commentId],
  );
  return rowCount === 1;
}

export interface ReviewVersion {
  id: string;
  number: number;
  timing: VersionTiming;
}

/** The given version of an asset, or its latest, with what its frames are counted from. */
export async function findReviewVersion(
  db: Queryable,
  assetId: string,
  versionId: string | null,
): Promise<ReviewVersion | null> {
  const { rows } = await db.query<ReviewVersion>(
    `SELECT v.id, v.number,
            ${versionTiming} AS timing
       FROM versions v WHERE v.asset_id = $1 AND ($2::uuid IS NULL OR v.id = $2) ORDER BY v.number DESC LIMIT 1`,
    [assetId, versionId],
  );
  return rows[0] ?? null;
}
