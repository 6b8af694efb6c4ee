/**
 * Rate limits on every /api operation, counted in PostgreSQL so that all api processes share
 * them (no Redis): per token, or per address for requests without one; mutations count
 * against a tighter limit than reads; requests with a token that is not valid count against a
 * tighter one still, per address (token guessing). Over a limit: 429 rate_limited with
 * Retry-After. Limits are configuration (RATE_LIMIT_*).
 */
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { countHit, forgetEndedWindows } from '@mediavault/core/catalogue/rate-limits-store';
import type { Config } from '@mediavault/core/config';
import type { Pool } from '@mediavault/core/db/pool';
import { AppError } from '@mediavault/core/errors';

const WINDOW_MS = 60_000;
/** Ended windows are removed once every this many counted requests of a process. */
const CLEANUP_EVERY = 1000;

type StoreCallback = (err: Error | null, result?: { current: number; ttl: number }) => void;

/** The store interface of @fastify/rate-limit, over the catalogue's rate_limit_windows table. */
function catalogueStore(pool: Pool) {
  let counted = 0;
  return class CatalogueRateLimitStore {
    incr(key: string, callback: StoreCallback, timeWindow: number): void {
      if (++counted % CLEANUP_EVERY === 0) void forgetEndedWindows(pool).catch(() => {});
      countHit(pool, key, timeWindow).then(
        ({ hits, remainingMs }) => callback(null, { current: hits, ttl: remainingMs }),
        (err: Error) => callback(err),
      );
    }

    child(): CatalogueRateLimitStore {
      return this;
    }
  };
}

const isMutation = (method: string) => method !== 'GET' && method !== 'HEAD' && method !== 'OPTIONS';

export function rateLimited(retryAfterSeconds: number): AppError {
  return new AppError('rate_limited', `too many requests; retry in ${retryAfterSeconds} s`, { retryAfterSeconds });
}

/**
 * Registers the limits; answers the check the authentication hook runs on a token that is not
 * valid (counted per address): true when that address is over its limit.
 */
export async function registerRateLimits(
  app: FastifyInstance,
  pool: Pool,
  config: Config,
): Promise<(request: FastifyRequest) => Promise<{ exceeded: boolean; retryAfterSeconds: number }>> {
  const limits = config.rateLimits;
  await app.register(rateLimit, {
    global: true,
    // After authentication, so a token's requests count against the token wherever they come from.
    hook: 'preHandler',
    timeWindow: WINDOW_MS,
    store: catalogueStore(pool),
    // The database down fails the request anyway (with 503); the limiter does not add a second error.
    skipOnError: true,
    keyGenerator: (request) =>
      `${request.caller ? `token:${request.caller.tokenId}` : `address:${request.ip}`}:${isMutation(request.method) ? 'write' : 'read'}`,
    max: async (_request, key) => (key.endsWith(':write') ? limits.writesPerMinute : limits.readsPerMinute),
    // The api's operations only: presigned storage URLs carry their own signature, the player is static.
    allowList: (request) => !request.url.startsWith('/api/'),
    errorResponseBuilder: (_request, context) => rateLimited(Math.ceil(context.ttl / 1000)),
  });
  const authFailures = app.createRateLimit({
    keyGenerator: (request) => `address:${request.ip}:auth-failure`,
    max: limits.authFailuresPerMinute,
    timeWindow: WINDOW_MS,
  });
  return async (request) => {
    const outcome = await authFailures(request).catch(() => null);
    return outcome && !outcome.isAllowed
      ? { exceeded: outcome.isExceeded, retryAfterSeconds: outcome.ttlInSeconds }
      : { exceeded: false, retryAfterSeconds: 0 };
  };
}
