/**
 * Preview sets: every SQL statement about the `previews` table. Status changes go
 * through the transition functions, each guarded by core/src/transitions.ts.
 */
import type { Queryable } from '../db/pool.ts';
import { previewTransitions, type PreviewStatus, type PreviewTransitionName } from '../transitions.ts';
import { droppableOutputs, type DroppableOutput } from '../backpressure.ts';
import type { PreviewProfile } from '../jobs.ts';

export interface PreviewOutputs {
  hls: string;
  mp4: string | null;
  poster: string | null;
  sprites: { image: string; vtt: string } | null;
  waveform: string | null;
  renditions: unknown[];
  /** Outputs left out under backpressure, filled in later by a fill job. */
  dropped: DroppableOutput[];
  [more: string]: unknown;
}

export interface Preview {
  sha256: string;
  profile: PreviewProfile;
  status: PreviewStatus;
  encoder: Record<string, unknown> | null;
  outputs: PreviewOutputs | null;
  error: Record<string, unknown> | null;
  updatedAt: Date;
}

interface PreviewRow {
  sha256: string;
  profile: string;
  status: PreviewStatus;
  encoder: Record<string, unknown> | null;
  outputs: PreviewOutputs | null;
  error: Record<string, unknown> | null;
  updated_at: Date;
}

/** The outputs a stored set says it dropped, as known outputs only (the column is JSON). */
function droppedOutputs(outputs: PreviewOutputs): DroppableOutput[] {
  const listed: unknown[] = Array.isArray(outputs.dropped) ? outputs.dropped : [];
  return listed.filter((o): o is DroppableOutput => (droppableOutputs as readonly unknown[]).includes(o));
}

export function toPreview(row: PreviewRow): Preview {
  return {
    sha256: row.sha256,
    // Profiles are a closed set, and only those are ever requested (the api refuses others).
    profile: row.profile as PreviewProfile,
    status: row.status,
    encoder: row.encoder,
    outputs: row.outputs ? { ...row.outputs, dropped: droppedOutputs(row.outputs) } : null,
    error: row.error,
    updatedAt: row.updated_at,
  };
}

const fromStates = (name: PreviewTransitionName): readonly PreviewStatus[] => previewTransitions[name].from;

export async function findPreview(db: Queryable, sha256: string, profile: string): Promise<Preview | null> {
  const { rows } = await db.query<PreviewRow>('SELECT * FROM previews WHERE sha256 = $1 AND profile = $2', [
    sha256,
    profile,
  ]);
  return rows[0] ? toPreview(rows[0]) : null;
}

/**
 * Inserts the preview row, or re-arms a failed one (or a ready one on rebuild);
 * only the caller that does either enqueues a build, so concurrent requests for
 * the same sha256 and profile never build twice.
 */
export async function claimPreview(
  db: Queryable,
  sha256: string,
  profile: string,
  rebuild = false,
): Promise<{ preview: Preview; enqueue: boolean }> {
  const inserted = await db.query<PreviewRow>(
    `INSERT INTO previews (sha256, profile, status) VALUES ($1, $2, 'queued')
     ON CONFLICT (sha256, profile) DO NOTHING RETURNING *`,
    [sha256, profile],
  );
  if (inserted.rows[0]) return { preview: toPreview(inserted.rows[0]), enqueue: true };
  const transition = rebuild ? previewTransitions.rebuild : previewTransitions.requeue;
  const rearmed = await db.query<PreviewRow>(
    `UPDATE previews SET status = $3, error = NULL, updated_at = now()
      WHERE sha256 = $1 AND profile = $2 AND status = ANY($4::text[]) RETURNING *`,
    [sha256, profile, transition.to, transition.from],
  );
  if (rearmed.rows[0]) return { preview: toPreview(rearmed.rows[0]), enqueue: true };
  const current = await findPreview(db, sha256, profile);
  if (!current) throw new Error(`preview ${sha256}:${profile} vanished while being claimed`);
  return { preview: current, enqueue: false };
}

/** queued|building → building; false when the set is not waiting for a build. */
export async function markPreviewBuilding(db: Queryable, sha256: string, profile: string): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE previews SET status = $3, updated_at = now() WHERE sha256 = $1 AND profile = $2 AND status = ANY($4::text[])`,
    [sha256, profile, previewTransitions.start.to, fromStates('start')],
  );
  return (rowCount ?? 0) > 0;
}

/** building → ready (or ready → ready for a fill), with the published outputs. */
export async function markPreviewReady(
  db: Queryable,
  sha256: string,
  profile: string,
  published: { encoder: Record<string, unknown>; outputs: PreviewOutputs; fill: boolean },
): Promise<boolean> {
  const transition = published.fill ? previewTransitions.fill : previewTransitions.publish;
  const { rowCount } = await db.query(
    `UPDATE previews SET status = $3, encoder = $4, outputs = $5, error = NULL, updated_at = now()
      WHERE sha256 = $1 AND profile = $2 AND status = ANY($6::text[])`,
    [sha256, profile, transition.to, published.encoder, published.outputs, transition.from],
  );
  return (rowCount ?? 0) > 0;
}

/** queued|building → failed, with why (the input cannot make a preview, or retries ran out). */
export async function markPreviewFailed(
  db: Queryable,
  sha256: string,
  profile: string,
  error: Record<string, unknown>,
): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE previews SET status = $3, error = $4, updated_at = now()
      WHERE sha256 = $1 AND profile = $2 AND status = ANY($5::text[])`,
    [sha256, profile, previewTransitions.fail.to, error, fromStates('fail')],
  );
  return (rowCount ?? 0) > 0;
}

/** The error of an attempt pg-boss will retry; the status stays as it is. */
export async function recordPreviewAttemptError(
  db: Queryable,
  sha256: string,
  profile: string,
  error: Record<string, unknown>,
): Promise<void> {
  await db.query(`UPDATE previews SET error = $3, updated_at = now() WHERE sha256 = $1 AND profile = $2`, [
    sha256,
    profile,
    error,
  ]);
}
