/**
 * Small files in batches (presignUploadBatch / completeUploadBatch) on the real api:
 * real PostgreSQL, fs storage behind the api's own presigned URLs over real HTTP,
 * pg-boss jobs inserted for real and promoted by calling the worker's handler.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { masterKey } from '@mediavault/core/keys';
import type { PromoteJob } from '@mediavault/core/jobs';
import { bootstrapOrganization, createMemberWithToken, type BootstrapResult } from '@mediavault/api/bootstrap';
import { promoteUploads } from '@mediavault/worker/jobs/promote';
import { callApi, startTestApi, type TestApi } from '../../test/helpers/api.ts';

const quietLog = { info() {}, warn() {}, error() {} };
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const b64sha = (b: Buffer) => createHash('sha256').update(b).digest('base64');

let api: TestApi;
let stranger: BootstrapResult;

before(async () => {
  api = await startTestApi();
  stranger = await bootstrapOrganization(api.pool, {
    organization: 'Other studio',
    client: 'C',
    project: 'P',
    adminEmail: 'admin@other.example',
    adminName: 'Other',
  });
});
after(async () => {
  await api?.close();
});

const deps = () => ({ config: api.config, pool: api.pool, boss: api.boss, storages: api.storages, log: quietLog });

const call = (method: string, path: string, token: string, body?: unknown) =>
  callApi(api.url, method, path, token, body);

async function count(sql: string, params: unknown[] = []): Promise<number> {
  const { rows } = await api.pool.query(`SELECT count(*)::int AS n FROM (${sql}) AS q`, params);
  return rows[0].n;
}

/** Everything a bad request could leave behind. */
async function footprint() {
  return {
    uploads: await count('SELECT 1 FROM uploads'),
    activities: await count('SELECT 1 FROM activities'),
    jobs: await count('SELECT 1 FROM jobs'),
    queued: await count(`SELECT 1 FROM pgboss.job WHERE name = 'promote'`),
  };
}

interface LocalFile {
  name: string;
  bytes: Buffer;
  contentType?: string;
}
interface Started {
  status: 'upload';
  uploadId: string;
  stagingKey: string;
  url: string;
  checksumSha256: string;
}

async function presignBatch(files: LocalFile[], token = api.org.token, projectId = api.org.projectId) {
  const res = await call('POST', '/api/uploads/batch', token, {
    projectId,
    files: files.map((f) => ({
      name: f.name,
      size: f.bytes.length,
      sha256: sha256(f.bytes),
      ...(f.contentType ? { contentType: f.contentType } : {}),
    })),
  });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body as {
    files: (Started | { status: 'duplicate'; sha256: string; versionId: string; assetId: string; size: number })[];
    expiresAt: string;
    uploadExpiresAt: string;
  };
}

/** One PUT of the whole file to its URL, with the checksum header the answer asks for. */
async function putFile(started: Started, bytes: Buffer): Promise<string> {
  const res = await fetch(started.url, {
    method: 'PUT',
    body: new Uint8Array(bytes),
    headers: { 'x-amz-checksum-sha256': started.checksumSha256 },
  });
  assert.equal(res.status, 200, await res.clone().text());
  const etag = res.headers.get('etag');
  assert.ok(etag, 'the PUT answers an ETag');
  return etag;
}

async function startAndPut(files: LocalFile[], token = api.org.token, projectId = api.org.projectId) {
  const presigned = await presignBatch(files, token, projectId);
  const started = presigned.files.map((f) => {
    assert.equal(f.status, 'upload');
    return f as Started;
  });
  const etags: string[] = [];
  for (const [i, s] of started.entries()) etags.push(await putFile(s, files[i]!.bytes));
  return started.map((s, i) => ({ ...s, etag: etags[i]!, file: files[i]! }));
}

/** The promote jobs the api put on the queue for these uploads, as pg-boss holds them. */
async function queuedPromoteJobs(uploadIds: string[]): Promise<PromoteJob[]> {
  const { rows } = await api.pool.query(
    `SELECT data FROM pgboss.job WHERE name = 'promote' AND data->>'uploadId' = ANY($1::text[])`,
    [uploadIds],
  );
  return rows
    .map((r) => r.data as PromoteJob)
    .sort((a, b) => uploadIds.indexOf(a.uploadId) - uploadIds.indexOf(b.uploadId));
}

async function uploadRow(id: string) {
  return (await api.pool.query('SELECT * FROM uploads WHERE id = $1', [id])).rows[0];
}

async function actionsFor(subjectIds: string[]): Promise<Record<string, number>> {
  const { rows } = await api.pool.query(
    'SELECT action, count(*)::int AS n FROM activities WHERE subject_id = ANY($1::text[]) GROUP BY action',
    [subjectIds],
  );
  return Object.fromEntries(rows.map((r) => [r.action, r.n]));
}

