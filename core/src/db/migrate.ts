import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { runner } from 'node-pg-migrate';

export const migrationsDir = fileURLToPath(new URL('../../../migrations/', import.meta.url));

// One session-level advisory lock serialises every process that migrates this
// database, so several api processes starting at once on an empty database all
// come up: the first applies the migrations, the others wait and find nothing to do.
const MIGRATION_LOCK_KEY = 'mediavault.migrations';

export async function runMigrations(databaseUrl: string, log: (line: string) => void = () => {}): Promise<string[]> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query('SELECT pg_advisory_lock(hashtext($1))', [MIGRATION_LOCK_KEY]);
    const applied = await runner({
      dbClient: client,
      dir: migrationsDir,
      migrationsTable: 'schema_migrations',
      direction: 'up',
      count: Infinity,
      noLock: true,
      checkOrder: true,
      log,
    });
    return applied.map((m) => m.name);
  } finally {
    await client.query('SELECT pg_advisory_unlock(hashtext($1))', [MIGRATION_LOCK_KEY]).catch(() => {});
    await client.end();
  }
}
