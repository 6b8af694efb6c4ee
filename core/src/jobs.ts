/**
 * Every background job, one definition each: its pg-boss queue, the TypeBox schema
 * of its payload, how the queue is created and how a job is sent. The api sends
 * through sendJob/sendJobs, which check the payload; the worker registers a handler
 * per definition from a map typed by this record (a definition without a handler
 * fails the typecheck) and checks each payload it receives with readJobPayload.
 * pg-boss is at-least-once: every handler is idempotent.
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import type { PgBoss } from 'pg-boss';
import { previewPriority, type PreviewPriority } from './backpressure.ts';

type QueueOptions = NonNullable<Parameters<PgBoss['createQueue']>[1]>;
type SendOptions = NonNullable<Parameters<PgBoss['send']>[2]>;

export const deadLetterQueue = 'dead-letter';

// Workers refresh a heartbeat every 15 s while a job runs; a worker killed mid-job
// stops refreshing and pg-boss hands the job to another worker after 30 s.
const heartbeatSeconds = 30;

export interface JobDefinition<Payload extends TSchema, SendContext> {
  /** The pg-boss queue; several definitions never share one. */
  readonly queue: string;
  readonly payload: Payload;
  /** How the queue is created (policy, dead letter, heartbeat); fixed once it exists, except `notify`. */
  readonly queueOptions: QueueOptions;
  /** Send options for one job: its singleton key (idempotence), retries, priority. */
  readonly sendOptions: (payload: Static<Payload>, context: SendContext) => SendOptions;
  /** A cron schedule (UTC), when the job runs on a timer instead of on request. */
  readonly schedule?: string;
}

const defineJob = <Payload extends TSchema, SendContext = undefined>(definition: JobDefinition<Payload, SendContext>) =>
  definition;

/**
 * The preview profiles a build can be asked for: a closed set, so a request cannot start a
 * build of an arbitrary profile name (each is a full ffmpeg run).
 */
export const previewProfiles = ['default'] as const;
export type PreviewProfile = (typeof previewProfiles)[number];
export const defaultPreviewProfile: PreviewProfile = 'default';

