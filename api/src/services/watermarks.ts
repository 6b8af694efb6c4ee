/**
 * Watermarked rendition sets: what a watermarked share plays and downloads, never the clean
 * preview or the master. The shares service calls this once it has decided that a share
 * session may see this content; there is no caller to authorize here.
 */
import { errors } from '@mediavault/core/errors';
import { sendJob } from '@mediavault/core/jobs';
import { isSha256Hex } from '@mediavault/core/keys';
import { claimWatermarkedSet, type WatermarkedOutputs } from '@mediavault/core/catalogue/watermarks-store';
import type { WatermarkStatus } from '@mediavault/core/transitions';
import { renderWatermark, watermarkKey, type WatermarkSpec, type WatermarkValues } from '@mediavault/core/watermark';
import type { ApiDeps } from '../deps.ts';

export interface WatermarkedSetAnswer {
  status: WatermarkStatus;
  /** Names the set: its files are under watermarkKeys.prefix(sha256, key) (core/src/keys.ts). */
  key: string;
  /** Present once ready. */
  outputs?: WatermarkedOutputs;
  /** Why the last build failed (status failed, or a queued set whose last attempt failed). */
  error?: Record<string, unknown>;
}

/**
 * The watermarked set of a master for one viewer: renders the share's watermark (the spec,
 * checked and normalised, with the share's name, the viewer and the date), and claims its
 * build. Idempotent: equal watermarks of the same content have one key and one build, however
 * many viewers ask at once; a failed set is built again when asked for again. A set still
 * queued is sent again, harmlessly (one job waits per key), so a build whose send was lost is
 * not waited for forever. Answers bad_request for a spec it refuses, not_found for a master
 * that is not in the catalogue.
 */
export async function requestWatermarkedSet(
  { pool, boss }: Pick<ApiDeps, 'pool' | 'boss'>,
  sha256: string,
  spec: WatermarkSpec,
  values: WatermarkValues,
): Promise<WatermarkedSetAnswer> {
  if (!isSha256Hex(sha256)) throw errors.badRequest('sha256 must be 64 lowercase hex digits', { field: 'sha256' });
  const watermark = renderWatermark(spec, values);
  const key = watermarkKey(sha256, watermark);
  const claimed = await claimWatermarkedSet(pool, { key, sha256, watermark });
  if (!claimed) throw errors.notFound('master');
  const { set, enqueue } = claimed;
  if (enqueue || set.status === 'queued') await sendJob(boss, 'watermark', { sha256, key });
  return {
    status: set.status,
    key,
    ...(set.status === 'ready' && set.outputs ? { outputs: set.outputs } : {}),
    ...(set.error ? { error: set.error } : {}),
  };
}
