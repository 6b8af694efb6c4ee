import { PgBoss } from 'pg-boss';
import type { Backlog } from './backpressure.ts';
import type { Pool } from './db/pool.ts';
import { queues } from './jobs.ts';

export const deadLetterQueue = 'dead-letter';

/** One pg-boss per process, in its own schema of the catalogue database. */
export function createBoss(databaseUrl: string): PgBoss {
  // LISTEN/NOTIFY wakes workers the moment a job is sent instead of at their next poll.
  return new PgBoss({ connectionString: databaseUrl, schema: 'pgboss', max: 5, useListenNotify: true });
}

// Workers refresh a heartbeat every 15 s while a job runs; a worker killed mid-job
// stops refreshing and pg-boss hands the job to another worker after 30 s.
const heartbeatSeconds = 30;

/** Creates the queues (idempotent); api and worker both call it at start. */
export async function ensureQueues(boss: PgBoss): Promise<void> {
  const existing = new Set((await boss.getQueues()).map((q) => q.name));
  const wanted: [string, NonNullable<Parameters<PgBoss['createQueue']>[1]>][] = [
    [deadLetterQueue, { policy: 'standard', retentionSeconds: 14 * 86400 }],
    [queues.promote, { policy: 'standard', deadLetter: deadLetterQueue, heartbeatSeconds, notify: true }],
    [queues.probe, { policy: 'standard', deadLetter: deadLetterQueue, heartbeatSeconds, notify: true }],
    [queues.preview, { policy: 'stately', deadLetter: deadLetterQueue, heartbeatSeconds, notify: true }],
    [queues.maintenance, { policy: 'singleton', retryLimit: 1 }],
  ];
  for (const [name, options] of wanted) {
    if (existing.has(name)) {
      // Settings that may change between releases; policy and heartbeat are fixed at creation.
      if (options.notify !== undefined) await boss.updateQueue(name, { notify: options.notify });
      continue;
    }
    try {
      await boss.createQueue(name, options);
    } catch (err) {
      // another process created it between our check and now
      if (!/already exists|duplicate key/i.test(String((err as Error).message))) throw err;
    }
  }
}

/** How far behind the preview queue is: the api's Retry-After and the worker's output dropping read it. */
export async function previewBacklog(pool: Pool): Promise<Backlog> {
  const { rows } = await pool.query<{ queued: number; age: number | null }>(
    `SELECT count(*)::int AS queued, extract(epoch FROM now() - min(created_on))::float8 AS age
       FROM pgboss.job WHERE name = $1 AND state IN ('created', 'retry') AND start_after <= now()`,
    [queues.preview],
  );
  return { queued: rows[0]?.queued ?? 0, oldestAgeSeconds: rows[0]?.age ?? 0 };
}
