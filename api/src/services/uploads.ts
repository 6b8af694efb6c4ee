/**
 * Uploads, one file at a time: start a multipart (or whole-object) upload into staging,
 * hand out part URLs, complete it, and ask for its promotion into masters. Every status
 * change is a guarded transition (core/src/transitions.ts): a request in the wrong state
 * gets 409 invalid_state (or 410 for an expired or aborted upload), never a store error.
 */
import { randomUUID } from 'node:crypto';
import { withTransaction, type Queryable } from '@mediavault/core/db/pool';
import { AppError, errors } from '@mediavault/core/errors';
import { sendJob } from '@mediavault/core/jobs';
import { stagingKey } from '@mediavault/core/keys';
import { choosePartSize, normalizeAssetName, normalizeCollectionPath, partCount } from '@mediavault/core/promotion';
import type { Action } from '@mediavault/core/roles';
import { recordActivity } from '@mediavault/core/catalogue/activity';
import { insertQueuedJobs } from '@mediavault/core/catalogue/jobs-store';
import { recordPromotion } from '@mediavault/core/catalogue/promotion-store';
import {
  findUpload,
  findUploadIdByStagingKey,
  insertMultipartUpload,
  lockUpload,
  markPromoting,
  markUploaded,
  type Upload,
  type UploadMapping,
} from '@mediavault/core/catalogue/uploads-store';
import { findVersionByShaInProjects } from '@mediavault/core/catalogue/versions-store';
import type { UploadedPart } from '@mediavault/core/storage/types';
import type { ApiDeps, RequestContext } from '../deps.ts';
import { authorizeAsset, authorizeProject, readableProjectIds, type Caller } from './access.ts';
import { checkWholeObject, hexToBase64, storedParts } from './staged-objects.ts';

/** Part URLs handed out per call; clients ask for more with presignUploadParts. */
export const MAX_URLS_PER_RESPONSE = 1000;

export interface MappingInput {
  projectId?: string;
  collectionPath?: string;
  assetName?: string;
  assetId?: string;
}

/** An upload of the caller's organization the caller may act on; 404 otherwise. */
export async function loadUpload(db: Queryable, caller: Caller, uploadId: string, action: Action): Promise<Upload> {
  const upload = await findUpload(db, caller.organizationId, uploadId);
  if (!upload) throw errors.notFound('upload');
  await authorizeProject(db, caller, upload.projectId, action, 'upload');
  return upload;
}

/** Refuses, with the code that says why, an upload that can no longer take parts or a completion. */
function assertAcceptsParts(upload: Upload): void {
  if (upload.status === 'aborted') throw errors.uploadAborted();
  if (upload.status !== 'uploading')
    throw errors.invalidState(`the upload is ${upload.status}: it takes no more parts`, upload.status);
  if (upload.expiresAt.getTime() < Date.now()) throw errors.uploadExpired();
}

/**
 * Refuses a mapping the promotion job would refuse on every retry; with `field`, the
 * refusal names where in a batch the mapping is.
 */
export function checkMapping(mapping: MappingInput, field?: string): void {
  try {
    normalizeCollectionPath(mapping.collectionPath);
    if (mapping.assetName !== undefined) normalizeAssetName(mapping.assetName);
  } catch (err) {
    throw err instanceof AppError && field ? errors.badRequest(`${field}: ${err.message}`, { field }) : err;
  }
}

/** A new version goes into an asset of the mapping's project (where the promotion looks it up). */
export async function authorizeTargetAsset(
  db: Queryable,
  caller: Caller,
  assetId: string,
  projectId: string,
  field = 'body.mapping.assetId',
): Promise<void> {
  const asset = await authorizeAsset(db, caller, assetId, 'asset.promote');
  if (asset.projectId !== projectId) {
    throw errors.badRequest(`asset ${assetId} is an asset of another project: give that project as mapping.projectId`, {
      field,
    });
  }
}

/** The bytes are already a master of the organization: nothing to send. */
export interface DuplicateAnswer {
  status: 'duplicate';
  sha256: string;
  versionId: string;
  assetId: string;
  size: number;
}

