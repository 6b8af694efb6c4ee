import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { defaultPreviewProfile, previewProfiles } from '@mediavault/core/jobs';
import { requestContext } from '../plugins/auth.ts';
import { errorResponses, PreviewState, Sha256 } from '../schemas/common.ts';
import { getPreview, requestPreview } from '../services/previews.ts';

const tags = ['previews'];
const Profile = Type.Union(
  previewProfiles.map((p) => Type.Literal(p)),
  { default: defaultPreviewProfile, description: 'the preview profile (a closed set)' },
);

export const previewRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { deps } = app;

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
      const { sha256, profile = defaultPreviewProfile, rebuild = false, priority = 'interactive' } = request.body;
      const { preview, retryAfterSeconds } = await requestPreview(deps, requestContext(request), {
        sha256,
        profile,
        rebuild,
        priority,
      });
      if (retryAfterSeconds !== null) reply.header('retry-after', String(retryAfterSeconds));
      return reply.status(preview.status === 'ready' ? 200 : 202).send(preview);
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
    async (request) =>
      getPreview(deps, requestContext(request), request.params.sha256, request.query.profile ?? defaultPreviewProfile),
  );
};
