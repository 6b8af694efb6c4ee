/**
 * promoteUploads on batches of whole-object uploads, as one worker fetch brings them:
 * the real api (PostgreSQL, fs storage behind its presigned URLs) stages the files and
 * queues the jobs; the handler is called directly, so the test decides what is in a
 * batch, what goes wrong in it and when it runs again.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { utimes, writeFile } from 'node:fs/promises';
import { masterKey } from '@mediavault/core/keys';
import type { PromoteJob } from '@mediavault/core/jobs';
import { bearer, startTestApi, type TestApi } from '../../test/helpers/api.ts';
import { promoteUploads } from '../src/jobs/promote.ts';

const log = { info() {}, warn() {}, error() {} };
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

let api: TestApi;
before(async () => {
  api = await startTestApi();
});
after(async () => {
  await api?.close();
});

const deps = () => ({ config: api.config, pool: api.pool, boss: api.boss, storages: api.storages, log });

async function post(path: string, body: unknown) {
  const res = await fetch(`${api.url}${path}`, {
    method: 'POST',
    headers: { ...bearer(api.org.token), 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const json = await res.json();
  assert.equal(res.status, 200, JSON.stringify(json));
  return json;
}

interface Staged {
  uploadId: string;
  stagingKey: string;
  name: string;
  bytes: Buffer;
  job: PromoteJob;
}

/**
 * Files sent like any client does: one presignUploadBatch, one PUT each, one
 * completeUploadBatch with the mapping. Answers them with the promote jobs pg-boss holds.
 */
async function stage(
  files: { name: string; bytes: Buffer }[],
  mapping: Record<string, unknown> = {},
): Promise<Staged[]> {
  const presigned = await post('/api/uploads/batch', {
    projectId: api.org.projectId,
    files: files.map((f) => ({ name: f.name, size: f.bytes.length, sha256: sha256(f.bytes) })),
  });
  const started = presigned.files as {
    status: string;
    uploadId: string;
    stagingKey: string;
    url: string;
    checksumSha256: string;
  }[];
  const etags: string[] = [];
  for (const [i, s] of started.entries()) {
    assert.equal(s.status, 'upload');
    const put = await fetch(s.url, {
      method: 'PUT',
      body: new Uint8Array(files[i]!.bytes),
      headers: { 'x-amz-checksum-sha256': s.checksumSha256 },
    });
    assert.equal(put.status, 200, await put.clone().text());
    etags.push(put.headers.get('etag')!);
  }
  const completed = await post('/api/uploads/batch/complete', {
    uploads: started.map((s, i) => ({ uploadId: s.uploadId, etag: etags[i], promote: mapping })),
  });
  assert.deepEqual(
    completed.uploads.map((u: { status: string }) => u.status),
    started.map(() => 'promoting'),
  );
  const ids = started.map((s) => s.uploadId);
  const { rows } = await api.pool.query(
    `SELECT data FROM pgboss.job WHERE name = 'promote' AND data->>'uploadId' = ANY($1::text[])`,
    [ids],
  );
  const jobs = new Map(rows.map((r) => [r.data.uploadId as string, r.data as PromoteJob]));
  assert.equal(jobs.size, ids.length, 'one promote job per upload');
  return started.map((s, i) => ({
    uploadId: s.uploadId,
    stagingKey: s.stagingKey,
    name: files[i]!.name,
    bytes: files[i]!.bytes,
    job: jobs.get(s.uploadId)!,
  }));
}

async function upload(id: string) {
  return (await api.pool.query('SELECT * FROM uploads WHERE id = $1', [id])).rows[0];
}

async function versionsOf(assetId: string) {
  const { rows } = await api.pool.query(
    'SELECT id, number, sha256, original_name FROM versions WHERE asset_id = $1 ORDER BY number',
    [assetId],
  );
  return rows as { id: string; number: number; sha256: string; original_name: string }[];
}

async function snapshot() {
  const { rows } = await api.pool.query(`SELECT
      (SELECT count(*)::int FROM assets) AS assets, (SELECT count(*)::int FROM versions) AS versions,
      (SELECT count(*)::int FROM masters) AS masters, (SELECT count(*)::int FROM activities) AS activities,
      (SELECT json_agg(json_build_object('subject', subject, 'state', state, 'attempts', attempts) ORDER BY subject) FROM jobs) AS jobs,
      (SELECT json_agg(json_build_object('id', id, 'status', status, 'version', version_id, 'updated', updated_at) ORDER BY id) FROM uploads) AS uploads`);
  return rows[0];
}

