/**
 * Scale-out on one machine: two worker processes' worth of pg-boss consumers on one
 * database share the promotion queue, and every upload is promoted exactly once.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import type { PgBoss } from 'pg-boss';
import { createBoss } from '@mediavault/core/queue';
import { bearer, startTestApi, type TestApi } from '../../test/helpers/api.ts';
import { startWorker } from '../src/worker.ts';

let api: TestApi;
const bosses: PgBoss[] = [];
const stops: (() => Promise<void>)[] = [];
const handledBy = new Map<string, string[]>();
let onJobDone: () => void = () => {};

before(async () => {
  api = await startTestApi();
  for (const name of ['worker-a', 'worker-b']) {
    const boss = createBoss(api.databaseUrl);
    // The database is dropped at the end while this boss may still hold a connection.
    boss.on('error', () => {});
    await boss.start();
    bosses.push(boss);
    const log = {
      info: (o: object) => {
        const { queue, jobId } = o as { queue?: string; jobId?: string };
        if (queue === 'promote' && jobId) {
          handledBy.set(jobId, [...(handledBy.get(jobId) ?? []), name]);
          onJobDone();
        }
      },
      warn() {},
      error() {},
    };
    const worker = await startWorker({ config: api.config, pool: api.pool, boss, storages: api.storages, log });
    stops.push(worker.stop);
  }
});
after(async () => {
  for (const stop of stops) await stop();
  for (const boss of bosses) await boss.stop({ graceful: false, timeout: 1000 }).catch(() => {});
  await api?.close();
});

test('two workers share the queue and promote every upload exactly once', { timeout: 60_000 }, async () => {
  const headers = { ...bearer(api.org.token), 'content-type': 'application/json' };
  const uploads: string[] = [];
  for (let i = 0; i < 12; i++) {
    const bytes = randomBytes(2000 + i);
    const presign = await (
      await fetch(`${api.url}/api/presign`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ name: `shot-${i}.bin`, size: bytes.length, projectId: api.org.projectId }),
      })
    ).json();
    const put = await fetch(presign.parts[0].url, { method: 'PUT', body: new Uint8Array(bytes) });
    await fetch(`${api.url}/api/uploads/${presign.uploadId}/complete`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ parts: [{ partNumber: 1, etag: put.headers.get('etag') }] }),
    });
    const promote = await fetch(`${api.url}/api/promote`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ uploadId: presign.uploadId, sha256: createHash('sha256').update(bytes).digest('hex') }),
    });
    assert.equal(promote.status, 202);
    uploads.push(presign.uploadId);
  }
  // Wait on the workers' own reports rather than a clock: every promotion job has finished.
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${handledBy.size} of ${uploads.length} promotions ran`)), 50_000);
    onJobDone = () => {
      if (handledBy.size >= uploads.length) {
        clearTimeout(timer);
        resolve();
      }
    };
    onJobDone();
  });
  const promoted = await api.pool.query(
    `SELECT count(*)::int AS n FROM uploads WHERE id = ANY($1) AND status = 'promoted'`,
    [uploads],
  );
  assert.equal(promoted.rows[0].n, uploads.length);
  const versions = await api.pool.query(
    `SELECT count(*)::int AS n FROM versions v JOIN assets a ON a.id = v.asset_id WHERE a.name LIKE 'shot-%'`,
  );
  assert.equal(versions.rows[0].n, 12, 'one version per upload');
  const runs = [...handledBy.values()];
  assert.equal(runs.length, 12, 'every promotion job ran');
  assert.ok(
    runs.every((r) => r.length === 1),
    'no job ran twice',
  );
  const workers = new Set(runs.flat());
  assert.deepEqual([...workers].sort(), ['worker-a', 'worker-b'], 'both workers took jobs');
});
