import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { withTransaction } from '@mediavault/core/db/pool';
import { recordPromotion } from '@mediavault/core/catalogue/promotion-store';
import { recordActivity } from '@mediavault/core/catalogue/activity';
import { claimPreview } from '@mediavault/core/catalogue/previews-store';
import { defaultPreviewProfile, queues, sendOptions, type PromoteJob } from '@mediavault/core/jobs';
import { masterKey } from '@mediavault/core/keys';
import { retainUntil } from '@mediavault/core/promotion';
import { supportsCopy } from '@mediavault/core/storage/index';
import type { Storage } from '@mediavault/core/storage/types';
import type { WorkerDeps } from '../worker.ts';
import { setJobState } from './job-state.ts';
import { sniffContent } from '../media/sniff.ts';
import { previewPriority } from '@mediavault/core/backpressure';

const headBytes = 4096;

/** sha256 and size of a stream, and its first bytes (to tell what kind of content it is). */
export async function sha256OfStream(stream: Readable): Promise<{ sha256: string; size: number; head: Buffer }> {
  const hash = createHash('sha256');
  let size = 0;
  const head: Buffer[] = [];
  for await (const chunk of stream) {
    const buffer = chunk as Buffer;
    hash.update(buffer);
    if (size < headBytes) head.push(buffer.subarray(0, headBytes - size));
    size += buffer.length;
  }
  return { sha256: hash.digest('hex'), size, head: Buffer.concat(head) };
}

/**
 * The sha256 of the staged bytes, computed by this platform from those bytes, never taken
 * from the client: S3 cannot give a whole-object SHA-256 of a multipart object, so they are
 * read and hashed; the fs driver hashed them while assembling, which counts as long as the
 * staged object is unchanged since (same ETag). The first bytes tell what kind of content it is.
 */
async function stagedDigest(staging: Storage, upload: { staging_key: string; size: number | string; staged_sha256: string | null; staged_etag: string | null }, etag: string | undefined) {
  if (upload.staged_sha256 && upload.staged_etag && etag === upload.staged_etag) {
    const size = Number(upload.size);
    const head = size === 0 ? Buffer.alloc(0) : (await sha256OfStream(await staging.get(upload.staging_key, { start: 0, end: Math.min(size, headBytes) - 1 }))).head;
    return { sha256: upload.staged_sha256, size, head };
  }
  return sha256OfStream(await staging.get(upload.staging_key));
}

/**
 * Verifies the staged bytes against the declared sha256 and moves them into the
 * content-addressed masters under retention, then records the asset/version.
 * Idempotent: a re-run after a crash finds the master (or the promoted upload) and
 * goes on from there. A mismatch is final: the upload is failed with a clear error,
 * nothing is written to masters and the staged bytes stay for inspection.
 */
