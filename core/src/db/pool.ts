import pg from 'pg';

export type Pool = pg.Pool;
export type PoolClient = pg.PoolClient;

// bigint (int8) columns hold byte sizes well under 2^53; read them as numbers.
pg.types.setTypeParser(20, (value) => Number(value));

/**
 * An idle pooled connection can fail on its own: the server restarts, an operator terminates
 * it, or the database is dropped on shutdown (57P01). pg-pool then discards the connection and
 * the next query opens a new one, but it also emits 'error' on the pool, which kills the process
 * when nobody listens. A query's own failure still reaches its caller; this is only the idle case,
 * told to `log` (when given) as one line.
 */
export function createPool(
  databaseUrl: string,
  options: { max?: number; log?: (line: string, err: Error) => void } = {},
): pg.Pool {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: options.max ?? 10 });
  pool.on('error', (err) =>
    options.log?.(`database: an idle connection failed (${err.message}); the next query opens a new one`, err),
  );
  return pool;
}

/** Runs fn inside one transaction on one pooled connection; rolls back on any error. */
export async function withTransaction<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}

/** What a store function runs its statements on: the pool, or the client of a transaction. */
export type Queryable = pg.Pool | pg.PoolClient;

/** One round trip: throws when the database cannot answer (health checks). */
export async function pingDatabase(db: Queryable): Promise<void> {
  await db.query('SELECT 1');
}
