import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply } from 'fastify';
import { stringifySetCookie } from 'cookie';
import { errors, isAppError } from '@mediavault/core/errors';
import { countFailedCredential, requestContext } from '../plugins/auth.ts';
import { DateTime, errorResponses, Label, Nullable, Text, Url, Uuid } from '../schemas/common.ts';
import {
  createReviewLink,
  endReviewSession,
  getReviewSession,
  reviewCookieName,
  reviewLinkTtlSeconds,
  reviewSessionTtlSeconds,
  startReviewSession,
} from '../services/review-sessions.ts';

const tags = ['review'];

const reviewSessionFields = {
  assetId: Uuid,
  versionId: Nullable(Uuid),
  user: Type.Object({ id: Uuid, name: Label }),
  expiresAt: DateTime,
};
const ReviewSession = Type.Object(reviewSessionFields, {
  description: 'What the review page opens, as whom, until when',
});

/** The cookie as the spec documents it (@fastify/swagger emits a response schema's `headers`). */
const setCookieHeader = (what: string) => ({
  'Set-Cookie': Text(512, {
    description: `${reviewCookieName}=…; HttpOnly; SameSite=Strict; Path=<api path>/api (and Secure when the api is on https): ${what}`,
  }),
});

/**
 * Review links and the review page's sessions (services/review-sessions.ts says why they are
 * built this way). The session cookie is HttpOnly (no page script reads it), SameSite=Strict
 * (no other site's page sends it), sent to the api's routes only and, behind https, Secure.
 */
export const reviewSessionRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { deps } = app;
  const publicUrl = new URL(deps.urls.api);
  // Only the api's routes get the cookie: not the page's static files, and not an edge on the
  // same host (cookies ignore ports), whose media requests would otherwise carry it.
  const cookiePath = `${publicUrl.pathname.replace(/\/+$/, '')}/api`;
  const cookie = (value: string, maxAge: number) =>
    stringifySetCookie({
      name: reviewCookieName,
      value,
      httpOnly: true,
      sameSite: 'strict',
      path: cookiePath,
      maxAge,
      secure: publicUrl.protocol === 'https:',
    });
  const signOutCookie = (reply: FastifyReply) => reply.header('set-cookie', cookie('', 0));

  app.post(
    '/api/assets/:assetId/review-links',
    {
      schema: {
        operationId: 'createReviewLink',
        tags,
        summary: `A single-use link (valid ${reviewLinkTtlSeconds / 60} minutes) that opens the review page as you, without a token in the browser`,
        description:
          'The token is in the fragment (`/review/#<token>`), which browsers send to no server and in no Referer; the page exchanges it once for a session cookie (startReviewSession).',
        params: Type.Object({ assetId: Uuid }),
        body: Type.Object(
          { versionId: Type.Optional(Type.Unsafe<string>({ ...Uuid, description: 'default: the latest version' })) },
          { additionalProperties: false },
        ),
        response: {
          201: Type.Object({ url: Url, expiresAt: DateTime }),
          ...errorResponses(400, 401, 403, 404),
        },
      },
    },
    async (request, reply) =>
      reply
        .status(201)
        .send(await createReviewLink(deps, requestContext(request), request.params.assetId, request.body ?? {})),
  );

  app.post(
    '/api/review-sessions',
    {
      schema: {
        operationId: 'startReviewSession',
        tags,
        // Anonymous: the link's token in the body is the credential (an empty requirement, in OpenAPI terms).
        security: [{}],
        summary: `Exchange a review link's token for a review session cookie (${reviewSessionTtlSeconds / 3600} h)`,
        description:
          'No bearer token: the link is the credential, and works once. A used, expired or unknown token is 401. From a browser, the request must come from a page of the api itself (Origin).',
        body: Type.Object({ token: Text(256, { minLength: 1 }) }, { additionalProperties: false }),
        response: {
          201: Type.Object(reviewSessionFields, {
            description: 'the session started; its cookie is set',
            headers: setCookieHeader(`the session id, Max-Age=${reviewSessionTtlSeconds}`),
          }),
          ...errorResponses(400, 401, 403),
        },
      },
    },
    async (request, reply) => {
      // A page of another origin must not sign this browser in as someone else (login CSRF).
      if (request.headers.origin !== undefined && request.headers.origin !== publicUrl.origin)
        throw errors.forbidden(`review sessions start from a page of ${publicUrl.origin}`);
      let started: Awaited<ReturnType<typeof startReviewSession>>;
      try {
        started = await startReviewSession(
          deps,
          { requestId: request.id, ip: request.ip, userAgent: request.headers['user-agent'] ?? null },
          request.body.token,
        );
      } catch (err) {
        if (isAppError(err) && err.code === 'unauthenticated') await countFailedCredential(request, reply);
        throw err;
      }
      return reply
        .status(201)
        .header('set-cookie', cookie(started.secret, reviewSessionTtlSeconds))
        .header('cache-control', 'no-store')
        .send(started.session);
    },
  );

  app.get(
    '/api/review-sessions/current',
    {
      schema: {
        operationId: 'getReviewSession',
        tags,
        summary: 'The review session of this browser (its cookie): what it opened, as whom, until when',
        response: { 200: ReviewSession, ...errorResponses(401) },
      },
    },
    // Without a live session (no cookie, an ended one, or a bearer token) the answer is the same 401.
    async (request) => getReviewSession(deps, request.reviewSessionId),
  );

  app.delete(
    '/api/review-sessions/current',
    {
      schema: {
        operationId: 'endReviewSession',
        tags,
        summary: "Sign this browser's review session out: refused from now on, its event streams closed",
        description: 'Idempotent: without a live session there is nothing to end, and the cookie is cleared anyway.',
        response: {
          204: Type.Null({ description: 'signed out', headers: setCookieHeader('empty, Max-Age=0') }),
          ...errorResponses(401, 403),
        },
      },
    },
    async (request, reply) => {
      if (request.reviewSessionId) await endReviewSession(deps, requestContext(request), request.reviewSessionId);
      return signOutCookie(reply).status(204).send();
    },
  );
};