export async function handlePromote(deps: WorkerDeps, job: PromoteJob): Promise<void> {
  const { pool, storages, config, boss } = deps;
  const { rows } = await pool.query('SELECT * FROM uploads WHERE id = $1', [job.uploadId]);
  const upload = rows[0];
  if (!upload || upload.status !== 'promoting') return;
  await setJobState(pool, 'promote', upload.id, 'active');

  const declared: string = upload.declared_sha256;
  // The ETag pins the copy below to the bytes hashed here: a staged object replaced in
  // between is refused by the store instead of being promoted unverified.
  const staged = await storages.staging.head(upload.staging_key);
  const actual = await stagedDigest(storages.staging, upload, staged?.etag);
  if (actual.sha256 !== declared || actual.size !== Number(upload.size)) {
    const error = {
      code: 'checksum_mismatch',
      message: actual.sha256 !== declared
        ? `sha256 of the staged bytes is ${actual.sha256}, the promotion declared ${declared}; nothing was written to masters and the staged object is kept at ${upload.staging_key}`
        : `the staged object has ${actual.size} bytes, the upload declared ${upload.size}`,
      expected: declared,
      actual: actual.sha256,
    };
    await withTransaction(pool, async (db) => {
      await db.query(`UPDATE uploads SET status = 'failed', error = $2, updated_at = now() WHERE id = $1`, [upload.id, error]);
      await recordActivity(db, {
        organizationId: upload.organization_id, actorUserId: upload.user_id, action: 'upload.promote.failed',
        subjectType: 'upload', subjectId: upload.id, projectId: upload.project_id, requestId: job.requestId ?? null, data: error,
      });
    });
    await setJobState(pool, 'promote', upload.id, 'failed', error);
    return;
  }

  const key = masterKey(declared);
  const existing = await storages.masters.head(key);
  const retain = existing?.retainUntil ?? retainUntil(new Date(), config.objectLockDefaultDays);
  if (!existing) {
    const masters = storages.masters;
    if (supportsCopy(masters) && masters.driver === storages.staging.driver) {
      // Server-side: S3 CopyObject (UploadPartCopy above the threshold), a hard link on fs.
      await masters.copyObject(upload.staging_key, key, {
        sourceRole: 'staging',
        ...(staged?.etag ? { sourceEtag: staged.etag } : {}),
        retainUntil: retain,
        ...(upload.content_type ? { contentType: upload.content_type } : {}),
      });
    } else {
      await masters.put(key, await storages.staging.get(upload.staging_key), {
        contentType: upload.content_type ?? undefined,
        retainUntil: retain,
        checksumSha256: Buffer.from(declared, 'hex').toString('base64'),
      });
    }
  }

  const mapping = upload.mapping ?? { projectId: upload.project_id };
  const promoted = await withTransaction(pool, async (db) => {
    await db.query(
      `INSERT INTO masters (sha256, size, storage_key, retain_until) VALUES ($1, $2, $3, $4) ON CONFLICT (sha256) DO NOTHING`,
      [declared, actual.size, key, retain],
    );
    const result = await recordPromotion(db, {
      organizationId: upload.organization_id, userId: upload.user_id, mapping: { ...mapping, projectId: mapping.projectId ?? upload.project_id },
      fileName: upload.name, sha256: declared, size: actual.size, contentType: upload.content_type,
    });
    await db.query(
      `UPDATE uploads SET status = 'promoted', asset_id = $2, version_id = $3, error = NULL, updated_at = now() WHERE id = $1`,
      [upload.id, result.assetId, result.versionId],
    );
    await recordActivity(db, {
      organizationId: upload.organization_id, actorUserId: upload.user_id, action: result.created ? 'version.create' : 'version.reuse',
      subjectType: 'version', subjectId: result.versionId, projectId: mapping.projectId ?? upload.project_id, requestId: job.requestId ?? null,
      data: { sha256: declared, uploadId: upload.id, assetId: result.assetId },
    });
    return result;
  });
  await setJobState(pool, 'promote', upload.id, 'completed');

  // Probe and previews only for what the media tools can read (POST /api/preview still builds on request).
  const kind = sniffContent(actual.head, upload.name);
  if (kind !== 'other') await boss.send(queues.probe, { versionId: promoted.versionId, sha256: declared }, sendOptions.probe(promoted.versionId));
  else await pool.query(`UPDATE versions SET meta = meta || '{"content":"other"}'::jsonb WHERE id = $1`, [promoted.versionId]);
  if (kind === 'media') {
    const { enqueue } = await claimPreview(pool, declared, defaultPreviewProfile);
    if (enqueue) await boss.send(queues.preview, { sha256: declared, profile: defaultPreviewProfile }, sendOptions.preview(declared, defaultPreviewProfile, previewPriority.bulk));
  }

  // The master is verified and recorded: the staged copy has served its purpose.
  await storages.staging.delete(upload.staging_key).catch((err) => deps.log.warn({ err, key: upload.staging_key }, 'could not remove staged object'));
}
