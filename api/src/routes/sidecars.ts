import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { requestContext } from '../plugins/auth.ts';
import { ByteSize, errorResponses, List, Sha256, Uuid } from '../schemas/common.ts';
import { createSidecar, maxSidecarBytes } from '../services/sidecars.ts';

export const sidecarRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { deps } = app;

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
          201: Type.Object({ sha256: Sha256, size: ByteSize, sidecarIds: List(Uuid, 10_000) }),
          ...errorResponses(400, 401, 403, 404, 413),
        },
      },
    },
    async (request, reply) => reply.status(201).send(await createSidecar(deps, requestContext(request), request.body)),
  );
};
