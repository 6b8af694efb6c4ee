import { randomUUID } from 'node:crypto';
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { ObjectInfo, Storage } from '@mediavault/core/storage/types';
import { unquoteEtag } from '@mediavault/core/storage/fs';
import { withTransaction, type Pool, type PoolClient } from '@mediavault/core/db/pool';
import { AppError, errors } from '@mediavault/core/errors';
import { queues, sendOptions } from '@mediavault/core/jobs';
import { stagingKey } from '@mediavault/core/keys';
import { choosePartSize, normalizeAssetName, normalizeCollectionPath, partCount } from '@mediavault/core/promotion';
import { recordPromotion } from '@mediavault/core/catalogue/promotion-store';
import { requireCaller } from '../plugins/auth.ts';
import { authorizeAsset, authorizeProject, type Caller } from '../services/access.ts';
import { recordActivity } from '@mediavault/core/catalogue/activity';
import { errorResponses, PartUrl, Sha256, Upload, Uuid } from '../schemas/common.ts';

const tags = ['uploads'];
/** Part URLs handed out per call; clients ask for more with presignUploadParts. */
const MAX_URLS_PER_RESPONSE = 1000;

export const Base64Sha256 = Type.String({ pattern: '^[A-Za-z0-9+/]{43}=$', description: 'base64 sha256' });

export const Mapping = Type.Object(
  {
    projectId: Type.Optional(Uuid),
    collectionPath: Type.Optional(
      Type.String({ maxLength: 4096, description: 'slash-separated; folders become collections' }),
    ),
    assetName: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
    assetId: Type.Optional(Type.String({ format: 'uuid', description: 'promote as a new version of this asset' })),
  },
  { additionalProperties: false },
);

