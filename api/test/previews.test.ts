import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { previewPriority } from '@mediavault/core/backpressure';
import { bearer, startTestApi, type TestApi } from '../../test/helpers/api.ts';
import { queuePreviewBacklog } from '../../test/helpers/queue-backlog.ts';

const boss = () => api.boss;

let api: TestApi;
before(async () => {
  api = await startTestApi({ env: { PREVIEW_BACKLOG_SECONDS: '60' } });
});
after(async () => api?.close());

async function seedVersion(label: string): Promise<string> {
  const sha = createHash('sha256').update(label).digest('hex');
  await api.pool.query(
    `WITH m AS (INSERT INTO masters (sha256, size, storage_key, retain_until) VALUES ($1, 1, 'k', now() + interval '1 day') RETURNING sha256),
          a AS (INSERT INTO assets (organization_id, project_id, name) VALUES ($2, $3, $4) RETURNING id)
     INSERT INTO versions (asset_id, number, sha256, size, original_name) SELECT a.id, 1, m.sha256, 1, $4 FROM a, m`,
    [sha, api.org.organizationId, api.org.projectId, label],
  );
  return sha;
}

const request = (body: unknown) =>
  fetch(`${api.url}/api/preview`, {
    method: 'POST',
    headers: { ...bearer(api.org.token), 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

async function jobsFor(sha: string) {
  const { rows } = await api.pool.query(
    `SELECT priority, state FROM pgboss.job WHERE name = 'preview' AND data->>'sha256' = $1`,
    [sha],
  );
  return rows;
}

test('concurrent requests for one sha and profile queue exactly one build', async () => {
  const sha = await seedVersion('concurrent.mov');
  const responses = await Promise.all(Array.from({ length: 8 }, () => request({ sha256: sha })));
  for (const res of responses) {
    assert.equal(res.status, 202);
    assert.ok(Number(res.headers.get('retry-after')) > 0);
  }
  assert.equal((await jobsFor(sha)).length, 1);
  // Profiles are a closed set: a made-up one would be a whole ffmpeg run per name.
  const unknown = await request({ sha256: sha, profile: 'proxy-hd' });
  assert.equal(unknown.status, 400);
  assert.equal((await jobsFor(sha)).length, 1, 'an unknown profile queues nothing');
});

test('an interactive request moves a bulk-queued build up; a deep backlog lengthens Retry-After', async () => {
  const sha = await seedVersion('bulk.mov');
  await request({ sha256: sha, priority: 'bulk' });
  assert.deepEqual(
    (await jobsFor(sha)).map((j) => j.priority),
    [previewPriority.bulk],
  );
  const calm = Number((await request({ sha256: sha })).headers.get('retry-after'));
  assert.deepEqual(
    (await jobsFor(sha)).map((j) => j.priority),
    [previewPriority.interactive],
  );
  // 300 builds waiting at 4 s each (measured on 20 that ran): 20 minutes of work for one worker.
  await queuePreviewBacklog(boss(), api.pool, { label: 'deep', waiting: 300, done: 20, buildSeconds: 4 });
  const busy = Number((await request({ sha256: sha })).headers.get('retry-after'));
  assert.ok(busy > calm, `Retry-After grows with the backlog (${calm} → ${busy})`);
});

test('a ready preview answers 200 without queueing anything', async () => {
  const sha = await seedVersion('ready.mov');
  await api.pool.query(`INSERT INTO previews (sha256, profile, status) VALUES ($1, 'default', 'ready')`, [sha]);
  const res = await request({ sha256: sha });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('retry-after'), null);
  assert.equal((await jobsFor(sha)).length, 0);
});
