/**
 * Small files in bulk. A NAS ingest is mostly small files, where four round trips
 * and a dozen catalogue writes per file (presign, PUT, complete, promote) cost far
 * more than the bytes: a batch takes up to 500 files per call, each sent in one
 * presigned PUT of the whole object signed for its sha256.
 */
import { randomUUID } from 'node:crypto';
import { withTransaction } from '@mediavault/core/db/pool';
import { AppError, errors, type ErrorCode } from '@mediavault/core/errors';
import { sendJobs } from '@mediavault/core/jobs';
import { stagingKey } from '@mediavault/core/keys';
import { normalizeAssetName } from '@mediavault/core/promotion';
import type { Action } from '@mediavault/core/roles';
import { recordActivities, type ActivityInput } from '@mediavault/core/catalogue/activity';
import { insertQueuedJobs } from '@mediavault/core/catalogue/jobs-store';
import {
  findResumableWholeObjectUploads,
  findUploads,
  insertWholeObjectUploads,
  moveUploads,
  type BatchMove,
  type Upload,
  type UploadMapping,
} from '@mediavault/core/catalogue/uploads-store';
import { findVersionsByShaInProjects } from '@mediavault/core/catalogue/versions-store';
import type { ApiDeps, RequestContext } from '../deps.ts';
import { authorizeAsset, authorizeProject, readableProjectIds, type Caller } from './access.ts';
import { checkWholeObject, hexToBase64, lookUpStaged } from './staged-objects.ts';
import { checkMapping, type DuplicateAnswer, type MappingInput } from './uploads.ts';

export const MAX_FILES_PER_BATCH = 500;
/** Above this a file goes through presignUpload (multipart): a whole-object PUT is all or nothing. */
export const MAX_WHOLE_OBJECT_BYTES = 64 * 1024 ** 2;

export interface BatchFile {
  name: string;
  size: number;
  sha256: string;
  contentType?: string;
}

export type BatchFileAnswer =
  | {
      status: 'upload';
      uploadId: string;
      stagingKey: string;
      url: string;
      checksumSha256: string;
      stored: boolean;
    }
  | DuplicateAnswer;

export async function presignUploadBatch(
  deps: ApiDeps,
  { caller, requestId }: RequestContext,
  input: { projectId: string; files: BatchFile[] },
): Promise<{ files: BatchFileAnswer[]; expiresAt: string; uploadExpiresAt: string }> {
  const { pool, storages, config } = deps;
  const staging = storages.staging;
  const { projectId, files } = input;
  await authorizeProject(pool, caller, projectId, 'upload.create');
  files.forEach((file, i) => {
    const field = `body.files[${i}]`;
    try {
      // The whole name, not its last segment: promotion makes it the asset name, which takes no folders.
      normalizeAssetName(file.name);
    } catch (err) {
      throw err instanceof AppError
        ? errors.badRequest(`${field}.name: ${err.message}`, { field: `${field}.name` })
        : err;
    }
    if (file.size > config.maxUploadBytes)
      throw errors.payloadTooLarge(
        `${field}: size ${file.size} exceeds the maximum object size of ${config.maxUploadBytes} bytes`,
      );
    if (file.size > MAX_WHOLE_OBJECT_BYTES)
      throw errors.badRequest(
        `${field}: size ${file.size} is over ${MAX_WHOLE_OBJECT_BYTES} bytes; send it with presignUpload (multipart)`,
        { field: `${field}.size` },
      );
  });

  // Dedup only against content the caller can read (see presignUpload).
  const existing = await findVersionsByShaInProjects(
    pool,
    await readableProjectIds(pool, caller),
    files.map((f) => f.sha256),
  );
  // The same batch started again after a crash: its unfinished uploads are found by content, not created twice.
  const owner = { organizationId: caller.organizationId, projectId, userId: caller.userId };
  const unfinished = await findResumableWholeObjectUploads(
    pool,
    owner,
    files.map((f) => ({ name: f.name.normalize('NFC'), size: f.size, sha256: f.sha256 })),
  );
  const resumed = new Map(unfinished.map((u) => [u.index, u]));
  const staged = await lookUpStaged(
    staging,
    unfinished.filter((u) => u.status !== 'uploaded').map((u) => u.stagingKey),
  );
  const stored = new Set(
    unfinished.filter((u) => u.status === 'uploaded' || staged.get(u.stagingKey)).map((u) => u.id),
  );
  const fresh = files.flatMap((file, index) =>
    existing.has(file.sha256) || resumed.has(index) ? [] : [{ file, index, uploadId: randomUUID() }],
  );
  const batchId = randomUUID();
  const keys = fresh.map(({ file, uploadId }) => stagingKey(caller.organizationId, uploadId, file.name, batchId));
  const urlsExpireAt = new Date(Date.now() + config.uploadUrlTtlSeconds * 1000);
  const uploadExpiresAt = new Date(Date.now() + config.uploadExpiryHours * 3_600_000);
  if (fresh.length > 0) {
    await withTransaction(pool, async (db) => {
      await insertWholeObjectUploads(
        db,
        { ...owner, expiresAt: uploadExpiresAt },
        fresh.map(({ file, uploadId }, i) => ({
          id: uploadId,
          name: file.name.normalize('NFC'),
          size: file.size,
          contentType: file.contentType ?? null,
          sha256: file.sha256,
          stagingKey: keys[i]!,
        })),
      );
      await recordActivities(
        db,
        fresh.map(({ file, uploadId }) => ({
          organizationId: caller.organizationId,
          actorUserId: caller.userId,
          action: 'upload.create',
          subjectType: 'upload',
          subjectId: uploadId,
          projectId,
          requestId,
          data: { name: file.name, size: file.size, transfer: 'put' },
        })),
      );
    });
  }
  const ttl = config.uploadUrlTtlSeconds;
  const urls = await Promise.all(
    fresh.map(({ file }, i) => staging.presignPut(keys[i]!, ttl, { checksumSha256: hexToBase64(file.sha256) })),
  );
  const started = new Map<number, BatchFileAnswer>(
    fresh.map(({ file, index, uploadId }, i) => [
      index,
      {
        status: 'upload',
        uploadId,
        stagingKey: keys[i]!,
        url: urls[i]!,
        checksumSha256: hexToBase64(file.sha256),
        stored: false,
      },
    ]),
  );
  for (const [index, u] of resumed) {
    if (existing.has(files[index]!.sha256)) continue;
    const checksumSha256 = hexToBase64(files[index]!.sha256);
    started.set(index, {
      status: 'upload',
      uploadId: u.id,
      stagingKey: u.stagingKey,
      checksumSha256,
      stored: stored.has(u.id),
      url: await staging.presignPut(u.stagingKey, ttl, { checksumSha256 }),
    });
  }
  const answers = files.map((file, index): BatchFileAnswer => {
    const found = existing.get(file.sha256);
    return (
      started.get(index) ?? {
        status: 'duplicate',
        sha256: file.sha256,
        versionId: found!.versionId,
        assetId: found!.assetId,
        size: found!.size,
      }
    );
  });
  return { files: answers, expiresAt: urlsExpireAt.toISOString(), uploadExpiresAt: uploadExpiresAt.toISOString() };
}