export const uploadRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { pool, storages, config, boss } = app.deps;
  const staging = storages.staging;

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
            size: Type.Integer({ minimum: 0 }),
            projectId: Uuid,
            contentType: Type.Optional(Type.String({ maxLength: 255 })),
            sha256: Type.Optional(Sha256),
            partSize: Type.Optional(Type.Integer({ minimum: 5 * 1024 * 1024, maximum: 5 * 1024 ** 3 })),
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
              stagingKey: Type.String(),
              partSize: Type.Integer(),
              partCount: Type.Integer(),
              checksums: Type.Union([Type.Literal('required'), Type.Literal('optional')], {
                description:
                  'required: the store verifies every part, so part URLs are only handed out for given checksums (presignUploadParts with parts[].checksumSha256) and each PUT sends x-amz-checksum-sha256; optional: the header is verified when sent',
              }),
              parts: Type.Array(Type.Ref(PartUrl)),
              expiresAt: Type.String({ format: 'date-time' }),
              uploadExpiresAt: Type.String({
                format: 'date-time',
                description: 'after this the upload can no longer be resumed and is aborted',
              }),
            }),
            Type.Object({
              status: Type.Literal('duplicate'),
              sha256: Sha256,
              versionId: Uuid,
              assetId: Uuid,
              size: Type.Integer(),
            }),
          ]),
          ...errorResponses(400, 401, 403, 404, 413),
        },
      },
    },
    async (request) => {
      const caller = requireCaller(request);
      const body = request.body;
      await authorizeProject(pool, caller, body.projectId, 'upload.create');
      // The name becomes the asset's name at promotion: refused now, not after the bytes were sent.
      normalizeAssetName(body.name);
      if (body.size > config.maxUploadBytes)
        throw errors.payloadTooLarge(
          `size ${body.size} exceeds the maximum object size of ${config.maxUploadBytes} bytes`,
        );

      if (body.sha256) {
        const existing = await findOrgVersionBySha(pool, caller.organizationId, body.sha256);
        if (existing)
          return {
            status: 'duplicate' as const,
            sha256: body.sha256,
            versionId: existing.versionId,
            assetId: existing.assetId,
            size: existing.size,
          };
      }

      const partSize = choosePartSize(body.size, body.partSize);
      const parts = partCount(body.size, partSize);
      if (body.partChecksums && body.partChecksums.length > parts) {
        throw errors.badRequest(`partChecksums has ${body.partChecksums.length} entries for ${parts} parts`, {
          field: 'body.partChecksums',
        });
      }
      const uploadId = randomUUID();
      const key = stagingKey(caller.organizationId, uploadId, body.name.split('/').pop()!);
      // S3 verifies part checksums only for uploads created with the algorithm; the fs driver verifies whatever is signed or sent.
      const checksumAlgorithm = staging.driver === 's3' ? ('SHA256' as const) : null;
      // The layout lets a store that assembles parts itself (fs) write each part in place: no copy on completion.
      const { uploadId: storageUploadId } = await staging.createMultipartUpload(key, {
        contentType: body.contentType,
        ...(checksumAlgorithm ? { checksumAlgorithm } : {}),
        layout: { size: body.size, partSize },
      });
      const urlsExpireAt = new Date(Date.now() + config.uploadUrlTtlSeconds * 1000);
      const uploadExpiresAt = new Date(Date.now() + config.uploadExpiryHours * 3_600_000);
      await withTransaction(pool, async (db) => {
        await db.query(
          `INSERT INTO uploads (id, organization_id, project_id, user_id, name, size, content_type, declared_sha256, staging_key, storage_upload_id, part_size, part_count, status, expires_at, checksum_algorithm)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 'uploading', $13, $14)`,
          [
            uploadId,
            caller.organizationId,
            body.projectId,
            caller.userId,
            body.name.normalize('NFC'),
            body.size,
            body.contentType ?? null,
            body.sha256 ?? null,
            key,
            storageUploadId,
            partSize,
            parts,
            uploadExpiresAt,
            checksumAlgorithm,
          ],
        );
        await recordActivity(db, {
          organizationId: caller.organizationId,
          actorUserId: caller.userId,
          action: 'upload.create',
          subjectType: 'upload',
          subjectId: uploadId,
          projectId: body.projectId,
          requestId: request.id,
          data: { name: body.name, size: body.size },
        });
      });
      const requests = checksumAlgorithm
        ? (body.partChecksums ?? []).map((checksumSha256, i) => ({ partNumber: i + 1, checksumSha256 }))
        : Array.from({ length: Math.min(parts, MAX_URLS_PER_RESPONSE) }, (_, i) => ({
            partNumber: i + 1,
            checksumSha256: body.partChecksums?.[i],
          }));
      return {
        status: 'upload' as const,
        uploadId,
        stagingKey: key,
        partSize,
        partCount: parts,
        checksums: checksumAlgorithm ? ('required' as const) : ('optional' as const),
        parts: await presignParts(key, storageUploadId, requests),
        expiresAt: urlsExpireAt.toISOString(),
        uploadExpiresAt: uploadExpiresAt.toISOString(),
      };
    },
  );

  async function presignParts(
    key: string,
    storageUploadId: string,
    requests: { partNumber: number; checksumSha256?: string }[],
  ) {
    return Promise.all(
      requests.map(async ({ partNumber, checksumSha256 }) => ({
        partNumber,
        url: await staging.presignUploadPart(
          key,
          storageUploadId,
          partNumber,
          config.uploadUrlTtlSeconds,
          checksumSha256 ? { checksumSha256 } : {},
        ),
      })),
    );
  }

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
              Type.Array(Type.Integer({ minimum: 1, maximum: 10000 }), {
                minItems: 1,
                maxItems: MAX_URLS_PER_RESPONSE,
              }),
            ),
            parts: Type.Optional(
              Type.Array(
                Type.Object(
                  { partNumber: Type.Integer({ minimum: 1, maximum: 10000 }), checksumSha256: Base64Sha256 },
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
          200: Type.Object({ parts: Type.Array(Type.Ref(PartUrl)) }),
          ...errorResponses(400, 401, 403, 404, 409, 410),
        },
      },
    },
    async (request) => {
      const caller = requireCaller(request);
      const upload = await loadUpload(pool, caller, request.params.uploadId, 'upload.create');
      assertUploading(upload);
      const { partNumbers, parts } = request.body;
      if (!partNumbers === !parts) throw errors.badRequest('pass either partNumbers or parts', { field: 'body' });
      if (partNumbers && upload.checksum_algorithm) {
        throw errors.badRequest('this upload verifies every part: ask for parts with their checksumSha256', {
          field: 'body.parts',
        });
      }
      const requests = parts ?? partNumbers!.map((partNumber) => ({ partNumber }));
      const bad = requests.find((r) => r.partNumber > upload.part_count);
      if (bad !== undefined)
        throw errors.badRequest(`part ${bad.partNumber} is out of range: this upload has ${upload.part_count} parts`, {
          field: parts ? 'body.parts' : 'body.partNumbers',
        });
      const unique = [...new Map(requests.map((r) => [r.partNumber, r])).values()];
      if (upload.transfer === 'put') {
        // One PUT of the whole object, signed for the sha256 declared when the upload started.
        const checksumSha256 = Buffer.from(upload.declared_sha256, 'hex').toString('base64');
        return {
          parts: [
            {
              partNumber: 1,
              url: await staging.presignPut(upload.staging_key, config.uploadUrlTtlSeconds, { checksumSha256 }),
            },
          ],
        };
      }
      return { parts: await presignParts(upload.staging_key, upload.storage_upload_id, unique) };
    },
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
      const caller = requireCaller(request);
      const upload = await loadUpload(pool, caller, request.params.uploadId, 'asset.read');
      const uploadedParts = upload.status === 'uploading' ? await storedParts(staging, upload) : undefined;
      return { ...uploadShape(upload), ...(uploadedParts ? { uploadedParts } : {}) };
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
                  partNumber: Type.Integer({ minimum: 1, maximum: 10000 }),
                  etag: Type.String({ minLength: 1 }),
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
    async (request) => {
      const caller = requireCaller(request);
      const upload = await loadUpload(pool, caller, request.params.uploadId, 'upload.create');
      if (upload.status !== 'uploading') return uploadShape(upload);
      assertUploading(upload);
      if (upload.transfer === 'put') {
        if (request.body.parts.length !== 1 || request.body.parts[0]!.partNumber !== 1)
          throw errors.badRequest('this upload is one PUT of the whole object: complete it with part 1 only', {
            field: 'body.parts',
          });
        const staged = checkWholeObject(
          upload,
          await staging.head(upload.staging_key),
          request.body.parts[0]!.etag,
          staging.driver,
        );
        return uploadShape(await markUploaded(upload, caller, request.id, staged));
      }
      const parts = [...request.body.parts].sort((a, b) => a.partNumber - b.partNumber);
      const missing: number[] = [];
      for (let n = 1; n <= upload.part_count; n++) if (parts[n - 1]?.partNumber !== n) missing.push(n);
      if (missing.length > 0 || parts.length !== upload.part_count) {
        throw errors.badRequest(
          `this upload has ${upload.part_count} parts numbered 1..${upload.part_count}; missing or unexpected: ${missing.slice(0, 10).join(', ') || 'extra parts'}`,
          { field: 'body.parts' },
        );
      }
      let assembled: { sha256?: string; etag?: string } = {};
      try {
        // Stores that verified part checksums want them back on completion: they are the stored parts' own.
        // The client usually sends them; otherwise the store's own record of each part has them.
        const needStored = upload.checksum_algorithm && parts.some((p) => !p.checksumSha256);
        const stored = needStored
          ? new Map(
              (await staging.listParts(upload.staging_key, upload.storage_upload_id)).map((p) => [
                p.partNumber,
                p.checksumSha256,
              ]),
            )
          : null;
        assembled = await staging.completeMultipartUpload(
          upload.staging_key,
          upload.storage_upload_id,
          parts.map((p) => {
            const checksumSha256 = p.checksumSha256 ?? stored?.get(p.partNumber);
            return checksumSha256 && upload.checksum_algorithm
              ? { partNumber: p.partNumber, etag: p.etag, checksumSha256 }
              : { partNumber: p.partNumber, etag: p.etag };
          }),
        );
      } catch (err) {
        if (err instanceof AppError) throw err;
        throw errors.badRequest(`the store refused to complete the upload: ${(err as Error).message}`, {
          field: 'body.parts',
        });
      }
      const head = await staging.head(upload.staging_key);
      if (!head || head.size !== Number(upload.size)) {
        throw errors.badRequest(
          `the assembled object has ${head?.size ?? 0} bytes, the upload declared ${upload.size}`,
          { field: 'body.parts' },
        );
      }
      const staged = {
        stagedSha256: assembled.sha256 ?? null,
        stagedEtag: assembled.sha256 ? (assembled.etag ?? head.etag ?? null) : null,
      };
      return uploadShape(await markUploaded(upload, caller, request.id, staged));
    },
  );

  async function markUploaded(
    upload: UploadRow,
    caller: Caller,
    requestId: string,
    staged: { stagedSha256: string | null; stagedEtag: string | null },
  ): Promise<UploadRow> {
    return withTransaction(pool, async (db) => {
      const { rows } = await db.query(
        `UPDATE uploads SET status = 'uploaded', staged_sha256 = $2, staged_etag = $3, updated_at = now() WHERE id = $1 RETURNING *`,
        [upload.id, staged.stagedSha256, staged.stagedEtag],
      );
      await recordActivity(db, {
        organizationId: caller.organizationId,
        actorUserId: caller.userId,
        action: 'upload.complete',
        subjectType: 'upload',
        subjectId: upload.id,
        projectId: upload.project_id,
        requestId,
        data: { size: Number(upload.size) },
      });
      return rows[0];
    });
  }

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
            jobId: Type.Union([Type.String(), Type.Null()]),
          }),
          200: Type.Object({
            status: Type.Union([Type.Literal('promoted'), Type.Literal('deduplicated')]),
            uploadId: Type.Union([Uuid, Type.Null()]),
            assetId: Uuid,
            versionId: Uuid,
          }),
          ...errorResponses(400, 401, 403, 404, 409),
        },
      },
    },
    async (request, reply) => {
      const caller = requireCaller(request);
      const { sha256, mapping = {} } = request.body;
      normalizeCollectionPath(mapping.collectionPath);
      if (mapping.assetName !== undefined) normalizeAssetName(mapping.assetName);

      if (!request.body.uploadId && !request.body.stagingKey) {
        if (!mapping.projectId)
          throw errors.badRequest('mapping.projectId is required when promoting without an upload', {
            field: 'body.mapping.projectId',
          });
        return promoteExistingMaster(caller, request.id, sha256, { ...mapping, projectId: mapping.projectId });
      }

      const upload = request.body.uploadId
        ? await loadUpload(pool, caller, request.body.uploadId, 'asset.promote')
        : await loadUploadByStagingKey(pool, caller, request.body.stagingKey!);
      if (upload.status === 'promoted')
        return reply
          .status(200)
          .send({
            status: 'promoted' as const,
            uploadId: upload.id,
            assetId: upload.asset_id,
            versionId: upload.version_id,
          });
      if (upload.status === 'promoting')
        return reply.status(202).send({ status: 'promoting' as const, uploadId: upload.id, jobId: null });
      if (upload.status === 'uploading')
        throw errors.conflict('the upload is not complete yet: call completeUpload first', { status: upload.status });
      if (upload.status === 'aborted') throw errors.gone('the upload was aborted');
      const projectId = mapping.projectId ?? upload.project_id;
      await authorizeProject(pool, caller, projectId, 'asset.promote');
      if (mapping.assetId) await authorizeTargetAsset(caller, mapping.assetId, projectId);

      // Only the request that moves the upload to 'promoting' sends the job: promote is idempotent.
      const moved = await withTransaction(pool, async (db) => {
        const { rows } = await db.query(
          `UPDATE uploads SET status = 'promoting', mapping = $2, declared_sha256 = $3, error = NULL, updated_at = now()
          WHERE id = $1 AND status IN ('uploaded', 'failed') RETURNING id`,
          [upload.id, { ...mapping, projectId }, sha256],
        );
        if (rows.length === 0) return false;
        await db.query(
          `INSERT INTO jobs (organization_id, kind, subject, state) VALUES ($1, 'promote', $2, 'queued')`,
          [caller.organizationId, upload.id],
        );
        await recordActivity(db, {
          organizationId: caller.organizationId,
          actorUserId: caller.userId,
          action: 'upload.promote',
          subjectType: 'upload',
          subjectId: upload.id,
          projectId,
          requestId: request.id,
          data: { sha256, mapping },
        });
        return true;
      });
      const jobId = moved
        ? await boss.send(
            queues.promote,
            { uploadId: upload.id, requestId: request.id },
            sendOptions.promote(upload.id),
          )
        : null;
      return reply.status(202).send({ status: 'promoting' as const, uploadId: upload.id, jobId });
    },
  );

  /** A new version goes into an asset of the mapping's project (where the promotion looks it up). */
  async function authorizeTargetAsset(caller: Caller, assetId: string, projectId: string): Promise<void> {
    const asset = await authorizeAsset(pool, caller, assetId, 'asset.promote');
    if (asset.projectId !== projectId) {
      throw errors.badRequest(
        'mapping.assetId is an asset of another project: give that project as mapping.projectId',
        { field: 'body.mapping.assetId' },
      );
    }
  }

  async function promoteExistingMaster(
    caller: Caller,
    requestId: string,
    sha256: string,
    mapping: { projectId: string; collectionPath?: string; assetName?: string; assetId?: string },
  ) {
    await authorizeProject(pool, caller, mapping.projectId, 'asset.promote');
    if (mapping.assetId) await authorizeTargetAsset(caller, mapping.assetId, mapping.projectId);
    const existing = await findOrgVersionBySha(pool, caller.organizationId, sha256);
    if (!existing) throw errors.notFound('master with this sha256 in your organization');
    const result = await withTransaction(pool, async (db) => {
      const promoted = await recordPromotion(db, {
        organizationId: caller.organizationId,
        userId: caller.userId,
        mapping,
        fileName: mapping.assetName ?? existing.originalName,
        sha256,
        size: existing.size,
        contentType: existing.contentType,
      });
      await recordActivity(db, {
        organizationId: caller.organizationId,
        actorUserId: caller.userId,
        action: 'asset.promote.dedup',
        subjectType: 'version',
        subjectId: promoted.versionId,
        projectId: mapping.projectId,
        requestId,
        data: { sha256 },
      });
      return promoted;
    });
    return { status: 'deduplicated' as const, uploadId: null, assetId: result.assetId, versionId: result.versionId };
  }
};

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type UploadRow = any;

