import { PgBoss } from 'pg-boss';
import type { Backlog } from './backpressure.ts';
import type { Pool } from './db/pool.ts';
import { queues } from './jobs.ts';

export const deadLetterQueue = 'dead-letter';

/** One pg-boss per process, in its own schema of the catalogue database. */
export function createBoss(databaseUrl: string): PgBoss {
  return new PgBoss({ connectionString: databaseUrl, schema: 'pgboss', max: 5 });
}

// Workers refresh a heartbeat every 15 s while a job runs; a worker killed mid-job
// stops refreshing and pg-boss hands the job to another worker after 30 s.
const heartbeatSeconds = 30;

/** Creates the queues (idempotent); api and worker both call it at start. */
export async function ensureQueues(boss: PgBoss): Promise<void> {
  const existing = new Set((await boss.getQueues()).map((q) => q.name));
  const wanted: [string, NonNullable<Parameters<PgBoss['createQueue']>[1]>][] = [
    [deadLetterQueue, { policy: 'standard', retentionSeconds: 14 * 86400 }],
    [queues.promote, { policy: 'standard', deadLetter: deadLetterQueue, heartbeatSeconds }],
    [queues.probe, { policy: 'standard', deadLetter: deadLetterQueue, heartbeatSeconds }],
    [queues.preview, { policy: 'stately', deadLetter: deadLetterQueue, heartbeatSeconds }],
    [queues.maintenance, { policy: 'singleton', retryLimit: 1 }],
  ];
  for (const [name, options] of wanted) {
    if (existing.has(name)) continue;
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
