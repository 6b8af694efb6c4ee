import type { Pool } from '@mediavault/core/db/pool';

/** Mirrors a job's state into the catalogue's jobs table, where the api reads it. */
export async function setJobState(
  pool: Pool,
  kind: string,
  subject: string,
  state: 'queued' | 'active' | 'completed' | 'failed' | 'dead',
  error?: unknown,
): Promise<void> {
  const updated = await pool.query(
    `UPDATE jobs SET state = $3, error = $4, attempts = attempts + (CASE WHEN $3 = 'active' THEN 1 ELSE 0 END), updated_at = now()
      WHERE id = (SELECT id FROM jobs WHERE kind = $1 AND subject = $2 ORDER BY created_at DESC LIMIT 1)`,
    [kind, subject, state, error ?? null],
  );
  if (updated.rowCount === 0) {
    await pool.query(`INSERT INTO jobs (kind, subject, state, error, attempts) VALUES ($1, $2, $3, $4, $5)`, [
      kind,
      subject,
      state,
      error ?? null,
      state === 'active' ? 1 : 0,
    ]);
  }
}

/** setJobState for many subjects of one kind in two statements (a batch of promotions). */
export async function setJobStates(
  pool: Pool,
  kind: string,
  subjects: string[],
  state: 'active' | 'completed',
): Promise<void> {
  if (subjects.length === 0) return;
  const { rows } = await pool.query<{ subject: string }>(
    `UPDATE jobs SET state = $3, error = NULL, attempts = attempts + (CASE WHEN $3 = 'active' THEN 1 ELSE 0 END), updated_at = now()
      WHERE id IN (SELECT DISTINCT ON (subject) id FROM jobs WHERE kind = $1 AND subject = ANY($2::text[]) ORDER BY subject, created_at DESC)
      RETURNING subject`,
    [kind, subjects, state],
  );
  const seen = new Set(rows.map((r) => r.subject));
  const missing = subjects.filter((s) => !seen.has(s));
  if (missing.length > 0) {
    await pool.query(
      `INSERT INTO jobs (kind, subject, state, attempts) SELECT $1, s, $3, $4 FROM unnest($2::text[]) AS s`,
      [kind, missing, state, state === 'active' ? 1 : 0],
    );
  }
}
