/**
 * A preview queue with work waiting, made the way it really builds up: many builds sent (one
 * per content, as ingest sends them), some of them already run, so the backpressure rules can
 * measure a typical build time. Nothing is backdated: the rules judge work, not age.
 */
import { createHash } from 'node:crypto';
import type { PgBoss } from 'pg-boss';
import type { Pool } from '@mediavault/core/db/pool';
import { sendJobs } from '@mediavault/core/jobs';

export async function queuePreviewBacklog(
  boss: Pick<PgBoss, 'send' | 'insert'>,
  pool: Pool,
  options: { label: string; waiting: number; done: number; buildSeconds: number },
): Promise<void> {
  const payloads = Array.from({ length: options.waiting + options.done }, (_, i) => ({
    sha256: createHash('sha256').update(`${options.label} backlog ${i}`).digest('hex'),
    profile: 'default' as const,
  }));
  await sendJobs(boss, 'preview', payloads, { priority: 'bulk' });
  await pool.query(
    `UPDATE pgboss.job SET state = 'completed', started_on = now() - $2 * interval '1 second', completed_on = now()
      WHERE name = 'preview' AND data->>'sha256' = ANY($1::text[])`,
    [payloads.slice(0, options.done).map((p) => p.sha256), options.buildSeconds],
  );
}