export type PresignAnswer =
  | {
      status: 'upload';
      uploadId: string;
      stagingKey: string;
      partSize: number;
      partCount: number;
      checksums: 'required' | 'optional';
      parts: { partNumber: number; url: string }[];
      expiresAt: string;
      uploadExpiresAt: string;
    }
  | DuplicateAnswer;

export async function presignUpload(
  deps: ApiDeps,
  { caller, requestId }: RequestContext,
  input: {
    name: string;
    size: number;
    projectId: string;
    contentType?: string;
    sha256?: string;
    partSize?: number;
    partChecksums?: string[];
  },
): Promise<PresignAnswer> {
  const { pool, storages, config } = deps;
  await authorizeProject(pool, caller, input.projectId, 'upload.create');
  // The name becomes the asset's name at promotion: refused now, not after the bytes were sent.
  normalizeAssetName(input.name);
  if (input.size > config.maxUploadBytes)
    throw errors.payloadTooLarge(
      `size ${input.size} exceeds the maximum object size of ${config.maxUploadBytes} bytes`,
    );

  if (input.sha256) {
    // Already archived where the caller can see it: nothing to send. Held only elsewhere: an
    // ordinary upload, and the verified bytes become a version pointing at the same master.
    const existing = await findVersionByShaInProjects(pool, await readableProjectIds(pool, caller), input.sha256);
    if (existing)
      return {
        status: 'duplicate',
        sha256: input.sha256,
        versionId: existing.versionId,
        assetId: existing.assetId,
        size: existing.size,
      };
  }

  const partSize = choosePartSize(input.size, input.partSize);
  const parts = partCount(input.size, partSize);
  if (input.partChecksums && input.partChecksums.length > parts) {
    throw errors.badRequest(`partChecksums has ${input.partChecksums.length} entries for ${parts} parts`, {
      field: 'body.partChecksums',
    });
  }
  const uploadId = randomUUID();
  const key = stagingKey(caller.organizationId, uploadId, input.name.split('/').pop()!);
  const staging = storages.staging;
  // A store that verifies part checksums only for uploads declared with the algorithm (S3) gets it declared.
  const checksumAlgorithm = staging.capabilities.partChecksums === 'when-upload-declares' ? ('SHA256' as const) : null;
  // The layout lets a store that assembles parts itself (fs) write each part in place: no copy on completion.
  const { uploadId: storageUploadId } = await staging.createMultipartUpload(key, {
    contentType: input.contentType,
    ...(checksumAlgorithm ? { checksumAlgorithm } : {}),
    layout: { size: input.size, partSize },
  });
  const urlsExpireAt = new Date(Date.now() + config.uploadUrlTtlSeconds * 1000);
  const uploadExpiresAt = new Date(Date.now() + config.uploadExpiryHours * 3_600_000);
  try {
    await withTransaction(pool, async (db) => {
      await insertMultipartUpload(db, {
        id: uploadId,
        organizationId: caller.organizationId,
        projectId: input.projectId,
        userId: caller.userId,
        name: input.name.normalize('NFC'),
        size: input.size,
        contentType: input.contentType ?? null,
        declaredSha256: input.sha256 ?? null,
        stagingKey: key,
        storageUploadId,
        partSize,
        partCount: parts,
        expiresAt: uploadExpiresAt,
        checksumAlgorithm,
      });
      await recordActivity(db, {
        organizationId: caller.organizationId,
        actorUserId: caller.userId,
        action: 'upload.create',
        subjectType: 'upload',
        subjectId: uploadId,
        projectId: input.projectId,
        requestId,
        data: { name: input.name, size: input.size },
      });
    });
  } catch (err) {
    // The catalogue refused the upload: the store forgets it too, so nothing is left behind.
    await staging.abortMultipartUpload(key, storageUploadId).catch(() => {});
    throw err;
  }
  const requests = checksumAlgorithm
    ? (input.partChecksums ?? []).map((checksumSha256, i) => ({ partNumber: i + 1, checksumSha256 }))
    : Array.from({ length: Math.min(parts, MAX_URLS_PER_RESPONSE) }, (_, i) => ({
        partNumber: i + 1,
        checksumSha256: input.partChecksums?.[i],
      }));
  return {
    status: 'upload',
    uploadId,
    stagingKey: key,
    partSize,
    partCount: parts,
    checksums: checksumAlgorithm ? 'required' : 'optional',
    parts: await presignPartUrls(deps, key, storageUploadId, requests),
    expiresAt: urlsExpireAt.toISOString(),
    uploadExpiresAt: uploadExpiresAt.toISOString(),
  };
}

