/**
 * Content named by sha256 is reachable only through projects the caller can read. A hash
 * held only in a project the caller has no role in behaves exactly like unknown content:
 * presign answers an ordinary upload, promotion without bytes is 404; bytes the caller
 * uploads and the worker verifies become a version pointing at the master already stored.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { createMemberWithToken } from '@mediavault/api/bootstrap';
import { promoteUploads } from '@mediavault/worker/jobs/promote';
import { callApi, startTestApi, type TestApi } from '../../test/helpers/api.ts';

const quietLog = { info() {}, warn() {}, error() {} };
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const b64sha = (b: Buffer) => createHash('sha256').update(b).digest('base64');

let api: TestApi;
let p2: string;
let p2Admin: { userId: string; token: string };
const secret = randomBytes(4096);
let secretAsset: string;

const call = (method: string, path: string, token: string, body?: unknown) =>
  callApi(api.url, method, path, token, body);

const deps = () => ({ config: api.config, pool: api.pool, boss: api.boss, storages: api.storages, log: quietLog });

/** One small file through a batch: presign, PUT, complete with promotion, then the worker's batch. */
async function ingest(token: string, projectId: string, name: string, bytes: Buffer) {
  const presign = await call('POST', '/api/uploads/batch', token, {
    projectId,
    files: [{ name, size: bytes.length, sha256: sha256(bytes) }],
  });
  assert.equal(presign.status, 200, JSON.stringify(presign.body));
  const file = presign.body.files[0];
  if (file.status === 'duplicate') return { presign: file, promoted: null };
  const put = await fetch(file.url, {
    method: 'PUT',
    body: new Uint8Array(bytes),
    headers: { 'x-amz-checksum-sha256': b64sha(bytes) },
  });
  assert.equal(put.status, 200);
  const done = await call('POST', '/api/uploads/batch/complete', token, {
    uploads: [{ uploadId: file.uploadId, promote: { projectId } }],
  });
  assert.equal(done.body.uploads[0].status, 'promoting', JSON.stringify(done.body));
  assert.deepEqual(await promoteUploads(deps(), [{ uploadId: file.uploadId }]), [null]);
  return { presign: file, promoted: (await call('GET', `/api/uploads/${file.uploadId}`, token)).body };
}

before(async () => {
  api = await startTestApi();
  const project = await call('POST', '/api/projects', api.org.token, {
    clientId: api.org.clientId,
    name: 'Other show',
  });
  p2 = project.body.id;
  p2Admin = await createMemberWithToken(api.pool, {
    organizationId: api.org.organizationId,
    projectId: p2,
    email: 'p2-admin@test',
    role: 'admin',
  });
  const { promoted } = await ingest(api.org.token, api.org.projectId, 'unreleased.mov', secret);
  secretAsset = promoted.assetId;
});
after(() => api?.close());

test('a hash held only in another project is unknown: no duplicate answer, no ids, promotion without bytes is 404', async () => {
  const sha = sha256(secret);
  const presign = await call('POST', '/api/presign', p2Admin.token, {
    name: 'guess.mov',
    size: secret.length,
    projectId: p2,
    sha256: sha,
  });
  assert.equal(presign.status, 200);
  assert.equal(presign.body.status, 'upload', 'an ordinary upload, as for bytes nobody has');
  assert.doesNotMatch(JSON.stringify(presign.body), new RegExp(secretAsset));

  const batch = await call('POST', '/api/uploads/batch', p2Admin.token, {
    projectId: p2,
    files: [{ name: 'guess.mov', size: secret.length, sha256: sha }],
  });
  assert.equal(batch.body.files[0].status, 'upload');

  const promote = await call('POST', '/api/promote', p2Admin.token, { sha256: sha, mapping: { projectId: p2 } });
  assert.equal(promote.status, 404);
  const unknown = await call('POST', '/api/promote', p2Admin.token, {
    sha256: sha256(randomBytes(8)),
    mapping: { projectId: p2 },
  });
  assert.deepEqual(
    [promote.status, promote.body.error.code, promote.body.error.message],
    [unknown.status, unknown.body.error.code, unknown.body.error.message],
    'the same answer as for a hash nobody holds',
  );
  assert.equal((await call('POST', '/api/preview', p2Admin.token, { sha256: sha })).status, 404);
  assert.equal((await call('GET', `/api/previews/${sha}`, p2Admin.token)).status, 404);
  const assets = await call('GET', `/api/projects/${p2}/assets`, p2Admin.token);
  assert.deepEqual(assets.body.items, [], 'nothing of P1 reached P2');
});

test('sending the bytes proves possession: the verified version shares the stored master', async () => {
  const { presign, promoted } = await ingest(p2Admin.token, p2, 'own-copy.mov', secret);
  assert.equal(presign.status, 'upload');
  assert.equal(promoted.status, 'promoted');
  assert.notEqual(promoted.assetId, secretAsset, 'an asset of P2');
  const { rows } = await api.pool.query('SELECT count(*)::int AS n FROM masters WHERE sha256 = $1', [sha256(secret)]);
  assert.equal(rows[0].n, 1, 'one master, deduplicated in storage');
  // Now P2 holds the bytes too: its admin may see them as a duplicate.
  const again = await call('POST', '/api/presign', p2Admin.token, {
    name: 'again.mov',
    size: secret.length,
    projectId: p2,
    sha256: sha256(secret),
  });
  assert.deepEqual([again.body.status, again.body.assetId], ['duplicate', promoted.assetId]);
});

test("a batch completes only the caller's own uploads; another user's reads as unknown", async () => {
  const bytes = randomBytes(512);
  const presign = await call('POST', '/api/uploads/batch', api.org.token, {
    projectId: api.org.projectId,
    files: [{ name: 'mine.wav', size: bytes.length, sha256: sha256(bytes) }],
  });
  const uploadId = presign.body.files[0].uploadId;
  const colleague = await createMemberWithToken(api.pool, {
    organizationId: api.org.organizationId,
    projectId: api.org.projectId,
    email: 'editor@test',
    role: 'editor',
  });
  const theirs = await call('POST', '/api/uploads/batch/complete', colleague.token, { uploads: [{ uploadId }] });
  assert.deepEqual(theirs.body.uploads[0], {
    uploadId,
    status: 'uploading',
    assetId: null,
    versionId: null,
    error: { code: 'not_found', message: 'upload not found' },
  });
});
