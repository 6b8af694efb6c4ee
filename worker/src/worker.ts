import type { PgBoss } from 'pg-boss';
import type { Config } from '@mediavault/core/config';
import type { Pool } from '@mediavault/core/db/pool';
import { clientErrorRecord } from '@mediavault/core/errors';
import { InvalidJobPayload, jobs, readJobPayload, type JobName, type JobPayload } from '@mediavault/core/jobs';
import { transitionJob, type JobKind } from '@mediavault/core/catalogue/jobs-store';
import type { Storage, StorageRole } from '@mediavault/core/storage/types';
import { promoteUploads } from './jobs/promote.ts';
import { handleProbe } from './jobs/probe.ts';
import { handlePreview } from './jobs/preview.ts';
import { handleWatermark } from './jobs/watermark.ts';
import { handleDeadLetter } from './jobs/dead-letter.ts';
import { handleMaintenance } from './jobs/maintenance.ts';

export interface WorkerLog {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface WorkerDeps {
  config: Config;
  pool: Pool;
  boss: PgBoss;
  storages: Record<StorageRole, Storage>;
  log: WorkerLog;
}

interface QueuedJob<Data> {
  id: string;
  data: Data;
}

/**
 * How one queue's jobs are handled: one at a time in each of a number of slots (each job settles
 * on its own, and a slot takes its next job the moment its last one is settled), or a whole fetch
 * at once (promotions share one catalogue transaction), answering per job null (done) or the
 * error to retry it on.
 */
type JobHandler<N extends JobName> =
  | { each: (deps: WorkerDeps, payload: JobPayload<N>) => Promise<void>; slots: (config: Config) => number }
  | {
      batch: (deps: WorkerDeps, payloads: JobPayload<N>[]) => Promise<(Error | null)[]>;
      batchSize: (config: Config) => number;
    };

/**
 * One handler per job definition (core/src/jobs.ts): a definition without a handler here
 * fails the typecheck. Slots: how many jobs of a queue this process runs at once, each fetched
 * on its own so a short job never waits for a long one's slot. Promotion and probe are
 * I/O-bound; previews are CPU-bound (WORKER_CONCURRENCY).
 */
export const jobHandlers: { [N in JobName]: JobHandler<N> } = {
  // A promotion batch shares one catalogue transaction and verifies uploads side by side.
  promote: { batch: promoteUploads, batchSize: () => 64 },
  probe: { each: handleProbe, slots: () => 4 },
  preview: { each: handlePreview, slots: (config) => config.workerConcurrency },
  watermark: { each: handleWatermark, slots: (config) => config.workerConcurrency },
  maintenance: { each: (deps) => handleMaintenance(deps), slots: () => 1 },
  // Rare, and a few catalogue writes each.
  deadLetter: { each: handleDeadLetter, slots: () => 1 },
};

/** The catalogue's job subject for a queue payload: upload id, version id or sha256:profile. */
export function jobSubject(name: JobName, data: unknown): { kind: JobKind; subject: string } | null {
  const d = (data ?? {}) as Record<string, unknown>;
  if (name === 'promote' && typeof d.uploadId === 'string') return { kind: 'promote', subject: d.uploadId };
  if (name === 'probe' && typeof d.versionId === 'string') return { kind: 'probe', subject: d.versionId };
  if (name === 'preview' && typeof d.sha256 === 'string' && typeof d.profile === 'string')
    return { kind: 'preview', subject: `${d.sha256}:${d.profile}` };
  return null;
}

/** Registers every job's handler on a started pg-boss (queues must exist: ensureQueues). */
export async function startWorker(deps: WorkerDeps): Promise<{ stop(): Promise<void> }> {
  const { boss, log } = deps;
  // pg-boss waits between fetches: 2 s, or 30 s as a backstop on queues woken by NOTIFY. A
  // NOTIFY wakes a worker once per insert, however many jobs it brought (one bulk promotion
  // queues hundreds of previews), so every fetch that finds work wakes its own worker again
  // (pg-boss notifyWorker) to fetch the moment its jobs are settled. Only a fetch that comes
  // back empty waits; burstWhenBatchFull would do this only for full batches, never at size 1.
  const options = { pollingIntervalSeconds: 2, perJobResults: true as const };
  // Each job of a batch settles on its own, so one failure retries only that job.
  const settle = async (name: JobName, job: QueuedJob<unknown>, err: unknown, ms: number) => {
    if (!err) {
      log.info({ queue: name, jobId: job.id, ms }, 'job done');
      return { id: job.id, status: 'completed' as const };
    }
    log.error({ queue: name, jobId: job.id, err }, 'job failed; pg-boss retries it with backoff');
    const subject = jobSubject(name, job.data);
    if (subject)
      await transitionJob(deps.pool, subject.kind, subject.subject, 'retry', {
        ...clientErrorRecord(err, `jobId ${job.id}`),
        retrying: true,
      }).catch(() => {});
    return { id: job.id, status: 'failed' as const, output: { message: (err as Error).message } };
  };
  /**
   * Checks every payload as it arrives: one that does not match its job's schema is a bug in
   * its sender, failed without running the handler (its retries fail the same way, and the
   * dead-letter queue keeps it for inspection).
   */
  const handle = async <N extends JobName>(name: N, handler: JobHandler<N>, fetched: QueuedJob<unknown>[]) => {
    const started = Date.now();
    const payloads: (JobPayload<N> | InvalidJobPayload)[] = fetched.map((job) => {
      try {
        return readJobPayload(name, job.data);
      } catch (err) {
        return err as InvalidJobPayload;
      }
    });
    const valid = payloads.flatMap((p, i) =>
      p instanceof InvalidJobPayload ? [] : [{ job: fetched[i]!, payload: p }],
    );
    const outcomes = new Map<string, unknown>(
      fetched.flatMap((job, i) => (payloads[i] instanceof InvalidJobPayload ? [[job.id, payloads[i]]] : [])),
    );
    if ('batch' in handler) {
      const results = await handler
        .batch(
          deps,
          valid.map((v) => v.payload),
        )
        .catch((err: unknown) => valid.map(() => err));
      for (const [i, v] of valid.entries()) outcomes.set(v.job.id, results[i] ?? null);
    } else {
      // A slot fetches one job at a time: at most one here.
      for (const v of valid)
        outcomes.set(
          v.job.id,
          await handler.each(deps, v.payload).then(
            () => null,
            (err: unknown) => err,
          ),
        );
    }
    return Promise.all(fetched.map((job) => settle(name, job, outcomes.get(job.id), Date.now() - started)));
  };
  /** One pg-boss worker per slot, each taking one job at a time; one for a batch handler. */
  const register = async <N extends JobName>(name: N, handler: JobHandler<N>) => {
    const [workers, batchSize] =
      'batch' in handler ? [1, handler.batchSize(deps.config)] : [handler.slots(deps.config), 1];
    for (let slot = 0; slot < workers; slot++) {
      // Known before this worker's first fetch can come back: work() starts it and returns at once.
      let workerId: string | undefined;
      workerId = await boss.work(jobs[name].queue, { ...options, batchSize }, (fetched: QueuedJob<unknown>[]) => {
        if (workerId) boss.notifyWorker(workerId);
        return handle(name, handler, fetched);
      });
    }
  };
  for (const name of Object.keys(jobHandlers) as JobName[])
    await register(name, jobHandlers[name] as JobHandler<JobName>);
  // One schedule for the whole cluster (pg-boss keeps it in the database); re-setting it is harmless.
  for (const definition of Object.values(jobs))
    if ('schedule' in definition && definition.schedule) await boss.schedule(definition.queue, definition.schedule);
  return {
    stop: async () => {
      for (const definition of Object.values(jobs)) await boss.offWork(definition.queue).catch(() => {});
    },
  };
}