/** Parts the store holds for an upload still in progress (resume); a whole-object upload has part 1 once its PUT landed. */
async function storedParts(staging: Storage, upload: UploadRow) {
  if (upload.transfer !== 'put') return staging.listParts(upload.staging_key, upload.storage_upload_id);
  const head = await staging.head(upload.staging_key);
  // The store took this object only with the sha256 its URL was signed for.
  return head
    ? [
        {
          partNumber: 1,
          etag: head.etag ?? '',
          size: head.size,
          checksumSha256: Buffer.from(upload.declared_sha256, 'hex').toString('base64'),
        },
      ]
    : [];
}

/**
 * Checks the staged object of a whole-object upload (one PUT, signed for the declared
 * sha256) and says what promotion may take as its digest. The fs driver hashed every
 * byte it staged and refused any that did not match the signed sha256, so the declared
 * sha256 is the staged bytes' own for as long as the object keeps this ETag; on S3 the
 * promotion job reads and hashes the staged bytes itself.
 */
export function checkWholeObject(
  upload: UploadRow,
  head: ObjectInfo | null,
  etag: string | undefined,
  driver: Storage['driver'],
): { stagedSha256: string | null; stagedEtag: string | null } {
  if (!head)
    throw errors.conflict('the file has not been PUT to its URL yet (or the PUT failed): send it, then complete', {
      status: 'uploading',
    });
  if (head.size !== Number(upload.size))
    throw errors.badRequest(`the staged object has ${head.size} bytes, the upload declared ${upload.size}`, {
      field: 'size',
    });
  if (etag !== undefined && head.etag !== undefined && unquoteEtag(etag) !== unquoteEtag(head.etag)) {
    throw errors.badRequest(
      `ETag ${etag} does not match the staged object (${head.etag}): it was replaced since that PUT`,
      { field: 'etag' },
    );
  }
  return driver === 'fs' && head.etag
    ? { stagedSha256: upload.declared_sha256, stagedEtag: head.etag }
    : { stagedSha256: null, stagedEtag: null };
}

