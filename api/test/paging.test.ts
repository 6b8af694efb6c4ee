/**
 * Keyset paging at the database's full precision. Rows written in one transaction share one
 * now(): a cursor rounded to milliseconds (a JavaScript Date) dropped or repeated them.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { withTransaction } from '@mediavault/core/db/pool';
import { recordMasters } from '@mediavault/core/catalogue/masters-store';
import { recordPromotions } from '@mediavault/core/catalogue/promotion-store';
import { masterKey } from '@mediavault/core/keys';
import { bearer, startTestApi, type TestApi } from '../../test/helpers/api.ts';

let api: TestApi;
const assetIds = new Set<string>();
const jobIds = new Set<string>();

before(async () => {
  api = await startTestApi();
  const shas = Array.from({ length: 1000 }, (_, i) => createHash('sha256').update(`asset ${i}`).digest('hex'));
  // One batch, one transaction: every asset gets the same created_at.
  const promoted = await withTransaction(api.pool, async (db) => {
    await recordMasters(
      db,
      shas.map((sha256) => ({ sha256, size: 1, storageKey: masterKey(sha256), retainUntil: new Date() })),
    );
    return recordPromotions(
      db,
      shas.map((sha256, i) => ({
        organizationId: api.org.organizationId,
        userId: api.org.userId,
        mapping: { projectId: api.org.projectId, collectionPath: 'batch' },
        fileName: `clip-${i}.mov`,
        sha256,
        size: 1,
        contentType: null,
      })),
    );
  });
  for (const p of promoted) assetIds.add(p.assetId);
  const { rows } = await api.pool.query<{ id: string }>(
    `INSERT INTO jobs (organization_id, kind, subject, state)
     SELECT $1, 'promote', gen_random_uuid()::text, 'completed' FROM generate_series(1, 300) RETURNING id`,
    [api.org.organizationId],
  );
  for (const r of rows) jobIds.add(r.id);
});
after(() => api?.close());

async function pageThrough(path: string, limit: number): Promise<string[]> {
  const seen: string[] = [];
  let cursor: string | null = null;
  do {
    const url: string = `${api.url}${path}?limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`;
    const res: Response = await fetch(url, { headers: bearer(api.org.token) });
    assert.equal(res.status, 200);
    const body = (await res.json()) as { items: { id: string }[]; nextCursor: string | null };
    assert.ok(body.items.length <= limit);
    seen.push(...body.items.map((i) => i.id));
    cursor = body.nextCursor;
  } while (cursor);
  return seen;
}

function assertEachOnce(seen: string[], expected: Set<string>, label: string) {
  assert.equal(new Set(seen).size, seen.length, `${label}: no id repeated`);
  assert.deepEqual(new Set(seen), expected, `${label}: every id, none missing`);
}

test('1,000 assets promoted in one batch page out exactly once at limits 1, 7 and 500', async () => {
  const { rows } = await api.pool.query('SELECT count(DISTINCT created_at)::int AS n FROM assets');
  assert.equal(rows[0].n, 1, 'the batch shares one timestamp (what made rounded cursors drop assets)');
  for (const limit of [1, 7, 500])
    assertEachOnce(await pageThrough(`/api/projects/${api.org.projectId}/assets`, limit), assetIds, `limit ${limit}`);
});

test('job runs written together page out exactly once', async () => {
  for (const limit of [1, 7, 500]) assertEachOnce(await pageThrough('/api/jobs', limit), jobIds, `limit ${limit}`);
});
