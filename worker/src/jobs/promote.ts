import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { forEachLimited } from '@mediavault/core/concurrency';
import { withTransaction, type PoolClient } from '@mediavault/core/db/pool';
import { recordPromotions } from '@mediavault/core/catalogue/promotion-store';
import { recordActivities, recordActivity } from '@mediavault/core/catalogue/activity';
import { claimPreview } from '@mediavault/core/catalogue/previews-store';
import { transitionJob, transitionJobs } from '@mediavault/core/catalogue/jobs-store';
import { recordMasters } from '@mediavault/core/catalogue/masters-store';
import {
  findPromotingUploads,
  markPromoted,
  markPromotionFailed,
  type Upload,
} from '@mediavault/core/catalogue/uploads-store';
import { markVersionsNotMedia } from '@mediavault/core/catalogue/versions-store';
import { defaultPreviewProfile, sendJob, sendJobs, type PromoteJob } from '@mediavault/core/jobs';
import { fingerprintIsSha256, fingerprintOf, fingerprintRanges } from '@mediavault/core/fingerprint';
import { masterKey } from '@mediavault/core/keys';
import { retainUntil } from '@mediavault/core/promotion';
import { canCopyFrom } from '@mediavault/core/storage/copy';
import type { Storage } from '@mediavault/core/storage/types';
import type { WorkerDeps } from '../worker.ts';
import { sniffContent } from '../media/sniff.ts';

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
async function stagedDigest(
  staging: Storage,
  upload: Pick<Upload, 'stagingKey' | 'size' | 'stagedSha256' | 'stagedEtag'>,
  etag: string | undefined,
) {
  if (upload.stagedSha256 && upload.stagedEtag && etag === upload.stagedEtag) {
    const size = upload.size;
    const head =
      size === 0
        ? Buffer.alloc(0)
        : (await sha256OfStream(await staging.get(upload.stagingKey, { start: 0, end: Math.min(size, headBytes) - 1 })))
            .head;
    return { sha256: upload.stagedSha256, size, head };
  }
  return sha256OfStream(await staging.get(upload.stagingKey));
}

/**
 * The fingerprint of verified bytes (core/src/fingerprint.ts): up to 2 MiB it is their sha256,
 * above that the sha256 of their first and last MiB, two ranged reads of `key` in `storage`.
 */
export async function fingerprintStored(
  storage: Storage,
  key: string,
  object: { sha256: string; size: number },
): Promise<string> {
  if (fingerprintIsSha256(object.size)) return object.sha256;
  const ends = await Promise.all(
    fingerprintRanges(object.size).map(async ([start, end]) => {
      const chunks: Buffer[] = [];
      for await (const chunk of await storage.get(key, { start, end: end - 1 })) chunks.push(chunk as Buffer);
      const bytes = Buffer.concat(chunks);
      if (bytes.length !== end - start)
        throw new Error(`${key}: read ${bytes.length} bytes of the range ${start}-${end - 1}`);
      return bytes;
    }),
  );
  return fingerprintOf(ends);
}

/** A verified upload whose bytes are in masters, ready for its catalogue rows. */
interface Verified {
  upload: Upload;
  size: number;
  head: Buffer;
  masterKey: string;
  retainUntil: Date;
  fingerprint: string;
}

/**
 * Promotions verified (hashed, copied) at once within one batch. Each is a chain of a dozen
 * small file operations, and each operation waits for a thread-pool turn and then for the event
 * loop, which is busy serving the uploads of the same ingest: a chain takes 20–30 ms of waiting
 * for well under a millisecond of work. Throughput comes from running many chains side by side
 * (8 at a time kept a 2,000-file ingest waiting on its promotions).
 */
const VERIFY_IN_FLIGHT = 32;

/**
 * Verifies the staged bytes against the declared sha256 and moves them into the
 * content-addressed masters under retention, then records the asset/version.
 * Idempotent: a re-run after a crash finds the master (or the promoted upload) and
 * goes on from there. A mismatch is final: the upload is failed with a clear error,
 * nothing is written to masters and the staged bytes stay for inspection.
 */
export async function handlePromote(deps: WorkerDeps, job: PromoteJob): Promise<void> {
  const [outcome] = await promoteUploads(deps, [job]);
  if (outcome) throw outcome;
}