async function loadUpload(
  db: Pool | PoolClient,
  caller: Caller,
  uploadId: string,
  action: Parameters<typeof authorizeProject>[3],
): Promise<UploadRow> {
  const { rows } = await db.query('SELECT * FROM uploads WHERE id = $1 AND organization_id = $2', [
    uploadId,
    caller.organizationId,
  ]);
  if (rows.length === 0) throw errors.notFound('upload');
  await authorizeProject(db, caller, rows[0].project_id, action).catch((err) => {
    throw err instanceof AppError && err.code === 'not_found' ? errors.notFound('upload') : err;
  });
  return rows[0];
}

async function loadUploadByStagingKey(db: Pool | PoolClient, caller: Caller, key: string): Promise<UploadRow> {
  // Another organization's staging key answers 404, exactly like a key that does not exist.
  const { rows } = await db.query('SELECT id FROM uploads WHERE staging_key = $1 AND organization_id = $2', [
    key,
    caller.organizationId,
  ]);
  if (rows.length === 0) throw errors.notFound('upload with this staging key');
  return loadUpload(db, caller, rows[0].id, 'asset.promote');
}

function assertUploading(upload: UploadRow): void {
  if (upload.status !== 'uploading')
    throw errors.conflict(`the upload is ${upload.status}, not uploading`, { status: upload.status });
  if (new Date(upload.expires_at).getTime() < Date.now()) throw errors.gone('the upload has expired; start a new one');
}

