import type { Pool, PoolClient } from '../db/pool.ts';

/**
 * Inserts the preview row, or re-arms a failed one (or a ready one on rebuild);
 * only the caller that does either enqueues a build, so concurrent requests for
 * the same sha256 and profile never build twice.
 */
export async function claimPreview(db: Pool | PoolClient, sha256: string, profile: string, rebuild = false) {
  const inserted = await db.query(
    `INSERT INTO previews (sha256, profile, status) VALUES ($1, $2, 'queued') ON CONFLICT (sha256, profile) DO NOTHING RETURNING *`,
    [sha256, profile],
  );
  if (inserted.rows.length > 0) return { row: inserted.rows[0], enqueue: true };
  const rearmed = await db.query(
    `UPDATE previews SET status = 'queued', error = NULL, updated_at = now()
      WHERE sha256 = $1 AND profile = $2 AND (status = 'failed' OR ($3 AND status = 'ready')) RETURNING *`,
    [sha256, profile, rebuild],
  );
  if (rearmed.rows.length > 0) return { row: rearmed.rows[0], enqueue: true };
  const { rows } = await db.query('SELECT * FROM previews WHERE sha256 = $1 AND profile = $2', [sha256, profile]);
  return { row: rows[0], enqueue: false };
}
