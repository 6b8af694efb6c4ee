/** Preview builds: asked for by content (sha256), idempotent per sha256 and profile. */
import { previewPressure } from '@mediavault/core/backpressure';
import { errors } from '@mediavault/core/errors';
import { jobs, type PreviewProfile, previewSingletonKey, sendJob } from '@mediavault/core/jobs';
import { previewPriority, type PreviewPriority } from '@mediavault/core/backpressure';
import { claimPreview, findPreview, type Preview } from '@mediavault/core/catalogue/previews-store';
import { queueBacklog } from '@mediavault/core/catalogue/jobs-store';
import type { ApiDeps, RequestContext } from '../deps.ts';
import { authorizeSha } from './access.ts';

/**
 * Claims the build (only the request that creates or re-arms the preview sends a job) and
 * says when to ask again: null when ready, otherwise seconds that grow with the backlog.
 */
export async function requestPreview(
  { pool, boss, config }: ApiDeps,
  { caller }: RequestContext,
  input: { sha256: string; profile: PreviewProfile; rebuild: boolean; priority: PreviewPriority },
): Promise<{ preview: Preview; retryAfterSeconds: number | null }> {
  const { sha256, profile, rebuild, priority } = input;
  await authorizeSha(pool, caller, sha256, 'preview.request');
  const { preview, enqueue } = await claimPreview(pool, sha256, profile, rebuild);
  if (enqueue) {
    await sendJob(boss, 'preview', { sha256, profile }, { priority });
  } else if (preview.status === 'queued' && priority === 'interactive') {
    // Someone is now waiting for a preview that ingest queued at bulk priority: move it up.
    await boss
      .update(jobs.preview.queue, undefined, {
        singletonKey: previewSingletonKey(sha256, profile),
        priority: previewPriority.interactive,
      })
      .catch(() => {});
  }
  if (preview.status === 'ready') return { preview, retryAfterSeconds: null };
  const pressure = previewPressure(await queueBacklog(pool, jobs.preview.queue), config.previewBacklogSeconds);
  return { preview, retryAfterSeconds: pressure.retryAfterSeconds };
}

export async function getPreview(
  { pool }: ApiDeps,
  { caller }: RequestContext,
  sha256: string,
  profile: string,
): Promise<Preview> {
  await authorizeSha(pool, caller, sha256, 'asset.read');
  const preview = await findPreview(pool, sha256, profile);
  if (!preview) throw errors.notFound('preview (none requested yet)');
  return preview;
}
