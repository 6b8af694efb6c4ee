import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { requestContext } from '../plugins/auth.ts';
import { ByteSize, errorResponses, Sha256 } from '../schemas/common.ts';
import { matchArchivedContent } from '../services/archive.ts';

/** Files asked about per call. */
const MAX_FILES = 1000;

export const archiveRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { deps } = app;

  app.post(
    '/api/archive/match',
    {
      schema: {
        operationId: 'matchArchivedContent',
        tags: ['uploads'],
        summary: 'Which files may already be archived, by size and fingerprint, before they are read whole',
        description:
          'The fingerprint of a file is the sha256 of its first and last MiB, or of the whole file when it is no larger than 2 MiB. A match is a master of the same size and fingerprint in a project the caller can read: hash the file whole and presign with its sha256 to learn for sure (the answer is then "duplicate" and nothing is sent). Content only other projects hold does not match.',
        body: Type.Object(
          {
            files: Type.Array(
              Type.Object(
                {
                  size: ByteSize,
                  fingerprint: Sha256,
                },
                { additionalProperties: false },
              ),
              { minItems: 1, maxItems: MAX_FILES },
            ),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            matches: Type.Array(Type.Boolean(), {
              maxItems: MAX_FILES,
              description: 'one per file asked about, in order: true when it matches',
            }),
          }),
          ...errorResponses(400, 401),
        },
      },
    },
    async (request) => matchArchivedContent(deps, requestContext(request), request.body.files),
  );
};
