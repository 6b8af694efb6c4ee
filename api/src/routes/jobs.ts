import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { requireCaller } from '../plugins/auth.ts';
import { requireOrgAdmin } from '../services/access.ts';
import { errorResponses, Uuid } from '../schemas/common.ts';

const Job = Type.Object(
  {
    id: Uuid,
    kind: Type.String({ description: 'promote, probe or preview' }),
    subject: Type.String({ description: 'upload id (promote), version id (probe) or sha256:profile (preview)' }),
    state: Type.Union(
      ['queued', 'active', 'completed', 'failed', 'dead'].map((s) => Type.Literal(s)),
      { description: 'dead: retries exhausted, moved to the dead-letter queue' },
    ),
    attempts: Type.Integer(),
    error: Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()]),
    createdAt: Type.String({ format: 'date-time' }),
    updatedAt: Type.String({ format: 'date-time' }),
  },
  { $id: 'Job' },
);

export const jobRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { pool } = app.deps;
  app.addSchema(Job);

  app.get(
    '/api/jobs',
    {
      schema: {
        operationId: 'listJobs',
        tags: ['previews'],
        summary: 'Background jobs of the organization (organization admins); state=dead lists the dead-letter queue',
        querystring: Type.Object({
          state: Type.Optional(
            Type.Union(['queued', 'active', 'completed', 'failed', 'dead'].map((s) => Type.Literal(s))),
          ),
          kind: Type.Optional(Type.Union([Type.Literal('promote'), Type.Literal('probe'), Type.Literal('preview')])),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
        }),
        response: { 200: Type.Object({ items: Type.Array(Type.Ref(Job)) }), ...errorResponses(400, 401, 403) },
      },
    },
    async (request) => {
      const caller = requireCaller(request);
      requireOrgAdmin(caller);
      // Preview jobs are keyed by content, not organization: they are visible to organizations holding those bytes.
      const { rows } = await pool.query(
        `SELECT j.* FROM jobs j
        WHERE ($2::text IS NULL OR j.state = $2) AND ($3::text IS NULL OR j.kind = $3)
          AND (j.organization_id = $1
               OR (j.organization_id IS NULL AND EXISTS (
                     SELECT 1 FROM versions v JOIN assets a ON a.id = v.asset_id
                      WHERE a.organization_id = $1 AND (v.sha256 = left(j.subject, 64) OR v.id::text = j.subject))))
        ORDER BY j.updated_at DESC LIMIT $4`,
        [caller.organizationId, request.query.state ?? null, request.query.kind ?? null, request.query.limit ?? 100],
      );
      return {
        items: rows.map((r) => ({
          id: r.id,
          kind: r.kind,
          subject: r.subject,
          state: r.state,
          attempts: r.attempts,
          error: r.error,
          createdAt: r.created_at,
          updatedAt: r.updated_at,
        })),
      };
    },
  );
};
