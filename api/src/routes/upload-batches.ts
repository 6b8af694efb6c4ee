import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { requestContext } from '../plugins/auth.ts';
import { ByteSize, errorResponses, Sha256, Text, Url, Uuid } from '../schemas/common.ts';
import { Base64Sha256, CompletedItem, Mapping } from '../schemas/uploads.ts';
import {
  completeUploadBatch,
  MAX_FILES_PER_BATCH,
  MAX_WHOLE_OBJECT_BYTES,
  presignUploadBatch,
} from '../services/upload-batches.ts';

const tags = ['uploads'];

/** Small files in bulk: up to 500 per call, each sent in one PUT signed for its sha256 (services/upload-batches.ts). */
export const uploadBatchRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { deps } = app;

  app.post(
    '/api/uploads/batch',
    {
      schema: {
        operationId: 'presignUploadBatch',
        tags,
        summary: 'Start up to 500 small uploads at once, or learn which bytes are already in masters',
        description: `For files of at most ${MAX_WHOLE_OBJECT_BYTES} bytes whose sha256 is known before sending. Each file gets one URL that takes the whole file in one PUT with the header x-amz-checksum-sha256 (the base64 sha256, given back as checksumSha256); the store refuses other bytes. Files already in masters answer "duplicate" and get no URL. Finish with completeUploadBatch. Invalid input anywhere refuses the whole batch and starts nothing.`,
        body: Type.Object(
          {
            projectId: Uuid,
            files: Type.Array(
              Type.Object(
                {
                  name: Type.String({ minLength: 1, maxLength: 1024 }),
                  size: ByteSize,
                  sha256: Sha256,
                  contentType: Type.Optional(Type.String({ maxLength: 255 })),
                },
                { additionalProperties: false },
              ),
              { minItems: 1, maxItems: MAX_FILES_PER_BATCH },
            ),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            files: Type.Array(
              Type.Union([
                Type.Object({
                  status: Type.Literal('upload'),
                  uploadId: Uuid,
                  stagingKey: Text(2048),
                  url: Url,
                  checksumSha256: Base64Sha256,
                  stored: Type.Boolean({
                    description:
                      'true when this is an unfinished upload of the same file (same name, size and sha256, started by you) whose bytes the store already holds: skip the PUT and complete it',
                  }),
                }),
                Type.Object({
                  status: Type.Literal('duplicate'),
                  sha256: Sha256,
                  versionId: Uuid,
                  assetId: Uuid,
                  size: ByteSize,
                }),
              ]),
              { maxItems: MAX_FILES_PER_BATCH, description: 'one entry per file, in the order given' },
            ),
            expiresAt: Type.String({
              format: 'date-time',
              maxLength: 40,
              description: 'when the URLs expire (presignUploadParts with part 1 gives a fresh one)',
            }),
            uploadExpiresAt: Type.String({
              format: 'date-time',
              maxLength: 40,
              description: 'after this the uploads are aborted',
            }),
          }),
          ...errorResponses(400, 401, 403, 404, 413),
        },
      },
    },
    async (request) => presignUploadBatch(deps, requestContext(request), request.body),
  );

  app.post(
    '/api/uploads/batch/complete',
    {
      schema: {
        operationId: 'completeUploadBatch',
        tags,
        summary: 'Complete up to 500 whole-object uploads at once, promoting those that say so',
        description:
          "Each upload must have been started by presignUploadBatch and its file PUT. With `promote` (the mapping, as for promote) the upload goes on to promotion with the sha256 declared when it was started: a promotion job verifies the staged bytes, copies them into masters and creates the asset/version; watch the upload (events or getUpload). Each upload answers on its own: one that cannot be completed (not PUT yet, expired, another project's rights) reports an error and the others go on. An invalid mapping refuses the whole batch and changes nothing.",
        body: Type.Object(
          {
            uploads: Type.Array(
              Type.Object(
                {
                  uploadId: Uuid,
                  etag: Type.Optional(
                    Type.String({
                      minLength: 1,
                      maxLength: 256,
                      description: 'the ETag the PUT answered; the staged object must still have it',
                    }),
                  ),
                  promote: Type.Optional(Mapping),
                },
                { additionalProperties: false },
              ),
              { minItems: 1, maxItems: MAX_FILES_PER_BATCH },
            ),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            uploads: Type.Array(CompletedItem, {
              maxItems: MAX_FILES_PER_BATCH,
              description: 'one entry per upload, in the order given',
            }),
          }),
          ...errorResponses(400, 401),
        },
      },
    },
    async (request) =>
      completeUploadBatch(deps, requestContext(request), request.body.uploads, (err, uploadId) =>
        request.log.error({ err, uploadId }, 'batch completion failed for one upload'),
      ),
  );
};
