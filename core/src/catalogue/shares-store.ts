/**
 * Share links (migration 0012): every SQL statement about the `shares` and `share_items`
 * tables, and about the guest sessions a share opens (review_sessions rows of kind 'guest',
 * migration 0010). The link token and the session secret are stored as their sha256 only; the
 * password as its argon2id hash.
 */
import type { Queryable } from '../db/pool.ts';
import type { DownloadPolicy, ShareKind, ShareWatermark, VersionPolicy } from '../share-policy.ts';
import { type KeysetPosition, microsecondsIso, selectColumns } from './columns.ts';

export interface ShareRecord {
  id: string;
  organizationId: string;
  projectId: string;
  name: string;
  kind: ShareKind;
  versionPolicy: VersionPolicy;
  collectionId: string | null;
  collectionPath: string | null;
  download: DownloadPolicy;
  comments: boolean;
  watermark: ShareWatermark | null;
  hasPassword: boolean;
  expiresAt: Date | null;
  createdBy: { userId: string | null; name: string | null };
  createdAt: Date;
  updatedAt: Date;
  revokedAt: Date | null;
}

// `s` is the share, `c` its collection, `u` its creator.
const shareColumns = `${selectColumns<Omit<ShareRecord, 'collectionPath' | 'hasPassword' | 'createdBy' | 'name'>>(
  {
    id: 'id',
    organizationId: 'organization_id',
    projectId: 'project_id',
    kind: 'kind',
    versionPolicy: 'version_policy',
    collectionId: 'collection_id',
    download: 'download',
    comments: 'comments',
    watermark: 'watermark',
    expiresAt: 'expires_at',
    createdAt: 'created_at',
    updatedAt: 'updated_at',
    revokedAt: 'revoked_at',
  },
  's',
)}, coalesce(s.name, '') AS name, c.path AS "collectionPath", s.password_hash IS NOT NULL AS "hasPassword",
  json_build_object('userId', s.created_by, 'name', u.name) AS "createdBy"`;
const shareFrom = `shares s LEFT JOIN collections c ON c.id = s.collection_id LEFT JOIN users u ON u.id = s.created_by`;

export interface NewShare {
  tokenHash: Buffer;
  organizationId: string;
  projectId: string;
  name: string;
  kind: ShareKind;
  versionPolicy: VersionPolicy;
  collectionId: string | null;
  download: DownloadPolicy;
  comments: boolean;
  watermark: ShareWatermark | null;
  passwordHash: string | null;
  expiresAt: Date | null;
  createdBy: string;
  /** The assets of kinds asset and assets, in order; pinned shares name each version. */
  items: { assetId: string; versionId: string | null }[];
}

/** Inserts a share and its items; answers its id. */
export async function insertShare(db: Queryable, share: NewShare): Promise<string> {
  const { rows } = await db.query<{ id: string }>(
    `INSERT INTO shares (token_hash, organization_id, project_id, name, kind, version_policy, collection_id, download,
                         comments, watermark, password_hash, expires_at, created_by)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id`,
    [
      share.tokenHash,
      share.organizationId,
      share.projectId,
      share.name,
      share.kind,
      share.versionPolicy,
      share.collectionId,
      share.download,
      share.comments,
      share.watermark === null ? null : JSON.stringify(share.watermark),
      share.passwordHash,
      share.expiresAt,
      share.createdBy,
    ],
  );
  const id = rows[0]!.id;
  if (share.items.length > 0) {
    await db.query(
      `INSERT INTO share_items (share_id, position, asset_id, version_id)
       SELECT $1, ordinality - 1, asset_id, version_id FROM unnest($2::uuid[], $3::uuid[]) WITH ORDINALITY AS i(asset_id, version_id)`,
      [id, share.items.map((i) => i.assetId), share.items.map((i) => i.versionId)],
    );
  }
  return id;
}

