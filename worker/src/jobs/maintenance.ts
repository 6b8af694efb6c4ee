import { recordActivity } from '@mediavault/core/catalogue/activity';
import { isAppError } from '@mediavault/core/errors';
import type { WorkerDeps } from '../worker.ts';

/**
 * Uploads nobody finished before their expiry (UPLOAD_EXPIRY_HOURS) are aborted:
 * the store frees their parts (an S3 bucket otherwise bills for them forever) and
 * the catalogue marks them aborted, so a late resume gets a clear 409.
 */
export async function abortExpiredUploads(deps: WorkerDeps, now = new Date(), batch = 500): Promise<number> {
  const { rows } = await deps.pool.query<{
    id: string;
    organization_id: string;
    project_id: string;
    staging_key: string;
    storage_upload_id: string;
    transfer: string;
  }>(
    `SELECT id, organization_id, project_id, staging_key, storage_upload_id, transfer FROM uploads
      WHERE status = 'uploading' AND expires_at < $1 ORDER BY expires_at LIMIT $2`,
    [now, batch],
  );
  let aborted = 0;
  for (const upload of rows) {
    try {
      // A whole-object upload (one PUT) has at most its object to remove.
      if (upload.transfer === 'put') await deps.storages.staging.delete(upload.staging_key);
      else await deps.storages.staging.abortMultipartUpload(upload.staging_key, upload.storage_upload_id);
    } catch (err) {
      // Already gone from the store (aborted by a lifecycle rule, or an earlier run): the catalogue still needs updating.
      if (!isAppError(err) || err.code !== 'not_found') throw err;
    }
    const updated = await deps.pool.query(
      `UPDATE uploads SET status = 'aborted', updated_at = now() WHERE id = $1 AND status = 'uploading'`,
      [upload.id],
    );
    if (updated.rowCount) {
      aborted++;
      await recordActivity(deps.pool, {
        organizationId: upload.organization_id,
        actorUserId: null,
        action: 'upload.abort.expired',
        subjectType: 'upload',
        subjectId: upload.id,
        projectId: upload.project_id,
      });
    }
  }
  return aborted;
}

export async function handleMaintenance(deps: WorkerDeps): Promise<void> {
  const aborted = await abortExpiredUploads(deps);
  if (aborted > 0) deps.log.info({ aborted }, 'aborted expired uploads');
}
