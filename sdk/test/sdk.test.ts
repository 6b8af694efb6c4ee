import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { freePort } from '@mediavault/core/db/embedded';
import {
  createClient, MediavaultApiError, MediavaultError, MediavaultNetworkError,
  promoteAndWait, uploadFile, waitForPreview, type MediavaultClient, type UploadProgress,
} from '../src/index.ts';
import { startPromoter, startTestApi, type TestApi } from './helpers/api-server.ts';

const MiB = 1024 * 1024;
const dir = await mkdtemp(join(tmpdir(), 'mediavault-sdk-test-'));
const started: { api?: TestApi; client?: MediavaultClient } = {};
// Registered before the api starts: run on its own, this file's database server is
// started (and stopped by an after hook) by the helper, and must outlive the api.
after(async () => {
  await started.client?.close();
  await started.api?.close();
  await rm(dir, { recursive: true, force: true });
});
const api = (started.api = await startTestApi());
await startPromoter(api);
const client = (started.client = createClient({ baseUrl: api.url, token: api.org.token }));

async function randomFile(name: string, size: number): Promise<{ path: string; sha256: string; bytes: Buffer }> {
  const bytes = randomBytes(size);
  const path = join(dir, name);
  await writeFile(path, bytes);
  return { path, sha256: createHash('sha256').update(bytes).digest('hex'), bytes };
}

