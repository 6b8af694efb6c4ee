/**
 * Review links and review sessions (migration 0010): single-use links a member mints, and the
 * browser sessions the review page exchanges them for. Secrets are stored as their sha256 only.
 */
import type { Queryable } from '../db/pool.ts';
import { selectColumns } from './columns.ts';

export interface ReviewLinkRecord {
  id: string;
  organizationId: string;
  userId: string;
  assetId: string;
  versionId: string | null;
  createdAt: Date;
  expiresAt: Date;
  usedAt: Date | null;
}

const linkColumns = selectColumns<ReviewLinkRecord>({
  id: 'id',
  organizationId: 'organization_id',
  userId: 'user_id',
  assetId: 'asset_id',
  versionId: 'version_id',
  createdAt: 'created_at',
  expiresAt: 'expires_at',
  usedAt: 'used_at',
});

/** Whether the version belongs to the asset (a link names a version of its own asset only). */
export async function isVersionOfAsset(db: Queryable, assetId: string, versionId: string): Promise<boolean> {
  const { rowCount } = await db.query('SELECT 1 FROM versions WHERE id = $1 AND asset_id = $2', [versionId, assetId]);
  return rowCount === 1;
}

export async function insertReviewLink(
  db: Queryable,
  link: {
    tokenHash: Buffer;
    organizationId: string;
    userId: string;
    assetId: string;
    versionId: string | null;
    ttlSeconds: number;
  },
): Promise<ReviewLinkRecord> {
  const { rows } = await db.query<ReviewLinkRecord>(
    `INSERT INTO review_links (token_hash, organization_id, user_id, asset_id, version_id, expires_at)
     VALUES ($1, $2, $3, $4, $5, now() + make_interval(secs => $6))
     RETURNING ${linkColumns}`,
    [link.tokenHash, link.organizationId, link.userId, link.assetId, link.versionId, link.ttlSeconds],
  );
  return rows[0]!;
}

/**
 * Marks the link used and answers it, when it is unused and unexpired; otherwise null. One
 * statement: of two exchanges racing with the same token, the row lock lets exactly one win.
 */
export async function consumeReviewLink(db: Queryable, tokenHash: Buffer): Promise<ReviewLinkRecord | null> {
  const { rows } = await db.query<ReviewLinkRecord>(
    `UPDATE review_links SET used_at = now()
      WHERE token_hash = $1 AND used_at IS NULL AND expires_at > now()
      RETURNING ${linkColumns}`,
    [tokenHash],
  );
  return rows[0] ?? null;
}

/** A link by its token's hash, whatever its state (to say why it was refused). */
export async function findReviewLink(db: Queryable, tokenHash: Buffer): Promise<ReviewLinkRecord | null> {
  const { rows } = await db.query<ReviewLinkRecord>(`SELECT ${linkColumns} FROM review_links WHERE token_hash = $1`, [
    tokenHash,
  ]);
  return rows[0] ?? null;
}

export interface ReviewSessionRecord {
  id: string;
  kind: 'member' | 'guest';
  organizationId: string;
  userId: string | null;
  /** The member's name (null for a guest). */
  userName: string | null;
  assetId: string;
  versionId: string | null;
  createdAt: Date;
  expiresAt: Date;
}

/** Selected from a review_sessions row `s` joined (left) with its member `u`. */
const sessionColumns = `${selectColumns<Omit<ReviewSessionRecord, 'userName'>>(
  {
    id: 'id',
    kind: 'kind',
    organizationId: 'organization_id',
    userId: 'user_id',
    assetId: 'asset_id',
    versionId: 'version_id',
    createdAt: 'created_at',
    expiresAt: 'expires_at',
  },
  's',
)}, u.name AS "userName"`;

/** A member's session, opened with one of their links. */
export async function insertMemberSession(
  db: Queryable,
  session: { secretHash: Buffer; link: ReviewLinkRecord; ttlSeconds: number },
): Promise<ReviewSessionRecord> {
  const { link } = session;
  const { rows } = await db.query<ReviewSessionRecord>(
    `WITH s AS (
       INSERT INTO review_sessions (secret_hash, kind, organization_id, user_id, link_id, asset_id, version_id, expires_at)
       VALUES ($1, 'member', $2, $3, $4, $5, $6, now() + make_interval(secs => $7))
       RETURNING *)
     SELECT ${sessionColumns} FROM s LEFT JOIN users u ON u.id = s.user_id`,
    [session.secretHash, link.organizationId, link.userId, link.id, link.assetId, link.versionId, session.ttlSeconds],
  );
  return rows[0]!;
}

/** A session that is neither signed out nor expired, by its id. */
export async function findLiveReviewSession(db: Queryable, sessionId: string): Promise<ReviewSessionRecord | null> {
  const { rows } = await db.query<ReviewSessionRecord>(
    `SELECT ${sessionColumns} FROM review_sessions s LEFT JOIN users u ON u.id = s.user_id
      WHERE s.id = $1 AND s.revoked_at IS NULL AND s.expires_at > now()`,
    [sessionId],
  );
  return rows[0] ?? null;
}

export interface SessionCaller {
  sessionId: string;
  userId: string;
  organizationId: string;
  isOrgAdmin: boolean;
}

/**
 * The member behind a session cookie's hash, while the session is live. Guest sessions
 * (issue 14) answer null here: they act as no user.
 */
export async function findCallerBySessionHash(db: Queryable, secretHash: Buffer): Promise<SessionCaller | null> {
  const { rows } = await db.query<SessionCaller>(
    `SELECT s.id AS "sessionId", u.id AS "userId", u.organization_id AS "organizationId", u.is_org_admin AS "isOrgAdmin"
       FROM review_sessions s JOIN users u ON u.id = s.user_id
      WHERE s.secret_hash = $1 AND s.kind = 'member' AND s.revoked_at IS NULL AND s.expires_at > now()`,
    [secretHash],
  );
  return rows[0] ?? null;
}

/**
 * Signs a session out (the first sign-out time is kept); the trigger of migration 0010 then
 * closes its event streams. Answers whether it was live until now.
 */
export async function revokeReviewSession(db: Queryable, sessionId: string): Promise<boolean> {
  const { rowCount } = await db.query(
    'UPDATE review_sessions SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL',
    [sessionId],
  );
  return rowCount === 1;
}

/**
 * Removes links and sessions that ended more than a day ago: they open nothing any more, and
 * what happened with them stays in the activity log. Answers how many rows went.
 */
export async function forgetEndedReviewAccess(db: Queryable): Promise<number> {
  // Sessions first; a link still named by a session is unlinked by its foreign key (SET NULL).
  const sessions = await db.query(`DELETE FROM review_sessions WHERE expires_at < now() - interval '1 day'`);
  const links = await db.query(`DELETE FROM review_links WHERE expires_at < now() - interval '1 day'`);
  return (sessions.rowCount ?? 0) + (links.rowCount ?? 0);
}