/** A share of the organization, whatever its state. */
export async function findShare(db: Queryable, organizationId: string, shareId: string): Promise<ShareRecord | null> {
  const { rows } = await db.query<ShareRecord>(
    `SELECT ${shareColumns} FROM ${shareFrom} WHERE s.id = $1 AND s.organization_id = $2`,
    [shareId, organizationId],
  );
  return rows[0] ?? null;
}

/** A share by its link token's hash, with its password hash (to check the password). */
export async function findShareByTokenHash(
  db: Queryable,
  tokenHash: Buffer,
): Promise<(ShareRecord & { passwordHash: string | null }) | null> {
  const { rows } = await db.query<ShareRecord & { passwordHash: string | null }>(
    `SELECT ${shareColumns}, s.password_hash AS "passwordHash" FROM ${shareFrom} WHERE s.token_hash = $1`,
    [tokenHash],
  );
  return rows[0] ?? null;
}

/** A share by its id, with its password hash: a password page's later tries name the share so. */
export async function findShareForPassword(
  db: Queryable,
  organizationId: string,
  shareId: string,
): Promise<(ShareRecord & { passwordHash: string | null }) | null> {
  const { rows } = await db.query<ShareRecord & { passwordHash: string | null }>(
    `SELECT ${shareColumns}, s.password_hash AS "passwordHash" FROM ${shareFrom}
     WHERE s.id = $1 AND s.organization_id = $2`,
    [shareId, organizationId],
  );
  return rows[0] ?? null;
}

/**
 * Holds the share's row until the transaction ends: password tries of one share are checked
 * one at a time, so parallel guesses cannot all pass the delay check before any is counted.
 */
export async function lockShare(db: Queryable, shareId: string): Promise<void> {
  await db.query('SELECT 1 FROM shares WHERE id = $1 FOR UPDATE', [shareId]);
}

/** A page of the shares of these projects, newest first. */
export async function listShares(
  db: Queryable,
  projectIds: string[],
  page: { after: KeysetPosition | null; limit: number },
): Promise<{ items: ShareRecord[]; next: KeysetPosition | null }> {
  const { rows } = await db.query<ShareRecord & { position: string }>(
    `SELECT ${shareColumns}, ${microsecondsIso('s.created_at')} AS position FROM ${shareFrom}
      WHERE s.project_id = ANY($1::uuid[])
        AND ($2::timestamptz IS NULL OR (s.created_at, s.id) < ($2::timestamptz, $3::uuid))
      ORDER BY s.created_at DESC, s.id DESC LIMIT $4`,
    [projectIds, page.after?.createdAt ?? null, page.after?.id ?? null, page.limit + 1],
  );
  const items = rows.slice(0, page.limit);
  const last = items[items.length - 1];
  return {
    items: items.map(({ position: _p, ...share }) => share),
    next: rows.length > page.limit && last ? { createdAt: last.position, id: last.id } : null,
  };
}

export interface SharePolicyChange {
  name?: string;
  expiresAt?: Date | null;
  /** null removes the password. */
  passwordHash?: string | null;
  download?: DownloadPolicy;
  comments?: boolean;
  watermark?: ShareWatermark | null;
}

/** Applies a policy change to a share not revoked; false when it was revoked. */
export async function updateSharePolicy(db: Queryable, shareId: string, change: SharePolicyChange): Promise<boolean> {
  const has = (field: keyof SharePolicyChange) => change[field] !== undefined;
  const { rowCount } = await db.query(
    `UPDATE shares SET name = CASE WHEN $2 THEN $3 ELSE name END,
                       expires_at = CASE WHEN $4 THEN $5::timestamptz ELSE expires_at END,
                       password_hash = CASE WHEN $6 THEN $7 ELSE password_hash END,
                       download = CASE WHEN $8 THEN $9 ELSE download END,
                       comments = CASE WHEN $10 THEN $11::boolean ELSE comments END,
                       watermark = CASE WHEN $12 THEN $13::jsonb ELSE watermark END,
                       updated_at = now()
      WHERE id = $1 AND revoked_at IS NULL`,
    [
      shareId,
      has('name'),
      change.name ?? null,
      has('expiresAt'),
      change.expiresAt ?? null,
      has('passwordHash'),
      change.passwordHash ?? null,
      has('download'),
      change.download ?? null,
      has('comments'),
      change.comments ?? null,
      has('watermark'),
      change.watermark ? JSON.stringify(change.watermark) : null,
    ],
  );
  return rowCount === 1;
}

