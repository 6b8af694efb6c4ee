import type { FastifyInstance, FastifyRequest } from 'fastify';
import { isDatabaseUnavailable, type Pool } from '@mediavault/core/db/pool';
import { errors } from '@mediavault/core/errors';
import type { Caller } from '../services/access.ts';
import type { RequestContext } from '../deps.ts';
import { hashToken } from '../services/tokens.ts';
import { rateLimited } from './rate-limits.ts';
import { findCallerByTokenHash } from '@mediavault/core/catalogue/tokens-store';

declare module 'fastify' {
  interface FastifyRequest {
    caller: Caller | null;
    /** The database could not be asked who the caller is (a WebSocket closes with 1013 then). */
    callerUnknowable: boolean;
  }
}

/** The authenticated caller; routes call this and get a 401 when there is none. */
export function requireCaller(request: FastifyRequest): Caller {
  if (!request.caller) throw errors.unauthenticated();
  return request.caller;
}

/** Who asks and the request id: what every service call takes. */
export function requestContext(request: FastifyRequest): RequestContext {
  return { caller: requireCaller(request), requestId: request.id };
}

/** Resolves `Authorization: Bearer <token>` to a caller on every /api request. */
export function registerAuth(
  app: FastifyInstance,
  pool: Pool,
  countAuthFailure: (request: FastifyRequest) => Promise<{ exceeded: boolean; retryAfterSeconds: number }>,
): void {
  app.decorateRequest('caller', null);
  app.decorateRequest('callerUnknowable', false);
  app.addHook('onRequest', async (request, reply) => {
    if (!request.url.startsWith('/api/')) return;
    // Browsers cannot set headers on a WebSocket: the events stream also takes ?access_token=.
    const queryToken = request.url.startsWith('/api/events')
      ? new URL(request.url, 'http://x').searchParams.get('access_token')
      : null;
    const header = request.headers.authorization ?? (queryToken ? `Bearer ${queryToken}` : undefined);
    if (!header) return;
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match) throw errors.unauthenticated('the Authorization header must be "Bearer <token>"');
    let found: Awaited<ReturnType<typeof findCallerByTokenHash>>;
    try {
      found = await findCallerByTokenHash(pool, hashToken(match[1]!));
    } catch (err) {
      // An error thrown during a WebSocket upgrade drops the connection unexplained: the events
      // handler closes it with "try again later" instead. Other requests get the 503.
      if (!(request.url.startsWith('/api/events') && isDatabaseUnavailable(err))) throw err;
      request.callerUnknowable = true;
      return;
    }
    if (!found) {
      // Guessing tokens is slowed down per address, whatever route it aims at.
      const failures = await countAuthFailure(request);
      if (failures.exceeded) {
        reply.header('retry-after', String(failures.retryAfterSeconds));
        throw rateLimited(failures.retryAfterSeconds);
      }
      // A refused WebSocket is closed by its handler with code 4401: an error thrown during
      // the upgrade would leave the raw socket open until it times out.
      if (request.url.startsWith('/api/events')) return;
      throw errors.unauthenticated('the token is not valid (unknown, revoked or expired)');
    }
    request.caller = found;
  });
}
