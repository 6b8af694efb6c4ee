import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { claimPreview } from '@mediavault/core/catalogue/previews-store';
import { errors } from '@mediavault/core/errors';
import { defaultPreviewProfile, queues, sendOptions } from '@mediavault/core/jobs';
import { previewPressure, previewPriority } from '@mediavault/core/backpressure';
import { previewBacklog } from '@mediavault/core/queue';
import { requireCaller } from '../plugins/auth.ts';
import { authorizeSha } from '../services/access.ts';
import { errorResponses, PreviewState, Sha256 } from '../schemas/common.ts';

const tags = ['previews'];
const Profile = Type.String({ pattern: '^[a-z0-9-]{1,32}$', default: defaultPreviewProfile });

export const previewRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { pool, boss, config } = app.deps;

  app.post(
    '/api/preview',
    {
      schema: {
        operationId: 'requestPreview',
        tags,
        summary: 'Build the preview set of a master (idempotent: one build per sha256 and profile)',
        description:
          'Answers 200 when ready, else 202 with the state and a Retry-After header (seconds); when the queue is behind, Retry-After grows and new builds drop non-critical outputs first.',
        body: Type.Object(
          {
            sha256: Sha256,
            profile: Type.Optional(Profile),
            rebuild: Type.Optional(Type.Boolean({ description: 'build again even if ready' })),
            priority: Type.Optional(
              Type.Union([Type.Literal('interactive'), Type.Literal('bulk')], {
                description: 'interactive (default: someone is waiting) outranks bulk (ingest)',
              }),
            ),
          },
          { additionalProperties: false },
        ),
        response: { 202: Type.Ref(PreviewState), 200: Type.Ref(PreviewState), ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      const caller = requireCaller(request);
      const { sha256, profile = defaultPreviewProfile, rebuild = false, priority = 'interactive' } = request.body;
      await authorizeSha(pool, caller, sha256, 'preview.request');
      const { row, enqueue } = await claimPreview(pool, sha256, profile, rebuild);
      const key = sendOptions.preview(sha256, profile).singletonKey;
      if (enqueue) {
        await boss.send(
          queues.preview,
          { sha256, profile },
          sendOptions.preview(sha256, profile, previewPriority[priority]),
        );
      } else if (row.status === 'queued' && priority === 'interactive') {
        // Someone is now waiting for a preview that ingest queued at bulk priority: move it up.
        await boss
          .update(queues.preview, undefined, { singletonKey: key, priority: previewPriority.interactive })
          .catch(() => {});
      }
      if (row.status !== 'ready') {
        const pressure = previewPressure(await previewBacklog(pool), config.previewBacklogSeconds);
        reply.header('retry-after', String(pressure.retryAfterSeconds));
      }
      return reply.status(row.status === 'ready' ? 200 : 202).send(previewShape(row));
    },
  );

  app.get(
    '/api/previews/:sha256',
    {
      schema: {
        operationId: 'getPreview',
        tags,
        summary: 'State of the preview set of a master',
        params: Type.Object({ sha256: Sha256 }),
        querystring: Type.Object({ profile: Type.Optional(Profile) }),
        response: { 200: Type.Ref(PreviewState), ...errorResponses(401, 404) },
      },
    },
    async (request) => {
      const caller = requireCaller(request);
      await authorizeSha(pool, caller, request.params.sha256, 'asset.read');
      const { rows } = await pool.query('SELECT * FROM previews WHERE sha256 = $1 AND profile = $2', [
        request.params.sha256,
        request.query.profile ?? defaultPreviewProfile,
      ]);
      if (rows.length === 0) throw errors.notFound('preview (none requested yet)');
      return previewShape(rows[0]);
    },
  );
};

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function previewShape(row: any) {
  return {
    sha256: row.sha256,
    profile: row.profile,
    status: row.status,
    encoder: row.encoder,
    outputs: row.outputs,
    error: row.error,
    updatedAt: row.updated_at,
  };
}