/**
 * Promotes a batch of uploads (the jobs one worker fetch brought): bytes are
 * verified and copied side by side, and the catalogue rows of all of them are
 * written in one transaction with a constant number of statements, which is what
 * makes thousands of small files fast. Answers, per job in order, null when it is
 * done (promoted, or failed for good by a mismatch) or the error to retry it on.
 */
export async function promoteUploads(deps: WorkerDeps, jobs: PromoteJob[]): Promise<(Error | null)[]> {
  const { pool } = deps;
  const ids = jobs.map((j) => j.uploadId);
  const uploads = await findPromotingUploads(pool, ids);
  const outcome = new Map<string, Error | null>(ids.map((id) => [id, null]));
  if (uploads.length === 0) return ids.map(() => null);
  await transitionJobs(
    pool,
    'promote',
    uploads.map((u) => u.id),
    'start',
  );
  const requestIds = new Map(jobs.map((j) => [j.uploadId, j.requestId ?? null]));

  const verified: Verified[] = [];
  await forEachLimited(uploads, VERIFY_IN_FLIGHT, async (upload) => {
    try {
      const result = await verifyAndCopy(deps, upload, requestIds.get(upload.id) ?? null);
      if (result) verified.push(result);
    } catch (err) {
      outcome.set(upload.id, err as Error);
    }
  });
  if (verified.length === 0) return ids.map((id) => outcome.get(id) ?? null);
  // Verified side by side, so finished in any order: the jobs' order numbers the versions of same-name files.
  verified.sort((a, b) => ids.indexOf(a.upload.id) - ids.indexOf(b.upload.id));

  let recorded: { item: Verified; versionId: string }[];
  try {
    recorded = await withTransaction(pool, (db) => recordPromoted(db, verified, requestIds));
  } catch {
    // One bad row must not hold back the others: each alone, so only the culprit fails (and retries).
    recorded = [];
    for (const item of verified) {
      try {
        recorded.push(...(await withTransaction(pool, (db) => recordPromoted(db, [item], requestIds))));
      } catch (err) {
        outcome.set(item.upload.id, err as Error);
      }
    }
  }
  await transitionJobs(
    pool,
    'promote',
    recorded.map((r) => r.item.upload.id),
    'complete',
  );

  // Probe and previews only for what the media tools can read (POST /api/preview still builds on request).
  const kinds = recorded.map((r) => ({ ...r, kind: sniffContent(r.item.head, r.item.upload.name) }));
  const other = kinds.filter((k) => k.kind === 'other').map((k) => k.versionId);
  await markVersionsNotMedia(pool, other);
  const probes = kinds.filter((k) => k.kind !== 'other');
  await sendJobs(
    deps.boss,
    'probe',
    probes.map((k) => ({ versionId: k.versionId, sha256: k.item.upload.declaredSha256! })),
  );
  for (const k of kinds.filter((k) => k.kind === 'media')) {
    const sha256 = k.item.upload.declaredSha256!;
    const { enqueue } = await claimPreview(pool, sha256, defaultPreviewProfile);
    if (enqueue) await sendJob(deps.boss, 'preview', { sha256, profile: defaultPreviewProfile }, { priority: 'bulk' });
  }

  // The masters are verified and recorded: the staged copies have served their purpose.
  await forEachLimited(recorded, VERIFY_IN_FLIGHT, async ({ item }) => {
    await deps.storages.staging
      .delete(item.upload.stagingKey)
      .catch((err) => deps.log.warn({ err, key: item.upload.stagingKey }, 'could not remove staged object'));
  });
  return ids.map((id) => outcome.get(id) ?? null);
}

/**
 * Hashes the staged bytes (or takes the digest the store computed while staging
 * them, when the object is unchanged since) and copies them into masters. A
 * mismatch fails the upload for good and answers null; transient trouble throws.
 */
