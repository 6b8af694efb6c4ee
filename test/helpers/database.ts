import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import pg from 'pg';
import { runMigrations } from '@mediavault/core/db/migrate';

export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

let standalone: Promise<string> | null = null;

/** The server of this test run: the global setup's, or (a file run on its own) one started here. */
async function adminUrl(): Promise<string> {
  if (process.env.MEDIAVAULT_TEST_ADMIN_URL) return process.env.MEDIAVAULT_TEST_ADMIN_URL;
  if (process.env.DATABASE_URL) return process.env.DATABASE_URL;
  standalone ??= (async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mediavault-test-pg-'));
    // Loaded only here (a file run on its own): the library's exit hooks have no place in other runs.
    const { startEmbeddedPostgres } = await import('@mediavault/core/db/embedded');
    const db = await startEmbeddedPostgres(join(dir, 'pg'));
    after(async () => {
      await db.stop();
      await rm(dir, { recursive: true, force: true });
    });
    return db.adminUrl;
  })();
  return standalone;
}

/** A fresh, migrated database of its own for one test file. */
export async function createTestDatabase(options: { migrate?: boolean } = {}): Promise<TestDatabase> {
  const admin = await adminUrl();
  const name = `mv_test_${randomBytes(6).toString('hex')}`;
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  await client.query(`CREATE DATABASE ${name}`);
  await client.end();
  const url = new URL(admin);
  url.pathname = `/${name}`;
  if (options.migrate !== false) await runMigrations(url.toString());
  return {
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: admin });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}