async function presignPartUrls(
  { storages, config }: ApiDeps,
  key: string,
  storageUploadId: string,
  requests: { partNumber: number; checksumSha256?: string | undefined }[],
): Promise<{ partNumber: number; url: string }[]> {
  return Promise.all(
    requests.map(async ({ partNumber, checksumSha256 }) => ({
      partNumber,
      url: await storages.staging.presignUploadPart(
        key,
        storageUploadId,
        partNumber,
        config.uploadUrlTtlSeconds,
        checksumSha256 ? { checksumSha256 } : {},
      ),
    })),
  );
}

export async function presignUploadParts(
  deps: ApiDeps,
  { caller }: RequestContext,
  uploadId: string,
  input: { partNumbers?: number[]; parts?: { partNumber: number; checksumSha256: string }[] },
): Promise<{ parts: { partNumber: number; url: string }[] }> {
  const upload = await loadUpload(deps.pool, caller, uploadId, 'upload.create');
  assertAcceptsParts(upload);
  const { partNumbers, parts } = input;
  if (!partNumbers === !parts) throw errors.badRequest('pass either partNumbers or parts', { field: 'body' });
  if (partNumbers && upload.checksumAlgorithm) {
    throw errors.badRequest('this upload verifies every part: ask for parts with their checksumSha256', {
      field: 'body.parts',
    });
  }
  const requests: { partNumber: number; checksumSha256?: string }[] =
    parts ?? partNumbers!.map((partNumber) => ({ partNumber }));
  const outOfRange = requests.find((r) => r.partNumber > upload.partCount);
  if (outOfRange !== undefined)
    throw errors.badRequest(
      `part ${outOfRange.partNumber} is out of range: this upload has ${upload.partCount} parts`,
      { field: parts ? 'body.parts' : 'body.partNumbers' },
    );
  if (upload.transfer === 'put') {
    // One PUT of the whole object, signed for the sha256 declared when the upload started.
    const checksumSha256 = hexToBase64(upload.declaredSha256!);
    const url = await deps.storages.staging.presignPut(upload.stagingKey, deps.config.uploadUrlTtlSeconds, {
      checksumSha256,
    });
    return { parts: [{ partNumber: 1, url }] };
  }
  const unique = [...new Map(requests.map((r) => [r.partNumber, r])).values()];
  return { parts: await presignPartUrls(deps, upload.stagingKey, upload.storageUploadId ?? '', unique) };
}

/** The upload, with the parts the store holds while it is still uploading (for resume). */
export async function getUpload(
  deps: ApiDeps,
  { caller }: RequestContext,
  uploadId: string,
): Promise<{ upload: Upload; uploadedParts: UploadedPart[] | null }> {
  const upload = await loadUpload(deps.pool, caller, uploadId, 'asset.read');
  const uploadedParts = upload.status === 'uploading' ? await storedParts(deps.storages.staging, upload) : null;
  return { upload, uploadedParts };
}

export interface CompletedPartInput {
  partNumber: number;
  etag: string;
  checksumSha256?: string;
}

/**
 * Assembles the parts in staging: uploading → uploaded. Completions of one upload run one
 * at a time (the row is locked while the store assembles): a second completion, from a
 * second run of the same ingest, waits and then answers the upload as the first left it,
 * so it learns the file is done instead of assembling parts that are gone.
 */
