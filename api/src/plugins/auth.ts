import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Pool } from '@mediavault/core/db/pool';
import { errors } from '@mediavault/core/errors';
import type { Caller } from '../services/access.ts';
import { hashToken } from '../services/tokens.ts';

declare module 'fastify' {
  interface FastifyRequest {
    caller: Caller | null;
  }
}

/** The authenticated caller; routes call this and get a 401 when there is none. */
export function requireCaller(request: FastifyRequest): Caller {
  if (!request.caller) throw errors.unauthenticated();
  return request.caller;
}

/** Resolves `Authorization: Bearer <token>` to a caller on every /api request. */
export function registerAuth(app: FastifyInstance, pool: Pool): void {
  app.decorateRequest('caller', null);
  app.addHook('onRequest', async (request) => {
    if (!request.url.startsWith('/api/')) return;
    // Browsers cannot set headers on a WebSocket: the events stream also takes ?access_token=.
    const queryToken = request.url.startsWith('/api/events')
      ? new URL(request.url, 'http://x').searchParams.get('access_token')
      : null;
    const header = request.headers.authorization ?? (queryToken ? `Bearer ${queryToken}` : undefined);
    if (!header) return;
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match) throw errors.unauthenticated('the Authorization header must be "Bearer <token>"');
    // One round trip per request; last_used_at is written at most once a minute, not on every call.
    const { rows } = await pool.query<{
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
      [hashToken(match[1]!)],
    );
    if (rows.length === 0) {
      // A refused WebSocket is closed by its handler with code 4401: an error thrown during
      // the upgrade would leave the raw socket open until it times out.
      if (request.url.startsWith('/api/events')) return;
      throw errors.unauthenticated('the token is not valid (unknown, revoked or expired)');
    }
    const row = rows[0]!;
    request.caller = {
      userId: row.user_id,
      organizationId: row.organization_id,
      isOrgAdmin: row.is_org_admin,
      tokenId: row.token_id,
    };
  });
}