describe('presign, PUT, complete and promote a batch', () => {
  test('three files (one empty) land as assets/versions/masters in the mapped collection; staging is emptied', async () => {
    const files: LocalFile[] = [
      { name: 'notes-001.txt', bytes: randomBytes(3000), contentType: 'text/plain' },
      { name: 'empty.txt', bytes: Buffer.alloc(0) },
      { name: 'frame-0001.dat', bytes: randomBytes(70_000) },
    ];
    const before = await footprint();
    const presigned = await presignBatch(files);
    assert.ok(Date.parse(presigned.uploadExpiresAt) > Date.parse(presigned.expiresAt), 'an upload outlives its URL');
    presigned.files.forEach((answer, i) => {
      assert.equal(answer.status, 'upload');
      const started = answer as Started;
      assert.equal(started.checksumSha256, b64sha(files[i]!.bytes), 'the base64 sha256 the PUT must carry');
      assert.match(started.stagingKey, new RegExp(`${started.uploadId}.*${files[i]!.name.replace('.', '\\.')}$`));
    });
    const started = presigned.files as Started[];
    const ids = started.map((s) => s.uploadId);
    const { rows: created } = await api.pool.query(
      'SELECT id, status, transfer, size, declared_sha256, part_count FROM uploads WHERE id = ANY($1::uuid[])',
      [ids],
    );
    assert.equal(created.length, 3);
    for (const row of created) {
      const file = files[ids.indexOf(row.id)]!;
      assert.deepEqual(
        {
          status: row.status,
          transfer: row.transfer,
          size: Number(row.size),
          sha: row.declared_sha256,
          parts: row.part_count,
        },
        { status: 'uploading', transfer: 'put', size: file.bytes.length, sha: sha256(file.bytes), parts: 1 },
      );
    }

    const etags: string[] = [];
    for (const [i, s] of started.entries()) etags.push(await putFile(s, files[i]!.bytes));
    const completed = await call('POST', '/api/uploads/batch/complete', api.org.token, {
      uploads: started.map((s, i) => ({
        uploadId: s.uploadId,
        etag: etags[i],
        promote: { collectionPath: 'day01/stills' },
      })),
    });
    assert.equal(completed.status, 200, JSON.stringify(completed.body));
    assert.deepEqual(
      completed.body.uploads,
      ids.map((uploadId) => ({ uploadId, status: 'promoting', assetId: null, versionId: null, error: null })),
    );
    const { rows: jobRows } = await api.pool.query(
      `SELECT subject, state, organization_id FROM jobs WHERE kind = 'promote' AND subject = ANY($1::text[])`,
      [ids],
    );
    assert.deepEqual(jobRows.map((j) => j.subject).sort(), [...ids].sort(), 'one catalogue job per upload');
    assert.ok(jobRows.every((j) => j.state === 'queued' && j.organization_id === api.org.organizationId));
    const jobs = await queuedPromoteJobs(ids);
    assert.deepEqual(
      jobs.map((j) => j.uploadId),
      ids,
      'one pg-boss promote job per upload',
    );
    assert.ok(jobs.every((j) => typeof j.requestId === 'string' && j.requestId.length > 0));

    const outcomes = await promoteUploads(deps(), jobs);
    assert.deepEqual(outcomes, [null, null, null]);

    const promoted = await Promise.all(ids.map(uploadRow));
    for (const [i, row] of promoted.entries()) {
      assert.equal(row.status, 'promoted', JSON.stringify(row.error));
      const file = files[i]!;
      const {
        rows: [version],
      } = await api.pool.query(
        `SELECT v.number, v.sha256, v.size, v.original_name, v.content_type, a.name, a.project_id, c.path FROM versions v
           JOIN assets a ON a.id = v.asset_id LEFT JOIN collections c ON c.id = a.collection_id WHERE v.id = $1 AND a.id = $2`,
        [row.version_id, row.asset_id],
      );
      assert.deepEqual(
        { ...version, size: Number(version.size) },
        {
          number: 1,
          sha256: sha256(file.bytes),
          size: file.bytes.length,
          original_name: file.name,
          content_type: file.contentType ?? null,
          name: file.name,
          project_id: api.org.projectId,
          path: 'day01/stills',
        },
      );
      const {
        rows: [master],
      } = await api.pool.query('SELECT size, storage_key FROM masters WHERE sha256 = $1', [sha256(file.bytes)]);
      assert.deepEqual(
        { size: Number(master.size), key: master.storage_key },
        { size: file.bytes.length, key: masterKey(sha256(file.bytes)) },
      );
      assert.equal(
        (await api.storages.masters.head(masterKey(sha256(file.bytes))))?.size,
        file.bytes.length,
        'the bytes are in masters',
      );
      assert.equal(await api.storages.staging.head(started[i]!.stagingKey), null, 'the staged object is removed');
    }
    assert.equal(
      await count(`SELECT 1 FROM collections WHERE project_id = $1 AND path IN ('day01', 'day01/stills')`, [
        api.org.projectId,
      ]),
      2,
    );

    assert.deepEqual(await actionsFor(ids), { 'upload.create': 3, 'upload.complete': 3, 'upload.promote': 3 });
    const versionIds = promoted.map((r) => r.version_id);
    assert.deepEqual(await actionsFor(versionIds), { 'version.create': 3 });
    const { rows: requestIds } = await api.pool.query(
      `SELECT DISTINCT request_id FROM activities WHERE (action = 'upload.promote' AND subject_id = ANY($1::text[])) OR (action = 'version.create' AND subject_id = ANY($2::text[]))`,
      [ids, versionIds],
    );
    assert.equal(requestIds.length, 1, 'the versions are traced to the request that completed the batch');
    const { rows: finished } = await api.pool.query(
      `SELECT state FROM jobs WHERE kind = 'promote' AND subject = ANY($1::text[])`,
      [ids],
    );
    assert.deepEqual(
      finished.map((j) => j.state),
      ['completed', 'completed', 'completed'],
    );
    const after = await footprint();
    assert.equal(after.uploads - before.uploads, 3);

    const state = await call('GET', `/api/uploads/${ids[0]}`, api.org.token);
    assert.equal(state.body.status, 'promoted');
    assert.equal(state.body.transfer, 'put');
    assert.equal(state.body.versionId, promoted[0].version_id);
  });

  test('names as a NAS has them (NFD accents, spaces, #, %, ?, emoji) travel through URL, staging key and catalogue', async () => {
    const names = ['Cafe\u0301 scène 01.txt', 'take #3 (50%)?.txt', 'ボード 🎬.txt', '.hidden'];
    const sent = await startAndPut(names.map((name) => ({ name, bytes: randomBytes(321) })));
    const done = await call('POST', '/api/uploads/batch/complete', api.org.token, {
      uploads: sent.map((s) => ({ uploadId: s.uploadId, etag: s.etag, promote: { collectionPath: 'Équipe/día 2' } })),
    });
    assert.deepEqual(
      done.body.uploads.map((u: { error: unknown }) => u.error),
      names.map(() => null),
    );
    assert.deepEqual(
      await promoteUploads(deps(), await queuedPromoteJobs(sent.map((s) => s.uploadId))),
      names.map(() => null),
    );
    const { rows } = await api.pool.query(
      `SELECT a.name, c.path FROM uploads u JOIN assets a ON a.id = u.asset_id JOIN collections c ON c.id = a.collection_id WHERE u.id = ANY($1::uuid[])`,
      [sent.map((s) => s.uploadId)],
    );
    const byName = (a: { name: string }, b: { name: string }) => (a.name < b.name ? -1 : 1);
    assert.deepEqual(
      rows.sort(byName),
      names.map((n) => ({ name: n.normalize('NFC'), path: 'Équipe/día 2' })).sort(byName),
    );
  });

  test('bytes already a version of the organization answer "duplicate" with no URL and no upload; another organization sends them', async () => {
    const known = randomBytes(1234);
    const [first] = await startAndPut([{ name: 'known.bin', bytes: known }]);
    const done = await call('POST', '/api/uploads/batch/complete', api.org.token, {
      uploads: [{ uploadId: first!.uploadId, etag: first!.etag, promote: {} }],
    });
    assert.equal(done.body.uploads[0].status, 'promoting');
    assert.deepEqual(await promoteUploads(deps(), await queuedPromoteJobs([first!.uploadId])), [null]);
    const promoted = await uploadRow(first!.uploadId);

    const fresh = randomBytes(99);
    const uploadsBefore = await count('SELECT 1 FROM uploads');
    const presigned = await presignBatch([
      { name: 'fresh.bin', bytes: fresh },
      { name: 'renamed-copy.bin', bytes: known },
    ]);
    assert.equal(presigned.files[0]!.status, 'upload', 'answers keep the order of the files');
    assert.deepEqual(presigned.files[1], {
      status: 'duplicate',
      sha256: sha256(known),
      versionId: promoted.version_id,
      assetId: promoted.asset_id,
      size: known.length,
    });
    assert.equal((await count('SELECT 1 FROM uploads')) - uploadsBefore, 1, 'only the fresh file has an upload');
    assert.equal(await count('SELECT 1 FROM uploads WHERE declared_sha256 = $1', [sha256(known)]), 1);

    // Dedup stays inside the organization: another tenant learns nothing and sends its bytes (which share the master).
    const [theirs] = await startAndPut([{ name: 'known.bin', bytes: known }], stranger.token, stranger.projectId);
    await call('POST', '/api/uploads/batch/complete', stranger.token, {
      uploads: [{ uploadId: theirs!.uploadId, promote: {} }],
    });
    assert.deepEqual(await promoteUploads(deps(), await queuedPromoteJobs([theirs!.uploadId])), [null]);
    const theirRow = await uploadRow(theirs!.uploadId);
    assert.equal(theirRow.status, 'promoted');
    assert.notEqual(theirRow.asset_id, promoted.asset_id);
    assert.equal(
      await count('SELECT 1 FROM masters WHERE sha256 = $1', [sha256(known)]),
      1,
      'one master for both organizations',
    );
  });
});

