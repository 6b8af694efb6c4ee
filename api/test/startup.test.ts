import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { migrationsDir } from '@mediavault/core/db/migrate';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { createTestDatabase } from '../../test/helpers/database.ts';

const main = fileURLToPath(new URL('../src/main.ts', import.meta.url));

/** Starts `node api/src/main.ts` and resolves with the URL it listens on. */
function startApiProcess(env: NodeJS.ProcessEnv) {
  const child = spawn(process.execPath, [main], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const url = new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const match = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(line);
      if (match) resolve(match[1]!);
    });
    child.once('exit', (code) => reject(new Error(`api exited with ${code}: ${stderr}`)));
  });
  return { child, url };
}

test('two api processes starting at once on an empty database both come up', { timeout: 90_000 }, async (t) => {
  const db = await createTestDatabase({ migrate: false });
  const dataDir = await mkdtemp(join(tmpdir(), 'mediavault-startup-'));
  t.after(async () => {
    await db.drop();
    await rm(dataDir, { recursive: true, force: true });
  });
  const env = {
    PATH: process.env.PATH,
    DATABASE_URL: db.url,
    API_PORT: '0',
    MEDIAVAULT_DATA_DIR: dataDir,
    EDGE_SIGNING_KEY: 'k'.repeat(40),
    STORAGE_SIGNING_KEY: 's'.repeat(40),
    LOG_LEVEL: 'info',
  };
  const a = startApiProcess(env);
  const b = startApiProcess(env);
  t.after(() => {
    a.child.kill('SIGTERM');
    b.child.kill('SIGTERM');
  });
  const urls = await Promise.all([a.url, b.url]);
  for (const url of urls) {
    const res = await fetch(`${url}/healthz`);
    assert.equal(res.status, 200);
  }
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  const { rows } = await client.query('SELECT name FROM schema_migrations');
  await client.end();
  const files = (await readdir(migrationsDir))
    .filter((f) => f.endsWith('.sql'))
    .map((f) => f.replace(/\.sql$/, ''))
    .sort();
  assert.ok(files.length >= 2);
  assert.deepEqual(rows.map((r) => r.name).sort(), files, 'each migration applied exactly once');
});
