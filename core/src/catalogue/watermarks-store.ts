/**
 * Watermarked rendition sets: every SQL statement about the `watermarked_sets` table. Status
 * changes go through the transition functions, each guarded by core/src/transitions.ts.
 */
import type { Queryable } from '../db/pool.ts';
import { watermarkTransitions, type WatermarkStatus, type WatermarkTransitionName } from '../transitions.ts';
import type { RenderedWatermark } from '../watermark.ts';
import { selectColumns } from './columns.ts';

/** Where a ready set's files are, as keys of the previews store. */
export interface WatermarkedOutputs {
  hls: string;
  /** The progressive MP4 (a watermarked share's proxy download). */
  mp4: string;
  poster: string;
  renditions: unknown[];
}

export interface WatermarkedSet {
  key: string;
  sha256: string;
  watermark: RenderedWatermark;
  status: WatermarkStatus;
  encoder: Record<string, unknown> | null;
  outputs: WatermarkedOutputs | null;
  error: Record<string, unknown> | null;
  updatedAt: Date;
}

const columns = selectColumns<WatermarkedSet>({
  key: 'key',
  sha256: 'sha256',
  watermark: 'watermark',
  status: 'status',
  encoder: 'encoder',
  outputs: 'outputs',
  error: 'error',
  updatedAt: 'updated_at',
});

const fromStates = (name: WatermarkTransitionName): readonly WatermarkStatus[] => watermarkTransitions[name].from;

export async function findWatermarkedSet(db: Queryable, key: string): Promise<WatermarkedSet | null> {
  const { rows } = await db.query<WatermarkedSet>(`SELECT ${columns} FROM watermarked_sets WHERE key = $1`, [key]);
  return rows[0] ?? null;
}

/**
 * Inserts the set, or re-arms a failed one; only the caller that does either is told to
 * enqueue, so concurrent requests for one watermark never build twice. Null when the
 * master is not in the catalogue.
 */
export async function claimWatermarkedSet(
  db: Queryable,
  set: { key: string; sha256: string; watermark: RenderedWatermark },
): Promise<{ set: WatermarkedSet; enqueue: boolean } | null> {
  const inserted = await db.query<WatermarkedSet>(
    `INSERT INTO watermarked_sets (key, sha256, watermark, status)
     SELECT $1, $2, $3, 'queued' WHERE EXISTS (SELECT 1 FROM masters WHERE sha256 = $2)
     ON CONFLICT (key) DO NOTHING RETURNING ${columns}`,
    [set.key, set.sha256, set.watermark],
  );
  if (inserted.rows[0]) return { set: inserted.rows[0], enqueue: true };
  const requeue = watermarkTransitions.requeue;
  const rearmed = await db.query<WatermarkedSet>(
    `UPDATE watermarked_sets SET status = $2, error = NULL, updated_at = now()
      WHERE key = $1 AND status = ANY($3::text[]) RETURNING ${columns}`,
    [set.key, requeue.to, requeue.from],
  );
  if (rearmed.rows[0]) return { set: rearmed.rows[0], enqueue: true };
  const current = await findWatermarkedSet(db, set.key);
  return current ? { set: current, enqueue: false } : null;
}

/** queued|building → building; false when the set is not waiting for a build. */
export async function markWatermarkedSetBuilding(db: Queryable, key: string): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE watermarked_sets SET status = $2, updated_at = now() WHERE key = $1 AND status = ANY($3::text[])`,
    [key, watermarkTransitions.start.to, fromStates('start')],
  );
  return (rowCount ?? 0) > 0;
}

/** building → ready, with the published outputs and the encoder that made them. */
export async function markWatermarkedSetReady(
  db: Queryable,
  key: string,
  published: { encoder: Record<string, unknown>; outputs: WatermarkedOutputs },
): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE watermarked_sets SET status = $2, encoder = $3, outputs = $4, error = NULL, updated_at = now()
      WHERE key = $1 AND status = ANY($5::text[])`,
    [key, watermarkTransitions.publish.to, published.encoder, published.outputs, fromStates('publish')],
  );
  return (rowCount ?? 0) > 0;
}

/** queued|building → failed, with why. */
export async function markWatermarkedSetFailed(
  db: Queryable,
  key: string,
  error: Record<string, unknown>,
): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE watermarked_sets SET status = $2, error = $3, updated_at = now() WHERE key = $1 AND status = ANY($4::text[])`,
    [key, watermarkTransitions.fail.to, error, fromStates('fail')],
  );
  return (rowCount ?? 0) > 0;
}

/** The error of an attempt pg-boss will retry; the status stays as it is. */
export async function recordWatermarkAttemptError(
  db: Queryable,
  key: string,
  error: Record<string, unknown>,
): Promise<void> {
  await db.query(`UPDATE watermarked_sets SET error = $2, updated_at = now() WHERE key = $1`, [key, error]);
}