describe('bad input refuses the whole batch and starts nothing', () => {
  const ok = { name: 'fine.txt', size: 10, sha256: sha256(Buffer.from('0123456789')) };

  test('unsafe names, oversized files, too many files', async () => {
    const exactly64 = await call('POST', '/api/uploads/batch', api.org.token, {
      projectId: api.org.projectId,
      files: [{ ...ok, size: 64 * 1024 ** 2, sha256: 'a'.repeat(64) }],
    });
    assert.equal(exactly64.status, 200, '64 MiB itself is a small file');
    const before = await footprint();
    // A folder part too: promotion makes the name the asset name, which takes none (it would fail there, for good).
    for (const name of [
      '..',
      '.',
      'a\\b.txt',
      'tab\there.txt',
      'dir/',
      '../secret.txt',
      'day01/../../etc/passwd',
      'day01/clip.txt',
      ' ',
    ]) {
      const res = await call('POST', '/api/uploads/batch', api.org.token, {
        projectId: api.org.projectId,
        files: [ok, { ...ok, name }],
      });
      assert.equal(res.status, 400, `${JSON.stringify(name)}: ${JSON.stringify(res.body)}`);
      assert.equal(res.body.error.code, 'bad_request');
      assert.match(res.body.error.message, /files\[1\]\.name/, 'the message names the file at fault');
    }
    const big = await call('POST', '/api/uploads/batch', api.org.token, {
      projectId: api.org.projectId,
      files: [ok, { ...ok, size: 64 * 1024 ** 2 + 1 }],
    });
    assert.equal(big.status, 400);
    assert.match(big.body.error.message, /presignUpload/, 'points at the multipart path');
    const huge = await call('POST', '/api/uploads/batch', api.org.token, {
      projectId: api.org.projectId,
      files: [ok, { ...ok, size: 6 * 1024 ** 4 }],
    });
    assert.equal(huge.status, 413);
    assert.equal(huge.body.error.code, 'payload_too_large');
    const many = await call('POST', '/api/uploads/batch', api.org.token, {
      projectId: api.org.projectId,
      files: Array.from({ length: 501 }, (_, i) => ({ ...ok, name: `f${i}.txt` })),
    });
    assert.equal(many.status, 400);
    assert.equal(
      (await call('POST', '/api/uploads/batch', api.org.token, { projectId: api.org.projectId, files: [] })).status,
      400,
    );
    assert.equal(
      (
        await call('POST', '/api/uploads/batch', api.org.token, {
          projectId: api.org.projectId,
          files: [{ ...ok, sha256: 'XYZ' }],
        })
      ).status,
      400,
    );
    assert.equal(
      (
        await call('POST', '/api/uploads/batch', api.org.token, {
          projectId: api.org.projectId,
          files: [{ ...ok, size: -1 }],
        })
      ).status,
      400,
    );
    assert.deepEqual(await footprint(), before);
  });

  test("a viewer is forbidden (403); another organization's project is not found (404)", async () => {
    const before = await footprint();
    const viewer = await createMemberWithToken(api.pool, {
      organizationId: api.org.organizationId,
      projectId: api.org.projectId,
      email: 'viewer@batch.example',
      role: 'viewer',
    });
    const forbidden = await call('POST', '/api/uploads/batch', viewer.token, {
      projectId: api.org.projectId,
      files: [ok],
    });
    assert.equal(forbidden.status, 403);
    assert.equal(forbidden.body.error.code, 'forbidden');
    const theirs = await call('POST', '/api/uploads/batch', api.org.token, {
      projectId: stranger.projectId,
      files: [ok],
    });
    assert.equal(theirs.status, 404);
    const ours = await call('POST', '/api/uploads/batch', stranger.token, {
      projectId: api.org.projectId,
      files: [ok],
    });
    assert.equal(ours.status, 404);
    assert.equal(ours.body.error.code, 'not_found');
    assert.equal(
      (await call('POST', '/api/uploads/batch', api.org.token, { projectId: randomUUID(), files: [ok] })).status,
      404,
    );
    assert.deepEqual(await footprint(), before);
  });

  test('an invalid mapping anywhere in complete refuses the batch (400) and changes nothing', async () => {
    const sent = await startAndPut([
      { name: 'm1.txt', bytes: randomBytes(10) },
      { name: 'm2.txt', bytes: randomBytes(20) },
    ]);
    const before = await footprint();
    for (const promote of [
      { collectionPath: 'day01/../secrets' },
      { collectionPath: 'a//b' },
      { collectionPath: 'back\\slash' },
      { assetName: 'x/y' },
      { assetName: '..' },
    ]) {
      const res = await call('POST', '/api/uploads/batch/complete', api.org.token, {
        uploads: [
          { uploadId: sent[0]!.uploadId, etag: sent[0]!.etag, promote: { collectionPath: 'fine' } },
          { uploadId: sent[1]!.uploadId, etag: sent[1]!.etag, promote },
        ],
      });
      assert.equal(res.status, 400, JSON.stringify(promote));
      assert.match(res.body.error.message, /uploads\[1\]\.promote/);
    }
    const unknownField = await call('POST', '/api/uploads/batch/complete', api.org.token, {
      uploads: [{ uploadId: sent[0]!.uploadId, promote: { folder: 'x' } }],
    });
    assert.equal(unknownField.status, 400);
    assert.deepEqual(await footprint(), before);
    for (const s of sent) assert.equal((await uploadRow(s.uploadId)).status, 'uploading');
  });
});

