import type { WorkerDeps } from '../worker.ts';
import { setJobState } from './job-state.ts';

/** The catalogue's job subject for a queue payload: upload id, version id or sha256:profile. */
export function jobSubject(data: unknown): string | null {
  const d = (data ?? {}) as Record<string, unknown>;
  if (typeof d.uploadId === 'string') return d.uploadId;
  if (typeof d.versionId === 'string') return d.versionId;
  if (typeof d.sha256 === 'string' && typeof d.profile === 'string') return `${d.sha256}:${d.profile}`;
  return null;
}

function kindOf(data: Record<string, unknown>): 'promote' | 'probe' | 'preview' | null {
  if (typeof data.uploadId === 'string') return 'promote';
  if (typeof data.versionId === 'string') return 'probe';
  if (typeof data.sha256 === 'string' && typeof data.profile === 'string') return 'preview';
  return null;
}

/**
 * pg-boss moves a job here when its retries are exhausted. Record it as dead
 * in the catalogue (GET /api/jobs?state=dead) and fail what was waiting on it,
 * so nobody polls a preview or promotion that will never finish.
 */
export async function handleDeadLetter(deps: WorkerDeps, data: Record<string, unknown>): Promise<void> {
  const kind = kindOf(data);
  const subject = jobSubject(data);
  if (!kind || !subject) return;
  const { rows } = await deps.pool.query(
    'SELECT error FROM jobs WHERE kind = $1 AND subject = $2 ORDER BY created_at DESC LIMIT 1',
    [kind, subject],
  );
  const last = (rows[0]?.error as { message?: string } | null)?.message ?? 'unknown error';
  const error = { code: 'retries_exhausted', message: `gave up after the last retry: ${last}` };
  await setJobState(deps.pool, kind, subject, 'dead', error);
  if (kind === 'preview') {
    await deps.pool.query(
      `UPDATE previews SET status = 'failed', error = $3, updated_at = now() WHERE sha256 = $1 AND profile = $2 AND status <> 'ready'`,
      [data.sha256, data.profile, error],
    );
  } else if (kind === 'promote') {
    await deps.pool.query(
      `UPDATE uploads SET status = 'failed', error = $2, updated_at = now() WHERE id = $1 AND status = 'promoting'`,
      [subject, error],
    );
  }
}
