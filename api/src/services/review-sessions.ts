/**
 * Signing in to the review page without an API token in the browser (issue 13 point 5).
 *
 * A member mints a review link: `${PUBLIC_API_URL}/review/#<token>`, the token single use and
 * valid for 10 minutes, in the fragment (browsers send a fragment to no server and in no
 * Referer). The page POSTs the token here once and gets a review session: a random id in an
 * HttpOnly, SameSite=Strict cookie, valid 12 hours, acting as the member who minted the link,
 * exactly like their API token. Only sha256 hashes of the token and of the cookie are stored.
 *
 * Issue 14's share links open guest sessions the same way (services/shares.ts): the same table
 * (kind 'guest', scoped to one share and to no user) and the same cookie, through their own
 * exchange (POST /api/share-sessions), which also takes the share's password.
 *
 * Revoking an API token does not end the review sessions its owner opened with it, and signing
 * out of a session revokes no token. They are separate credentials: revoking every token of a
 * user (a leaked laptop, a departing script) is not signing a browser out, and a browser session
 * is short (12 h) and ends on its own. Ending a member's access altogether is a membership
 * change, which both credentials obey on their next request.
 */
import { stringifySetCookie } from 'cookie';
import { errors } from '@mediavault/core/errors';
import { withTransaction } from '@mediavault/core/db/pool';
import { recordActivity } from '@mediavault/core/catalogue/activity';
import { findAssetProjectId } from '@mediavault/core/catalogue/assets-store';
import {
  consumeReviewLink,
  findLiveReviewSession,
  findReviewLink,
  forgetEndedReviewAccess,
  insertMemberSession,
  insertReviewLink,
  isVersionOfAsset,
  revokeReviewSession,
  type ReviewSessionRecord,
} from '@mediavault/core/catalogue/review-sessions-store';
import type { ApiDeps, RequestContext } from '../deps.ts';
import { authorizeAsset } from './access.ts';
import { generateToken, hashToken } from './tokens.ts';

/** How long a review link can be exchanged. */
export const reviewLinkTtlSeconds = 10 * 60;
/** How long a review session lasts (the cookie's Max-Age). */
export const reviewSessionTtlSeconds = 12 * 60 * 60;
/** The cookie carrying the session id. */
export const reviewCookieName = 'mv_review';
/** Review link tokens start with this; issue 14's share tokens will have their own. */
export const reviewLinkPrefix = 'mvr_';

/**
 * A Set-Cookie value the api sets for a page (an empty value and 0 clear it): HttpOnly (no page
 * script reads it), SameSite=Strict (no other site's page sends it), Secure behind https, and
 * sent to the api's routes only (`/api`, or a path below it): not to the page's static files,
 * nor to an edge on the same host (cookies ignore ports), whose media requests would carry it.
 */
export function apiCookie(
  publicApiUrl: string,
  cookie: { name: string; value: string; maxAgeSeconds: number; below?: string },
): string {
  const publicUrl = new URL(publicApiUrl);
  return stringifySetCookie({
    name: cookie.name,
    value: cookie.value,
    httpOnly: true,
    sameSite: 'strict',
    path: `${publicUrl.pathname.replace(/\/+$/, '')}/api${cookie.below ?? ''}`,
    maxAge: cookie.maxAgeSeconds,
    secure: publicUrl.protocol === 'https:',
  });
}

/** The Set-Cookie value of a review or share session (an empty value and 0 sign out). */
export function sessionCookie(publicApiUrl: string, value: string, maxAgeSeconds: number): string {
  return apiCookie(publicApiUrl, { name: reviewCookieName, value, maxAgeSeconds });
}

export interface ReviewLink {
  url: string;
  expiresAt: Date;
}

/** Mints a single-use review link to an asset (a version of it, or its latest) for the caller. */
export async function createReviewLink(
  { pool, urls }: ApiDeps,
  { caller, requestId }: RequestContext,
  assetId: string,
  input: { versionId?: string },
): Promise<ReviewLink> {
  const { projectId } = await authorizeAsset(pool, caller, assetId, 'playback');
  const versionId = input.versionId ?? null;
  if (versionId && !(await isVersionOfAsset(pool, assetId, versionId))) throw errors.notFound('version');
  const { token, hash } = generateToken(reviewLinkPrefix);
  const link = await withTransaction(pool, async (db) => {
    const created = await insertReviewLink(db, {
      tokenHash: hash,
      organizationId: caller.organizationId,
      userId: caller.userId,
      assetId,
      versionId,
      ttlSeconds: reviewLinkTtlSeconds,
    });
    await recordActivity(db, {
      organizationId: caller.organizationId,
      actorUserId: caller.userId,
      action: 'review_link.create',
      subjectType: 'review_link',
      subjectId: created.id,
      projectId,
      requestId,
      data: { assetId, versionId, expiresAt: created.expiresAt },
    });
    return created;
  });
  return { url: `${urls.api}/review/#${token}`, expiresAt: link.expiresAt };
}

