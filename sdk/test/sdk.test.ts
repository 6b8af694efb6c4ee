import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { appendFileSync } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { freePort } from '@mediavault/core/free-port';
import {
  createClient,
  MediavaultApiError,
  MediavaultError,
  MediavaultNetworkError,
  promoteAndWait,
  uploadFile,
  waitForPreview,
  type MediavaultClient,
  type UploadProgress,
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
const api = await startTestApi();
started.api = api;
await startPromoter(api);
const client = createClient({ baseUrl: api.url, token: api.org.token });
started.client = client;

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
    assert.deepEqual(
      me.memberships.map((m) => m.projectId),
      [api.org.projectId],
    );
    const project = await client.getProject({ params: { projectId: api.org.projectId } });
    assert.equal(project.name, 'Project A');
  });

  test('an api error becomes MediavaultApiError with code, status, details and request id', async () => {
    const missing = await client
      .getAsset({ params: { assetId: '00000000-0000-4000-8000-000000000000' } }, { requestId: 'sdk-test-404' })
      .catch((e: unknown) => e);
    assert.ok(missing instanceof MediavaultApiError);
    assert.equal(missing.status, 404);
    assert.equal(missing.code, 'not_found');
    assert.equal(missing.requestId, 'sdk-test-404');
    assert.equal(missing.operation, 'getAsset');

    const invalid = await client
      .presignUpload({ body: { name: 'a.mov', size: -1, projectId: api.org.projectId } })
      .catch((e: unknown) => e);
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
    const result = await uploadFile(client, {
      path: file.path,
      projectId: api.org.projectId,
      partSize: 5 * MiB,
      concurrency: 2,
      onProgress: (p) => seen.push(p),
    });
    assert.equal(result.status, 'uploaded');
    assert.ok(result.status === 'uploaded');
    assert.equal(result.sha256, file.sha256);
    assert.equal(result.size, 11 * MiB);
    assert.equal(result.partCount, 3);
    assert.equal(result.bytesSent, 11 * MiB);
    assert.equal(seen.at(-1)?.partsDone, 3);
    assert.equal(seen.at(-1)?.bytesSent, 11 * MiB);
    assert.ok(
      seen.every((p, i) => i === 0 || p.bytesSent >= seen[i - 1]!.bytesSent),
      'progress only grows',
    );

    const upload = await client.getUpload({ params: { uploadId: result.uploadId } });
    assert.equal(upload.status, 'uploaded');
    assert.ok((await stagedBytes(result.stagingKey)).equals(file.bytes));

    const promoted = await promoteAndWait(client, {
      uploadId: result.uploadId,
      sha256: result.sha256,
      mapping: { collectionPath: 'sdk/multi' },
      timeoutMs: 20_000,
    });
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
    const dedup = await promoteAndWait(client, {
      sha256: file.sha256,
      mapping: { projectId: api.org.projectId, collectionPath: 'sdk/copy' },
    });
    assert.equal(dedup.status, 'deduplicated');
    assert.notEqual(dedup.assetId, promoted.assetId);
  });

  test("each part URL is asked for with the part's own sha256, several parts per call", async () => {
    const file = await randomFile('checksummed.bin', 11 * MiB);
    const asked: { partNumber: number; checksumSha256?: string }[][] = [];
    const recording: MediavaultClient = {
      ...client,
      presignUploadParts: async (input, options) => {
        asked.push(input.body.parts ?? []);
        return client.presignUploadParts(input, options);
      },
    };
    const result = await uploadFile(recording, {
      path: file.path,
      projectId: api.org.projectId,
      partSize: 5 * MiB,
      concurrency: 3,
    });
    assert.equal(result.status, 'uploaded');
    const partSha = (n: number) =>
      createHash('sha256')
        .update(file.bytes.subarray((n - 1) * 5 * MiB, n * 5 * MiB))
        .digest('base64');
    assert.deepEqual(
      asked.flat().sort((a, b) => a.partNumber - b.partNumber),
      [1, 2, 3].map((n) => ({ partNumber: n, checksumSha256: partSha(n) })),
    );
    assert.ok(
      asked.length < 3 || asked.every((batch) => batch.length === 1),
      'batches or one call per part, never a part twice',
    );
    assert.ok(result.status === 'uploaded' && (await stagedBytes(result.stagingKey)).equals(file.bytes));
  });

  test("the store verifies each part's checksum: a URL signed for other bytes is refused", async () => {
    const file = await randomFile('wrong-part-sum.bin', 6 * MiB);
    const lying: MediavaultClient = {
      ...client,
      presignUploadParts: async (input, options) =>
        client.presignUploadParts(
          {
            ...input,
            body: {
              parts: (input.body.parts ?? []).map((p) => ({
                ...p,
                checksumSha256: createHash('sha256').update('other bytes').digest('base64'),
              })),
            },
          },
          options,
        ),
    };
    const err = await uploadFile(lying, { path: file.path, projectId: api.org.projectId, partSize: 5 * MiB }).catch(
      (e: unknown) => e,
    );
    assert.ok(err instanceof MediavaultApiError, String(err));
    assert.equal(err.operation, 'uploadPart');
    assert.ok([400, 403, 422].includes(err.status), `status ${err.status}: ${err.message}`);
  });

  test('a refused part URL is replaced by a fresh one', async () => {
    const file = await randomFile('refused.bin', 6 * MiB);
    let calls = 0;
    const tampering: MediavaultClient = {
      ...client,
      presignUploadParts: async (input, options) => {
        calls++;
        const answer = await client.presignUploadParts(input, options);
        // The first URLs handed out are broken; the refresh asks again.
        return calls === 1
          ? { parts: answer.parts.map((p) => ({ ...p, url: p.url.replace(/signature=[^&]+/, 'signature=AAAA') })) }
          : answer;
      },
    };
    const result = await uploadFile(tampering, {
      path: file.path,
      projectId: api.org.projectId,
      partSize: 5 * MiB,
      concurrency: 1,
    });
    assert.equal(result.status, 'uploaded');
    assert.ok(calls >= 2);
  });

  test('a wrong declared sha256 leaves the upload incomplete', async () => {
    const file = await randomFile('wrong-sha.bin', 1024);
    const wrong = 'a'.repeat(64);
    const err = await uploadFile(client, { path: file.path, projectId: api.org.projectId, sha256: wrong }).catch(
      (e: unknown) => e,
    );
    assert.ok(err instanceof MediavaultError);
    assert.equal(err.code, 'checksum_mismatch');
    assert.equal(err.details?.actual, file.sha256);
  });

  test('a promotion whose sha256 does not match the bytes fails with the job error', async () => {
    const file = await randomFile('mismatch.bin', 2048);
    const uploaded = await uploadFile(client, { path: file.path, projectId: api.org.projectId });
    assert.ok(uploaded.status === 'uploaded');
    const err = await promoteAndWait(client, {
      uploadId: uploaded.uploadId,
      sha256: 'b'.repeat(64),
      timeoutMs: 20_000,
    }).catch((e: unknown) => e);
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
    const missing = await uploadFile(client, { path: join(dir, 'nope.bin'), projectId: api.org.projectId }).catch(
      (e: unknown) => e,
    );
    assert.ok(missing instanceof MediavaultError);
    assert.equal(missing.code, 'file_not_found');
    const file = await randomFile('orphan.bin', 10);
    const unknown = await uploadFile(client, {
      path: file.path,
      projectId: '00000000-0000-4000-8000-000000000001',
    }).catch((e: unknown) => e);
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
    // Random bytes get no automatic preview (not media); ask for one.
    await client.requestPreview({ body: { sha256: file.sha256 } });

    const timedOut = await waitForPreview(client, file.sha256, { timeoutMs: 300 }).catch((e: unknown) => e);
    assert.ok(timedOut instanceof MediavaultError);
    assert.equal(timedOut.code, 'timeout');

    const states: string[] = [];
    const waiting = waitForPreview(client, file.sha256, { timeoutMs: 20_000, onState: (s) => states.push(s.status) });
    // No worker builds previews here: play its part on the catalogue row.
    await api.pool.query(
      `UPDATE previews SET status = 'ready', outputs = '{"hls":"hls/x/master.m3u8"}' WHERE sha256 = $1`,
      [file.sha256],
    );
    const ready = await waiting;
    assert.equal(ready.status, 'ready');
    assert.equal(states.at(-1), 'ready');

    const unknownSha = await waitForPreview(client, 'c'.repeat(64), { timeoutMs: 5_000 }).catch((e: unknown) => e);
    assert.ok(unknownSha instanceof MediavaultApiError);
    assert.equal(unknownSha.status, 404);
  });
});

