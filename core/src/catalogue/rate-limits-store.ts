/** Rate-limit windows in PostgreSQL, so every api process counts against the same limit. */
import type { Queryable } from '../db/pool.ts';

/**
 * Counts one hit on key in a fixed window of windowMs (a window that has ended starts again
 * at 1), in one statement. Answers the hits so far and the milliseconds the window has left.
 */
export async function countHit(
  db: Queryable,
  key: string,
  windowMs: number,
): Promise<{ hits: number; remainingMs: number }> {
  const { rows } = await db.query<{ hits: number; remaining_ms: number }>(
    `INSERT INTO rate_limit_windows AS w (key, hits, window_ends)
     VALUES ($1, 1, clock_timestamp() + $2 * interval '1 millisecond')
     ON CONFLICT (key) DO UPDATE SET
       hits = CASE WHEN w.window_ends <= clock_timestamp() THEN 1 ELSE w.hits + 1 END,
       window_ends = CASE WHEN w.window_ends <= clock_timestamp()
                          THEN clock_timestamp() + $2 * interval '1 millisecond' ELSE w.window_ends END
     RETURNING hits, greatest(0, extract(epoch FROM window_ends - clock_timestamp()) * 1000)::float8 AS remaining_ms`,
    [key, windowMs],
  );
  const row = rows[0]!;
  return { hits: row.hits, remainingMs: row.remaining_ms };
}

/** Removes windows that ended a while ago (keys of tokens and addresses seen once). */
export async function forgetEndedWindows(db: Queryable): Promise<number> {
  const { rowCount } = await db.query(
    `DELETE FROM rate_limit_windows WHERE window_ends < clock_timestamp() - interval '10 minutes'`,
  );
  return rowCount ?? 0;
}
