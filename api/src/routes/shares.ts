import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { parseCookie } from 'cookie';
import type { FastifyRequest } from 'fastify';
import { attachmentDisposition } from '@mediavault/core/attachment';
import { errors, isAppError } from '@mediavault/core/errors';
import { maxCommentText } from '@mediavault/core/review';
import { shareAuditEvents } from '@mediavault/core/catalogue/share-audit-store';
import {
  watermarkOpacityRange,
  watermarkPositions,
  watermarkSizes,
  watermarkTemplateMaxLength,
} from '@mediavault/core/watermark';
import { downloadPolicies, guestSessionTtlSeconds, maxShareItems, shareKinds } from '@mediavault/core/share-policy';
import { countFailedCredential, requestContext, requireShareGuest } from '../plugins/auth.ts';
import {
  Annotation,
  Comment,
  DateTime,
  errorResponses,
  Frame,
  Int,
  Label,
  List,
  Nullable,
  Text,
  Url,
  Uuid,
} from '../schemas/common.ts';
import { reviewCookieName, sessionCookie } from '../services/review-sessions.ts';
import {
  pendingPasswordCookie,
  sharePasswordCookieName,
  sharePasswordPendingSeconds,
} from '../services/share-password-pending.ts';
import {
  createShare,
  createShareComment,
  downloadShareAsset,
  endShareSession,
  exportShareAuditCsv,
  getShare,
  getSharePlayback,
  getShareSession,
  listShareAudit,
  listShareComments,
  listShares,
  revokeShare,
  setShareGuestName,
  SharePasswordNeeded,
  startShareSession,
  updateShare,
  type GuestContext,
} from '../services/shares.ts';

const tags = ['shares'];
const oneOf = <T extends readonly string[]>(values: T, options: { description?: string; default?: T[number] } = {}) =>
  Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...options });

const Download = oneOf(downloadPolicies, {
  description: 'none; proxy: the MP4 preview; master: the master too (a watermarked share: its watermarked MP4)',
});
const WatermarkInput = Type.Object(
  {
    template: Text(watermarkTemplateMaxLength, {
      minLength: 1,
      description: 'the text burnt in; {share}, {viewer} (the guest) and {date} are filled in',
    }),
    position: Type.Optional(
      oneOf(watermarkPositions, {
        description: 'bottom-right when left out',
      }),
    ),
    opacity: Type.Optional(Type.Number({ ...watermarkOpacityRange, description: '0.5 when left out' })),
    size: Type.Optional(oneOf(watermarkSizes, { description: 'medium when left out' })),
  },
  { additionalProperties: false },
);
const Watermark = Type.Object({
  template: Text(watermarkTemplateMaxLength),
  position: oneOf(watermarkPositions),
  opacity: Type.Number(watermarkOpacityRange),
  size: oneOf(watermarkSizes),
});
const Password = Text(256, { minLength: 8, description: 'kept as its argon2id hash only' });

const ShareSchema = Type.Object(
  {
    id: Uuid,
    name: Label,
    projectId: Uuid,
    kind: oneOf(shareKinds, { description: 'asset: one asset; assets: a list; collection: a collection, read live' }),
    versionPolicy: oneOf(['latest', 'pinned'] as const),
    collectionPath: Nullable(Label),
    download: Download,
    comments: Type.Boolean({ description: 'guests may comment' }),
    watermark: Nullable(Watermark),
    hasPassword: Type.Boolean(),
    expiresAt: Nullable(DateTime),
    state: oneOf(['active', 'expired', 'revoked'] as const),
    createdBy: Type.Object({ userId: Nullable(Uuid), name: Nullable(Label) }),
    createdAt: DateTime,
    updatedAt: DateTime,
    revokedAt: Nullable(DateTime),
    items: Type.Optional(
      List(
        Type.Object({
          assetId: Uuid,
          name: Label,
          collectionPath: Nullable(Label),
          versionId: Nullable(Uuid, { description: 'the pinned version; null: the latest' }),
        }),
        100_000,
        { description: 'the assets, in order (single reads only)' },
      ),
    ),
  },
  { description: 'A share link and its policy (never its token or password)' },
);

