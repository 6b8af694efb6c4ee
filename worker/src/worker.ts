import type { PgBoss } from 'pg-boss';
import type { Config } from '@mediavault/core/config';
import type { Pool } from '@mediavault/core/db/pool';
import { maintenanceSchedule, queues, type PreviewJob, type ProbeJob, type PromoteJob } from '@mediavault/core/jobs';
import type { Storage, StorageRole } from '@mediavault/core/storage/types';
import { handlePromote } from './jobs/promote.ts';
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

/** Registers every queue's handler on a started pg-boss (queues must exist: ensureQueues). */
export async function startWorker(deps: WorkerDeps): Promise<{ stop(): Promise<void> }> {
  const { boss, log } = deps;
  const poll = { pollingIntervalSeconds: 0.5 };
  const run = <T>(name: string, handler: (deps: WorkerDeps, data: T) => Promise<void>) =>
    async (jobs: { id: string; data: T }[]) => {
      for (const job of jobs) {
        const started = Date.now();
        try {
          await handler(deps, job.data);
          log.info({ queue: name, jobId: job.id, ms: Date.now() - started }, 'job done');
        } catch (err) {
          log.error({ queue: name, jobId: job.id, err }, 'job failed; pg-boss retries it with backoff');
          const subject = jobSubject(name, job.data);
          if (subject && name !== deadLetterQueue) await setJobState(deps.pool, name, subject, 'queued', { message: (err as Error).message, retrying: true }).catch(() => {});
          throw err;
        }
      }
    };
  const ids = [
    await boss.work<PromoteJob>(queues.promote, { ...poll, localConcurrency: 2 }, run(queues.promote, handlePromote)),
    await boss.work<ProbeJob>(queues.probe, { ...poll, localConcurrency: 2 }, run(queues.probe, handleProbe)),
    await boss.work<PreviewJob>(queues.preview, { ...poll, localConcurrency: deps.config.workerConcurrency }, run(queues.preview, handlePreview)),
    await boss.work<Record<string, unknown>>(deadLetterQueue, poll, run(deadLetterQueue, handleDeadLetter)),
    await boss.work<Record<string, never>>(queues.maintenance, poll, run(queues.maintenance, (d) => handleMaintenance(d))),
  ];
  // One schedule for the whole cluster (pg-boss keeps it in the database); re-setting it is harmless.
  await boss.schedule(queues.maintenance, maintenanceSchedule);
  return {
    stop: async () => {
      for (const name of [...Object.values(queues), deadLetterQueue]) await boss.offWork(name).catch(() => {});
      void ids;
    },
  };
}
