/** Masters: one row per content-addressed object in the masters store, written once (its fingerprint filled in once). */
import type { Queryable } from '../db/pool.ts';
import { selectColumns } from './columns.ts';

export interface MasterRecord {
  sha256: string;
  size: number;
  storageKey: string;
  retainUntil: Date;
  /** core/src/fingerprint.ts; absent when not computed (the maintenance job fills it in). */
  fingerprint?: string | null;
}

/**
 * Records masters whose bytes are verified and stored; a sha256 already recorded is left as it
 * is, except that a fingerprint it lacks is filled in.
 */
export async function recordMasters(db: Queryable, masters: MasterRecord[]): Promise<void> {
  if (masters.length === 0) return;
  await db.query(
    `INSERT INTO masters (sha256, size, storage_key, retain_until, fingerprint)
     SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::timestamptz[], $5::text[])
     ON CONFLICT (sha256) DO UPDATE SET fingerprint = EXCLUDED.fingerprint
      WHERE masters.fingerprint IS NULL AND EXCLUDED.fingerprint IS NOT NULL`,
    [
      masters.map((m) => m.sha256),
      masters.map((m) => m.size),
      masters.map((m) => m.storageKey),
      masters.map((m) => m.retainUntil),
      masters.map((m) => m.fingerprint ?? null),
    ],
  );
}

export interface UnfingerprintedMaster {
  sha256: string;
  size: number;
  storageKey: string;
}

const unfingerprintedColumns = selectColumns<UnfingerprintedMaster>({
  sha256: 'sha256',
  size: 'size',
  storageKey: 'storage_key',
});

/** Masters without a fingerprint, by sha256 after `after` (keyset), at most `limit`. */
export async function findMastersWithoutFingerprint(
  db: Queryable,
  after: string | null,
  limit: number,
): Promise<UnfingerprintedMaster[]> {
  const { rows } = await db.query<UnfingerprintedMaster>(
    `SELECT ${unfingerprintedColumns} FROM masters
      WHERE fingerprint IS NULL AND ($1::text IS NULL OR sha256 > $1) ORDER BY sha256 LIMIT $2`,
    [after, limit],
  );
  return rows;
}

export async function setMasterFingerprints(
  db: Queryable,
  fingerprints: { sha256: string; fingerprint: string }[],
): Promise<void> {
  if (fingerprints.length === 0) return;
  await db.query(
    `UPDATE masters m SET fingerprint = f.fingerprint FROM unnest($1::text[], $2::text[]) AS f(sha256, fingerprint)
      WHERE m.sha256 = f.sha256 AND m.fingerprint IS NULL`,
    [fingerprints.map((f) => f.sha256), fingerprints.map((f) => f.fingerprint)],
  );
}

/**
 * Which of these (size, fingerprint) pairs match a master that a version in one of `projectIds`
 * points at: their indexes. Masters only other projects hold do not count.
 */
export async function matchMasterFingerprints(
  db: Queryable,
  projectIds: string[],
  files: { size: number; fingerprint: string }[],
): Promise<Set<number>> {
  if (projectIds.length === 0 || files.length === 0) return new Set();
  const { rows } = await db.query<{ i: number }>(
    `SELECT q.i - 1 AS i FROM unnest($1::bigint[], $2::text[]) WITH ORDINALITY AS q(size, fingerprint, i)
      WHERE EXISTS (
        SELECT 1 FROM masters m JOIN versions v ON v.sha256 = m.sha256 JOIN assets a ON a.id = v.asset_id
         WHERE m.fingerprint = q.fingerprint AND m.size = q.size AND a.project_id = ANY($3::uuid[]))`,
    [files.map((f) => f.size), files.map((f) => f.fingerprint), projectIds],
  );
  return new Set(rows.map((r) => r.i));
}
