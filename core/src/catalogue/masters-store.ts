/** Masters: one row per content-addressed object in the masters store, written once. */
import type { Queryable } from '../db/pool.ts';

export interface MasterRecord {
  sha256: string;
  size: number;
  storageKey: string;
  retainUntil: Date;
}

/** Records masters whose bytes are verified and stored; a sha256 already recorded is left as it is. */
export async function recordMasters(db: Queryable, masters: MasterRecord[]): Promise<void> {
  if (masters.length === 0) return;
  await db.query(
    `INSERT INTO masters (sha256, size, storage_key, retain_until)
     SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::timestamptz[]) ON CONFLICT (sha256) DO NOTHING`,
    [
      masters.map((m) => m.sha256),
      masters.map((m) => m.size),
      masters.map((m) => m.storageKey),
      masters.map((m) => m.retainUntil),
    ],
  );
}
