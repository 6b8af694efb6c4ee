import { recordActivity } from '@mediavault/core/catalogue/activity';
import { findExpiredUploads, markAborted } from '@mediavault/core/catalogue/uploads-store';
import { withTransaction } from '@mediavault/core/db/pool';
import { isAppError } from '@mediavault/core/errors';
import type { WorkerDeps } from '../worker.ts';

/**
 * Uploads nobody finished before their expiry (UPLOAD_EXPIRY_HOURS) are aborted:
 * the store frees their parts (an S3 bucket otherwise bills for them forever) and
 * the catalogue marks them aborted, so a late resume gets a clear 410.
 */
export async function abortExpiredUploads(deps: WorkerDeps, now = new Date(), batch = 500): Promise<number> {
  let aborted = 0;
  for (const upload of await findExpiredUploads(deps.pool, now, batch)) {
    try {
      // A whole-object upload (one PUT) has at most its object to remove.
      if (upload.transfer === 'put') await deps.storages.staging.delete(upload.stagingKey);
      else await deps.storages.staging.abortMultipartUpload(upload.stagingKey, upload.storageUploadId ?? '');
    } catch (err) {
      // Already gone from the store (aborted by a lifecycle rule, or an earlier run): the catalogue still needs updating.
      if (!isAppError(err) || err.code !== 'not_found') throw err;
    }
    const done = await withTransaction(deps.pool, async (db) => {
      if (!(await markAborted(db, upload.id))) return false;
      await recordActivity(db, {
        organizationId: upload.organizationId,
        actorUserId: null,
        action: 'upload.abort.expired',
        subjectType: 'upload',
        subjectId: upload.id,
        projectId: upload.projectId,
      });
      return true;
    });
    if (done) aborted++;
  }
  return aborted;
}

export async function handleMaintenance(deps: WorkerDeps): Promise<void> {
  const aborted = await abortExpiredUploads(deps);
  if (aborted > 0) deps.log.info({ aborted }, 'aborted expired uploads');
}
