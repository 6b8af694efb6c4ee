import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { requestContext } from '../plugins/auth.ts';
import {
  Asset,
  AssetSummary,
  DateTime,
  errorResponses,
  Int,
  List,
  Nullable,
  Sha256,
  Text,
  Url,
  Uuid,
} from '../schemas/common.ts';
import { getAsset, getPlayback, listAssets } from '../services/assets.ts';
import { PlayerLabels, PlayerLink, readPlayerLabels } from '../services/player-labels.ts';

const tags = ['assets'];

export const assetRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { deps } = app;

  app.get(
    '/api/assets/:assetId',
    {
      schema: {
        operationId: 'getAsset',
        tags,
        summary: 'An asset with its versions, their technical metadata and preview state',
        params: Type.Object({ assetId: Uuid }),
        response: { 200: Type.Ref(Asset), ...errorResponses(401, 404) },
      },
    },
    async (request) => {
      const asset = await getAsset(deps, requestContext(request), request.params.assetId);
      return {
        ...asset,
        versions: asset.versions.map((v) => ({
          ...v,
          technical: v.meta.technical ?? null,
          loudness: v.meta.loudness ?? null,
        })),
      };
    },
  );

  app.get(
    '/api/projects/:projectId/assets',
    {
      schema: {
        operationId: 'listAssets',
        tags,
        summary: 'Assets of a project, newest first, paged with an opaque cursor',
        params: Type.Object({ projectId: Uuid }),
        querystring: Type.Object({
          limit: Type.Optional(Int(1, 500, { default: 50 })),
          cursor: Type.Optional(Type.String({ maxLength: 200 })),
        }),
        response: {
          200: Type.Object({
            items: List(Type.Ref(AssetSummary), 500),
            nextCursor: Nullable(Text(200)),
          }),
          ...errorResponses(400, 401, 404),
        },
      },
    },
    async (request) =>
      listAssets(deps, requestContext(request), request.params.projectId, {
        limit: request.query.limit ?? 50,
        cursor: request.query.cursor,
      }),
  );

  app.get(
    '/api/assets/:assetId/playback',
    {
      schema: {
        operationId: 'getPlayback',
        tags,
        summary: 'Short-lived signed edge URLs for the preview of a version (latest by default)',
        params: Type.Object({ assetId: Uuid }),
        querystring: Type.Object({ versionId: Type.Optional(Uuid) }),
        response: {
          200: Type.Object({
            assetId: Uuid,
            versionId: Uuid,
            sha256: Sha256,
            manifestUrl: Url,
            mp4Url: Url,
            posterUrl: Url,
            playerUrl: Url,
            expiresAt: DateTime,
            frameRate: Nullable(Type.Object({ num: Int(1, 1_000_000), den: Int(1, 1_000_000) })),
            startTimecode: Text(16, {
              description: "Label of the first frame; ';' before the frames is drop-frame",
            }),
            dropFrame: Type.Boolean({ description: 'Timecode counts drop-frame (29.97 and 59.94 sources only)' }),
            versionNumber: Int(1, 2 ** 31 - 1),
            durationFrames: Nullable(
              Int(0, 2 ** 31 - 1, {
                description:
                  'frames in the version (duration × rate, rounded down), counted as comments count them: at a nominal 25/1 without a video frame rate; null while not known',
              }),
            ),
            spritesVttUrl: Nullable(Url, {
              description: "WebVTT index of the sprite sheet's thumbnails (#xywh= tiles), when the preview has one",
            }),
            waveformUrl: Nullable(Url, {
              description: 'waveform peaks (audiowaveform JSON, as peaks.js reads it), when the preview has them',
            }),
          }),
          ...errorResponses(401, 404, 409),
        },
      },
    },
    async (request) =>
      getPlayback(deps, requestContext(request), request.params.assetId, request.query.versionId ?? null),
  );

  // The reviewer page reads its labels back through here (api/src/services/player-labels.ts).
  // Like the page (routes/player.ts) it is not part of the public API, so it is not in the spec;
  // it takes no bearer token: the signed link is the capability.
  app.post(
    '/player/labels',
    { schema: { hide: true, body: PlayerLink, response: { 200: PlayerLabels } } },
    async (request, reply) => {
      reply.header('cache-control', 'no-store').header('referrer-policy', 'no-referrer');
      return readPlayerLabels(deps.config, request.body);
    },
  );
};