export async function completeUpload(
  deps: ApiDeps,
  { caller, requestId }: RequestContext,
  uploadId: string,
  input: { parts: CompletedPartInput[] },
): Promise<Upload> {
  const { pool, storages } = deps;
  const staging = storages.staging;
  const found = await loadUpload(pool, caller, uploadId, 'upload.create');
  if (found.status !== 'uploading') return found;
  assertAcceptsParts(found);
  const parts = [...input.parts].sort((a, b) => a.partNumber - b.partNumber);
  if (found.transfer === 'put') {
    if (parts.length !== 1 || parts[0]!.partNumber !== 1)
      throw errors.badRequest('this upload is one PUT of the whole object: complete it with part 1 only', {
        field: 'body.parts',
      });
  } else {
    const missing: number[] = [];
    for (let n = 1; n <= found.partCount; n++) if (parts[n - 1]?.partNumber !== n) missing.push(n);
    if (missing.length > 0 || parts.length !== found.partCount) {
      throw errors.badRequest(
        `this upload has ${found.partCount} parts numbered 1..${found.partCount}; missing or unexpected: ${missing.slice(0, 10).join(', ') || 'extra parts'}`,
        { field: 'body.parts' },
      );
    }
  }

  return withTransaction(pool, async (db) => {
    const upload = await lockUpload(db, found.id);
    // Another completion got here first: answer the upload as it left it.
    if (upload?.status !== 'uploading') return upload ?? found;
    const staged =
      upload.transfer === 'put'
        ? checkWholeObject(upload, await staging.head(upload.stagingKey), parts[0]!.etag, staging.capabilities)
        : await assembleParts(deps, upload, parts);
    const completed = await markUploaded(db, upload.id, staged);
    if (!completed) throw errors.invalidState(`the upload is ${upload.status}, not uploading`, upload.status);
    await recordActivity(db, {
      organizationId: caller.organizationId,
      actorUserId: caller.userId,
      action: 'upload.complete',
      subjectType: 'upload',
      subjectId: upload.id,
      projectId: upload.projectId,
      requestId,
      data: { size: upload.size },
    });
    return completed;
  });
}

/** Has the store assemble a multipart upload's parts, and checks what it assembled. */
async function assembleParts(
  { storages }: ApiDeps,
  upload: Upload,
  parts: CompletedPartInput[],
): Promise<{ stagedSha256: string | null; stagedEtag: string | null }> {
  const staging = storages.staging;
  const storageUploadId = upload.storageUploadId ?? '';
  let assembled: { sha256?: string; etag?: string };
  try {
    // Stores that verified part checksums want them back on completion: they are the stored parts' own.
    // The client usually sends them; otherwise the store's own record of each part has them.
    const needStored = upload.checksumAlgorithm && parts.some((p) => !p.checksumSha256);
    const stored = needStored
      ? new Map(
          (await staging.listParts(upload.stagingKey, storageUploadId)).map((p) => [p.partNumber, p.checksumSha256]),
        )
      : null;
    assembled = await staging.completeMultipartUpload(
      upload.stagingKey,
      storageUploadId,
      parts.map((p) => {
        const checksumSha256 = p.checksumSha256 ?? stored?.get(p.partNumber);
        return checksumSha256 && upload.checksumAlgorithm
          ? { partNumber: p.partNumber, etag: p.etag, checksumSha256 }
          : { partNumber: p.partNumber, etag: p.etag };
      }),
    );
  } catch (err) {
    if (err instanceof AppError) throw err;
    // The store's own words may name its internals: keep its error code only.
    const code = (err as { name?: unknown }).name;
    throw errors.badRequest(
      `the store refused to assemble the parts${typeof code === 'string' && /^[A-Za-z]{1,64}$/.test(code) && code !== 'Error' ? ` (${code})` : ''}: check the part numbers and ETags`,
      { field: 'body.parts' },
    );
  }
  const head = await staging.head(upload.stagingKey);
  if (!head || head.size !== upload.size) {
    throw errors.badRequest(`the assembled object has ${head?.size ?? 0} bytes, the upload declared ${upload.size}`, {
      field: 'body.parts',
    });
  }
  return assembled.sha256
    ? { stagedSha256: assembled.sha256, stagedEtag: assembled.etag ?? head.etag ?? null }
    : { stagedSha256: null, stagedEtag: null };
}

export type PromoteAnswer =
  | { status: 'promoting'; uploadId: string; jobId: string | null }
  | { status: 'promoted' | 'deduplicated'; uploadId: string | null; assetId: string; versionId: string };

