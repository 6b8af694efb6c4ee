import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { jobStates } from '@mediavault/core/transitions';
import { requestContext } from '../plugins/auth.ts';
import { Count, DateTime, errorResponses, Int, List, Nullable, Text, Uuid } from '../schemas/common.ts';
import { listJobs } from '../services/jobs.ts';

const JobState = Type.Union(
  jobStates.map((s) => Type.Literal(s)),
  { description: 'dead: retries exhausted, moved to the dead-letter queue' },
);

const Job = Type.Object(
  {
    id: Uuid,
    kind: Text(32, { description: 'promote, probe or preview' }),
    subject: Text(128, { description: 'upload id (promote), version id (probe) or sha256:profile (preview)' }),
    state: JobState,
    attempts: Count,
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
          limit: Type.Optional(Int(1, 500, { default: 100 })),
          cursor: Type.Optional(Type.String({ maxLength: 200, description: 'nextCursor of the previous page' })),
        }),
        response: {
          200: Type.Object({ items: List(Type.Ref(Job), 500), nextCursor: Nullable(Text(200)) }),
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
