import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { parseCookie } from 'cookie';
import { isDatabaseUnavailable, type Pool } from '@mediavault/core/db/pool';
import { AppError, errors } from '@mediavault/core/errors';
import type { Caller } from '../services/access.ts';
import type { RequestContext } from '../deps.ts';
import { hashToken } from '../services/tokens.ts';
import { noSession, reviewCookieName } from '../services/review-sessions.ts';
import { rateLimited } from './rate-limits.ts';
import { findCallerByTokenHash } from '@mediavault/core/catalogue/tokens-store';
import { findCallerBySessionHash } from '@mediavault/core/catalogue/review-sessions-store';
import {
  findGuestBySessionHash,
  type GuestSession,
  type GuestSessionEnd,
} from '@mediavault/core/catalogue/shares-store';

type AuthFailureCounter = (request: FastifyRequest) => Promise<{ exceeded: boolean; retryAfterSeconds: number }>;

declare module 'fastify' {
  interface FastifyRequest {
    caller: Caller | null;
    /** The database could not be asked who the caller is (a WebSocket closes with 1013 then). */
    callerUnknowable: boolean;
    /** The review session the caller came with (the `mv_review` cookie), or null (a token, or nobody). */
    reviewSessionId: string | null;
    /** A review session cookie came, but its session has ended (expired or signed out). */
    reviewSessionEnded: boolean;
    /**
     * A share link's guest session (the same cookie, kind 'guest'): not a caller. Member routes
     * refuse it (requireCaller); only the share-session routes serve it (requireShareGuest).
     */
    shareGuest: GuestSession | null;
    /** A share guest's cookie came, but its session no longer opens the share: why. */
    shareGuestEnded: GuestSessionEnd | null;
  }
  interface FastifyInstance {
    /** Counts a request with a credential that is not valid against its address (token guessing). */
    countAuthFailure: AuthFailureCounter;
  }
}

/** The authenticated caller; routes call this and get a 401 when there is none. */
export function requireCaller(request: FastifyRequest): Caller {
  if (request.shareGuest)
    throw errors.forbidden("a share link's session opens only its share (the /api/share-sessions/current routes)");
  if (!request.caller) throw request.reviewSessionEnded ? noSession() : errors.unauthenticated();
  return request.caller;
}

const guestSessionEnds: Record<GuestSessionEnd | 'none', string> = {
  share_revoked: 'this share link was revoked: ask its sender for a new one',
  share_expired: 'this share link has expired: ask its sender for a new one',
  session_ended: 'this share session has ended: open the link again',
  none: 'no share session: open the share link',
};

/**
 * The guest session of a share link; without a live one, 401 with details.reason (share_revoked,
 * share_expired, session_ended, no_session), so the share page shows why.
 */
export function requireShareGuest(request: FastifyRequest): GuestSession {
  if (!request.shareGuest) {
    const reason = request.shareGuestEnded ?? 'none';
    throw new AppError('unauthenticated', guestSessionEnds[reason], {
      reason: reason === 'none' ? 'no_session' : reason,
    });
  }
  return request.shareGuest;
}

/** Who asks and the request id: what every service call takes. */
export function requestContext(request: FastifyRequest): RequestContext {
  return { caller: requireCaller(request), requestId: request.id };
}

/**
 * A credential sent in a request body (a review link's token) was not valid: counted against
 * the address like an unknown bearer token; over the limit, a 429.
 */
export async function countFailedCredential(request: FastifyRequest, reply: FastifyReply): Promise<void> {
  const failures = await request.server.countAuthFailure(request);
  if (!failures.exceeded) return;
  reply.header('retry-after', String(failures.retryAfterSeconds));
  throw rateLimited(failures.retryAfterSeconds);
}

const isMutation = (method: string) => method !== 'GET' && method !== 'HEAD' && method !== 'OPTIONS';

/** The review session cookie's value, if the request has one. */
function reviewCookie(request: FastifyRequest): string | undefined {
  const header = request.headers.cookie;
  return header ? parseCookie(header)[reviewCookieName] : undefined;
}

/**
 * Resolves the caller on every /api request: `Authorization: Bearer <token>` (or, on the event
 * stream, `?access_token=`), else a review session cookie (`mv_review`), which acts exactly like
 * its member's token. Requests a cookie authenticates that change something, and event streams
 * it opens, must come from a page of the api's own origin, else 403 (a WebSocket: refused).
 */