describe('single read: dedup, resume, changes', () => {
  test('a file of one part is hashed before presigning: bytes already in masters are not sent', async () => {
    const file = await randomFile('small-dedup.bin', 64 * 1024);
    const first = await uploadFile(client, { path: file.path, projectId: api.org.projectId });
    assert.ok(first.status === 'uploaded');
    assert.equal(first.sha256, file.sha256);
    await promoteAndWait(client, { uploadId: first.uploadId, sha256: first.sha256, timeoutMs: 20_000 });
    const seen: Buffer[] = [];
    const again = await uploadFile(client, {
      path: file.path,
      projectId: api.org.projectId,
      observers: [{ update: (c) => seen.push(Buffer.from(c)) }],
    });
    assert.equal(again.status, 'duplicate');
    assert.equal(again.bytesSent, 0);
    assert.ok(Buffer.concat(seen).equals(file.bytes), 'observers saw the single read');
  });

  test('resume: only the parts the server lacks are sent again, and a part it lost is sent again', async () => {
    const file = await randomFile('resume.bin', 26 * MiB);
    const stop = new AbortController();
    let uploadId = '';
    const firstParts: number[] = [];
    const interrupted = await uploadFile(client, {
      path: file.path,
      projectId: api.org.projectId,
      partSize: 5 * MiB,
      concurrency: 1,
      signal: stop.signal,
      onStarted: (u) => (uploadId = u.uploadId),
      onPart: (p) => {
        firstParts.push(p.partNumber);
        if (firstParts.length === 3) stop.abort();
      },
    }).catch((e: unknown) => e);
    assert.equal((interrupted as Error).name, 'AbortError');
    const held = (await client.getUpload({ params: { uploadId } })).uploadedParts ?? [];
    assert.deepEqual(
      held.map((p) => p.partNumber),
      [1, 2, 3],
    );

    // The server loses part 2 (e.g. an operator cleaned up): the journal's word is not enough.
    const { rows } = await api.pool.query('SELECT storage_upload_id FROM uploads WHERE id = $1', [uploadId]);
    const partsDir = join(
      (api.storages.staging as unknown as { roleRoot: string }).roleRoot,
      '.multipart',
      rows[0].storage_upload_id,
    );
    for (const name of await readdir(partsDir)) if (name.startsWith('2.')) await rm(join(partsDir, name));

    const events: { partNumber: number; status: string }[] = [];
    const resumed = await uploadFile(client, {
      path: file.path,
      projectId: api.org.projectId,
      partSize: 5 * MiB,
      resume: { uploadId },
      onPart: (p) => events.push({ partNumber: p.partNumber, status: p.status }),
    });
    assert.ok(resumed.status === 'uploaded');
    assert.equal(resumed.uploadId, uploadId);
    assert.equal(resumed.resumedFrom, uploadId);
    assert.equal(resumed.partCount, 6);
    assert.equal(resumed.partsAlreadyStored, 2);
    assert.equal(resumed.partsSent, 4);
    assert.deepEqual(
      events
        .filter((e) => e.status === 'sent')
        .map((e) => e.partNumber)
        .sort(),
      [2, 4, 5, 6],
    );
    assert.equal(resumed.bytesSent, 26 * MiB - 2 * 5 * MiB);
    assert.equal(resumed.sha256, file.sha256, 'the whole-file sha256 covers the parts that were not sent');
    assert.ok((await stagedBytes(resumed.stagingKey)).equals(file.bytes));
  });

  test('resuming an upload that is gone starts a new one', async () => {
    const file = await randomFile('resume-gone.bin', 1000);
    const result = await uploadFile(client, {
      path: file.path,
      projectId: api.org.projectId,
      resume: { uploadId: '00000000-0000-4000-8000-00000000dead' },
    });
    assert.ok(result.status === 'uploaded');
    assert.equal(result.resumedFrom, null);
  });

  test('a file that changes while it is read fails with file_changed and is not completed', async () => {
    const file = await randomFile('growing.bin', 11 * MiB);
    let uploadId = '';
    let touched = false;
    const err = await uploadFile(client, {
      path: file.path,
      projectId: api.org.projectId,
      partSize: 5 * MiB,
      onStarted: (u) => (uploadId = u.uploadId),
      observers: [
        {
          update: () => {
            if (touched) return;
            touched = true;
            appendFileSync(file.path, 'more');
          },
        },
      ],
    }).catch((e: unknown) => e);
    assert.ok(err instanceof MediavaultError);
    assert.equal(err.code, 'file_changed');
    assert.match(err.message, /changed while it was read/);
    assert.equal((await client.getUpload({ params: { uploadId } })).status, 'uploading');

    const stale = await uploadFile(client, {
      path: file.path,
      projectId: api.org.projectId,
      expect: { size: 11 * MiB, mtimeMs: 0 },
    }).catch((e: unknown) => e);
    assert.ok(stale instanceof MediavaultError);
    assert.equal(stale.code, 'file_changed');
  });
});
