import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { requestContext } from '../plugins/auth.ts';
import {
  ByteSize,
  DateTime,
  errorResponses,
  Int,
  List,
  Nullable,
  PartUrl,
  Sha256,
  Text,
  Upload,
  Uuid,
} from '../schemas/common.ts';
import { Base64Sha256, Mapping } from '../schemas/uploads.ts';
import {
  completeUpload,
  getUpload,
  MAX_URLS_PER_RESPONSE,
  presignUpload,
  presignUploadParts,
  promote,
} from '../services/uploads.ts';

const tags = ['uploads'];

export const uploadRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { deps } = app;

  app.post(
    '/api/presign',
    {
      schema: {
        operationId: 'presignUpload',
        tags,
        summary: 'Start a multipart upload into staging, or learn that the bytes are already in masters',
        body: Type.Object(
          {
            name: Type.String({ minLength: 1, maxLength: 1024 }),
            size: ByteSize,
            projectId: Uuid,
            contentType: Type.Optional(Type.String({ maxLength: 255 })),
            sha256: Type.Optional(Sha256),
            partSize: Type.Optional(Int(5 * 1024 * 1024, 5 * 1024 ** 3)),
            partChecksums: Type.Optional(
              Type.Array(Base64Sha256, {
                maxItems: MAX_URLS_PER_RESPONSE,
                description:
                  'base64 sha256 of parts 1..n, when known before sending (small files): their URLs are presigned for those checksums',
              }),
            ),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Union([
            Type.Object({
              status: Type.Literal('upload'),
              uploadId: Uuid,
              stagingKey: Text(2048),
              partSize: ByteSize,
              partCount: Int(1, 10_000),
              checksums: Type.Union([Type.Literal('required'), Type.Literal('optional')], {
                description:
                  'required: the store verifies every part, so part URLs are only handed out for given checksums (presignUploadParts with parts[].checksumSha256) and each PUT sends x-amz-checksum-sha256; optional: the header is verified when sent',
              }),
              parts: List(Type.Ref(PartUrl), MAX_URLS_PER_RESPONSE),
              expiresAt: DateTime,
              uploadExpiresAt: Type.String({
                format: 'date-time',
                maxLength: 40,
                description: 'after this the upload can no longer be resumed and is aborted',
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
          ...errorResponses(400, 401, 403, 404, 413),
        },
      },
    },
    async (request) => presignUpload(deps, requestContext(request), request.body),
  );

  app.post(
    '/api/uploads/:uploadId/parts',
    {
      schema: {
        operationId: 'presignUploadParts',
        tags,
        summary: 'Presigned URLs for more parts (or the same parts again, after a crash)',
        params: Type.Object({ uploadId: Uuid }),
        body: Type.Object(
          {
            partNumbers: Type.Optional(
              Type.Array(Int(1, 10_000), {
                minItems: 1,
                maxItems: MAX_URLS_PER_RESPONSE,
              }),
            ),
            parts: Type.Optional(
              Type.Array(
                Type.Object(
                  { partNumber: Int(1, 10_000), checksumSha256: Base64Sha256 },
                  { additionalProperties: false },
                ),
                {
                  minItems: 1,
                  maxItems: MAX_URLS_PER_RESPONSE,
                  description: 'parts with their base64 sha256: URLs signed for those checksums',
                },
              ),
            ),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({ parts: List(Type.Ref(PartUrl), MAX_URLS_PER_RESPONSE) }),
          ...errorResponses(400, 401, 403, 404, 409, 410),
        },
      },
    },
    async (request) => presignUploadParts(deps, requestContext(request), request.params.uploadId, request.body),
  );

  app.get(
    '/api/uploads/:uploadId',
    {
      schema: {
        operationId: 'getUpload',
        tags,
        summary: 'Upload state, with the parts already stored while uploading (for resume)',
        params: Type.Object({ uploadId: Uuid }),
        response: { 200: Type.Ref(Upload), ...errorResponses(401, 404) },
      },
    },
    async (request) => {
      const { upload, uploadedParts } = await getUpload(deps, requestContext(request), request.params.uploadId);
      return uploadedParts ? { ...upload, uploadedParts } : upload;
    },
  );

  app.post(
    '/api/uploads/:uploadId/complete',
    {
      schema: {
        operationId: 'completeUpload',
        tags,
        summary: 'Assemble the uploaded parts in staging',
        params: Type.Object({ uploadId: Uuid }),
        body: Type.Object(
          {
            parts: Type.Array(
              Type.Object(
                {
                  partNumber: Int(1, 10_000),
                  etag: Text(256, { minLength: 1 }),
                  checksumSha256: Type.Optional(Base64Sha256),
                },
                { additionalProperties: false },
              ),
              { minItems: 1, maxItems: 10000 },
            ),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Ref(Upload), ...errorResponses(400, 401, 403, 404, 409, 410) },
      },
    },
    async (request) => completeUpload(deps, requestContext(request), request.params.uploadId, request.body),
  );

  app.post(
    '/api/promote',
    {
      schema: {
        operationId: 'promote',
        tags,
        summary: 'Promote staged bytes (or bytes already in masters) into the catalogue',
        description:
          'With uploadId or stagingKey: a promotion job streams the staged object, verifies sha256, copies it into masters under Object Lock and creates the asset/version. Without either: the sha256 must already be a master of the organization (dedup), and the asset/version is created at once.',
        body: Type.Object(
          {
            uploadId: Type.Optional(Uuid),
            stagingKey: Type.Optional(Type.String({ minLength: 1, maxLength: 2048 })),
            sha256: Sha256,
            mapping: Type.Optional(Mapping),
          },
          { additionalProperties: false },
        ),
        response: {
          202: Type.Object({
            status: Type.Literal('promoting'),
            uploadId: Uuid,
            jobId: Nullable(Text(64)),
          }),
          200: Type.Object({
            status: Type.Union([Type.Literal('promoted'), Type.Literal('deduplicated')]),
            uploadId: Type.Union([Uuid, Type.Null()]),
            assetId: Uuid,
            versionId: Uuid,
          }),
          ...errorResponses(400, 401, 403, 404, 409, 410),
        },
      },
    },
    async (request, reply) => {
      const answer = await promote(deps, requestContext(request), request.body);
      return reply.status(answer.status === 'promoting' ? 202 : 200).send(answer);
    },
  );
};