export interface BatchCompletion {
  uploadId: string;
  etag?: string;
  promote?: MappingInput;
}

export interface CompletedItem {
  uploadId: string;
  status: Upload['status'];
  assetId: string | null;
  versionId: string | null;
  error: { code: ErrorCode | string; message: string } | null;
}

function itemOf(upload: Upload): CompletedItem {
  return {
    uploadId: upload.id,
    status: upload.status,
    assetId: upload.assetId,
    versionId: upload.versionId,
    error: upload.error
      ? { code: String(upload.error.code ?? 'failed'), message: String(upload.error.message ?? '') }
      : null,
  };
}

/**
 * Completes whole-object uploads, each answering on its own; those with a mapping go on to
 * promotion. What each upload can move to is decided before anything is written, then all
 * move in one guarded statement: a concurrent call that moved one first wins, and this one
 * reports where that call left it.
 */
export async function completeUploadBatch(
  deps: ApiDeps,
  { caller, requestId }: RequestContext,
  items: BatchCompletion[],
  onInternalError: (err: unknown, uploadId: string) => void,
): Promise<{ uploads: CompletedItem[] }> {
  const { pool, storages, boss } = deps;
  const staging = storages.staging;
  items.forEach((item, i) => {
    if (item.promote) checkMapping(item.promote, `body.uploads[${i}].promote`);
  });

  const uploads = new Map(
    (
      await findUploads(
        pool,
        items.map((i) => i.uploadId),
        caller.organizationId,
      )
    ).map((u) => [u.id, u]),
  );
  const access = accessCache(deps, caller);
  const results = new Map<string, CompletedItem>();
  const fail = (uploadId: string, err: unknown, upload?: Upload) => {
    let error: CompletedItem['error'];
    if (err instanceof AppError) error = { code: err.code, message: err.message };
    else {
      onInternalError(err, uploadId);
      error = { code: 'internal', message: 'internal error; the request id is in the x-request-id header' };
    }
    results.set(uploadId, {
      uploadId,
      status: upload?.status ?? 'uploading',
      assetId: upload?.assetId ?? null,
      versionId: upload?.versionId ?? null,
      error,
    });
  };

  const moves: BatchMove[] = [];
  const pending: { item: BatchCompletion; upload: Upload; mapping: UploadMapping | null }[] = [];
  for (const item of items) {
    const upload = uploads.get(item.uploadId);
    // A batch completes the caller's own uploads (presignUploadBatch started them); another
    // user's upload is as unknown here as one that does not exist.
    if (!upload || upload.userId !== caller.userId) {
      fail(item.uploadId, errors.notFound('upload'));
      continue;
    }
    const mapping = item.promote ? { ...item.promote, projectId: item.promote.projectId ?? upload.projectId } : null;
    try {
      await access.check(upload.projectId, 'upload.create', 'upload');
      if (mapping) {
        await access.check(mapping.projectId, 'asset.promote', 'project');
        // The promotion looks the asset up in the mapping's project: another project's asset would fail there on every retry.
        if (mapping.assetId && (await access.assetProject(mapping.assetId)) !== mapping.projectId) {
          throw errors.badRequest(
            `asset ${mapping.assetId} is not in project ${mapping.projectId}: give the asset's projectId in the mapping`,
            { field: 'promote.assetId' },
          );
        }
      }
    } catch (err) {
      fail(item.uploadId, err, upload);
      continue;
    }
    if (upload.transfer !== 'put')
      fail(item.uploadId, errors.badRequest('a multipart upload is completed with completeUpload'), upload);
    else if (upload.status === 'uploading') pending.push({ item, upload, mapping });
    else if (upload.status === 'uploaded' && mapping)
      moves.push({
        uploadId: upload.id,
        transition: 'promote',
        stagedSha256: upload.stagedSha256,
        stagedEtag: upload.stagedEtag,
        mapping,
      });
    else results.set(upload.id, itemOf(upload));
  }

  const unexpired = pending.filter(({ upload }) => {
    if (upload.expiresAt.getTime() >= Date.now()) return true;
    fail(upload.id, errors.uploadExpired(), upload);
    return false;
  });
  const stagedObjects = await lookUpStaged(
    staging,
    unexpired.map(({ upload }) => upload.stagingKey),
  );
  for (const { item, upload, mapping } of unexpired) {
    try {
      const staged = checkWholeObject(
        upload,
        stagedObjects.get(upload.stagingKey) ?? null,
        item.etag,
        staging.capabilities,
      );
      moves.push({ uploadId: upload.id, transition: mapping ? 'completeAndPromote' : 'complete', ...staged, mapping });
    } catch (err) {
      fail(upload.id, err, upload);
    }
  }

  const promoted: string[] = [];
  if (moves.length > 0) {
    const wasUploading = new Set(moves.filter((m) => m.transition !== 'promote').map((m) => m.uploadId));
    await withTransaction(pool, async (db) => {
      const moved = await moveUploads(db, moves);
      const activities: ActivityInput[] = [];
      const base = {
        organizationId: caller.organizationId,
        actorUserId: caller.userId,
        subjectType: 'upload',
        requestId,
      };
      for (const upload of moved) {
        results.set(upload.id, itemOf(upload));
        if (wasUploading.has(upload.id))
          activities.push({
            ...base,
            action: 'upload.complete',
            subjectId: upload.id,
            projectId: upload.projectId,
            data: { size: upload.size },
          });
        if (upload.status === 'promoting') {
          promoted.push(upload.id);
          activities.push({
            ...base,
            action: 'upload.promote',
            subjectId: upload.id,
            projectId: upload.mapping?.projectId ?? upload.projectId,
            data: { sha256: upload.declaredSha256, mapping: upload.mapping },
          });
        }
      }
      await recordActivities(db, activities);
      await insertQueuedJobs(db, caller.organizationId, 'promote', promoted);
    });
    // Uploads another call moved first: report where they are now.
    const missing = moves.map((m) => m.uploadId).filter((id) => !results.has(id));
    if (missing.length > 0)
      for (const upload of await findUploads(pool, missing)) results.set(upload.id, itemOf(upload));
  }
  // One insert for the whole batch; a job per upload, so each retries (and fails) on its own.
  await sendJobs(
    boss,
    'promote',
    promoted.map((uploadId) => ({ uploadId, requestId })),
  );
  return { uploads: items.map((item) => results.get(item.uploadId)!) };
}

/** Rights per project (and asset) asked once per call, however many uploads share them. */
function accessCache({ pool }: ApiDeps, caller: Caller) {
  const projects = new Map<string, Promise<unknown>>();
  const assets = new Map<string, Promise<string>>();
  // A refusal is reported per upload; the shared promise must not count as unhandled meanwhile.
  const settle = <T>(p: Promise<T>) => {
    p.catch(() => {});
    return p;
  };
  return {
    check(projectId: string, action: Action, what: 'upload' | 'project') {
      const key = `${projectId}:${action}`;
      if (!projects.has(key)) projects.set(key, settle(authorizeProject(pool, caller, projectId, action, what)));
      return projects.get(key)!;
    },
    assetProject(assetId: string) {
      if (!assets.has(assetId))
        assets.set(assetId, settle(authorizeAsset(pool, caller, assetId, 'asset.promote').then((a) => a.projectId)));
      return assets.get(assetId)!;
    },
  };
}
