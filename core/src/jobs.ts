import { Type, type Static } from '@sinclair/typebox';

/**
 * Queue names and payload schemas shared by the api (which sends) and the
 * worker (which consumes). pg-boss is at-least-once: every handler is idempotent.
 */

export const queues = {
  promote: 'promote',
  probe: 'probe',
  preview: 'preview',
  maintenance: 'maintenance',
} as const;

/** How often the maintenance job runs (cron, UTC). */
export const maintenanceSchedule = '*/15 * * * *';
export type QueueName = (typeof queues)[keyof typeof queues];

export const PromoteJob = Type.Object({
  uploadId: Type.String({ format: 'uuid' }),
  requestId: Type.Optional(Type.String()),
});
export type PromoteJob = Static<typeof PromoteJob>;

export const ProbeJob = Type.Object({
  versionId: Type.String({ format: 'uuid' }),
  sha256: Type.String(),
});
export type ProbeJob = Static<typeof ProbeJob>;

export const PreviewJob = Type.Object({
  sha256: Type.String(),
  profile: Type.String(),
  /** A fill job builds the outputs an earlier build dropped under backpressure, and publishes only those. */
  fill: Type.Optional(Type.Boolean()),
});
export type PreviewJob = Static<typeof PreviewJob>;

export const defaultPreviewProfile = 'default';

/** Retry policy: promotion failures from bad bytes are final (the handler records them), transient ones retry. */
export const sendOptions = {
  promote: (uploadId: string) => ({
    singletonKey: `promote:${uploadId}`,
    retryLimit: 3,
    retryDelay: 5,
    retryBackoff: true,
    expireInSeconds: 6 * 3600,
  }),
  probe: (versionId: string) => ({
    singletonKey: `probe:${versionId}`,
    retryLimit: 2,
    retryDelay: 5,
    retryBackoff: true,
  }),
  preview: (sha: string, profile: string, priority = 0) => ({
    singletonKey: `preview:${sha}:${profile}`,
    priority,
    retryLimit: 2,
    retryDelay: 10,
    retryBackoff: true,
    expireInSeconds: 4 * 3600,
  }),
  previewFill: (sha: string, profile: string) => ({
    singletonKey: `preview-fill:${sha}:${profile}`,
    priority: 0,
    startAfter: 60,
    retryLimit: 2,
    retryDelay: 30,
    retryBackoff: true,
    expireInSeconds: 4 * 3600,
  }),
};
