/**
 * The preview queue drains at worker speed: with a backlog queued, the worker takes the next
 * build as soon as one is settled instead of waiting out a poll (2 s) or the NOTIFY backstop
 * (30 s), and never runs more builds at once than WORKER_CONCURRENCY. Real PostgreSQL, pg-boss,
 * fs storage and ffmpeg; gaps are read from pg-boss's own started_on/completed_on.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type Config } from '@mediavault/core/config';
import { queues } from '@mediavault/core/jobs';
import { openRuntime, type Runtime } from '@mediavault/core/runtime';
import { createTestDatabase, type TestDatabase } from '../../test/helpers/database.ts';
import {
  completedPreviewRuns,
  gapsBetweenRuns,
  generatePreviewMasters,
  mostAtOnce,
  queuePreviewBuilds,
  runWorkerUntilBuilt,
} from './preview-backlog.ts';

let db: TestDatabase;
let dir: string;
let runtime: Runtime;
let masters: string[];

before(async () => {
  db = await createTestDatabase();
  dir = await mkdtemp(join(tmpdir(), 'mediavault-drain-'));
  const config = loadConfig({
    MEDIAVAULT_DATA_DIR: dir,
    DATABASE_URL: db.url,
    EDGE_SIGNING_KEY: 'e'.repeat(32),
    STORAGE_SIGNING_KEY: 's'.repeat(32),
  });
  // The database is dropped at the end while pg-boss may still hold a connection: no report then.
  runtime = await openRuntime(config, { databaseUrl: db.url, apiUrl: 'http://127.0.0.1:1' });
  masters = await generatePreviewMasters(dir, 9);
});
after(async () => {
  await runtime?.close();
  await db?.drop();
  await rm(dir, { recursive: true, force: true });
});

/**
 * Queues builds of these masters and runs a worker until every one is settled (the deadline
 * only fails the test: the broken drain waited 30 s between builds); answers pg-boss's runs.
 */
async function drain(paths: string[], config: Config) {
  const shas = await queuePreviewBuilds(runtime, paths);
  try {
    await runWorkerUntilBuilt({ ...runtime, config }, shas.length, 60_000);
  } finally {
    // What a failed drain left queued is not the next test's backlog.
    await runtime.boss.deleteQueuedJobs(queues.preview);
  }
  const runs = await completedPreviewRuns(runtime.pool, shas);
  assert.equal(runs.length, shas.length, 'every build completed once');
  return runs;
}

test('one worker takes each queued preview as soon as the last one is settled', { timeout: 90_000 }, async (t) => {
  const runs = await drain(masters.slice(0, 5), { ...runtime.config, workerConcurrency: 1 });
  const gaps = gapsBetweenRuns(runs);
  t.diagnostic(`gaps between builds (ms): ${gaps.join(', ')}`);
  assert.equal(mostAtOnce(runs), 1, 'WORKER_CONCURRENCY=1: one build at a time');
  // A poll interval is 2 s (30 s with NOTIFY on); a fetch after a settle takes milliseconds.
  for (const gap of gaps) assert.ok(gap < 1000, `gaps between builds (ms): ${gaps.join(', ')}`);
});

test('WORKER_CONCURRENCY=2 keeps two builds running while the backlog lasts, never more', {
  timeout: 90_000,
}, async () => {
  const runs = await drain(masters.slice(5), { ...runtime.config, workerConcurrency: 2 });
  assert.equal(mostAtOnce(runs), 2);
});
