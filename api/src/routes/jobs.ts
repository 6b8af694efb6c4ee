import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { jobStates } from '@mediavault/core/transitions';
import { requestContext } from '../plugins/auth.ts';
import { DateTime, errorResponses, Nullable, Uuid } from '../schemas/common.ts';
import { listJobs } from '../services/jobs.ts';

const JobState = Type.Union(
  jobStates.map((s) => Type.Literal(s)),
  { description: 'dead: retries exhausted, moved to the dead-letter queue' },
);

const Job = Type.Object(
  {
    id: Uuid,
    kind: Type.String({ description: 'promote, probe or preview' }),
    subject: Type.String({ description: 'upload id (promote), version id (probe) or sha256:profile (preview)' }),
    state: JobState,
    attempts: Type.Integer(),
    error: Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()]),
    createdAt: DateTime,
    updatedAt: DateTime,
  },
  { $id: 'Job' },
);

export const jobRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { deps } = app;
  app.addSchema(Job);

  app.get(
    '/api/jobs',
    {
      schema: {
        operationId: 'listJobs',
        tags: ['previews'],
        summary:
          'Background jobs of the organization, newest first, paged (organization admins); state=dead lists the dead-letter queue',
        querystring: Type.Object({
          state: Type.Optional(Type.Union(jobStates.map((s) => Type.Literal(s)))),
          kind: Type.Optional(Type.Union([Type.Literal('promote'), Type.Literal('probe'), Type.Literal('preview')])),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
          cursor: Type.Optional(Type.String({ maxLength: 200, description: 'nextCursor of the previous page' })),
        }),
        response: {
          200: Type.Object({ items: Type.Array(Type.Ref(Job)), nextCursor: Nullable(Type.String()) }),
          ...errorResponses(400, 401, 403),
        },
      },
    },
    async (request) =>
      listJobs(deps, requestContext(request), {
        ...(request.query.state ? { state: request.query.state } : {}),
        ...(request.query.kind ? { kind: request.query.kind } : {}),
        ...(request.query.cursor ? { cursor: request.query.cursor } : {}),
        limit: request.query.limit ?? 100,
      }),
  );
};
