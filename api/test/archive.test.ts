/**
 * matchArchivedContent (issue 12, point 12): which files may already be archived, by size and
 * fingerprint, answered only from projects the caller can read. And the fingerprints it answers
 * from: recorded by promotion, backfilled by the maintenance job for masters promoted before.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { bootstrapOrganization, createMemberWithToken } from '@mediavault/api/bootstrap';
import { fingerprintOf, fingerprintRanges } from '@mediavault/core/fingerprint';
import { backfillFingerprints } from '@mediavault/worker/jobs/maintenance';
import { promoteUploads } from '@mediavault/worker/jobs/promote';
import { callApi, startTestApi, type TestApi } from '../../test/helpers/api.ts';

const MiB = 1024 * 1024;
const log = { info() {}, warn() {}, error() {} };
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const fingerprint = (bytes: Buffer) =>
  fingerprintOf(fingerprintRanges(bytes.length).map(([start, end]) => bytes.subarray(start, end)));

let api: TestApi;
before(async () => {
  api = await startTestApi();
});
after(() => api?.close());

const deps = () => ({ config: api.config, pool: api.pool, boss: api.boss, storages: api.storages, log });

/** Bytes promoted into P1 as any client does it (presign, PUT, complete, promote), the job run here. */
async function promoted(bytes: Buffer, name: string): Promise<void> {
  const presign = await callApi(api.url, 'POST', '/api/presign', api.org.token, {
    name,
    size: bytes.length,
    projectId: api.org.projectId,
  });
  const put = await fetch(presign.body.parts[0].url, { method: 'PUT', body: new Uint8Array(bytes) });
  await callApi(api.url, 'POST', `/api/uploads/${presign.body.uploadId}/complete`, api.org.token, {
    parts: [{ partNumber: 1, etag: put.headers.get('etag') }],
  });
  const promote = await callApi(api.url, 'POST', '/api/promote', api.org.token, {
    uploadId: presign.body.uploadId,
    sha256: sha256(bytes),
  });
  assert.equal(promote.status, 202, JSON.stringify(promote.body));
  assert.deepEqual(await promoteUploads(deps(), [{ uploadId: presign.body.uploadId }]), [null]);
}

const storedFingerprint = async (bytes: Buffer) =>
  (await api.pool.query('SELECT fingerprint FROM masters WHERE sha256 = $1', [sha256(bytes)])).rows[0]?.fingerprint;

test('promotion records the fingerprint of each master; the maintenance job fills in those it lacks', async () => {
  const large = randomBytes(5 * MiB + 123);
  const small = randomBytes(300_000);
  await promoted(large, 'large.mov');
  await promoted(small, 'small.wav');
  assert.equal(await storedFingerprint(large), fingerprint(large), 'the first and last MiB, read back from staging');
  assert.equal(await storedFingerprint(small), sha256(small), 'up to 2 MiB, the sha256');

  // As masters promoted before fingerprints were recorded are.
  await api.pool.query('UPDATE masters SET fingerprint = NULL WHERE sha256 = ANY($1)', [
    [sha256(large), sha256(small)],
  ]);
  assert.equal(await backfillFingerprints(deps()), 2);
  assert.equal(await storedFingerprint(large), fingerprint(large), 'read from the masters store');
  assert.equal(await storedFingerprint(small), sha256(small));
  assert.equal(await backfillFingerprints(deps()), 0, 'nothing left to do');
});

test('a match only in projects the caller can read; anywhere else it answers as for unknown content', async () => {
  const archived = randomBytes(3 * MiB);
  await promoted(archived, 'A001_C004.mov');
  const sameEnds = Buffer.from(archived);
  sameEnds.fill(7, MiB, 2 * MiB); // another middle: the same fingerprint, other bytes
  const otherEnd = Buffer.from(archived);
  otherEnd[otherEnd.length - 1]! ^= 1;
  const files = [
    { size: archived.length, fingerprint: fingerprint(archived) },
    { size: sameEnds.length, fingerprint: fingerprint(sameEnds) },
    { size: otherEnd.length, fingerprint: fingerprint(otherEnd) },
    { size: archived.length + 1, fingerprint: fingerprint(archived) },
    { size: 10, fingerprint: 'a'.repeat(64) },
  ];

  const p2 = await callApi(api.url, 'POST', '/api/projects', api.org.token, { clientId: api.org.clientId, name: 'P2' });
  const member = (email: string, projectId: string, role: 'editor' | 'viewer') =>
    createMemberWithToken(api.pool, { organizationId: api.org.organizationId, projectId, email, role });
  const viewer = await member('viewer@archive.test', api.org.projectId, 'viewer');
  const outsider = await member('outsider@archive.test', p2.body.id, 'editor');
  const otherOrg = await bootstrapOrganization(api.pool, {
    organization: 'Other',
    client: 'C',
    project: 'P',
    adminEmail: 'admin@other.test',
    adminName: 'O',
  });

  const ask = (token: string) => callApi(api.url, 'POST', '/api/archive/match', token, { files });
  for (const token of [api.org.token, viewer.token]) {
    const answer = await ask(token);
    assert.equal(answer.status, 200);
    // Same size and ends match (the client then hashes the file whole to be sure); anything else does not.
    assert.deepEqual(answer.body, { matches: [true, true, false, false, false] });
  }
  for (const token of [outsider.token, otherOrg.token]) {
    const answer = await ask(token);
    assert.equal(answer.status, 200);
    assert.deepEqual(answer.body, { matches: [false, false, false, false, false] }, 'as for unknown content');
  }

  const bad = await callApi(api.url, 'POST', '/api/archive/match', api.org.token, {
    files: [{ size: -1, fingerprint: 'XYZ' }],
  });
  assert.equal(bad.status, 400);
  const none = await callApi(api.url, 'POST', '/api/archive/match', api.org.token, { files: [] });
  assert.equal(none.status, 400);
});
