/**
 * Runs once before all test files (node --test --test-global-setup): one real
 * PostgreSQL for the whole run, the embedded one unless DATABASE_URL is set.
 * Every test file then makes its own database on it (test/helpers/database.ts).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '@mediavault/core/db/embedded';

let embedded: EmbeddedDatabase | null = null;
let dir: string | null = null;

export async function globalSetup(): Promise<void> {
  if (process.env.MEDIAVAULT_TEST_ADMIN_URL) return;
  if (process.env.DATABASE_URL) {
    process.env.MEDIAVAULT_TEST_ADMIN_URL = process.env.DATABASE_URL;
    return;
  }
  dir = await mkdtemp(join(tmpdir(), 'mediavault-test-pg-'));
  embedded = await startEmbeddedPostgres(join(dir, 'pg'));
  process.env.MEDIAVAULT_TEST_ADMIN_URL = embedded.adminUrl;
}

export async function globalTeardown(): Promise<void> {
  if (embedded) await embedded.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
}