/** The first version of each sha256 the organization holds (dedup for a batch). */
export async function findOrgVersionsBySha(db: Pool | PoolClient, organizationId: string, sha256s: string[]) {
  const { rows } = await db.query(
    `SELECT DISTINCT ON (v.sha256) v.sha256, v.id, v.asset_id, v.size FROM versions v JOIN assets a ON a.id = v.asset_id
      WHERE v.sha256 = ANY($1::text[]) AND a.organization_id = $2 ORDER BY v.sha256, v.created_at`,
    [[...new Set(sha256s)], organizationId],
  );
  return new Map(
    rows.map((r) => [
      r.sha256 as string,
      { versionId: r.id as string, assetId: r.asset_id as string, size: Number(r.size) },
    ]),
  );
}

async function findOrgVersionBySha(db: Pool | PoolClient, organizationId: string, sha256: string) {
  const { rows } = await db.query(
    `SELECT v.id, v.asset_id, v.size, v.original_name, v.content_type FROM versions v JOIN assets a ON a.id = v.asset_id
      WHERE v.sha256 = $1 AND a.organization_id = $2 ORDER BY v.created_at LIMIT 1`,
    [sha256, organizationId],
  );
  if (rows.length === 0) return null;
  return {
    versionId: rows[0].id as string,
    assetId: rows[0].asset_id as string,
    size: Number(rows[0].size),
    originalName: rows[0].original_name as string,
    contentType: rows[0].content_type as string | null,
  };
}

export function uploadShape(row: UploadRow) {
  return {
    id: row.id,
    projectId: row.project_id,
    name: row.name,
    size: Number(row.size),
    stagingKey: row.staging_key,
    partSize: Number(row.part_size),
    partCount: row.part_count,
    transfer: row.transfer,
    status: row.status,
    assetId: row.asset_id,
    versionId: row.version_id,
    error: row.error,
    expiresAt: row.expires_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