export function registerAuth(app: FastifyInstance, pool: Pool, countAuthFailure: AuthFailureCounter): void {
  const publicOrigin = new URL(app.deps.urls.api).origin;
  app.decorate('countAuthFailure', countAuthFailure);
  app.decorateRequest('caller', null);
  app.decorateRequest('callerUnknowable', false);
  app.decorateRequest('reviewSessionId', null);
  app.decorateRequest('reviewSessionEnded', false);
  app.decorateRequest('shareGuest', null);
  app.decorateRequest('shareGuestEnded', null);

  /** Asks the catalogue; a database away during a WebSocket upgrade marks the caller unknowable. */
  const lookUp = async <T>(request: FastifyRequest, find: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await find();
    } catch (err) {
      // An error thrown during a WebSocket upgrade drops the connection unexplained: the events
      // handler closes it with "try again later" instead. Other requests get the 503.
      if (!(request.url.startsWith('/api/events') && isDatabaseUnavailable(err))) throw err;
      request.callerUnknowable = true;
      return undefined;
    }
  };

  app.addHook('onRequest', async (request, reply) => {
    if (!request.url.startsWith('/api/')) return;
    const isEventStream = request.url.startsWith('/api/events');
    // Browsers cannot set headers on a WebSocket: the events stream also takes ?access_token=.
    const queryToken = isEventStream ? new URL(request.url, 'http://x').searchParams.get('access_token') : null;
    const header = request.headers.authorization ?? (queryToken ? `Bearer ${queryToken}` : undefined);
    if (!header) {
      const cookie = reviewCookie(request);
      if (cookie) await authenticateSession(request, cookie, isEventStream);
      return;
    }
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match) throw errors.unauthenticated('the Authorization header must be "Bearer <token>"');
    const found = await lookUp(request, () => findCallerByTokenHash(pool, hashToken(match[1]!)));
    if (found === undefined) return;
    if (!found) {
      // Guessing tokens is slowed down per address, whatever route it aims at.
      const failures = await countAuthFailure(request);
      if (failures.exceeded) {
        reply.header('retry-after', String(failures.retryAfterSeconds));
        throw rateLimited(failures.retryAfterSeconds);
      }
      // A refused WebSocket is closed by its handler with code 4401: an error thrown during
      // the upgrade would leave the raw socket open until it times out.
      if (isEventStream) return;
      throw errors.unauthenticated('the token is not valid (unknown, revoked or expired)');
    }
    request.caller = { ...found, credential: 'token' };
  });

  /**
   * CSRF: browsers send Origin with every POST, PUT, PATCH and DELETE of a script (Chromium
   * too under the review page's no-referrer policy: player/test/review-session.test.ts) and with
   * every WebSocket handshake, and no page can forge it. Scripts outside a browser use tokens.
   * Answers false for an event stream of another origin (its handler refuses it: no caller).
   */
  function refuseForeignOrigin(request: FastifyRequest, isEventStream: boolean): boolean {
    if ((isEventStream || isMutation(request.method)) && request.headers.origin !== publicOrigin) {
      // The WebSocket handler refuses a stream without a caller (4401).
      if (isEventStream) return false;
      throw errors.forbidden(
        `a request authenticated by the review session cookie must come from a page of ${publicOrigin}`,
      );
    }
    return true;
  }

  async function authenticateSession(request: FastifyRequest, cookie: string, isEventStream: boolean): Promise<void> {
    const secretHash = hashToken(cookie);
    const found = await lookUp(request, () => findCallerBySessionHash(pool, secretHash));
    if (found === undefined) return;
    // Not a member's session: a share guest's, perhaps (never a caller, see requireCaller).
    const guest = found ? null : await lookUp(request, () => findGuestBySessionHash(pool, secretHash));
    if (guest && guest.ended === null) {
      refuseForeignOrigin(request, isEventStream);
      if (!isEventStream) request.shareGuest = guest;
      return;
    }
    if (guest) request.shareGuestEnded = guest.ended;
    if (!found) {
      // An ended session is no guess (its id has 256 random bits): not counted as an auth
      // failure. The request goes on without a caller, so a page holding a stale cookie can
      // still exchange a new link; routes that need a caller say the session has ended.
      request.reviewSessionEnded = true;
      return;
    }
    if (!refuseForeignOrigin(request, isEventStream)) return;
    request.reviewSessionId = found.sessionId;
    // The session's id stands where a token's id does: rate limits count per session, and the
    // session's event streams close when it is signed out (migration 0010's trigger).
    request.caller = {
      userId: found.userId,
      organizationId: found.organizationId,
      isOrgAdmin: found.isOrgAdmin,
      tokenId: found.sessionId,
      credential: 'review-session',
    };
  }
}