const AuditEntry = Type.Object({
  id: Int(1, Number.MAX_SAFE_INTEGER),
  at: DateTime,
  event: oneOf(shareAuditEvents),
  actor: Nullable(Type.Object({ userId: Uuid, name: Label }), { description: 'the member (create, update, revoke)' }),
  sessionId: Nullable(Uuid, { description: "the guest's session" }),
  guestName: Nullable(Label),
  assetId: Nullable(Uuid),
  assetName: Nullable(Label),
  versionId: Nullable(Uuid),
  versionNumber: Nullable(Int(1, 2 ** 31 - 1)),
  clientAddress: Nullable(Text(64)),
  userAgent: Nullable(Text(1024)),
  details: Type.Record(Type.String(), Type.Unknown()),
});

const SessionSchema = Type.Object(
  {
    share: Type.Object({
      id: Uuid,
      name: Label,
      kind: oneOf(shareKinds),
      versionPolicy: oneOf(['latest', 'pinned'] as const),
      download: Download,
      comments: Type.Boolean(),
      watermarked: Type.Boolean({ description: 'plays and downloads only a watermarked rendition set' }),
      watermarkNeedsName: Type.Boolean({
        description: 'the watermark shows the viewer: give a name (setShareGuestName) before playback or download',
      }),
      expiresAt: Nullable(DateTime),
    }),
    items: List(Type.Object({ assetId: Uuid, name: Label, collectionPath: Nullable(Label) }), 100_000),
    guestName: Nullable(Label),
    expiresAt: DateTime,
  },
  { description: "What the share page shows: the share's policy, its assets, the guest's name, the session's end" },
);

const PlaybackSchema = Type.Union([
  Type.Object({
    status: Type.Literal('ready'),
    assetId: Uuid,
    versionId: Uuid,
    versionNumber: Int(1, 2 ** 31 - 1),
    manifestUrl: Url,
    posterUrl: Url,
    spritesVttUrl: Nullable(Url),
    waveformUrl: Nullable(Url),
    frameRate: Nullable(Type.Object({ num: Int(1, 2 ** 31 - 1), den: Int(1, 2 ** 31 - 1) })),
    startTimecode: Text(16),
    dropFrame: Type.Boolean(),
    durationFrames: Nullable(Int(0, 2 ** 31 - 1)),
    expiresAt: DateTime,
    renewAfterSeconds: Int(1, 3600, { description: 'call again after this long while playing: the URLs live 5 min' }),
  }),
  Type.Object({
    status: Type.Literal('preparing'),
    assetId: Uuid,
    versionId: Uuid,
    retryAfterSeconds: Int(1, 3600),
  }),
]);

const shareParams = Type.Object({ shareId: Uuid });
const assetParams = Type.Object({ assetId: Uuid });
const page = {
  limit: Type.Optional(Int(1, 500, { default: 100 })),
  cursor: Type.Optional(Text(400)),
};

function guestContext(request: FastifyRequest): GuestContext {
  return {
    guest: requireShareGuest(request),
    requestId: request.id,
    ip: request.ip,
    userAgent: request.headers['user-agent'] ?? null,
  };
}

/**
 * Share links (services/shares.ts): members manage them under /api/shares; a guest's page
 * exchanges the link's token for a session (POST /api/share-sessions) and uses the
 * /api/share-sessions/current routes, which serve that share's content and nothing else.
 */