/** Where an upload's promotion stands, for an upload already past the promote transition. */
function promotionState(upload: Upload): PromoteAnswer {
  switch (upload.status) {
    case 'promoted':
      return { status: 'promoted', uploadId: upload.id, assetId: upload.assetId!, versionId: upload.versionId! };
    case 'promoting':
      return { status: 'promoting', uploadId: upload.id, jobId: null };
    case 'uploading':
      throw errors.uploadIncomplete('the upload is not complete yet: call completeUpload first');
    case 'aborted':
      throw errors.uploadAborted();
    default:
      throw errors.invalidState(`the upload is ${upload.status}`, upload.status);
  }
}

/**
 * Promotion of staged bytes (a promotion job verifies and copies them) or, without an
 * upload, of bytes already in masters (the version is recorded at once). Idempotent:
 * only the request that moves the upload to promoting sends the job.
 */
export async function promote(
  deps: ApiDeps,
  ctx: RequestContext,
  input: { uploadId?: string; stagingKey?: string; sha256: string; mapping?: MappingInput },
): Promise<PromoteAnswer> {
  const { pool, boss } = deps;
  const { caller, requestId } = ctx;
  const { sha256, mapping = {} } = input;
  checkMapping(mapping);

  if (!input.uploadId && !input.stagingKey) {
    if (!mapping.projectId)
      throw errors.badRequest('mapping.projectId is required when promoting without an upload', {
        field: 'body.mapping.projectId',
      });
    return promoteExistingMaster(deps, ctx, sha256, { ...mapping, projectId: mapping.projectId });
  }

  let uploadId = input.uploadId;
  if (!uploadId) {
    // Another organization's staging key answers 404, exactly like a key that does not exist.
    uploadId = (await findUploadIdByStagingKey(pool, caller.organizationId, input.stagingKey!)) ?? undefined;
    if (!uploadId) throw errors.notFound('upload with this staging key');
  }
  const upload = await loadUpload(pool, caller, uploadId, 'asset.promote');
  if (upload.status !== 'uploaded' && upload.status !== 'failed') return promotionState(upload);
  const projectId = mapping.projectId ?? upload.projectId;
  await authorizeProject(pool, caller, projectId, 'asset.promote');
  if (mapping.assetId) await authorizeTargetAsset(pool, caller, mapping.assetId, projectId);

  const target: UploadMapping = { ...mapping, projectId };
  const moved = await withTransaction(pool, async (db) => {
    const promoting = await markPromoting(db, upload.id, { mapping: target, declaredSha256: sha256 });
    if (!promoting) return false;
    await insertQueuedJobs(db, caller.organizationId, 'promote', [upload.id]);
    await recordActivity(db, {
      organizationId: caller.organizationId,
      actorUserId: caller.userId,
      action: 'upload.promote',
      subjectType: 'upload',
      subjectId: upload.id,
      projectId,
      requestId,
      data: { sha256, mapping },
    });
    return true;
  });
  // Another request moved it first: answer where it is now.
  if (!moved) return promotionState((await findUpload(pool, caller.organizationId, upload.id)) ?? upload);
  const jobId = await sendJob(boss, 'promote', { uploadId: upload.id, requestId });
  return { status: 'promoting', uploadId: upload.id, jobId };
}

async function promoteExistingMaster(
  { pool }: ApiDeps,
  { caller, requestId }: RequestContext,
  sha256: string,
  mapping: UploadMapping,
): Promise<PromoteAnswer> {
  await authorizeProject(pool, caller, mapping.projectId, 'asset.promote');
  if (mapping.assetId) await authorizeTargetAsset(pool, caller, mapping.assetId, mapping.projectId);
  // Without an upload the caller proves nothing about the bytes: they must already see them.
  const existing = await findVersionByShaInProjects(pool, await readableProjectIds(pool, caller), sha256);
  if (!existing) throw errors.notFound('version with this sha256 in a project you can read');
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
  return { status: 'deduplicated', uploadId: null, assetId: result.assetId, versionId: result.versionId };
}
