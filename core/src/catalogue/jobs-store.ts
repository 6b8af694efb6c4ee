/**
 * The catalogue's record of background jobs (the `jobs` table, which the api lists
 * and whose changes are published as events), and what the api reads of pg-boss's
 * own queue table. A row is one run of a queue job for a subject; its state changes
 * through the transitions of core/src/transitions.ts.
 */
import type { Queryable } from '../db/pool.ts';
import { microsecondsIso, selectColumns, type KeysetPosition } from './columns.ts';
import type { Backlog } from '../backpressure.ts';
import { jobTransitions, type JobState, type JobTransitionName } from '../transitions.ts';

/** What a job works on, by kind: promote → upload id, probe → version id, preview → `sha256:profile`. */
export type JobKind = 'promote' | 'probe' | 'preview';

export interface JobRun {
  id: string;
  kind: string;
  subject: string;
  state: JobState;
  attempts: number;
  error: Record<string, unknown> | null;
  createdAt: Date;
  updatedAt: Date;
}

const jobColumns = selectColumns<JobRun>(
  {
    id: 'id',
    kind: 'kind',
    subject: 'subject',
    state: 'state',
    attempts: 'attempts',
    error: 'error',
    createdAt: 'created_at',
    updatedAt: 'updated_at',
  },
  'j',
);

/** Runs queued by an organization's request (promotions), one per subject. */
export async function insertQueuedJobs(
  db: Queryable,
  organizationId: string,
  kind: JobKind,
  subjects: string[],
): Promise<void> {
  if (subjects.length === 0) return;
  await db.query(
    `INSERT INTO jobs (organization_id, kind, subject, state) SELECT $1, $2, s, 'queued' FROM unnest($3::text[]) AS s`,
    [organizationId, kind, subjects],
  );
}

/**
 * Applies a transition to the latest run of each subject. A subject whose latest run
 * cannot take it (it completed or died, or there is none) gets a new run in the target state.
 */
export async function transitionJobs(
  db: Queryable,
  kind: JobKind,
  subjects: string[],
  transition: JobTransitionName,
  error: Record<string, unknown> | null = null,
): Promise<void> {
  if (subjects.length === 0) return;
  const { to, from } = jobTransitions[transition];
  const startsAttempt = transition === 'start';
  const { rows } = await db.query<{ subject: string }>(
    `UPDATE jobs SET state = $3, error = $4, attempts = attempts + $5, updated_at = now()
      WHERE id IN (SELECT DISTINCT ON (subject) id FROM jobs WHERE kind = $1 AND subject = ANY($2::text[])
                    ORDER BY subject, created_at DESC)
        AND state = ANY($6::text[])
      RETURNING subject`,
    [kind, subjects, to, error, startsAttempt ? 1 : 0, from],
  );
  const moved = new Set(rows.map((r) => r.subject));
  const fresh = subjects.filter((s) => !moved.has(s));
  if (fresh.length === 0) return;
  await db.query(
    `INSERT INTO jobs (kind, subject, state, error, attempts) SELECT $1, s, $3, $4, $5 FROM unnest($2::text[]) AS s`,
    [kind, fresh, to, error, startsAttempt ? 1 : 0],
  );
}

export function transitionJob(
  db: Queryable,
  kind: JobKind,
  subject: string,
  transition: JobTransitionName,
  error: Record<string, unknown> | null = null,
): Promise<void> {
  return transitionJobs(db, kind, [subject], transition, error);
}

/** The error the latest run of a subject recorded (what the dead-letter handler reports). */
export async function latestJobError(
  db: Queryable,
  kind: JobKind,
  subject: string,
): Promise<Record<string, unknown> | null> {
  const { rows } = await db.query<{ error: Record<string, unknown> | null }>(
    'SELECT error FROM jobs WHERE kind = $1 AND subject = $2 ORDER BY created_at DESC LIMIT 1',
    [kind, subject],
  );
  return rows[0]?.error ?? null;
}

/**
 * Job runs an organization may see, newest first, a page at a time. Preview and probe runs are keyed by
 * content, not organization: they are visible to organizations holding those bytes.
 */
export async function listJobRuns(
  db: Queryable,
  organizationId: string,
  filter: { state?: JobState; kind?: JobKind; limit: number; after: KeysetPosition | null },
): Promise<{ items: JobRun[]; next: KeysetPosition | null }> {
  const { rows } = await db.query<JobRun & { cursorAt: string }>(
    `SELECT ${jobColumns}, ${microsecondsIso('j.created_at')} AS "cursorAt" FROM jobs j
      WHERE ($2::text IS NULL OR j.state = $2) AND ($3::text IS NULL OR j.kind = $3)
        AND ($5::timestamptz IS NULL OR (j.created_at, j.id) < ($5::timestamptz, $6::uuid))
        AND (j.organization_id = $1
             OR (j.organization_id IS NULL AND EXISTS (
                   SELECT 1 FROM versions v JOIN assets a ON a.id = v.asset_id
                    WHERE a.organization_id = $1 AND (v.sha256 = left(j.subject, 64) OR v.id::text = j.subject))))
      ORDER BY j.created_at DESC, j.id DESC LIMIT $4`,
    [
      organizationId,
      filter.state ?? null,
      filter.kind ?? null,
      filter.limit + 1,
      filter.after?.createdAt ?? null,
      filter.after?.id ?? null,
    ],
  );
  const page = rows.slice(0, filter.limit);
  const last = page[page.length - 1];
  return {
    items: page.map(({ cursorAt: _cursorAt, ...run }) => run),
    next: rows.length > filter.limit && last ? { createdAt: last.cursorAt, id: last.id } : null,
  };
}

/**
 * What the backpressure rules judge a pg-boss queue by (core/src/backpressure.ts): the jobs
 * waiting to start, the jobs running on every worker, and the median time of the latest builds
 * (over the last hour; null before any, when nothing is dropped).
 */
export async function queueBacklog(db: Queryable, queue: string): Promise<Required<Backlog>> {
  const { rows } = await db.query<{ queued: number; running: number; typical: number | null }>(
    `SELECT count(*) FILTER (WHERE state IN ('created', 'retry') AND start_after <= now())::int AS queued,
            count(*) FILTER (WHERE state = 'active')::int AS running,
            (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM completed_on - started_on))
               FROM (SELECT started_on, completed_on FROM pgboss.job
                      WHERE name = $1 AND state = 'completed' AND completed_on > now() - interval '1 hour'
                      ORDER BY completed_on DESC LIMIT 20) AS latest)::float8 AS typical
       FROM pgboss.job WHERE name = $1 AND state IN ('created', 'retry', 'active')`,
    [queue],
  );
  const row = rows[0];
  return { queued: row?.queued ?? 0, running: row?.running ?? 0, typicalBuildSeconds: row?.typical ?? null };
}
