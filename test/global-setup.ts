/**
 * Runs once before all test files (node --test --test-global-setup): one real
 * PostgreSQL for the whole run, the embedded one unless DATABASE_URL is set.
 * Every test file then makes its own database on it (test/helpers/database.ts).
 * The embedded server lives in a child process (see helpers/postgres-server.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

let server: ChildProcess | null = null;
let dir: string | null = null;

export async function globalSetup(): Promise<void> {
  if (process.env.MEDIAVAULT_TEST_ADMIN_URL) return;
  if (process.env.DATABASE_URL) {
    process.env.MEDIAVAULT_TEST_ADMIN_URL = process.env.DATABASE_URL;
    return;
  }
  dir = await mkdtemp(join(tmpdir(), 'mediavault-test-pg-'));
  const script = fileURLToPath(new URL('./helpers/postgres-server.ts', import.meta.url));
  server = spawn(process.execPath, [script, join(dir, 'pg')], { stdio: ['pipe', 'pipe', 'inherit'] });
  const child = server;
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`the test PostgreSQL exited with ${code} before it was ready`)));
  });
  process.env.MEDIAVAULT_TEST_ADMIN_URL = (JSON.parse(line) as { adminUrl: string }).adminUrl;
}

export async function globalTeardown(): Promise<void> {
  if (server && server.exitCode === null) {
    const exited = new Promise((resolve) => server!.once('exit', resolve));
    server.kill('SIGTERM');
    await exited;
  }
  if (dir) await rm(dir, { recursive: true, force: true });
}
