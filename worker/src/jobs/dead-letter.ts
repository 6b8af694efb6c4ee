import { latestJobError, transitionJob, type JobKind } from '@mediavault/core/catalogue/jobs-store';
import { markPreviewFailed } from '@mediavault/core/catalogue/previews-store';
import { markPromotionFailed } from '@mediavault/core/catalogue/uploads-store';
import type { WorkerDeps } from '../worker.ts';

/** Which job a dead letter was, from its payload (pg-boss moves the payload as it was). */
export function deadJobOf(data: Record<string, unknown>): { kind: JobKind; subject: string } | null {
  if (typeof data.uploadId === 'string') return { kind: 'promote', subject: data.uploadId };
  if (typeof data.versionId === 'string') return { kind: 'probe', subject: data.versionId };
  if (typeof data.sha256 === 'string' && typeof data.profile === 'string')
    return { kind: 'preview', subject: `${data.sha256}:${data.profile}` };
  return null;
}

/**
 * pg-boss moves a job here when its retries are exhausted. Record it as dead
 * in the catalogue (GET /api/jobs?state=dead) and fail what was waiting on it,
 * so nobody polls a preview or promotion that will never finish.
 */
export async function handleDeadLetter(deps: WorkerDeps, data: Record<string, unknown>): Promise<void> {
  const dead = deadJobOf(data);
  if (!dead) return;
  const last = (await latestJobError(deps.pool, dead.kind, dead.subject))?.message;
  const error = {
    code: 'retries_exhausted',
    message: `gave up after the last retry: ${typeof last === 'string' ? last : 'unknown error'}`,
  };
  await transitionJob(deps.pool, dead.kind, dead.subject, 'bury', error);
  if (dead.kind === 'preview') {
    await markPreviewFailed(deps.pool, String(data.sha256), String(data.profile), error);
  } else if (dead.kind === 'promote') {
    await markPromotionFailed(deps.pool, dead.subject, error);
  }
}