const Sha256Hex = Type.String({ pattern: '^[0-9a-f]{64}$' });
// A pattern, not format 'uuid': payloads are checked with TypeBox's Value, which knows no formats.
const Uuid = Type.String({ pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' });

const PreviewPayload = Type.Object(
  {
    sha256: Sha256Hex,
    profile: Type.Union(previewProfiles.map((p) => Type.Literal(p))),
    /** A fill job builds the outputs an earlier build dropped under backpressure, and publishes only those. */
    fill: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

export const jobs = {
  /** Verify staged bytes, copy them into masters, record the version (worker/src/jobs/promote.ts). */
  promote: defineJob({
    queue: 'promote',
    payload: Type.Object(
      { uploadId: Uuid, requestId: Type.Optional(Type.String({ maxLength: 128 })) },
      { additionalProperties: false },
    ),
    queueOptions: { policy: 'standard', deadLetter: deadLetterQueue, heartbeatSeconds, notify: true },
    // Promotion failures from bad bytes are final (the handler records them); transient ones retry.
    sendOptions: ({ uploadId }) => ({
      singletonKey: `promote:${uploadId}`,
      retryLimit: 3,
      retryDelay: 5,
      retryBackoff: true,
      expireInSeconds: 6 * 3600,
    }),
  }),
  /** Technical metadata, QC and IMF links of a version's bytes (worker/src/jobs/probe.ts). */
  probe: defineJob({
    queue: 'probe',
    payload: Type.Object({ versionId: Uuid, sha256: Sha256Hex }, { additionalProperties: false }),
    queueOptions: { policy: 'standard', deadLetter: deadLetterQueue, heartbeatSeconds, notify: true },
    sendOptions: ({ versionId }) => ({
      singletonKey: `probe:${versionId}`,
      retryLimit: 2,
      retryDelay: 5,
      retryBackoff: true,
    }),
  }),
  /** The preview set of a master (worker/src/jobs/preview.ts). */
  preview: defineJob<typeof PreviewPayload, { priority: PreviewPriority }>({
    queue: 'preview',
    payload: PreviewPayload,
    // stately: one build waiting and one running per singleton key, whoever asks.
    queueOptions: { policy: 'stately', deadLetter: deadLetterQueue, heartbeatSeconds, notify: true },
    sendOptions: ({ sha256, profile, fill }, { priority }) =>
      fill
        ? {
            singletonKey: `preview-fill:${sha256}:${profile}`,
            priority: previewPriority.bulk,
            startAfter: 60,
            retryLimit: 2,
            retryDelay: 30,
            retryBackoff: true,
            expireInSeconds: 4 * 3600,
          }
        : {
            singletonKey: previewSingletonKey(sha256, profile),
            priority: previewPriority[priority],
            retryLimit: 2,
            retryDelay: 10,
            retryBackoff: true,
            expireInSeconds: 4 * 3600,
          },
  }),
  /**
   * A watermarked rendition set burnt from a master for shares (worker/src/jobs/watermark.ts).
   * A viewer waits for it: interactive priority, and a queue of its own, so it never waits
   * behind a bulk backlog of previews.
   */
  watermark: defineJob({
    queue: 'watermark',
    // No `profile`: the dead-letter handler takes sha256 + profile for a preview's payload.
    payload: Type.Object(
      { sha256: Sha256Hex, key: Type.String({ pattern: '^[0-9a-f]{32}$' }) },
      { additionalProperties: false },
    ),
    // stately: one build waiting and one running per watermark, however many viewers ask.
    queueOptions: { policy: 'stately', deadLetter: deadLetterQueue, heartbeatSeconds, notify: true },
    sendOptions: ({ key }) => ({
      singletonKey: watermarkSingletonKey(key),
      priority: previewPriority.interactive,
      retryLimit: 2,
      retryDelay: 10,
      retryBackoff: true,
      expireInSeconds: 4 * 3600,
    }),
  }),
  /** Housekeeping on a timer: aborts expired uploads (worker/src/jobs/maintenance.ts). */
  maintenance: defineJob({
    queue: 'maintenance',
    payload: Type.Object({}),
    queueOptions: { policy: 'singleton', retryLimit: 1 },
    sendOptions: () => ({}),
    schedule: '*/15 * * * *',
  }),
  /**
   * Jobs whose retries ran out, moved here by pg-boss with their payload: recorded as dead
   * and what waited on them failed (worker/src/jobs/dead-letter.ts).
   */
  deadLetter: defineJob({
    queue: deadLetterQueue,
    payload: Type.Record(Type.String(), Type.Unknown()),
    queueOptions: { policy: 'standard', retentionSeconds: 14 * 86400 },
    sendOptions: () => ({}),
  }),
} as const;

export type JobName = keyof typeof jobs;
export type JobPayload<N extends JobName> = Static<(typeof jobs)[N]['payload']>;
type SendContext<N extends JobName> = Parameters<(typeof jobs)[N]['sendOptions']>[1];
/** Names whose send options need no context: their send calls take no third argument. */
type ContextArgs<N extends JobName> = SendContext<N> extends undefined ? [] : [context: SendContext<N>];

export type PromoteJob = JobPayload<'promote'>;
export type ProbeJob = JobPayload<'probe'>;
export type PreviewJob = JobPayload<'preview'>;
export type WatermarkJob = JobPayload<'watermark'>;

/** Queue name of every job, for tests and tools that read pg-boss directly. */
export const queues = Object.fromEntries(Object.entries(jobs).map(([name, job]) => [name, job.queue])) as {
  [N in JobName]: (typeof jobs)[N]['queue'];
};

export function previewSingletonKey(sha256: string, profile: string): string {
  return `preview:${sha256}:${profile}`;
}

export function watermarkSingletonKey(key: string): string {
  return `watermark:${key}`;
}

/** A payload that does not match its job's schema: a bug in the sender, never retried. */
export class InvalidJobPayload extends Error {
  constructor(name: JobName, data: unknown) {
    const first = [...Value.Errors(jobs[name].payload, data)][0];
    super(
      `invalid ${name} job payload${first ? `: ${first.path || '/'} ${first.message}` : ''} (${JSON.stringify(data)?.slice(0, 200)})`,
    );
    this.name = 'InvalidJobPayload';
  }
}

/** Checks a payload against its job's schema and answers it typed. */
export function readJobPayload<N extends JobName>(name: N, data: unknown): JobPayload<N> {
  // A job pg-boss stores without data (a scheduled one) arrives as null.
  const value = data ?? {};
  if (!Value.Check(jobs[name].payload, value)) throw new InvalidJobPayload(name, data);
  return value as JobPayload<N>;
}

type JobSender = Pick<PgBoss, 'send' | 'insert'>;

/** Sends one job after checking its payload; the id pg-boss gave it, or null when its singleton is queued already. */
export async function sendJob<N extends JobName>(
  boss: JobSender,
  name: N,
  payload: JobPayload<N>,
  ...context: ContextArgs<N>
): Promise<string | null> {
  readJobPayload(name, payload);
  const definition = jobs[name] as unknown as JobDefinition<TSchema, unknown>;
  return boss.send(definition.queue, payload as object, definition.sendOptions(payload, context[0]));
}

/** Sends many jobs of one kind in one insert, each with its own options (so each retries on its own). */
export async function sendJobs<N extends JobName>(
  boss: JobSender,
  name: N,
  payloads: JobPayload<N>[],
  ...context: ContextArgs<N>
): Promise<void> {
  if (payloads.length === 0) return;
  for (const payload of payloads) readJobPayload(name, payload);
  const definition = jobs[name] as unknown as JobDefinition<TSchema, unknown>;
  await boss.insert(
    definition.queue,
    payloads.map((payload) => ({ data: payload as object, ...definition.sendOptions(payload, context[0]) })),
  );
}