async function verifyAndCopy(deps: WorkerDeps, upload: Upload, requestId: string | null): Promise<Verified | null> {
  const { pool, storages, config } = deps;
  const declared = upload.declaredSha256!;
  // The ETag pins the copy below to the bytes hashed here: a staged object replaced in
  // between is refused by the store instead of being promoted unverified.
  const staged = await storages.staging.head(upload.stagingKey);
  const actual = await stagedDigest(storages.staging, upload, staged?.etag);
  if (actual.sha256 !== declared || actual.size !== upload.size) {
    const error = {
      code: 'checksum_mismatch',
      message:
        actual.sha256 !== declared
          ? `sha256 of the staged bytes is ${actual.sha256}, the promotion declared ${declared}; nothing was written to masters and the staged object is kept at ${upload.stagingKey}`
          : `the staged object has ${actual.size} bytes, the upload declared ${upload.size}`,
      expected: declared,
      actual: actual.sha256,
    };
    await withTransaction(pool, async (db) => {
      if (!(await markPromotionFailed(db, upload.id, error))) return;
      await recordActivity(db, {
        organizationId: upload.organizationId,
        actorUserId: upload.userId,
        action: 'upload.promote.failed',
        subjectType: 'upload',
        subjectId: upload.id,
        projectId: upload.projectId,
        requestId,
        data: error,
      });
    });
    await transitionJob(pool, 'promote', upload.id, 'fail', error);
    return null;
  }

  // Two ranged reads of the bytes just verified (none up to 2 MiB): what clients ask about before reading a file whole.
  const fingerprint = await fingerprintStored(storages.staging, upload.stagingKey, actual);
  const key = masterKey(declared);
  const existing = await storages.masters.head(key);
  const retain = existing?.retainUntil ?? retainUntil(new Date(), config.objectLockDefaultDays);
  if (!existing) {
    const masters = storages.masters;
    if (canCopyFrom(masters, storages.staging)) {
      // Server-side: S3 CopyObject (UploadPartCopy above the threshold), a hard link on fs.
      await masters.copyObject(upload.stagingKey, key, {
        sourceRole: 'staging',
        ...(staged?.etag ? { sourceEtag: staged.etag } : {}),
        retainUntil: retain,
        ...(upload.contentType ? { contentType: upload.contentType } : {}),
      });
    } else {
      await masters.put(key, await storages.staging.get(upload.stagingKey), {
        contentType: upload.contentType ?? undefined,
        retainUntil: retain,
        checksumSha256: Buffer.from(declared, 'hex').toString('base64'),
      });
    }
  }
  return { upload, size: actual.size, head: actual.head, masterKey: key, retainUntil: retain, fingerprint };
}

/** The masters rows, assets/versions, promoted uploads and activities of verified uploads, in the caller's transaction. */
async function recordPromoted(
  db: PoolClient,
  items: Verified[],
  requestIds: Map<string, string | null>,
): Promise<{ item: Verified; versionId: string }[]> {
  await recordMasters(
    db,
    items.map((i) => ({
      sha256: i.upload.declaredSha256!,
      size: i.size,
      storageKey: i.masterKey,
      retainUntil: i.retainUntil,
      fingerprint: i.fingerprint,
    })),
  );
  const mappings = items.map((i) => {
    const mapping = i.upload.mapping ?? { projectId: i.upload.projectId };
    return { ...mapping, projectId: mapping.projectId ?? i.upload.projectId };
  });
  const results = await recordPromotions(
    db,
    items.map((i, n) => ({
      organizationId: i.upload.organizationId,
      userId: i.upload.userId,
      mapping: mappings[n]!,
      fileName: i.upload.name,
      sha256: i.upload.declaredSha256!,
      size: i.size,
      contentType: i.upload.contentType,
    })),
  );
  await markPromoted(
    db,
    items.map((i, n) => ({ uploadId: i.upload.id, assetId: results[n]!.assetId, versionId: results[n]!.versionId })),
  );
  await recordActivities(
    db,
    items.map((i, n) => ({
      organizationId: i.upload.organizationId,
      actorUserId: i.upload.userId,
      action: results[n]!.created ? 'version.create' : 'version.reuse',
      subjectType: 'version',
      subjectId: results[n]!.versionId,
      projectId: mappings[n]!.projectId,
      requestId: requestIds.get(i.upload.id) ?? null,
      data: { sha256: i.upload.declaredSha256, uploadId: i.upload.id, assetId: results[n]!.assetId },
    })),
  );
  return items.map((item, n) => ({ item, versionId: results[n]!.versionId }));
}
