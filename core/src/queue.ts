import { PgBoss } from 'pg-boss';
import { jobs } from './jobs.ts';

/** One pg-boss per process, in its own schema of the catalogue database. */
export function createBoss(databaseUrl: string): PgBoss {
  // LISTEN/NOTIFY wakes workers the moment a job is sent instead of at their next poll.
  return new PgBoss({ connectionString: databaseUrl, schema: 'pgboss', max: 5, useListenNotify: true });
}

/** Creates the queue of every job definition (idempotent); api and worker both call it at start. */
export async function ensureQueues(boss: PgBoss): Promise<void> {
  const existing = new Set((await boss.getQueues()).map((q) => q.name));
  // The dead-letter queue first: the others name it.
  const definitions = Object.values(jobs).sort(
    (a, b) => Number(b.queue === jobs.deadLetter.queue) - Number(a.queue === jobs.deadLetter.queue),
  );
  for (const { queue, queueOptions } of definitions) {
    if (existing.has(queue)) {
      // Settings that may change between releases; policy and heartbeat are fixed at creation.
      if (queueOptions.notify !== undefined) await boss.updateQueue(queue, { notify: queueOptions.notify });
      continue;
    }
    try {
      await boss.createQueue(queue, queueOptions);
    } catch (err) {
      // another process created it between our check and now
      if (!/already exists|duplicate key/i.test(String((err as Error).message))) throw err;
    }
  }
}