describe('completeUploadBatch answers each upload on its own', () => {
  test("not PUT yet, unknown, another organization's, expired, multipart and a stale ETag fail alone; the rest complete", async () => {
    const files = ['done.txt', 'not-sent.txt', 'expired.txt', 'stale.txt', 'later.txt'].map((name) => ({
      name,
      bytes: randomBytes(500),
    }));
    const presigned = (await presignBatch(files)).files as Started[];
    const [done, notSent, expired, stale, later] = presigned;
    const etags = new Map<string, string>();
    for (const s of [done!, expired!, stale!, later!])
      etags.set(s.uploadId, await putFile(s, files[presigned.indexOf(s)]!.bytes));
    await api.pool.query(`UPDATE uploads SET expires_at = now() - interval '1 minute' WHERE id = $1`, [
      expired!.uploadId,
    ]);
    const [theirs] = await startAndPut(
      [{ name: 'theirs.txt', bytes: randomBytes(50) }],
      stranger.token,
      stranger.projectId,
    );
    const multipart = await call('POST', '/api/presign', api.org.token, {
      name: 'big.mov',
      size: 100,
      projectId: api.org.projectId,
    });
    assert.equal(multipart.status, 200);
    const unknown = randomUUID();

    const res = await call('POST', '/api/uploads/batch/complete', api.org.token, {
      uploads: [
        { uploadId: done!.uploadId, etag: etags.get(done!.uploadId), promote: { collectionPath: 'mixed' } },
        { uploadId: notSent!.uploadId, promote: { collectionPath: 'mixed' } },
        { uploadId: unknown },
        { uploadId: theirs!.uploadId, etag: theirs!.etag },
        { uploadId: expired!.uploadId, etag: etags.get(expired!.uploadId) },
        { uploadId: multipart.body.uploadId },
        { uploadId: stale!.uploadId, etag: '"0-0"' },
        { uploadId: later!.uploadId },
      ],
    });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const answers = res.body.uploads as {
      uploadId: string;
      status: string;
      error: { code: string; message: string } | null;
    }[];
    assert.deepEqual(
      answers.map((a) => a.uploadId),
      [done, notSent, { uploadId: unknown }, theirs, expired, { uploadId: multipart.body.uploadId }, stale, later].map(
        (u) => u!.uploadId,
      ),
    );
    assert.deepEqual(
      answers.map((a) => [a.status, a.error?.code ?? null]),
      [
        ['promoting', null],
        ['uploading', 'upload_incomplete'],
        ['uploading', 'not_found'],
        ['uploading', 'not_found'],
        ['uploading', 'upload_expired'],
        ['uploading', 'bad_request'],
        ['uploading', 'bad_request'],
        ['uploaded', null],
      ],
    );
    assert.match(answers[6]!.error!.message, /ETag/);
    for (const s of [notSent!, expired!, stale!])
      assert.equal((await uploadRow(s.uploadId)).status, 'uploading', 'a refused upload stays resumable');
    assert.equal((await uploadRow(theirs!.uploadId)).status, 'uploading', "another organization's upload is untouched");
    assert.equal((await uploadRow(multipart.body.uploadId)).status, 'uploading');
    assert.equal((await uploadRow(later!.uploadId)).status, 'uploaded');
    assert.deepEqual(
      await actionsFor([notSent!.uploadId, expired!.uploadId, stale!.uploadId, theirs!.uploadId]),
      { 'upload.create': 4 },
      'no activity for what failed',
    );
    assert.deepEqual(
      (await queuedPromoteJobs(presigned.map((p) => p.uploadId))).map((j) => j.uploadId),
      [done!.uploadId],
      'a job only for the promoted one',
    );

    // The one not sent yet is sent and completed on its own later.
    await putFile(notSent!, files[1]!.bytes);
    const retry = await call('POST', '/api/uploads/batch/complete', api.org.token, {
      uploads: [{ uploadId: notSent!.uploadId, promote: { collectionPath: 'mixed' } }],
    });
    assert.deepEqual([retry.body.uploads[0].status, retry.body.uploads[0].error], ['promoting', null]);
  });

  test('completing twice answers the current state: no second job, no second activity; an uploaded one can be promoted later', async () => {
    const sent = await startAndPut([
      { name: 'twice.txt', bytes: randomBytes(64) },
      { name: 'plain.txt', bytes: randomBytes(65) },
    ]);
    const body = {
      uploads: [
        { uploadId: sent[0]!.uploadId, etag: sent[0]!.etag, promote: { collectionPath: 'again' } },
        { uploadId: sent[1]!.uploadId, etag: sent[1]!.etag },
      ],
    };
    const first = await call('POST', '/api/uploads/batch/complete', api.org.token, body);
    const second = await call('POST', '/api/uploads/batch/complete', api.org.token, body);
    assert.equal(second.status, 200);
    assert.deepEqual(second.body, first.body);
    assert.deepEqual(
      first.body.uploads.map((u: { status: string }) => u.status),
      ['promoting', 'uploaded'],
    );
    const ids = sent.map((s) => s.uploadId);
    assert.deepEqual(await actionsFor([ids[0]!]), { 'upload.create': 1, 'upload.complete': 1, 'upload.promote': 1 });
    assert.deepEqual(await actionsFor([ids[1]!]), { 'upload.create': 1, 'upload.complete': 1 });
    assert.equal(await count(`SELECT 1 FROM jobs WHERE kind = 'promote' AND subject = ANY($1::text[])`, [ids]), 1);
    assert.equal((await queuedPromoteJobs(ids)).length, 1);

    // The same upload twice in one call, and two calls at once: one move, one job.
    const [racing] = await startAndPut([{ name: 'race.txt', bytes: randomBytes(66) }]);
    const raceBody = {
      uploads: [
        { uploadId: racing!.uploadId, promote: {} },
        { uploadId: racing!.uploadId, promote: {} },
      ],
    };
    const answers = await Promise.all([
      call('POST', '/api/uploads/batch/complete', api.org.token, raceBody),
      call('POST', '/api/uploads/batch/complete', api.org.token, raceBody),
    ]);
    for (const answer of answers)
      assert.deepEqual(
        answer.body.uploads.map((u: { status: string; error: unknown }) => [u.status, u.error]),
        [
          ['promoting', null],
          ['promoting', null],
        ],
      );
    assert.deepEqual(await actionsFor([racing!.uploadId]), {
      'upload.create': 1,
      'upload.complete': 1,
      'upload.promote': 1,
    });
    assert.equal(await count(`SELECT 1 FROM jobs WHERE kind = 'promote' AND subject = $1`, [racing!.uploadId]), 1);
    assert.equal((await queuedPromoteJobs([racing!.uploadId])).length, 1);

    // Completed without promote: the same call with a mapping promotes it, once.
    const promote = { uploads: [{ uploadId: ids[1]!, promote: { collectionPath: 'again' } }] };
    const promoted = await call('POST', '/api/uploads/batch/complete', api.org.token, promote);
    assert.equal(promoted.body.uploads[0].status, 'promoting');
    await call('POST', '/api/uploads/batch/complete', api.org.token, promote);
    assert.deepEqual(await actionsFor([ids[1]!]), { 'upload.create': 1, 'upload.complete': 1, 'upload.promote': 1 });
    assert.equal((await queuedPromoteJobs(ids)).length, 2);
    assert.deepEqual(await promoteUploads(deps(), await queuedPromoteJobs(ids)), [null, null]);
    const again = await call('POST', '/api/uploads/batch/complete', api.org.token, body);
    assert.deepEqual(
      again.body.uploads.map((u: { status: string; versionId: string | null }) => [u.status, u.versionId !== null]),
      [
        ['promoted', true],
        ['promoted', true],
      ],
    );
    assert.equal((await queuedPromoteJobs(ids)).length, 2, 'a promoted upload is not promoted again');
  });

  test("promoting as a version of an asset of another project than the mapping's is refused for that upload, not left to fail in the worker", async () => {
    const otherProject = await call('POST', '/api/projects', api.org.token, {
      clientId: api.org.clientId,
      name: 'Second show',
    });
    const [seed] = await startAndPut(
      [{ name: 'poster.txt', bytes: randomBytes(77) }],
      api.org.token,
      otherProject.body.id,
    );
    await call('POST', '/api/uploads/batch/complete', api.org.token, {
      uploads: [{ uploadId: seed!.uploadId, promote: {} }],
    });
    assert.deepEqual(await promoteUploads(deps(), [{ uploadId: seed!.uploadId }]), [null]);
    const assetId = (await uploadRow(seed!.uploadId)).asset_id;

    const sent = await startAndPut([
      { name: 'poster-v2.txt', bytes: randomBytes(78) },
      { name: 'poster-v3.txt', bytes: randomBytes(79) },
    ]);
    const res = await call('POST', '/api/uploads/batch/complete', api.org.token, {
      uploads: [
        { uploadId: sent[0]!.uploadId, promote: { assetId } },
        { uploadId: sent[1]!.uploadId, promote: { assetId, projectId: otherProject.body.id } },
      ],
    });
    assert.equal(res.status, 200);
    assert.deepEqual(
      res.body.uploads.map((u: { status: string; error: { code: string } | null }) => [
        u.status,
        u.error?.code ?? null,
      ]),
      [
        ['uploading', 'bad_request'],
        ['promoting', null],
      ],
    );
    assert.match(res.body.uploads[0].error.message, /project/);
    assert.deepEqual(await promoteUploads(deps(), await queuedPromoteJobs([sent[1]!.uploadId])), [null]);
    const stacked = await uploadRow(sent[1]!.uploadId);
    assert.deepEqual(
      [stacked.status, stacked.asset_id],
      ['promoted', assetId],
      "with the asset's own project it is its next version",
    );
  });

  test("a viewer may not complete another's upload (per upload: unknown), nor promote into a project they only view", async () => {
    const otherProject = await call('POST', '/api/projects', api.org.token, {
      clientId: api.org.clientId,
      name: 'Viewed show',
    });
    assert.equal(otherProject.status, 201, JSON.stringify(otherProject.body));
    const editor = await createMemberWithToken(api.pool, {
      organizationId: api.org.organizationId,
      projectId: api.org.projectId,
      email: 'editor@batch.example',
      role: 'editor',
    });
    await api.pool.query(`INSERT INTO memberships (user_id, project_id, role) VALUES ($1, $2, 'viewer')`, [
      editor.userId,
      otherProject.body.id,
    ]);
    const viewer = await createMemberWithToken(api.pool, {
      organizationId: api.org.organizationId,
      projectId: api.org.projectId,
      email: 'viewer2@batch.example',
      role: 'viewer',
    });
    const sent = await startAndPut(
      [
        { name: 'v1.txt', bytes: randomBytes(30) },
        { name: 'v2.txt', bytes: randomBytes(31) },
      ],
      editor.token,
    );
    const byViewer = await call('POST', '/api/uploads/batch/complete', viewer.token, {
      uploads: [{ uploadId: sent[0]!.uploadId }],
    });
    assert.equal(byViewer.status, 200);
    assert.deepEqual(
      [byViewer.body.uploads[0].status, byViewer.body.uploads[0].error.code],
      ['uploading', 'not_found'],
    );
    const elsewhere = await call('POST', '/api/uploads/batch/complete', editor.token, {
      uploads: [
        { uploadId: sent[0]!.uploadId, promote: { projectId: otherProject.body.id } },
        { uploadId: sent[1]!.uploadId, promote: {} },
      ],
    });
    assert.deepEqual(
      elsewhere.body.uploads.map((u: { status: string; error: { code: string } | null }) => [
        u.status,
        u.error?.code ?? null,
      ]),
      [
        ['uploading', 'forbidden'],
        ['promoting', null],
      ],
    );
    assert.equal((await uploadRow(sent[0]!.uploadId)).status, 'uploading');
  });
});

