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
  // A database host that drops packets must not hold a request for minutes: fail, answer 503.
  const pool = new pg.Pool({ connectionString: databaseUrl, max: options.max ?? 10, connectionTimeoutMillis: 5000 });
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

const UNREACHABLE_ERRNO = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENOTFOUND']);

/**
 * Whether err says the database cannot be reached or is going away (a restart, a failover,
 * too many connections), rather than that a statement was wrong: requests failing so are
 * worth retrying later (503), and nothing about them is a bug.
 */
export function isDatabaseUnavailable(err: unknown): boolean {
  const { code, message } = (err ?? {}) as { code?: unknown; message?: unknown };
  if (typeof code === 'string') {
    // 08: connection exception; 57P01–57P03: shutdown, crash shutdown, cannot connect now; 53300: too many connections.
    if (/^08/.test(code) || /^57P0[123]$/.test(code) || code === '53300' || UNREACHABLE_ERRNO.has(code)) return true;
  }
  return typeof message === 'string' && /^Connection terminated|timeout exceeded when trying to connect/.test(message);
}
