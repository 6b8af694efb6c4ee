/** API tokens: stored as the sha256 of the token, which is shown once and never stored. */
import type { Queryable } from '../db/pool.ts';
import { selectColumns } from './columns.ts';

export interface TokenCaller {
  tokenId: string;
  userId: string;
  organizationId: string;
  isOrgAdmin: boolean;
}

export async function insertApiToken(
  db: Queryable,
  token: { userId: string; name: string; hash: Buffer; displayPrefix: string; expiresInDays: number | null },
): Promise<string> {
  const { rows } = await db.query<{ id: string }>(
    `INSERT INTO api_tokens (user_id, name, token_hash, prefix, expires_at)
     VALUES ($1, $2, $3, $4, CASE WHEN $5::int IS NULL THEN NULL ELSE now() + make_interval(days => $5::int) END)
     RETURNING id`,
    [token.userId, token.name, token.hash, token.displayPrefix, token.expiresInDays],
  );
  return rows[0]!.id;
}

/**
 * The caller behind a token hash, when the token is neither revoked nor expired. One round
 * trip per request; last_used_at is written at most once a minute, not on every call.
 */
export async function findCallerByTokenHash(db: Queryable, hash: Buffer): Promise<TokenCaller | null> {
  const { rows } = await db.query<{
    token_id: string;
    user_id: string;
    organization_id: string;
    is_org_admin: boolean;
  }>(
    `WITH caller AS (
       SELECT t.id AS token_id, t.last_used_at, u.id AS user_id, u.organization_id, u.is_org_admin
         FROM api_tokens t JOIN users u ON u.id = t.user_id
        WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > now())),
     touched AS (
       UPDATE api_tokens SET last_used_at = now()
        WHERE id = (SELECT token_id FROM caller) AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute'))
     SELECT token_id, user_id, organization_id, is_org_admin FROM caller`,
    [hash],
  );
  const row = rows[0];
  return row
    ? { tokenId: row.token_id, userId: row.user_id, organizationId: row.organization_id, isOrgAdmin: row.is_org_admin }
    : null;
}

export interface ApiTokenRecord {
  id: string;
  userId: string;
  name: string;
  /** The first characters of the token, to tell tokens apart; the token itself is not stored. */
  prefix: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  expiresAt: Date | null;
  revokedAt: Date | null;
}

const tokenColumns = selectColumns<ApiTokenRecord>(
  {
    id: 'id',
    userId: 'user_id',
    name: 'name',
    prefix: 'prefix',
    createdAt: 'created_at',
    lastUsedAt: 'last_used_at',
    expiresAt: 'expires_at',
    revokedAt: 'revoked_at',
  },
  't',
);

/** Tokens of the organization's users (one user's, when given), newest first. */
export async function listApiTokens(
  db: Queryable,
  organizationId: string,
  userId: string | null,
): Promise<ApiTokenRecord[]> {
  const { rows } = await db.query<ApiTokenRecord>(
    `SELECT ${tokenColumns} FROM api_tokens t JOIN users u ON u.id = t.user_id
      WHERE u.organization_id = $1 AND ($2::uuid IS NULL OR t.user_id = $2)
      ORDER BY t.created_at DESC, t.id DESC`,
    [organizationId, userId],
  );
  return rows;
}

/** A token of the organization's users, or null. */
export async function findApiToken(
  db: Queryable,
  organizationId: string,
  tokenId: string,
): Promise<ApiTokenRecord | null> {
  const { rows } = await db.query<ApiTokenRecord>(
    `SELECT ${tokenColumns} FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.id = $1 AND u.organization_id = $2`,
    [tokenId, organizationId],
  );
  return rows[0] ?? null;
}

/**
 * Revokes a token (a revoked one keeps its first revocation time); the trigger of migration
 * 0006 announces it so open WebSockets of the token close.
 */
export async function revokeApiToken(db: Queryable, tokenId: string): Promise<ApiTokenRecord | null> {
  const { rows } = await db.query<ApiTokenRecord>(
    `UPDATE api_tokens t SET revoked_at = coalesce(t.revoked_at, now()) WHERE t.id = $1 RETURNING ${tokenColumns}`,
    [tokenId],
  );
  return rows[0] ?? null;
}
