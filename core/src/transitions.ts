/**
 * The lifecycles of uploads, preview sets, watermarked sets and background jobs: every status change
 * is one named transition that lists the states it may start from. Pure data; the
 * catalogue stores apply a transition with `WHERE status = ANY(from)`, so a change
 * asked in the wrong state changes nothing and the caller learns the state it met
 * (the api answers 409 invalid_state), whatever ran concurrently.
 */

export const uploadStatuses = ['uploading', 'uploaded', 'promoting', 'promoted', 'failed', 'aborted'] as const;
export type UploadStatus = (typeof uploadStatuses)[number];

export const previewStatuses = ['queued', 'building', 'ready', 'failed'] as const;
export type PreviewStatus = (typeof previewStatuses)[number];

export const jobStates = ['queued', 'active', 'completed', 'failed', 'dead'] as const;
export type JobState = (typeof jobStates)[number];

export interface Transition<S extends string> {
  readonly from: readonly S[];
  readonly to: S;
}

export const uploadTransitions = {
  /** All parts (or the whole object) are stored and assembled in staging. */
  complete: { from: ['uploading'], to: 'uploaded' },
  /** Completed and sent on to promotion in one call (batches of small files). */
  completeAndPromote: { from: ['uploading'], to: 'promoting' },
  /** A promotion job is asked for; a failed promotion may be asked for again. */
  promote: { from: ['uploaded', 'failed'], to: 'promoting' },
  /** The bytes were verified, are in masters, and the version exists. */
  finishPromotion: { from: ['promoting'], to: 'promoted' },
  /** Verification refused the bytes, or the job ran out of retries. */
  failPromotion: { from: ['promoting'], to: 'failed' },
  /** Nobody completed the upload before its expiry. */
  abort: { from: ['uploading'], to: 'aborted' },
} as const satisfies Record<string, Transition<UploadStatus>>;
export type UploadTransitionName = keyof typeof uploadTransitions;

export const previewTransitions = {
  /** A build is asked for again after a failure, or a rebuild of a ready set. */
  requeue: { from: ['failed'], to: 'queued' },
  rebuild: { from: ['failed', 'ready'], to: 'queued' },
  /** A worker starts building; a retried build starts again. */
  start: { from: ['queued', 'building'], to: 'building' },
  /** The set is published (a fill job publishes outputs a ready set lacked). */
  publish: { from: ['building'], to: 'ready' },
  fill: { from: ['ready'], to: 'ready' },
  /** The input cannot make a preview, or the job ran out of retries. */
  fail: { from: ['queued', 'building'], to: 'failed' },
} as const satisfies Record<string, Transition<PreviewStatus>>;
export type PreviewTransitionName = keyof typeof previewTransitions;

export const watermarkStatuses = ['queued', 'building', 'ready', 'failed'] as const;
export type WatermarkStatus = (typeof watermarkStatuses)[number];

/**
 * A watermarked rendition set: a preview set's lifecycle without rebuilds or fills (a set is
 * built whole from the master, and a changed watermark is another set).
 */
export const watermarkTransitions = {
  /** Asked for again after a failure. */
  requeue: { from: ['failed'], to: 'queued' },
  /** A worker starts building; a retried build starts again. */
  start: { from: ['queued', 'building'], to: 'building' },
  /** Every file is published, the master playlist last. */
  publish: { from: ['building'], to: 'ready' },
  /** The master cannot make a watermarked set (no picture, corrupt), or the job ran out of retries. */
  fail: { from: ['queued', 'building'], to: 'failed' },
} as const satisfies Record<string, Transition<WatermarkStatus>>;
export type WatermarkTransitionName = keyof typeof watermarkTransitions;

/**
 * A job row records one run of a queue job for a subject. A transition that does not
 * apply to the latest run (it completed, or died) starts a new run instead.
 */
export const jobTransitions = {
  start: { from: ['queued', 'active'], to: 'active' },
  /** The attempt failed and pg-boss will retry it. */
  retry: { from: ['queued', 'active'], to: 'queued' },
  complete: { from: ['queued', 'active'], to: 'completed' },
  fail: { from: ['queued', 'active'], to: 'failed' },
  /** Retries are exhausted: pg-boss moved the job to the dead-letter queue. */
  bury: { from: ['queued', 'active', 'failed'], to: 'dead' },
} as const satisfies Record<string, Transition<JobState>>;
export type JobTransitionName = keyof typeof jobTransitions;

export function canTransition<S extends string>(transition: Transition<S>, status: S): boolean {
  return transition.from.includes(status);
}
