import { createHash } from 'node:crypto';
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { withTransaction } from '@mediavault/core/db/pool';
import { errors } from '@mediavault/core/errors';
import { requireCaller } from '../plugins/auth.ts';
import { authorizeAsset } from '../services/access.ts';
import { recordActivity } from '@mediavault/core/catalogue/activity';
import { errorResponses, Uuid } from '../schemas/common.ts';

const maxSidecarBytes = 10 * 1024 * 1024;

/** Documents that travel with media (ASC MHL manifests, delivery PDFs), stored content-addressed in the docs store. */
export function sidecarKey(sha256: string): string {
  return `sidecars/${sha256.slice(0, 2)}/${sha256}`;
}

export const sidecarRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { pool, storages } = app.deps;

  app.post(
    '/api/sidecars',
    {
      bodyLimit: Math.ceil(maxSidecarBytes * 1.4) + 4096,
      schema: {
        operationId: 'createSidecar',
        tags: ['assets'],
        summary: 'Attach a document (e.g. the ASC MHL an ingest was verified against) to versions',
        body: Type.Object(
          {
            versionIds: Type.Array(Uuid, { minItems: 1, maxItems: 10_000 }),
            kind: Type.Union([Type.Literal('ascmhl'), Type.Literal('document')]),
            name: Type.String({ minLength: 1, maxLength: 255, pattern: '^[^/\\\\\\u0000-\\u001f]+$' }),
            content: Type.String({
              contentEncoding: 'base64',
              maxLength: Math.ceil(maxSidecarBytes / 3) * 4,
              description: 'the document, base64 (at most 10 MiB)',
            }),
          },
          { additionalProperties: false },
        ),
        response: {
          201: Type.Object({ sha256: Type.String(), size: Type.Integer(), sidecarIds: Type.Array(Uuid) }),
          ...errorResponses(400, 401, 403, 404, 413),
        },
      },
    },
    async (request, reply) => {
      const caller = requireCaller(request);
      const { versionIds, kind, name, content } = request.body;
      if (!/^[A-Za-z0-9+/]*={0,2}$/.test(content))
        throw errors.badRequest('content is not base64', { field: 'body.content' });
      const bytes = Buffer.from(content, 'base64');
      if (bytes.length > maxSidecarBytes) throw errors.payloadTooLarge('a sidecar may be at most 10 MiB');
      const unique = [...new Set(versionIds)];
      const { rows } = await pool.query<{ id: string; asset_id: string }>(
        `SELECT v.id, v.asset_id FROM versions v JOIN assets a ON a.id = v.asset_id WHERE v.id = ANY($1::uuid[]) AND a.organization_id = $2`,
        [unique, caller.organizationId],
      );
      if (rows.length !== unique.length) throw errors.notFound('version');
      for (const assetId of new Set(rows.map((r) => r.asset_id)))
        await authorizeAsset(pool, caller, assetId, 'asset.promote');

      const sha256 = createHash('sha256').update(bytes).digest('hex');
      const key = sidecarKey(sha256);
      if (!(await storages.docs.head(key)))
        await storages.docs.put(key, bytes, { checksumSha256: createHash('sha256').update(bytes).digest('base64') });
      const sidecarIds = await withTransaction(pool, async (db) => {
        const ids: string[] = [];
        for (const versionId of unique) {
          const existing = await db.query<{ id: string }>(
            'SELECT id FROM sidecars WHERE version_id = $1 AND kind = $2 AND sha256 = $3',
            [versionId, kind, sha256],
          );
          if (existing.rows[0]) {
            ids.push(existing.rows[0].id);
            continue;
          }
          const inserted = await db.query<{ id: string }>(
            `INSERT INTO sidecars (version_id, kind, name, storage_key, sha256, meta) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
            [versionId, kind, name.normalize('NFC'), key, sha256, { size: bytes.length }],
          );
          ids.push(inserted.rows[0]!.id);
        }
        await recordActivity(db, {
          organizationId: caller.organizationId,
          actorUserId: caller.userId,
          action: 'sidecar.attach',
          subjectType: 'sidecar',
          subjectId: sha256,
          requestId: request.id,
          data: { kind, name, versions: unique.length },
        });
        return ids;
      });
      return reply.status(201).send({ sha256, size: bytes.length, sidecarIds });
    },
  );
};
