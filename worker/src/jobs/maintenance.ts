import { recordActivity } from '@mediavault/core/catalogue/activity';
import { findMastersWithoutFingerprint, setMasterFingerprints } from '@mediavault/core/catalogue/masters-store';
import { forEachLimited } from '@mediavault/core/concurrency';
import { findExpiredUploads, markAborted } from '@mediavault/core/catalogue/uploads-store';
import { withTransaction } from '@mediavault/core/db/pool';
import { isAppError } from '@mediavault/core/errors';
import type { WorkerDeps } from '../worker.ts';
import { fingerprintStored } from './promote.ts';

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

/**
 * Masters promoted before promotion recorded fingerprints get theirs: two ranged reads of 1 MiB
 * each (none up to 2 MiB), at most `limit` a run, so a large archive is done over a few runs
 * without one run reading for hours. A master that cannot be read is left for the next run
 * (and for fixity to report); the others go on.
 */
export async function backfillFingerprints(deps: WorkerDeps, limit = 1000, batch = 100): Promise<number> {
  let attempted = 0;
  let fingerprinted = 0;
  let after: string | null = null;
  while (attempted < limit) {
    const masters = await findMastersWithoutFingerprint(deps.pool, after, Math.min(batch, limit - attempted));
    if (masters.length === 0) break;
    after = masters.at(-1)!.sha256;
    attempted += masters.length;
    const found: { sha256: string; fingerprint: string }[] = [];
    await forEachLimited(masters, 8, async (master) => {
      try {
        const fingerprint = await fingerprintStored(deps.storages.masters, master.storageKey, master);
        found.push({ sha256: master.sha256, fingerprint });
      } catch (err) {
        deps.log.warn({ err, sha256: master.sha256 }, 'could not read a master to fingerprint it');
      }
    });
    await setMasterFingerprints(deps.pool, found);
    fingerprinted += found.length;
  }
  return fingerprinted;
}

export async function handleMaintenance(deps: WorkerDeps): Promise<void> {
  const aborted = await abortExpiredUploads(deps);
  if (aborted > 0) deps.log.info({ aborted }, 'aborted expired uploads');
  const fingerprinted = await backfillFingerprints(deps);
  if (fingerprinted > 0) deps.log.info({ fingerprinted }, 'fingerprinted masters promoted before fingerprints');
}