/** Revokes a share (the first revocation time is kept); answers whether it was live until now. */
export async function revokeShare(db: Queryable, shareId: string): Promise<boolean> {
  const { rowCount } = await db.query(
    'UPDATE shares SET revoked_at = now(), updated_at = now() WHERE id = $1 AND revoked_at IS NULL',
    [shareId],
  );
  return rowCount === 1;
}

/** An asset as a share shows it: in the share's order, with the version it opens. */
export interface ShareItem {
  assetId: string;
  name: string;
  collectionPath: string | null;
  /** The pinned version, or null: the latest when opened. */
  pinnedVersionId: string | null;
}

/**
 * The share's assets in order: its items, or the assets of its collection and the collections
 * below it (by path, then name), read now, so assets added to the collection later appear.
 */
export async function listShareItems(
  db: Queryable,
  share: Pick<ShareRecord, 'id' | 'kind' | 'projectId' | 'collectionPath'>,
): Promise<ShareItem[]> {
  if (share.kind === 'collection') {
    const { rows } = await db.query<ShareItem>(
      `SELECT a.id AS "assetId", a.name, c.path AS "collectionPath", NULL::uuid AS "pinnedVersionId"
         FROM assets a JOIN collections c ON c.id = a.collection_id
        WHERE a.project_id = $1 AND (c.path = $2 OR starts_with(c.path, $2 || '/'))
        ORDER BY c.path, a.name, a.id`,
      [share.projectId, share.collectionPath],
    );
    return rows;
  }
  const { rows } = await db.query<ShareItem>(
    `SELECT a.id AS "assetId", a.name, c.path AS "collectionPath", i.version_id AS "pinnedVersionId"
       FROM share_items i JOIN assets a ON a.id = i.asset_id LEFT JOIN collections c ON c.id = a.collection_id
      WHERE i.share_id = $1 ORDER BY i.position`,
    [share.id],
  );
  return rows;
}

/** One asset of the share (null: the share does not cover it). */
export async function findShareItem(
  db: Queryable,
  share: Pick<ShareRecord, 'id' | 'kind' | 'projectId' | 'collectionPath'>,
  assetId: string,
): Promise<ShareItem | null> {
  if (share.kind === 'collection') {
    const { rows } = await db.query<ShareItem>(
      `SELECT a.id AS "assetId", a.name, c.path AS "collectionPath", NULL::uuid AS "pinnedVersionId"
         FROM assets a JOIN collections c ON c.id = a.collection_id
        WHERE a.id = $3 AND a.project_id = $1 AND (c.path = $2 OR starts_with(c.path, $2 || '/'))`,
      [share.projectId, share.collectionPath, assetId],
    );
    return rows[0] ?? null;
  }
  const { rows } = await db.query<ShareItem>(
    `SELECT a.id AS "assetId", a.name, c.path AS "collectionPath", i.version_id AS "pinnedVersionId"
       FROM share_items i JOIN assets a ON a.id = i.asset_id LEFT JOIN collections c ON c.id = a.collection_id
      WHERE i.share_id = $1 AND i.asset_id = $2`,
    [share.id, assetId],
  );
  return rows[0] ?? null;
}

/** The projects of these assets of the organization (assets it does not hold are left out). */
export async function findAssetProjects(
  db: Queryable,
  organizationId: string,
  assetIds: string[],
): Promise<Map<string, { projectId: string; name: string }>> {
  const { rows } = await db.query<{ id: string; projectId: string; name: string }>(
    'SELECT id, project_id AS "projectId", name FROM assets WHERE id = ANY($1::uuid[]) AND organization_id = $2',
    [assetIds, organizationId],
  );
  return new Map(rows.map((r) => [r.id, { projectId: r.projectId, name: r.name }]));
}