/**
 * Holds the masters copy of one staged object until another's copy is done: the later file of
 * the batch is then verified first. `restore` answers the order in which the copies finished,
 * so a test can check that the order was in fact forced. Only a handler that verifies side by
 * side gets past the hold; one that verified one upload at a time would wait on it until the
 * test times out, and `signal` (the test's) then releases it with that diagnosis.
 */
function verifyOutOfOrder(heldKey: string, firstKey: string, signal: AbortSignal): () => string[] {
  const masters = api.storages.masters as unknown as {
    copyObject: (source: string, ...rest: unknown[]) => Promise<void>;
  };
  const copyObject = masters.copyObject;
  const finished: string[] = [];
  let firstDone!: () => void;
  const first = new Promise<void>((resolve) => (firstDone = resolve));
  const gaveUp = new Promise<never>((_resolve, reject) =>
    signal.addEventListener(
      'abort',
      () => reject(new Error('the held copy was never overtaken: does the handler verify one upload at a time?')),
      { once: true },
    ),
  );
  gaveUp.catch(() => {}); // heard through the race below, when it comes first
  masters.copyObject = async (source: string, ...rest: unknown[]) => {
    if (source === heldKey) await Promise.race([first, gaveUp]);
    await copyObject.call(masters, source, ...rest);
    finished.push(source);
    if (source === firstKey) firstDone();
  };
  return () => {
    masters.copyObject = copyObject;
    return finished;
  };
}

