import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { errors } from '@mediavault/core/errors';
import { previewKeys } from '@mediavault/core/keys';
import { edgeUrl, signEdgeToken } from '@mediavault/core/signer';
import { defaultPreviewProfile } from '@mediavault/core/jobs';
import { requireCaller } from '../plugins/auth.ts';
import { authorizeAsset, authorizeProject } from '../services/access.ts';
import { Asset, AssetSummary, errorResponses, Uuid } from '../schemas/common.ts';
import { previewShape } from './previews.ts';

const tags = ['assets'];

export const assetRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { pool, config, urls } = app.deps;

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
      const caller = requireCaller(request);
      await authorizeAsset(pool, caller, request.params.assetId, 'asset.read');
      const { rows: assets } = await pool.query(
        `SELECT a.*, c.path AS collection_path FROM assets a LEFT JOIN collections c ON c.id = a.collection_id WHERE a.id = $1`,
        [request.params.assetId],
      );
      const asset = assets[0];
      const { rows: versions } = await pool.query(
        `SELECT v.*, row_to_json(p.*) AS preview,
              coalesce((SELECT json_agg(json_build_object('id', s.id, 'kind', s.kind, 'name', s.name, 'sha256', s.sha256, 'meta', s.meta) ORDER BY s.created_at)
                          FROM sidecars s WHERE s.version_id = v.id), '[]'::json) AS sidecars
         FROM versions v
         LEFT JOIN previews p ON p.sha256 = v.sha256 AND p.profile = $2
        WHERE v.asset_id = $1 ORDER BY v.number DESC`,
        [asset.id, defaultPreviewProfile],
      );
      return {
        id: asset.id,
        projectId: asset.project_id,
        collectionId: asset.collection_id,
        collectionPath: asset.collection_path,
        name: asset.name,
        createdAt: asset.created_at,
        updatedAt: asset.updated_at,
        versions: versions.map((v) => ({
          id: v.id,
          number: v.number,
          sha256: v.sha256,
          size: Number(v.size),
          originalName: v.original_name,
          contentType: v.content_type,
          meta: v.meta,
          technical: v.meta?.technical ?? null,
          loudness: v.meta?.loudness ?? null,
          sidecars: v.sidecars,
          createdAt: v.created_at,
          preview: v.preview ? previewShape(v.preview) : null,
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
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
          cursor: Type.Optional(Type.String({ maxLength: 200 })),
        }),
        response: {
          200: Type.Object({
            items: Type.Array(Type.Ref(AssetSummary)),
            nextCursor: Type.Union([Type.String(), Type.Null()]),
          }),
          ...errorResponses(400, 401, 404),
        },
      },
    },
    async (request) => {
      const caller = requireCaller(request);
      await authorizeProject(pool, caller, request.params.projectId, 'asset.read');
      const limit = request.query.limit ?? 50;
      const after = request.query.cursor ? decodeCursor(request.query.cursor) : null;
      const { rows } = await pool.query(
        `SELECT a.id, a.project_id, a.name, a.created_at, c.path AS collection_path,
              lv.id AS v_id, lv.number AS v_number, lv.sha256 AS v_sha256, lv.size AS v_size
         FROM assets a
         LEFT JOIN collections c ON c.id = a.collection_id
         LEFT JOIN LATERAL (SELECT id, number, sha256, size FROM versions WHERE asset_id = a.id ORDER BY number DESC LIMIT 1) lv ON true
        WHERE a.project_id = $1 AND ($2::timestamptz IS NULL OR (a.created_at, a.id) < ($2::timestamptz, $3::uuid))
        ORDER BY a.created_at DESC, a.id DESC
        LIMIT $4`,
        [request.params.projectId, after?.createdAt ?? null, after?.id ?? null, limit + 1],
      );
      const page = rows.slice(0, limit);
      const last = page[page.length - 1];
      return {
        items: page.map((r) => ({
          id: r.id,
          projectId: r.project_id,
          collectionPath: r.collection_path,
          name: r.name,
          createdAt: r.created_at,
          latestVersion: r.v_id ? { id: r.v_id, number: r.v_number, sha256: r.v_sha256, size: Number(r.v_size) } : null,
        })),
        nextCursor: rows.length > limit && last ? encodeCursor(last.created_at, last.id) : null,
      };
    },
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
            sha256: Type.String(),
            manifestUrl: Type.String(),
            mp4Url: Type.String(),
            posterUrl: Type.String(),
            playerUrl: Type.String(),
            expiresAt: Type.String({ format: 'date-time' }),
            frameRate: Type.Union([Type.Object({ num: Type.Integer(), den: Type.Integer() }), Type.Null()]),
            startTimecode: Type.String(),
          }),
          ...errorResponses(401, 404, 409),
        },
      },
    },
    async (request) => {
      const caller = requireCaller(request);
      await authorizeAsset(pool, caller, request.params.assetId, 'playback');
      const { rows } = await pool.query(
        `SELECT v.id, v.sha256, v.meta, v.original_name, p.status AS preview_status FROM versions v
         LEFT JOIN previews p ON p.sha256 = v.sha256 AND p.profile = $3
        WHERE v.asset_id = $1 AND ($2::uuid IS NULL OR v.id = $2) ORDER BY v.number DESC LIMIT 1`,
        [request.params.assetId, request.query.versionId ?? null, defaultPreviewProfile],
      );
      if (rows.length === 0) throw errors.notFound('version');
      const version = rows[0];
      if (version.preview_status !== 'ready') {
        throw errors.conflict(
          `the preview is ${version.preview_status ?? 'not requested'}; request it with POST /api/preview and retry when ready`,
          { previewStatus: version.preview_status ?? null },
        );
      }
      const sha: string = version.sha256;
      const exp = Math.floor(Date.now() / 1000) + config.previewTtlSeconds;
      const token = signEdgeToken(
        { sha, exp, scope: 'preview' },
        { kid: config.edge.signingKid, secret: config.edge.signingKey },
      );
      const manifestUrl = edgeUrl(urls.edge, token, previewKeys.hlsMaster(sha));
      const frameRate = version.meta?.video?.frameRate ?? null;
      const startTimecode: string = version.meta?.startTimecode ?? '00:00:00:00';
      const player = new URL(`${urls.api}/player/`);
      player.searchParams.set('src', manifestUrl);
      if (frameRate) player.searchParams.set('rate', `${frameRate.num}/${frameRate.den}`);
      player.searchParams.set('tc', startTimecode);
      player.searchParams.set('title', version.original_name);
      return {
        assetId: request.params.assetId,
        versionId: version.id,
        sha256: sha,
        manifestUrl,
        mp4Url: edgeUrl(urls.edge, token, previewKeys.mp4(sha)),
        posterUrl: edgeUrl(urls.edge, token, previewKeys.poster(sha)),
        playerUrl: player.toString(),
        expiresAt: new Date(exp * 1000).toISOString(),
        frameRate,
        startTimecode,
      };
    },
  );
};

function encodeCursor(createdAt: Date, id: string): string {
  return Buffer.from(JSON.stringify([createdAt.toISOString(), id])).toString('base64url');
}

function decodeCursor(cursor: string): { createdAt: string; id: string } {
  try {
    const [createdAt, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [string, string];
    if (Number.isNaN(Date.parse(createdAt)) || !/^[0-9a-f-]{36}$/.test(id)) throw new Error('shape');
    return { createdAt, id };
  } catch {
    throw errors.badRequest('cursor is not valid: pass the nextCursor of a previous page', {
      field: 'querystring.cursor',
    });
  }
}