export const shareRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { deps } = app;
  const publicOrigin = new URL(deps.urls.api).origin;

  app.post(
    '/api/shares',
    {
      schema: {
        operationId: 'createShare',
        tags,
        summary:
          'Share one asset (a pinned version or always the latest), a list of assets, or a collection: a link for a client',
        description:
          "Editors and admins of the project (share.create). The answer's url holds the link's token in its fragment: shown this once, stored hashed.",
        body: Type.Object(
          {
            name: Type.Optional(Text(200, { description: 'shown to guests and in {share} of a watermark' })),
            assetIds: Type.Optional(List(Uuid, maxShareItems, { minItems: 1, description: 'of one project' })),
            versionId: Type.Optional(
              Type.Unsafe<string>({ ...Uuid, description: 'pins a one-asset share to this version' }),
            ),
            collection: Type.Optional(
              Type.Object({ projectId: Uuid, path: Text(1024, { minLength: 1 }) }, { additionalProperties: false }),
            ),
            expiresAt: Type.Optional(DateTime),
            password: Type.Optional(Password),
            download: Type.Optional(Download),
            comments: Type.Optional(Type.Boolean({ default: false })),
            watermark: Type.Optional(WatermarkInput),
          },
          { additionalProperties: false, description: 'assetIds or collection, one of them' },
        ),
        response: {
          201: Type.Object({ share: ShareSchema, url: Url }),
          ...errorResponses(400, 401, 403, 404),
        },
      },
    },
    async (request, reply) => reply.status(201).send(await createShare(deps, requestContext(request), request.body)),
  );

  app.get(
    '/api/shares',
    {
      schema: {
        operationId: 'listShares',
        tags,
        summary: 'Shares of a project, or of every project where you may create them; newest first, paged',
        querystring: Type.Object({ projectId: Type.Optional(Uuid), ...page }),
        response: {
          200: Type.Object({ items: List(ShareSchema, 500), nextCursor: Nullable(Text(400)) }),
          ...errorResponses(400, 401, 403, 404),
        },
      },
    },
    async (request) =>
      listShares(deps, requestContext(request), { ...request.query, limit: request.query.limit ?? 100 }),
  );

  app.get(
    '/api/shares/:shareId',
    {
      schema: {
        operationId: 'getShare',
        tags,
        summary: 'A share, its policy and its assets',
        params: shareParams,
        response: { 200: ShareSchema, ...errorResponses(401, 403, 404) },
      },
    },
    async (request) => getShare(deps, requestContext(request), request.params.shareId),
  );

  app.patch(
    '/api/shares/:shareId',
    {
      schema: {
        operationId: 'updateShare',
        tags,
        summary: "Change a share's policy (audited)",
        description:
          'A new password ends the open guest sessions. Changes to the password, downloads, watermark or expiry make every edge refuse the media URLs issued before them.',
        params: shareParams,
        body: Type.Object(
          {
            name: Type.Optional(Text(200)),
            expiresAt: Type.Optional(Nullable(DateTime, { description: 'null: never' })),
            password: Type.Optional(Nullable(Password, { description: 'null removes it' })),
            download: Type.Optional(Download),
            comments: Type.Optional(Type.Boolean()),
            watermark: Type.Optional(Nullable(WatermarkInput, { description: 'null removes it' })),
          },
          { additionalProperties: false, minProperties: 1 },
        ),
        response: { 200: ShareSchema, ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request) => updateShare(deps, requestContext(request), request.params.shareId, request.body),
  );

  app.post(
    '/api/shares/:shareId/revoke',
    {
      schema: {
        operationId: 'revokeShare',
        tags,
        summary: 'Revoke a share: its link, its guest sessions and (within a second, on every edge) its media URLs',
        description: 'Idempotent: revoking a revoked share changes nothing.',
        params: shareParams,
        response: { 200: ShareSchema, ...errorResponses(401, 403, 404) },
      },
    },
    async (request) => revokeShare(deps, requestContext(request), request.params.shareId),
  );

  app.get(
    '/api/shares/:shareId/audit',
    {
      schema: {
        operationId: 'listShareAudit',
        tags,
        summary:
          "A share's audit trail in the order it happened: changes, opens, plays, downloads, comments, password tries",
        params: shareParams,
        querystring: Type.Object(page),
        response: {
          200: Type.Object({ items: List(AuditEntry, 500), nextCursor: Nullable(Text(400)) }),
          ...errorResponses(400, 401, 403, 404),
        },
      },
    },
    async (request) =>
      listShareAudit(deps, requestContext(request), request.params.shareId, {
        ...request.query,
        limit: request.query.limit ?? 100,
      }),
  );

  app.get(
    '/api/shares/:shareId/audit.csv',
    {
      schema: {
        operationId: 'exportShareAudit',
        tags,
        summary: "A share's whole audit trail as CSV (RFC 4180, a header line first)",
        params: shareParams,
        produces: ['text/csv'],
        response: {
          200: Type.String({ description: 'text/csv', maxLength: 2 ** 31 - 1 }),
          ...errorResponses(401, 403, 404),
        },
      },
    },
    async (request, reply) =>
      reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="share-${request.params.shareId}-audit.csv"`)
        .send(await exportShareAuditCsv(deps, requestContext(request), request.params.shareId)),
  );

  // Guests: the share page.

  app.post(
    '/api/share-sessions',
    {
      schema: {
        operationId: 'startShareSession',
        tags,
        security: [{}],
        summary: `Exchange a share link's token (and its password) for a guest session cookie (${guestSessionTtlSeconds / 3600} h at most)`,
        description:
          'No bearer token: the link is the credential. 401: an unknown token, or a password needed (details.reason password_required) or wrong (password_incorrect; details.retryAfterSeconds), which also sets a 15-minute HttpOnly cookie naming the share so that the next tries send only the password (without it and without a token: link_required); 429 with Retry-After: wrong passwords wait longer each time; 403 with details.reason share_revoked or share_expired. Every try is audited.',
        body: Type.Object(
          {
            token: Type.Optional(
              Text(256, {
                minLength: 1,
                description: `the link's token, in the first try only; later password tries send the password alone, with the ${sharePasswordCookieName} cookie the 401 set`,
              }),
            ),
            password: Type.Optional(Text(256)),
          },
          { additionalProperties: false },
        ),
        response: {
          201: Type.Object(SessionSchema.properties, {
            description: `the session started; its cookie (${reviewCookieName}, HttpOnly, SameSite=Strict) is set`,
          }),
          ...errorResponses(400, 401, 403),
        },
      },
    },
    async (request, reply) => {
      if (request.headers.origin !== undefined && request.headers.origin !== publicOrigin)
        throw errors.forbidden(`share sessions start from a page of ${publicOrigin}`);
      let started: Awaited<ReturnType<typeof startShareSession>>;
      const cookies = request.headers.cookie ? parseCookie(request.headers.cookie) : {};
      try {
        started = await startShareSession(
          deps,
          { requestId: request.id, ip: request.ip, userAgent: request.headers['user-agent'] ?? null },
          request.body,
          cookies[sharePasswordCookieName],
        );
      } catch (err) {
        if (err instanceof SharePasswordNeeded)
          reply.header('set-cookie', pendingPasswordCookie(deps.urls.api, err.pending, sharePasswordPendingSeconds));
        if (isAppError(err) && err.code === 'rate_limited')
          reply.header('retry-after', String(err.details?.retryAfterSeconds ?? 1));
        // Unknown tokens are guesses (slowed per address); wrong passwords have their own delays.
        if (isAppError(err) && err.code === 'unauthenticated' && !err.details)
          await countFailedCredential(request, reply);
        throw err;
      }
      const maxAge = Math.max(1, Math.floor((new Date(started.session.expiresAt).getTime() - Date.now()) / 1000));
      return reply
        .status(201)
        .header('set-cookie', [
          sessionCookie(deps.urls.api, started.secret, maxAge),
          // The password page is done with: its cookie goes.
          ...(cookies[sharePasswordCookieName] === undefined ? [] : [pendingPasswordCookie(deps.urls.api, '', 0)]),
        ])
        .header('cache-control', 'no-store')
        .send(started.session);
    },
  );

  app.get(
    '/api/share-sessions/current',
    {
      schema: {
        operationId: 'getShareSession',
        tags,
        summary: "This browser's share session: the share's policy and assets (the page after a reload)",
        response: { 200: SessionSchema, ...errorResponses(401, 403) },
      },
    },
    async (request) => getShareSession(deps, guestContext(request)),
  );

  app.delete(
    '/api/share-sessions/current',
    {
      schema: {
        operationId: 'endShareSession',
        tags,
        summary: "Sign this browser's share session out",
        response: { 204: Type.Null(), ...errorResponses(401, 403) },
      },
    },
    async (request, reply) => {
      if (request.shareGuest) await endShareSession(deps, guestContext(request));
      return reply
        .header('set-cookie', sessionCookie(deps.urls.api, '', 0))
        .status(204)
        .send(null);
    },
  );

  app.put(
    '/api/share-sessions/current/name',
    {
      schema: {
        operationId: 'setShareGuestName',
        tags,
        summary: "The guest's display name: on their comments and, when the watermark asks, burnt in",
        body: Type.Object({ name: Text(200, { minLength: 1 }) }, { additionalProperties: false }),
        response: { 200: SessionSchema, ...errorResponses(400, 401, 403) },
      },
    },
    async (request) => setShareGuestName(deps, guestContext(request), request.body.name),
  );

  app.post(
    '/api/share-sessions/current/assets/:assetId/playback',
    {
      schema: {
        operationId: 'getSharePlayback',
        tags,
        summary:
          'Edge URLs to play an asset of the share: five minutes, its content only; call again while playing to renew',
        description:
          "The first call for a version in a session is its play start in the audit trail. 'preparing': the preview (or watermarked set) is being built.",
        params: assetParams,
        response: { 200: PlaybackSchema, ...errorResponses(401, 403, 404, 409) },
      },
    },
    async (request) => getSharePlayback(deps, guestContext(request), request.params.assetId),
  );

  app.get(
    '/api/share-sessions/current/assets/:assetId/download',
    {
      schema: {
        operationId: 'downloadShareAsset',
        tags,
        summary: 'Download an asset of the share as its policy allows (audited): the MP4 (a redirect) or the master',
        params: assetParams,
        querystring: Type.Object({ kind: oneOf(['proxy', 'master'] as const, { default: 'proxy' }) }),
        response: {
          200: Type.Unsafe<unknown>({
            type: 'string',
            format: 'binary',
            maxLength: Number.MAX_SAFE_INTEGER,
            description: 'the master (application/octet-stream)',
          }),
          302: Type.Null({ description: 'to a one-file edge URL of the MP4 (five minutes)' }),
          ...errorResponses(401, 403, 404, 409),
        },
      },
    },
    async (request, reply) => {
      const download = await downloadShareAsset(
        deps,
        guestContext(request),
        request.params.assetId,
        request.query.kind ?? 'proxy',
      );
      if ('redirect' in download) return reply.header('cache-control', 'no-store').redirect(download.redirect, 302);
      return reply
        .type(download.contentType)
        .header('content-length', String(download.size))
        .header('content-disposition', attachmentDisposition(download.fileName))
        .send(download.stream);
    },
  );

  app.get(
    '/api/share-sessions/current/assets/:assetId/comments',
    {
      schema: {
        operationId: 'listShareComments',
        tags,
        summary: 'The comments a guest sees on the version the share opens (never internal ones)',
        params: assetParams,
        querystring: Type.Object({ limit: Type.Optional(Int(1, 500, { default: 500 })) }),
        response: { 200: Type.Object({ items: List(Type.Ref(Comment), 500) }), ...errorResponses(401, 403, 404) },
      },
    },
    async (request) =>
      listShareComments(deps, guestContext(request), request.params.assetId, { limit: request.query.limit ?? 500 }),
  );

  app.post(
    '/api/share-sessions/current/assets/:assetId/comments',
    {
      schema: {
        operationId: 'createShareComment',
        tags,
        summary: "A guest's comment on a frame of the version the share opens, or a reply to a visible thread",
        description: 'When the share takes comments, and after the guest gave a name; marked guest, audited.',
        params: assetParams,
        body: Type.Object(
          {
            frame: Type.Optional(Frame),
            endFrame: Type.Optional(Int(0, 2 ** 31 - 1)),
            text: Text(maxCommentText, { minLength: 1 }),
            parentId: Type.Optional(Uuid),
            annotation: Type.Optional(Type.Ref(Annotation)),
          },
          { additionalProperties: false },
        ),
        response: { 201: Type.Ref(Comment), ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request, reply) =>
      reply
        .status(201)
        .send(await createShareComment(deps, guestContext(request), request.params.assetId, request.body)),
  );
};