async function stagedBytes(stagingKey: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of await api.storages.staging.get(stagingKey)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

describe('client', () => {
  test('typed calls reach the api', async () => {
    const me = await client.getMe();
    assert.equal(me.user.email, 'admin@test');
    assert.deepEqual(me.memberships.map((m) => m.projectId), [api.org.projectId]);
    const project = await client.getProject({ params: { projectId: api.org.projectId } });
    assert.equal(project.name, 'Project A');
  });

  test('an api error becomes MediavaultApiError with code, status, details and request id', async () => {
    const missing = await client.getAsset({ params: { assetId: '00000000-0000-4000-8000-000000000000' } }, { requestId: 'sdk-test-404' }).catch((e: unknown) => e);
    assert.ok(missing instanceof MediavaultApiError);
    assert.equal(missing.status, 404);
    assert.equal(missing.code, 'not_found');
    assert.equal(missing.requestId, 'sdk-test-404');
    assert.equal(missing.operation, 'getAsset');

    const invalid = await client.presignUpload({ body: { name: 'a.mov', size: -1, projectId: api.org.projectId } }).catch((e: unknown) => e);
    assert.ok(invalid instanceof MediavaultApiError);
    assert.equal(invalid.status, 400);
    assert.equal(invalid.code, 'bad_request');
    assert.equal(invalid.details?.field, 'body.size');

    const stranger = createClient({ baseUrl: api.url, token: 'mvt_not-a-token' });
    const denied = await stranger.getMe().catch((e: unknown) => e);
    await stranger.close();
    assert.ok(denied instanceof MediavaultApiError);
    assert.equal(denied.status, 401);
    assert.equal(denied.code, 'unauthenticated');
  });

  test('nothing listening is a MediavaultNetworkError', async () => {
    const nowhere = createClient({ baseUrl: `http://127.0.0.1:${await freePort()}`, token: 't' });
    const err = await nowhere.getMe().catch((e: unknown) => e);
    await nowhere.close();
    assert.ok(err instanceof MediavaultNetworkError);
    assert.equal(err.code, 'ECONNREFUSED');
    assert.match(err.message, /cannot reach http:\/\/127\.0\.0\.1:\d+/);
  });
});

describe('uploadFile and promoteAndWait', () => {
  test('a multi-part upload sends every part, hashes the whole file and completes', async () => {
    const file = await randomFile('multi.bin', 11 * MiB);
    const seen: UploadProgress[] = [];
    const result = await uploadFile(client, { path: file.path, projectId: api.org.projectId, partSize: 5 * MiB, concurrency: 2, onProgress: (p) => seen.push(p) });
    assert.equal(result.status, 'uploaded');
    assert.ok(result.status === 'uploaded');
    assert.equal(result.sha256, file.sha256);
    assert.equal(result.size, 11 * MiB);
    assert.equal(result.partCount, 3);
    assert.equal(result.bytesSent, 11 * MiB);
    assert.equal(seen.at(-1)?.partsDone, 3);
    assert.equal(seen.at(-1)?.bytesSent, 11 * MiB);
    assert.ok(seen.every((p, i) => i === 0 || p.bytesSent >= seen[i - 1]!.bytesSent), 'progress only grows');

    const upload = await client.getUpload({ params: { uploadId: result.uploadId } });
    assert.equal(upload.status, 'uploaded');
    assert.ok((await stagedBytes(result.stagingKey)).equals(file.bytes));

    const promoted = await promoteAndWait(client, { uploadId: result.uploadId, sha256: result.sha256, mapping: { collectionPath: 'sdk/multi' }, timeoutMs: 20_000 });
    assert.equal(promoted.status, 'promoted');
    const asset = await client.getAsset({ params: { assetId: promoted.assetId } });
    assert.equal(asset.collectionPath, 'sdk/multi');
    assert.equal(asset.versions[0]?.sha256, file.sha256);

    // The same bytes again: presign with the known sha256 answers duplicate, nothing is sent.
    const again = await uploadFile(client, { path: file.path, projectId: api.org.projectId, sha256: file.sha256 });
    assert.equal(again.status, 'duplicate');
    assert.equal(again.bytesSent, 0);
    assert.ok(again.status === 'duplicate');
    assert.equal(again.versionId, promoted.versionId);
    const dedup = await promoteAndWait(client, { sha256: file.sha256, mapping: { projectId: api.org.projectId, collectionPath: 'sdk/copy' } });
    assert.equal(dedup.status, 'deduplicated');
    assert.notEqual(dedup.assetId, promoted.assetId);
  });

  test('part URLs the presign answer did not include are requested with presignUploadParts', async () => {
    const file = await randomFile('more-urls.bin', 11 * MiB);
    let asked: number[] = [];
    const stingy: MediavaultClient = {
      ...client,
      presignUpload: async (input, options) => {
        const answer = await client.presignUpload(input, options);
        return answer.status === 'upload' ? { ...answer, parts: answer.parts.slice(0, 1) } : answer;
      },
      presignUploadParts: async (input, options) => {
        asked = [...asked, ...input.body.partNumbers];
        return client.presignUploadParts(input, options);
      },
    };
    const result = await uploadFile(stingy, { path: file.path, projectId: api.org.projectId, partSize: 5 * MiB });
    assert.equal(result.status, 'uploaded');
    assert.deepEqual(asked, [2, 3]);
    assert.ok(result.status === 'uploaded' && (await stagedBytes(result.stagingKey)).equals(file.bytes));
  });

  test('a refused part URL is replaced by a fresh one', async () => {
    const file = await randomFile('refused.bin', 6 * MiB);
    let refreshed = 0;
    const tampering: MediavaultClient = {
      ...client,
      presignUpload: async (input, options) => {
        const answer = await client.presignUpload(input, options);
        if (answer.status !== 'upload') return answer;
        return { ...answer, parts: answer.parts.map((p) => ({ ...p, url: p.url.replace(/signature=[^&]+/, 'signature=AAAA') })) };
      },
      presignUploadParts: async (input, options) => {
        refreshed++;
        return client.presignUploadParts(input, options);
      },
    };
    const result = await uploadFile(tampering, { path: file.path, projectId: api.org.projectId, partSize: 5 * MiB });
    assert.equal(result.status, 'uploaded');
    assert.equal(refreshed, 2);
  });

  test('a wrong declared sha256 leaves the upload incomplete', async () => {
    const file = await randomFile('wrong-sha.bin', 1024);
    const wrong = 'a'.repeat(64);
    const err = await uploadFile(client, { path: file.path, projectId: api.org.projectId, sha256: wrong }).catch((e: unknown) => e);
    assert.ok(err instanceof MediavaultError);
    assert.equal(err.code, 'checksum_mismatch');
    assert.equal(err.details?.actual, file.sha256);
  });

  test('a promotion whose sha256 does not match the bytes fails with the job error', async () => {
    const file = await randomFile('mismatch.bin', 2048);
    const uploaded = await uploadFile(client, { path: file.path, projectId: api.org.projectId });
    assert.ok(uploaded.status === 'uploaded');
    const err = await promoteAndWait(client, { uploadId: uploaded.uploadId, sha256: 'b'.repeat(64), timeoutMs: 20_000 }).catch((e: unknown) => e);
    assert.ok(err instanceof MediavaultError);
    assert.equal(err.code, 'checksum_mismatch');
    assert.match(err.message, /nothing was written to masters/);
  });

  test('an empty file is one empty part', async () => {
    const file = await randomFile('empty.bin', 0);
    const result = await uploadFile(client, { path: file.path, projectId: api.org.projectId });
    assert.equal(result.status, 'uploaded');
    assert.equal(result.sha256, createHash('sha256').digest('hex'));
  });

  test('a missing file and an unknown project are clear errors', async () => {
    const missing = await uploadFile(client, { path: join(dir, 'nope.bin'), projectId: api.org.projectId }).catch((e: unknown) => e);
    assert.ok(missing instanceof MediavaultError);
    assert.equal(missing.code, 'file_not_found');
    const file = await randomFile('orphan.bin', 10);
    const unknown = await uploadFile(client, { path: file.path, projectId: '00000000-0000-4000-8000-000000000001' }).catch((e: unknown) => e);
    assert.ok(unknown instanceof MediavaultApiError);
    assert.equal(unknown.status, 404);
  });
});

describe('waitForPreview', () => {
  test('resolves when the build is ready and times out while it is not', async () => {
    const file = await randomFile('preview.bin', 4096);
    const uploaded = await uploadFile(client, { path: file.path, projectId: api.org.projectId });
    assert.ok(uploaded.status === 'uploaded');
    await promoteAndWait(client, { uploadId: uploaded.uploadId, sha256: uploaded.sha256, timeoutMs: 20_000 });

    const timedOut = await waitForPreview(client, file.sha256, { timeoutMs: 300 }).catch((e: unknown) => e);
    assert.ok(timedOut instanceof MediavaultError);
    assert.equal(timedOut.code, 'timeout');

    const states: string[] = [];
    const waiting = waitForPreview(client, file.sha256, { timeoutMs: 20_000, onState: (s) => states.push(s.status) });
    // No worker builds previews here: play its part on the catalogue row.
    await api.pool.query(`UPDATE previews SET status = 'ready', outputs = '{"hls":"hls/x/master.m3u8"}' WHERE sha256 = $1`, [file.sha256]);
    const ready = await waiting;
    assert.equal(ready.status, 'ready');
    assert.equal(states.at(-1), 'ready');

    const unknownSha = await waitForPreview(client, 'c'.repeat(64), { timeoutMs: 5_000 }).catch((e: unknown) => e);
    assert.ok(unknownSha instanceof MediavaultApiError);
    assert.equal(unknownSha.status, 404);
  });
});
