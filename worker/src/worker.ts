import type { PgBoss } from 'pg-boss';
import type { Config } from '@mediavault/core/config';
import type { Pool } from '@mediavault/core/db/pool';
import { maintenanceSchedule, queues, type PreviewJob, type ProbeJob, type PromoteJob } from '@mediavault/core/jobs';
import type { Storage, StorageRole } from '@mediavault/core/storage/types';
import { promoteUploads } from './jobs/promote.ts';
import { handleProbe } from './jobs/probe.ts';
import { handlePreview } from './jobs/preview.ts';
import { handleDeadLetter, jobSubject } from './jobs/dead-letter.ts';
import { handleMaintenance } from './jobs/maintenance.ts';
import { setJobState } from './jobs/job-state.ts';
import { deadLetterQueue } from '@mediavault/core/queue';

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

/**
 * How many jobs of each queue one worker takes per fetch and runs at once. With
 * burstWhenBatchFull pg-boss fetches again at once while fetches come back full, so a batch
 * above 1 is also what keeps a deep queue (thousands of small promotions after a NAS ingest)
 * from waiting a poll per job.
 * Promotion and probe are I/O-bound; previews are CPU-bound (WORKER_CONCURRENCY).
 */
function batchSizes(config: Config) {
  // A promotion batch shares one catalogue transaction and verifies VERIFY_IN_FLIGHT uploads at once.
  return { promote: 64, probe: 4, preview: config.workerConcurrency, deadLetter: 4, maintenance: 1 };
}

/** Registers every queue's handler on a started pg-boss (queues must exist: ensureQueues). */
export async function startWorker(deps: WorkerDeps): Promise<{ stop(): Promise<void> }> {
  const { boss, log } = deps;
  const sizes = batchSizes(deps.config);
  // burstWhenBatchFull: a full fetch means more is waiting, so fetch again at once. Without it a
  // worker whose queue has NOTIFY on waits out the (30 s) notify backstop after each batch unless
  // another notification came in meanwhile — and one bulk insert sends only one.
  const options = (batchSize: number) => ({
    pollingIntervalSeconds: 2,
    batchSize,
    perJobResults: true as const,
    burstWhenBatchFull: true,
  });
  // Each job of a batch settles on its own, so one failure retries only that job.
  const settle = async (name: string, job: { id: string; data: unknown }, err: unknown, ms: number) => {
    if (!err) {
      log.info({ queue: name, jobId: job.id, ms }, 'job done');
      return { id: job.id, status: 'completed' as const };
    }
    log.error({ queue: name, jobId: job.id, err }, 'job failed; pg-boss retries it with backoff');
    const subject = jobSubject(job.data);
    if (subject && name !== deadLetterQueue)
      await setJobState(deps.pool, name, subject, 'queued', { message: (err as Error).message, retrying: true }).catch(
        () => {},
      );
    return { id: job.id, status: 'failed' as const, output: { message: (err as Error).message } };
  };
  // The jobs of a batch run side by side.
  const run =
    <T>(name: string, handler: (deps: WorkerDeps, data: T) => Promise<void>) =>
    async (jobs: { id: string; data: T }[]) =>
      Promise.all(
        jobs.map(async (job) => {
          const started = Date.now();
          const err = await handler(deps, job.data).then(
            () => null,
            (e: unknown) => e,
          );
          return settle(name, job, err, Date.now() - started);
        }),
      );
  // Promotions are handled a batch at a time: their catalogue writes share one transaction.
  await boss.work<PromoteJob>(queues.promote, options(sizes.promote), async (jobs) => {
    const started = Date.now();
    const outcomes = await promoteUploads(
      deps,
      jobs.map((j) => j.data),
    ).catch((err: unknown) => jobs.map(() => err));
    return Promise.all(jobs.map((job, i) => settle(queues.promote, job, outcomes[i], Date.now() - started)));
  });
  await boss.work<ProbeJob>(queues.probe, options(sizes.probe), run(queues.probe, handleProbe));
  await boss.work<PreviewJob>(queues.preview, options(sizes.preview), run(queues.preview, handlePreview));
  await boss.work<Record<string, unknown>>(
    deadLetterQueue,
    options(sizes.deadLetter),
    run(deadLetterQueue, handleDeadLetter),
  );
  await boss.work<Record<string, never>>(
    queues.maintenance,
    options(sizes.maintenance),
    run(queues.maintenance, (d) => handleMaintenance(d)),
  );
  // One schedule for the whole cluster (pg-boss keeps it in the database); re-setting it is harmless.
  await boss.schedule(queues.maintenance, maintenanceSchedule);
  return {
    stop: async () => {
      for (const name of [...Object.values(queues), deadLetterQueue]) await boss.offWork(name).catch(() => {});
    },
  };
}
