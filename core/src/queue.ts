import { PgBoss } from 'pg-boss';
import { queues } from './jobs.ts';

export const deadLetterQueue = 'dead-letter';

/** One pg-boss per process, in its own schema of the catalogue database. */
export function createBoss(databaseUrl: string): PgBoss {
  return new PgBoss({ connectionString: databaseUrl, schema: 'pgboss', max: 5 });
}

/** Creates the queues (idempotent); api and worker both call it at start. */
export async function ensureQueues(boss: PgBoss): Promise<void> {
  const existing = new Set((await boss.getQueues()).map((q) => q.name));
  const wanted: [string, Parameters<PgBoss['createQueue']>[1]][] = [
    [deadLetterQueue, { policy: 'standard', retentionSeconds: 14 * 86400 }],
    [queues.promote, { policy: 'standard', deadLetter: deadLetterQueue }],
    [queues.probe, { policy: 'standard', deadLetter: deadLetterQueue }],
    [queues.preview, { policy: 'stately', deadLetter: deadLetterQueue }],
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