describe('the store and the per-file routes with a whole-object upload', () => {
  test('bytes other than the signed sha256 are refused by the store (422) and nothing is staged', async () => {
    const bytes = randomBytes(40_000);
    const [started] = (await presignBatch([{ name: 'exact.bin', bytes }])).files as Started[];
    const wrong = Buffer.from(bytes);
    wrong[20_000] = wrong[20_000]! ^ 0xff;
    const attempts: { body: Buffer; headers: Record<string, string> }[] = [
      { body: wrong, headers: { 'x-amz-checksum-sha256': started!.checksumSha256 } },
      { body: wrong, headers: {} },
      { body: bytes.subarray(0, 39_999), headers: {} },
      { body: bytes, headers: { 'x-amz-checksum-sha256': b64sha(wrong) } },
    ];
    for (const attempt of attempts) {
      const res = await fetch(started!.url, {
        method: 'PUT',
        body: new Uint8Array(attempt.body),
        headers: attempt.headers,
      });
      assert.equal(res.status, 422);
      assert.equal((await res.json()).error.code, 'checksum_mismatch');
    }
    assert.equal(await api.storages.staging.head(started!.stagingKey), null, 'nothing under the key');
    const stagingRoot = join(api.dataDir, 'storage', 'staging');
    const leftovers = (await readdir(stagingRoot, { recursive: true, withFileTypes: true })).filter(
      (e) => e.isFile() && /tmp-/.test(e.name),
    );
    assert.deepEqual(
      leftovers.map((e) => e.name),
      [],
      'no temporary file left behind',
    );
    const state = await call('GET', `/api/uploads/${started!.uploadId}`, api.org.token);
    assert.deepEqual(state.body.uploadedParts, []);
    const complete = await call('POST', '/api/uploads/batch/complete', api.org.token, {
      uploads: [{ uploadId: started!.uploadId }],
    });
    assert.equal(complete.body.uploads[0].error.code, 'upload_incomplete');
    // A tampered URL is refused whatever the bytes.
    const forged = started!.url.replace(/checksumSha256=[^&]+/, `checksumSha256=${encodeURIComponent(b64sha(wrong))}`);
    assert.notEqual(forged, started!.url);
    assert.equal((await fetch(forged, { method: 'PUT', body: new Uint8Array(wrong) })).status, 403);
    assert.equal(await api.storages.staging.head(started!.stagingKey), null);
  });

  test('the same batch started again finds its unfinished uploads by content; stored ones skip the PUT', async () => {
    const files = [
      { name: 'again-1.txt', bytes: randomBytes(101) },
      { name: 'again-2.txt', bytes: randomBytes(102) },
      { name: 'again-3.txt', bytes: randomBytes(103) },
    ];
    const first = (await presignBatch(files)).files as Started[];
    await putFile(first[0]!, files[0]!.bytes); // then the client crashed
    await api.pool.query(`UPDATE uploads SET expires_at = now() + interval '1 minute' WHERE id = $1`, [
      first[2]!.uploadId,
    ]);
    const before = await footprint();
    const second = (await presignBatch(files)).files as (Started & { stored: boolean })[];
    assert.deepEqual(
      second.map((s) => [s.uploadId, s.stored]),
      [
        [first[0]!.uploadId, true],
        [first[1]!.uploadId, false],
        [second[2]!.uploadId, false],
      ],
    );
    assert.notEqual(second[2]!.uploadId, first[2]!.uploadId, 'one about to expire is not handed out again');
    assert.equal((await footprint()).uploads - before.uploads, 1);
    await putFile(second[1]!, files[1]!.bytes);
    await putFile(second[2]!, files[2]!.bytes);
    const done = await call('POST', '/api/uploads/batch/complete', api.org.token, {
      uploads: second.map((s) => ({ uploadId: s.uploadId })),
    });
    assert.deepEqual(
      done.body.uploads.map((u: { status: string; error: unknown }) => [u.status, u.error]),
      [
        ['uploaded', null],
        ['uploaded', null],
        ['uploaded', null],
      ],
    );
    assert.deepEqual(await actionsFor([first[0]!.uploadId]), { 'upload.create': 1, 'upload.complete': 1 });

    // Someone else's unfinished upload of the same file is not theirs to resume.
    const editor = await createMemberWithToken(api.pool, {
      organizationId: api.org.organizationId,
      projectId: api.org.projectId,
      email: 'editor2@batch.example',
      role: 'editor',
    });
    const [pending] = (await presignBatch([{ name: 'mine.txt', bytes: files[0]!.bytes }])).files as Started[];
    const [theirs] = (await presignBatch([{ name: 'mine.txt', bytes: files[0]!.bytes }], editor.token))
      .files as Started[];
    assert.notEqual(theirs!.uploadId, pending!.uploadId);
  });

  test('getUpload, presignUploadParts and completeUpload resume a whole-object upload', async () => {
    const bytes = randomBytes(12_345);
    const [started] = (await presignBatch([{ name: 'resume.bin', bytes }])).files as Started[];
    const id = started!.uploadId;
    const beforePut = await call('GET', `/api/uploads/${id}`, api.org.token);
    assert.equal(beforePut.status, 200);
    assert.deepEqual(
      {
        transfer: beforePut.body.transfer,
        status: beforePut.body.status,
        parts: beforePut.body.uploadedParts,
        partCount: beforePut.body.partCount,
      },
      { transfer: 'put', status: 'uploading', parts: [], partCount: 1 },
    );

    // The URL was lost in a crash: ask for a fresh one, either way the route allows.
    assert.equal((await call('POST', `/api/uploads/${id}/parts`, api.org.token, { partNumbers: [2] })).status, 400);
    const byNumber = await call('POST', `/api/uploads/${id}/parts`, api.org.token, { partNumbers: [1] });
    assert.equal(byNumber.status, 200, JSON.stringify(byNumber.body));
    assert.equal(byNumber.body.parts.length, 1);
    assert.equal(byNumber.body.parts[0].partNumber, 1);
    const byChecksum = await call('POST', `/api/uploads/${id}/parts`, api.org.token, {
      parts: [{ partNumber: 1, checksumSha256: b64sha(bytes) }],
    });
    assert.equal(byChecksum.status, 200);
    const fresh = byChecksum.body.parts[0].url as string;
    const bad = Buffer.from(bytes);
    bad[0] = bad[0]! ^ 1;
    assert.equal(
      (await fetch(fresh, { method: 'PUT', body: new Uint8Array(bad) })).status,
      422,
      'the fresh URL is signed for the declared sha256 too',
    );
    const put = await fetch(fresh, {
      method: 'PUT',
      body: new Uint8Array(bytes),
      headers: { 'x-amz-checksum-sha256': b64sha(bytes) },
    });
    assert.equal(put.status, 200);
    const etag = put.headers.get('etag')!;

    const afterPut = await call('GET', `/api/uploads/${id}`, api.org.token);
    assert.deepEqual(afterPut.body.uploadedParts, [
      { partNumber: 1, etag, size: bytes.length, checksumSha256: b64sha(bytes) },
    ]);
    const wrongPart = await call('POST', `/api/uploads/${id}/complete`, api.org.token, {
      parts: [{ partNumber: 2, etag }],
    });
    assert.equal(wrongPart.status, 400);
    const staleEtag = await call('POST', `/api/uploads/${id}/complete`, api.org.token, {
      parts: [{ partNumber: 1, etag: '"1-1"' }],
    });
    assert.equal(staleEtag.status, 400);
    const done = await call('POST', `/api/uploads/${id}/complete`, api.org.token, { parts: [{ partNumber: 1, etag }] });
    assert.equal(done.status, 200, JSON.stringify(done.body));
    assert.equal(done.body.status, 'uploaded');
    assert.equal(done.body.uploadedParts, undefined);
    assert.equal(
      (await uploadRow(id)).staged_sha256,
      sha256(bytes),
      'the store verified every byte against the declared sha256',
    );
    assert.deepEqual(await actionsFor([id]), { 'upload.create': 1, 'upload.complete': 1 });

    // And it goes on to promotion like any upload.
    const promote = await call('POST', '/api/promote', api.org.token, {
      uploadId: id,
      sha256: sha256(bytes),
      mapping: { collectionPath: 'resumed' },
    });
    assert.equal(promote.status, 202);
    assert.deepEqual(await promoteUploads(deps(), [{ uploadId: id }]), [null]);
    const row = await uploadRow(id);
    assert.equal(row.status, 'promoted');
    assert.equal((await api.storages.masters.head(masterKey(sha256(bytes))))?.size, bytes.length);
  });
});