/** A collection of the project by its path. */
export async function findCollectionByPath(
  db: Queryable,
  projectId: string,
  path: string,
): Promise<{ id: string; path: string } | null> {
  const { rows } = await db.query<{ id: string; path: string }>(
    'SELECT id, path FROM collections WHERE project_id = $1 AND path = $2',
    [projectId, path],
  );
  return rows[0] ?? null;
}

/** A guest session as the share routes see it: the share it opens and the guest's name. */
export interface GuestSession {
  sessionId: string;
  shareId: string;
  organizationId: string;
  projectId: string;
  guestName: string | null;
  expiresAt: Date;
}

/** Opens a guest session of a share (its expiry already cut at the share's). */
export async function insertGuestSession(
  db: Queryable,
  session: { secretHash: Buffer; share: Pick<ShareRecord, 'id' | 'organizationId'>; expiresAt: Date },
): Promise<{ id: string }> {
  const { rows } = await db.query<{ id: string }>(
    `INSERT INTO review_sessions (secret_hash, kind, organization_id, share_id, expires_at)
     VALUES ($1, 'guest', $2, $3, $4) RETURNING id`,
    [session.secretHash, session.share.organizationId, session.share.id, session.expiresAt],
  );
  return rows[0]!;
}

/** The live guest session behind a cookie's hash: not signed out, not expired, its share not revoked. */
/** Why a guest session no longer opens its share: the page shows the share's end, or asks for the link again. */
export type GuestSessionEnd = 'share_revoked' | 'share_expired' | 'session_ended';

/**
 * The guest session a cookie's hash names: live (ended null), or why it ended (a revoked share
 * first, then an expired one, then the session's own end: signed out, a new password, its
 * lifetime). Null: no guest session has this hash.
 */
export async function findGuestBySessionHash(
  db: Queryable,
  secretHash: Buffer,
): Promise<(GuestSession & { ended: GuestSessionEnd | null }) | null> {
  const { rows } = await db.query<GuestSession & { ended: GuestSessionEnd | null }>(
    `SELECT r.id AS "sessionId", s.id AS "shareId", s.organization_id AS "organizationId", s.project_id AS "projectId",
            r.guest_name AS "guestName", r.expires_at AS "expiresAt",
            CASE WHEN s.revoked_at IS NOT NULL THEN 'share_revoked'
                 WHEN s.expires_at IS NOT NULL AND s.expires_at <= now() THEN 'share_expired'
                 WHEN r.revoked_at IS NOT NULL OR r.expires_at <= now() THEN 'session_ended' END AS ended
       FROM review_sessions r JOIN shares s ON s.id = r.share_id
      WHERE r.secret_hash = $1 AND r.kind = 'guest'`,
    [secretHash],
  );
  return rows[0] ?? null;
}

export async function setGuestName(db: Queryable, sessionId: string, name: string): Promise<void> {
  await db.query(`UPDATE review_sessions SET guest_name = $2 WHERE id = $1 AND kind = 'guest'`, [sessionId, name]);
}

/**
 * Ends every live guest session of a share (revoked, or its password changed); the trigger of
 * migration 0010 closes their event streams. Answers how many ended.
 */
export async function endGuestSessions(db: Queryable, shareId: string): Promise<number> {
  const { rowCount } = await db.query(
    `UPDATE review_sessions SET revoked_at = now() WHERE share_id = $1 AND kind = 'guest' AND revoked_at IS NULL`,
    [shareId],
  );
  return rowCount ?? 0;
}

/** Signs one guest session out. */
export async function endGuestSession(db: Queryable, sessionId: string): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE review_sessions SET revoked_at = now() WHERE id = $1 AND kind = 'guest' AND revoked_at IS NULL`,
    [sessionId],
  );
  return rowCount === 1;
}