describe('promoteUploads', () => {
  test("two files of one name into one collection in one batch: one asset, versions 1 and 2 in the batch's order", {
    timeout: 60_000,
  }, async (t) => {
    const staged = await stage(
      [
        { name: 'take.wav.txt', bytes: randomBytes(900) },
        { name: 'take.wav.txt', bytes: randomBytes(901) },
        { name: 'slate.txt', bytes: randomBytes(50) },
      ],
      { collectionPath: 'day01/sound' },
    );
    const restore = verifyOutOfOrder(staged[0]!.stagingKey, staged[1]!.stagingKey, t.signal);
    let outcomes: (Error | null)[];
    let copiesFinished: string[];
    try {
      outcomes = await promoteUploads(
        deps(),
        staged.map((s) => s.job),
      );
    } finally {
      copiesFinished = restore();
    }
    assert.deepEqual(outcomes, [null, null, null]);
    const secondTakeCopied = copiesFinished.indexOf(staged[1]!.stagingKey);
    assert.ok(
      secondTakeCopied >= 0 && secondTakeCopied < copiesFinished.indexOf(staged[0]!.stagingKey),
      `the second take was verified and copied first: ${copiesFinished.join(', ')}`,
    );
    const [first, second, slate] = await Promise.all(staged.map((s) => upload(s.uploadId)));
    assert.equal(first.status, 'promoted');
    assert.equal(second.status, 'promoted');
    assert.equal(first.asset_id, second.asset_id, 'one asset for the name');
    assert.notEqual(slate.asset_id, first.asset_id);
    const versions = await versionsOf(first.asset_id);
    assert.deepEqual(
      versions.map((v) => [v.number, v.sha256]),
      [
        [1, sha256(staged[0]!.bytes)],
        [2, sha256(staged[1]!.bytes)],
      ],
      "the batch's order decides, not which file was verified first",
    );
    assert.deepEqual(
      [first.version_id, second.version_id],
      versions.map((v) => v.id),
    );
    const { rows } = await api.pool.query(
      `SELECT count(*)::int AS n FROM assets a JOIN collections c ON c.id = a.collection_id WHERE c.path = 'day01/sound' AND a.name = 'take.wav.txt'`,
    );
    assert.equal(rows[0].n, 1);
  });

  test('a name already an asset with other bytes stacks a new version; the same bytes again are that version, not a duplicate', async () => {
    const original = randomBytes(2000);
    // Both uploads of the original start before either is promoted (so neither is a presign duplicate).
    const [first] = await stage([{ name: 'grade.cube', bytes: original }], { collectionPath: 'luts' });
    const [again] = await stage([{ name: 'grade.cube', bytes: original }], { collectionPath: 'luts' });
    assert.deepEqual(await promoteUploads(deps(), [first!.job]), [null]);
    const assetId = (await upload(first!.uploadId)).asset_id;
    const [v1] = await versionsOf(assetId);

    const changed = randomBytes(2001);
    const [update, neighbour] = await stage(
      [
        { name: 'grade.cube', bytes: changed },
        { name: 'other.cube', bytes: randomBytes(10) },
      ],
      { collectionPath: 'luts' },
    );
    assert.deepEqual(await promoteUploads(deps(), [update!.job, neighbour!.job]), [null, null]);
    const updated = await upload(update!.uploadId);
    assert.equal(updated.asset_id, assetId, 'the same asset');
    assert.deepEqual(
      (await versionsOf(assetId)).map((v) => [v.number, v.sha256]),
      [
        [1, sha256(original)],
        [2, sha256(changed)],
      ],
    );

    const [other] = await stage([{ name: 'unrelated.cube', bytes: randomBytes(11) }], { collectionPath: 'luts' });
    const mastersBefore = (await api.pool.query('SELECT count(*)::int AS n FROM masters')).rows[0].n;
    assert.deepEqual(await promoteUploads(deps(), [again!.job, other!.job]), [null, null]);
    const reused = await upload(again!.uploadId);
    assert.deepEqual(
      [reused.status, reused.asset_id, reused.version_id],
      ['promoted', assetId, v1!.id],
      'the existing version',
    );
    assert.equal((await versionsOf(assetId)).length, 2, 'no duplicate version');
    assert.equal(
      (await api.pool.query('SELECT count(*)::int AS n FROM masters')).rows[0].n,
      mastersBefore + 1,
      'one new master: the unrelated file',
    );
    const { rows: activity } = await api.pool.query(
      `SELECT action FROM activities WHERE subject_id = $1 AND data->>'uploadId' = $2`,
      [v1!.id, again!.uploadId],
    );
    assert.deepEqual(
      activity.map((a) => a.action),
      ['version.reuse'],
    );
    assert.equal(await api.storages.staging.head(again!.stagingKey), null, 'its staged copy is removed too');
  });

  test('staged bytes swapped in one upload: that one fails with checksum_mismatch and reaches no master; the others are promoted; a re-run changes nothing', async () => {
    const staged = await stage(
      ['a.txt', 'b.txt', 'c.txt'].map((name) => ({ name, bytes: randomBytes(4096 + name.length) })),
      { collectionPath: 'swap' },
    );
    const victim = staged[1]!;
    // Someone with access to the staging store replaces the bytes after the PUT was verified.
    const path = api.storages.staging.localPath!(victim.stagingKey)!;
    const swapped = Buffer.from(victim.bytes);
    swapped[100] = swapped[100]! ^ 0xff;
    await writeFile(path, swapped);
    await utimes(path, new Date(), new Date(Date.now() + 5000));

    assert.deepEqual(
      await promoteUploads(
        deps(),
        staged.map((s) => s.job),
      ),
      [null, null, null],
      'a mismatch is final, not retried',
    );
    const failed = await upload(victim.uploadId);
    assert.equal(failed.status, 'failed');
    assert.equal(failed.error.code, 'checksum_mismatch');
    assert.equal(failed.error.expected, sha256(victim.bytes));
    assert.equal(failed.error.actual, sha256(swapped));
    assert.equal(failed.version_id, null);
    for (const sha of [sha256(victim.bytes), sha256(swapped)]) {
      assert.equal(
        (await api.pool.query('SELECT count(*)::int AS n FROM masters WHERE sha256 = $1', [sha])).rows[0].n,
        0,
      );
      assert.equal(await api.storages.masters.head(masterKey(sha)), null, 'nothing written to masters');
    }
    assert.equal(
      (await api.storages.staging.head(victim.stagingKey))?.size,
      swapped.length,
      'the staged object is kept for inspection',
    );
    const {
      rows: [job],
    } = await api.pool.query(`SELECT state, error FROM jobs WHERE kind = 'promote' AND subject = $1`, [
      victim.uploadId,
    ]);
    assert.equal(job.state, 'failed');
    assert.equal(job.error.code, 'checksum_mismatch');
    const { rows: activity } = await api.pool.query(
      `SELECT action FROM activities WHERE subject_id = $1 AND action LIKE 'upload.promote%' ORDER BY id`,
      [victim.uploadId],
    );
    assert.deepEqual(
      activity.map((a) => a.action),
      ['upload.promote', 'upload.promote.failed'],
    );
    for (const s of [staged[0]!, staged[2]!]) {
      const row = await upload(s.uploadId);
      assert.equal(row.status, 'promoted');
      assert.equal((await api.storages.masters.head(masterKey(sha256(s.bytes))))?.size, s.bytes.length);
      assert.equal(await api.storages.staging.head(s.stagingKey), null);
    }

    // pg-boss is at least once: the same batch delivered again is harmless.
    const before = await snapshot();
    assert.deepEqual(
      await promoteUploads(
        deps(),
        staged.map((s) => s.job),
      ),
      [null, null, null],
    );
    assert.deepEqual(await snapshot(), before);
  });

  test('one upload whose catalogue rows cannot be written fails alone (each upload in its own transaction then), to be retried', async () => {
    const staged = await stage(
      ['x1.txt', 'x2.txt', 'x3.txt'].map((name) => ({ name, bytes: randomBytes(333 + name.length) })),
      { collectionPath: 'fallback' },
    );
    const culprit = staged[1]!;
    // A mapping naming an asset that is not in its project (what a retry after such a mistake meets).
    await api.pool.query(
      `UPDATE uploads SET mapping = mapping || jsonb_build_object('assetId', $2::text) WHERE id = $1`,
      [culprit.uploadId, randomUUID()],
    );
    const outcomes = await promoteUploads(
      deps(),
      staged.map((s) => s.job),
    );
    assert.equal(outcomes[0], null);
    assert.equal(outcomes[2], null);
    assert.ok(outcomes[1] instanceof Error, 'the culprit answers an error to retry on');
    assert.match(outcomes[1]!.message, /asset/);
    for (const s of [staged[0]!, staged[2]!]) {
      const row = await upload(s.uploadId);
      assert.equal(row.status, 'promoted');
      assert.equal((await versionsOf(row.asset_id)).length, 1);
    }
    const stuck = await upload(culprit.uploadId);
    assert.deepEqual([stuck.status, stuck.version_id], ['promoting', null], 'left as it was, for the retry');
    assert.ok(await api.storages.staging.head(culprit.stagingKey), 'its staged bytes are kept for the retry');
    const { rows } = await api.pool.query(`SELECT count(*)::int AS n FROM activities WHERE data->>'uploadId' = $1`, [
      culprit.uploadId,
    ]);
    assert.equal(rows[0].n, 0, 'no activity for rows that were not written');
    const { rows: jobStates } = await api.pool.query(
      `SELECT subject, state FROM jobs WHERE kind = 'promote' AND subject = ANY($1::text[])`,
      [staged.map((s) => s.uploadId)],
    );
    assert.deepEqual(Object.fromEntries(jobStates.map((j) => [j.subject, j.state])), {
      [staged[0]!.uploadId]: 'completed',
      [culprit.uploadId]: 'active',
      [staged[2]!.uploadId]: 'completed',
    });

    // Once the mapping is right again, the retry promotes it.
    await api.pool.query(`UPDATE uploads SET mapping = mapping - 'assetId' WHERE id = $1`, [culprit.uploadId]);
    assert.deepEqual(await promoteUploads(deps(), [culprit.job]), [null]);
    assert.equal((await upload(culprit.uploadId)).status, 'promoted');
  });

  test('an empty file and jobs for uploads not promoting (unknown, already promoted) are fine in a batch', async () => {
    const [empty] = await stage([{ name: 'empty.txt', bytes: Buffer.alloc(0) }]);
    const outcomes = await promoteUploads(deps(), [{ uploadId: randomUUID() }, empty!.job, empty!.job]);
    assert.deepEqual(outcomes, [null, null, null]);
    const row = await upload(empty!.uploadId);
    assert.equal(row.status, 'promoted');
    assert.equal((await versionsOf(row.asset_id)).length, 1, 'a job delivered twice in one fetch makes one version');
    assert.equal((await api.storages.masters.head(masterKey(sha256(Buffer.alloc(0)))))?.size, 0);
  });
});