/** What the page learns of its session: what to open, as whom, until when. */
export interface ReviewSessionInfo {
  assetId: string;
  versionId: string | null;
  user: { id: string; name: string };
  expiresAt: Date;
}

function sessionInfo(session: ReviewSessionRecord): ReviewSessionInfo {
  // Guest sessions (issue 14) are never answered by this module yet: every session here has a user.
  return {
    assetId: session.assetId,
    versionId: session.versionId,
    user: { id: session.userId!, name: session.userName ?? '' },
    expiresAt: session.expiresAt,
  };
}

/** Why a link token was refused, in words the person holding it can act on. */
function refusal(link: { usedAt: Date | null } | null): Error {
  const again = 'ask for a new link (`mediavault review <assetId>`)';
  if (!link) return errors.unauthenticated(`this review link is not valid: ${again}`);
  if (link.usedAt) return errors.unauthenticated(`this review link was already used (a link opens once): ${again}`);
  return errors.unauthenticated(
    `this review link has expired (links are valid for ${reviewLinkTtlSeconds / 60} minutes): ${again}`,
  );
}

/**
 * Exchanges a review link's token for a session; answers the session and the cookie's secret.
 * A used, expired or unknown token is refused (401) and the caller should count it as a failed
 * credential (token guessing is slowed down per address).
 */
export async function startReviewSession(
  { pool }: ApiDeps,
  request: { requestId: string; ip: string; userAgent: string | null },
  token: string,
): Promise<{ session: ReviewSessionInfo; secret: string }> {
  if (!token.startsWith(reviewLinkPrefix)) throw refusal(null);
  const tokenHash = hashToken(token);
  // The cookie's value: 256 random bits, like an API token, stored as its sha256 only.
  const { token: secret, hash: secretHash } = generateToken('');
  const session = await withTransaction(pool, async (db) => {
    const link = await consumeReviewLink(db, tokenHash);
    if (!link) return null;
    const created = await insertMemberSession(db, { secretHash, link, ttlSeconds: reviewSessionTtlSeconds });
    await recordActivity(db, {
      organizationId: link.organizationId,
      actorUserId: link.userId,
      action: 'review_session.start',
      subjectType: 'review_session',
      subjectId: created.id,
      projectId: await findAssetProjectId(db, link.organizationId, link.assetId),
      requestId: request.requestId,
      data: { linkId: link.id, assetId: link.assetId, ip: request.ip, userAgent: request.userAgent },
    });
    return created;
  });
  if (!session) throw refusal(await findReviewLink(pool, tokenHash));
  // Housekeeping on the way out: ended links and sessions are not kept for ever.
  void forgetEndedReviewAccess(pool).catch(() => {});
  return { session: sessionInfo(session), secret };
}

/** The caller's review session (the page after a reload), while it lasts. */
export async function getReviewSession({ pool }: ApiDeps, sessionId: string | null): Promise<ReviewSessionInfo> {
  const session = sessionId ? await findLiveReviewSession(pool, sessionId) : null;
  if (!session) throw noSession();
  return sessionInfo(session);
}

export function noSession(): Error {
  return errors.unauthenticated(
    'no review session: it has expired or was signed out; open a new review link (`mediavault review <assetId>`)',
  );
}

/** Signs the caller's review session out; its event streams close on every api process. */
export async function endReviewSession(
  { pool }: ApiDeps,
  { caller, requestId }: RequestContext,
  sessionId: string,
): Promise<void> {
  await withTransaction(pool, async (db) => {
    if (!(await revokeReviewSession(db, sessionId))) return;
    await recordActivity(db, {
      organizationId: caller.organizationId,
      actorUserId: caller.userId,
      action: 'review_session.end',
      subjectType: 'review_session',
      subjectId: sessionId,
      requestId,
    });
  });
}
