/**
 * The server side of bulk ingest: per-part checksums, resumable state, refusals
 * that change nothing, expiry and the maintenance abort, server-side promotion
 * copies and sidecars. fs driver through the api's own presigned URLs; s3 driver
 * against s3rver, with what s3rver cannot do asserted at the SDK boundary.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { masterKey } from '@mediavault/core/keys';
import { createMemberWithToken, bootstrapOrganization } from '@mediavault/api/bootstrap';
import type { S3Storage } from '@mediavault/core/storage/index';
import { handlePromote, promoteUploads } from '@mediavault/worker/jobs/promote';
import { abortExpiredUploads } from '@mediavault/worker/jobs/maintenance';
import { callApi, startTestApi, type TestApi } from '../../test/helpers/api.ts';
import { bucketFor, startS3rver, type RunningS3rver } from '../../core/test/helpers/s3rver.ts';

const MiB = 1024 * 1024;
const quietLog = { info() {}, warn() {}, error() {} };
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const b64sha = (b: Buffer) => createHash('sha256').update(b).digest('base64');

function client(api: TestApi) {
  return (method: string, path: string, token: string, body?: unknown) => callApi(api.url, method, path, token, body);
}

describe('fs driver', () => {
  let api: TestApi;
  let call: ReturnType<typeof client>;
  before(async () => {
    api = await startTestApi();
    call = client(api);
  });
  after(async () => api?.close());
  const deps = () => ({ config: api.config, pool: api.pool, boss: api.boss, storages: api.storages, log: quietLog });

  test('a part whose bytes differ from the checksum its URL was signed for is refused and not stored', async () => {
    const part1 = randomBytes(5 * MiB);
    const part2 = randomBytes(1000);
    const presign = await call('POST', '/api/presign', api.org.token, {
      name: 'cam.mxf',
      size: part1.length + part2.length,
      projectId: api.org.projectId,
      partSize: 5 * MiB,
      partChecksums: [b64sha(part1)],
    });
    assert.equal(presign.status, 200);
    assert.equal(presign.body.checksums, 'optional');
    const url1 = presign.body.parts[0].url as string;
    assert.match(url1, /checksumSha256=/);
    const corrupted = Buffer.from(part1);
    corrupted[1000] = corrupted[1000]! ^ 0xff;
    const refused = await fetch(url1, { method: 'PUT', body: new Uint8Array(corrupted) });
    assert.equal(refused.status, 422);
    assert.equal((await refused.json()).error.code, 'checksum_mismatch');
    const state = await call('GET', `/api/uploads/${presign.body.uploadId}`, api.org.token);
    assert.deepEqual(state.body.uploadedParts, [], 'nothing kept of the refused part');
    // A tampered checksum in the URL breaks its signature.
    const forged = url1.replace(/checksumSha256=[^&]+/, `checksumSha256=${encodeURIComponent(b64sha(corrupted))}`);
    assert.equal((await fetch(forged, { method: 'PUT', body: new Uint8Array(corrupted) })).status, 403);

    const ok = await fetch(url1, { method: 'PUT', body: new Uint8Array(part1) });
    assert.equal(ok.status, 200);
    const more = await call('POST', `/api/uploads/${presign.body.uploadId}/parts`, api.org.token, {
      parts: [{ partNumber: 2, checksumSha256: b64sha(part2) }],
    });
    assert.equal(more.status, 200);
    const put2 = await fetch(more.body.parts[0].url, {
      method: 'PUT',
      body: new Uint8Array(part2),
      headers: { 'x-amz-checksum-sha256': b64sha(part2) },
    });
    assert.equal(put2.status, 200);
    const resumed = await call('GET', `/api/uploads/${presign.body.uploadId}`, api.org.token);
    assert.deepEqual(
      resumed.body.uploadedParts.map((p: { partNumber: number }) => p.partNumber),
      [1, 2],
      'the server lists stored parts for resume',
    );
    const done = await call('POST', `/api/uploads/${presign.body.uploadId}/complete`, api.org.token, {
      parts: resumed.body.uploadedParts.map((p: { partNumber: number; etag: string }) => ({
        partNumber: p.partNumber,
        etag: p.etag,
      })),
    });
    assert.equal(done.body.status, 'uploaded');
  });

  test('completions of one upload at once assemble it once; the others answer it completed', async () => {
    // Two runs of the same ingest (or a rerun beside an orphaned one) complete the same upload:
    // each must learn it is done, none may assemble parts the first already moved.
    const part1 = randomBytes(5 * MiB);
    const part2 = randomBytes(2 * MiB);
    const presign = await call('POST', '/api/presign', api.org.token, {
      name: 'twice.mov',
      size: part1.length + part2.length,
      projectId: api.org.projectId,
      partSize: 5 * MiB,
    });
    const uploadId = presign.body.uploadId as string;
    const parts: { partNumber: number; etag: string }[] = [];
    for (const [i, bytes] of [part1, part2].entries()) {
      const res = await fetch(presign.body.parts[i].url, { method: 'PUT', body: new Uint8Array(bytes) });
      assert.equal(res.status, 200);
      parts.push({ partNumber: i + 1, etag: res.headers.get('etag')! });
    }
    const answers = await Promise.all(
      Array.from({ length: 4 }, () => call('POST', `/api/uploads/${uploadId}/complete`, api.org.token, { parts })),
    );
    assert.deepEqual(
      answers.map((a) => [a.status, a.body.status]),
      Array.from({ length: 4 }, () => [200, 'uploaded']),
      JSON.stringify(answers.map((a) => a.body.error ?? null)),
    );
    const { rows } = await api.pool.query(
      `SELECT count(*)::int AS n FROM activities WHERE action = 'upload.complete' AND subject_id = $1`,
      [uploadId],
    );
    assert.equal(rows[0].n, 1, 'assembled and recorded once');
    assert.equal((await api.storages.staging.head(presign.body.stagingKey))?.size, part1.length + part2.length);

    // The same upload asked for in a state it has left: a clear code, nothing changed.
    const moreParts = await call('POST', `/api/uploads/${uploadId}/parts`, api.org.token, { partNumbers: [1] });
    assert.deepEqual(
      [moreParts.status, moreParts.body.error.code, moreParts.body.error.details.status],
      [409, 'invalid_state', 'uploaded'],
    );
  });

  test('promoting an upload whose bytes are not all sent is 409 upload_incomplete and starts nothing', async () => {
    const bytes = randomBytes(1000);
    const presign = await call('POST', '/api/presign', api.org.token, {
      name: 'early.wav',
      size: bytes.length,
      projectId: api.org.projectId,
    });
    const early = await call('POST', '/api/promote', api.org.token, {
      uploadId: presign.body.uploadId,
      sha256: sha256(bytes),
    });
    assert.deepEqual([early.status, early.body.error.code], [409, 'upload_incomplete']);
    const { rows } = await api.pool.query(`SELECT count(*)::int AS n FROM jobs WHERE subject = $1`, [
      presign.body.uploadId,
    ]);
    assert.equal(rows[0].n, 0, 'no promotion job');
    assert.equal((await call('GET', `/api/uploads/${presign.body.uploadId}`, api.org.token)).body.status, 'uploading');
  });

  test('bad requests get a clear 4xx and change nothing', async () => {
    const bytes = randomBytes(1000);
    const presign = await call('POST', '/api/presign', api.org.token, {
      name: 'x.wav',
      size: bytes.length,
      projectId: api.org.projectId,
    });
    const id = presign.body.uploadId;
    const outOfRange = await call('POST', `/api/uploads/${id}/parts`, api.org.token, { partNumbers: [2] });
    assert.equal(outOfRange.status, 400);
    assert.match(outOfRange.body.error.message, /out of range/);
    assert.equal((await call('POST', `/api/uploads/${id}/parts`, api.org.token, {})).status, 400);
    assert.equal((await call('POST', `/api/uploads/${id}/parts`, api.org.token, { partNumbers: [10001] })).status, 400);
    await fetch(presign.body.parts[0].url, { method: 'PUT', body: new Uint8Array(bytes) });
    const wrongEtag = await call('POST', `/api/uploads/${id}/complete`, api.org.token, {
      parts: [{ partNumber: 1, etag: '"0123456789abcdef0123456789abcdef"' }],
    });
    assert.equal(wrongEtag.status, 400);
    assert.equal((await call('GET', `/api/uploads/${id}`, api.org.token)).body.status, 'uploading', 'still resumable');
    assert.equal(await api.storages.staging.head(presign.body.stagingKey), null, 'nothing assembled');
    const missing = await call('POST', `/api/uploads/${id}/complete`, api.org.token, {
      parts: [{ partNumber: 2, etag: 'x' }],
    });
    assert.equal(missing.status, 400);
  });

  test('an expired upload is refused (410 upload_expired), then aborted by maintenance; a late resume gets 410 upload_aborted', async () => {
    const bytes = randomBytes(100);
    const presign = await call('POST', '/api/presign', api.org.token, {
      name: 'late.mov',
      size: bytes.length,
      projectId: api.org.projectId,
    });
    assert.ok(
      Date.parse(presign.body.uploadExpiresAt) > Date.parse(presign.body.expiresAt),
      'an upload outlives its URLs',
    );
    await fetch(presign.body.parts[0].url, { method: 'PUT', body: new Uint8Array(bytes) });
    await api.pool.query(`UPDATE uploads SET expires_at = now() - interval '1 minute' WHERE id = $1`, [
      presign.body.uploadId,
    ]);
    const expired = await call('POST', `/api/uploads/${presign.body.uploadId}/parts`, api.org.token, {
      partNumbers: [1],
    });
    assert.equal(expired.status, 410);
    assert.equal(expired.body.error.code, 'upload_expired');
    const aborted = await abortExpiredUploads(deps());
    assert.ok(aborted >= 1);
    const state = await call('GET', `/api/uploads/${presign.body.uploadId}`, api.org.token);
    assert.equal(state.body.status, 'aborted');
    await assert.rejects(
      api.storages.staging.listParts(
        presign.body.stagingKey,
        (await api.pool.query('SELECT storage_upload_id FROM uploads WHERE id = $1', [presign.body.uploadId])).rows[0]
          .storage_upload_id,
      ),
      /not found/i,
      'its parts are freed',
    );
    const late = await call('POST', `/api/uploads/${presign.body.uploadId}/parts`, api.org.token, {
      partNumbers: [1],
    });
    assert.deepEqual([late.status, late.body.error.code], [410, 'upload_aborted']);
    assert.equal(await abortExpiredUploads(deps()), 0, 'idempotent');
  });

  test('bytes changed in staging after assembly are hashed again at promotion and refused', async () => {
    const bytes = randomBytes(300_000);
    const presign = await call('POST', '/api/presign', api.org.token, {
      name: 'swap.mov',
      size: bytes.length,
      projectId: api.org.projectId,
    });
    const put = await fetch(presign.body.parts[0].url, { method: 'PUT', body: new Uint8Array(bytes) });
    await call('POST', `/api/uploads/${presign.body.uploadId}/complete`, api.org.token, {
      parts: [{ partNumber: 1, etag: put.headers.get('etag') }],
    });
    const { rows } = await api.pool.query('SELECT staged_sha256 FROM uploads WHERE id = $1', [presign.body.uploadId]);
    assert.equal(rows[0].staged_sha256, sha256(bytes), 'assembly hashed the staged bytes');
    // Someone with access to the staging store swaps the bytes after assembly.
    const { writeFile, utimes } = await import('node:fs/promises');
    const path = api.storages.staging.localPath!(presign.body.stagingKey)!;
    const swapped = Buffer.from(bytes);
    swapped[0] = swapped[0]! ^ 1;
    await writeFile(path, swapped);
    await utimes(path, new Date(), new Date(Date.now() + 5000));
    await call('POST', '/api/promote', api.org.token, { uploadId: presign.body.uploadId, sha256: sha256(bytes) });
    await handlePromote(deps(), { uploadId: presign.body.uploadId });
    const state = await call('GET', `/api/uploads/${presign.body.uploadId}`, api.org.token);
    assert.equal(state.body.status, 'failed');
    assert.equal(state.body.error.code, 'checksum_mismatch');
    assert.equal(await api.storages.masters.head(masterKey(sha256(bytes))), null);
  });

  test('promotion copies server-side, and bytes already in masters are a duplicate in another project too', async () => {
    const bytes = randomBytes(2 * MiB);
    const presign = await call('POST', '/api/presign', api.org.token, {
      name: 'A001.mov',
      size: bytes.length,
      projectId: api.org.projectId,
    });
    const put = await fetch(presign.body.parts[0].url, { method: 'PUT', body: new Uint8Array(bytes) });
    await call('POST', `/api/uploads/${presign.body.uploadId}/complete`, api.org.token, {
      parts: [{ partNumber: 1, etag: put.headers.get('etag') }],
    });
    await call('POST', '/api/promote', api.org.token, { uploadId: presign.body.uploadId, sha256: sha256(bytes) });
    let copies = 0;
    const masters = api.storages.masters as unknown as { copyObject: (...a: unknown[]) => Promise<void> };
    const copyObject = masters.copyObject;
    masters.copyObject = (...a: unknown[]) => {
      copies++;
      return copyObject.apply(masters, a);
    };
    try {
      await handlePromote(deps(), { uploadId: presign.body.uploadId });
    } finally {
      masters.copyObject = copyObject;
    }
    assert.equal(copies, 1, 'staging → masters is a server-side copy (a hard link on fs), not a read and rewrite');
    assert.equal((await api.storages.masters.head(masterKey(sha256(bytes))))?.size, bytes.length);

    const other = await call('POST', '/api/projects', api.org.token, {
      clientId: api.org.clientId,
      name: 'Other show',
    });
    const dup = await call('POST', '/api/presign', api.org.token, {
      name: 'A001.mov',
      size: bytes.length,
      projectId: other.body.id,
      sha256: sha256(bytes),
    });
    assert.equal(dup.body.status, 'duplicate');
    const promoted = await call('POST', '/api/promote', api.org.token, {
      sha256: sha256(bytes),
      mapping: { projectId: other.body.id, collectionPath: 'day02' },
    });
    assert.equal(promoted.status, 200);
    assert.equal(promoted.body.status, 'deduplicated');
    const asset = await call('GET', `/api/assets/${promoted.body.assetId}`, api.org.token);
    assert.equal(asset.body.projectId, other.body.id);
    assert.equal(asset.body.versions[0].sha256, sha256(bytes), 'the new asset points at the same master');
  });

  test('an MHL attached as a sidecar of versions; refused for viewers and other organizations', async () => {
    const { rows } = await api.pool.query(
      'SELECT v.id FROM versions v JOIN assets a ON a.id = v.asset_id WHERE a.project_id = $1 LIMIT 1',
      [api.org.projectId],
    );
    const versionId = rows[0].id;
    const mhl = Buffer.from('<?xml version="1.0"?><hashlist version="2.0"></hashlist>');
    const created = await call('POST', '/api/sidecars', api.org.token, {
      versionIds: [versionId],
      kind: 'ascmhl',
      name: '0001_A001_2026-11-21.mhl',
      content: mhl.toString('base64'),
    });
    assert.equal(created.status, 201);
    assert.equal(created.body.sha256, sha256(mhl));
    const again = await call('POST', '/api/sidecars', api.org.token, {
      versionIds: [versionId],
      kind: 'ascmhl',
      name: '0001_A001_2026-11-21.mhl',
      content: mhl.toString('base64'),
    });
    assert.deepEqual(again.body.sidecarIds, created.body.sidecarIds, 'idempotent');
    const viewer = await createMemberWithToken(api.pool, {
      organizationId: api.org.organizationId,
      projectId: api.org.projectId,
      email: 'viewer@ingest.example',
      role: 'viewer',
    });
    assert.equal(
      (
        await call('POST', '/api/sidecars', viewer.token, {
          versionIds: [versionId],
          kind: 'ascmhl',
          name: 'x.mhl',
          content: mhl.toString('base64'),
        })
      ).status,
      403,
    );
    const stranger = await bootstrapOrganization(api.pool, {
      organization: 'S',
      client: 'C',
      project: 'P',
      adminEmail: 's@s.example',
      adminName: 'S',
    });
    assert.equal(
      (
        await call('POST', '/api/sidecars', stranger.token, {
          versionIds: [versionId],
          kind: 'ascmhl',
          name: 'x.mhl',
          content: mhl.toString('base64'),
        })
      ).status,
      404,
    );
    const { rows: sidecars } = await api.pool.query('SELECT kind, name FROM sidecars WHERE version_id = $1', [
      versionId,
    ]);
    assert.deepEqual(sidecars, [{ kind: 'ascmhl', name: '0001_A001_2026-11-21.mhl' }]);
  });
});

describe('s3 driver (s3rver)', () => {
  let s3: RunningS3rver;
  let api: TestApi;
  let call: ReturnType<typeof client>;
  const sent: { name: string; input: Record<string, unknown> }[] = [];
  before(async () => {
    s3 = await startS3rver();
    const env: Record<string, string> = { STORAGE_DRIVER: 's3', S3_ENDPOINT: s3.endpoint, S3_FORCE_PATH_STYLE: 'true' };
    for (const role of ['staging', 'masters', 'previews', 'docs', 'backups'] as const) {
      env[`S3_BUCKET_${role.toUpperCase()}`] = bucketFor(role);
      env[`S3_ACCESS_KEY_ID_${role.toUpperCase()}`] = s3.settings.s3.credentials[role].accessKeyId;
      env[`S3_SECRET_ACCESS_KEY_${role.toUpperCase()}`] = s3.settings.s3.credentials[role].secretAccessKey;
    }
    api = await startTestApi({ env });
    call = client(api);
    // What s3rver cannot check (Object Lock, checksums) is asserted on the commands the SDK sends.
    for (const role of ['staging', 'masters'] as const) {
      (api.storages[role] as unknown as S3Storage).client.middlewareStack.add(
        (next, context) => async (args) => {
          sent.push({ name: String(context.commandName), input: args.input as Record<string, unknown> });
          return next(args);
        },
        { step: 'initialize', name: `capture-${role}` },
      );
    }
  });
  after(async () => {
    await api?.close();
    await s3?.close();
  });

  test('part URLs are signed for their checksums; promotion is a locked, checksummed server-side copy', async () => {
    const part1 = randomBytes(5 * MiB);
    const part2 = randomBytes(4321);
    const whole = Buffer.concat([part1, part2]);
    const presign = await call('POST', '/api/presign', api.org.token, {
      name: 'B002.mov',
      size: whole.length,
      projectId: api.org.projectId,
      partSize: 5 * MiB,
    });
    assert.equal(presign.status, 200);
    assert.equal(presign.body.checksums, 'required');
    assert.deepEqual(presign.body.parts, [], 'no URL without its checksum');
    assert.equal(sent.find((c) => c.name === 'CreateMultipartUploadCommand')?.input.ChecksumAlgorithm, 'SHA256');
    const refused = await call('POST', `/api/uploads/${presign.body.uploadId}/parts`, api.org.token, {
      partNumbers: [1],
    });
    assert.equal(refused.status, 400);
    const urls = await call('POST', `/api/uploads/${presign.body.uploadId}/parts`, api.org.token, {
      parts: [
        { partNumber: 1, checksumSha256: b64sha(part1) },
        { partNumber: 2, checksumSha256: b64sha(part2) },
      ],
    });
    const completed = [];
    for (const [i, part] of [part1, part2].entries()) {
      const url = new URL(urls.body.parts[i].url);
      assert.match(
        url.searchParams.get('X-Amz-SignedHeaders') ?? '',
        /x-amz-checksum-sha256/,
        'the checksum is a signed header',
      );
      const res = await fetch(url, {
        method: 'PUT',
        body: new Uint8Array(part),
        headers: { 'x-amz-checksum-sha256': b64sha(part) },
      });
      assert.equal(res.status, 200, await res.clone().text());
      completed.push({ partNumber: i + 1, etag: res.headers.get('etag'), checksumSha256: b64sha(part) });
    }
    const done = await call('POST', `/api/uploads/${presign.body.uploadId}/complete`, api.org.token, {
      parts: completed,
    });
    assert.equal(done.status, 200, JSON.stringify(done.body));
    const completeInput = sent.find((c) => c.name === 'CompleteMultipartUploadCommand')!.input as {
      MultipartUpload: { Parts: { ChecksumSHA256?: string }[] };
    };
    assert.deepEqual(
      completeInput.MultipartUpload.Parts.map((p) => p.ChecksumSHA256),
      [b64sha(part1), b64sha(part2)],
    );

    await call('POST', '/api/promote', api.org.token, { uploadId: presign.body.uploadId, sha256: sha256(whole) });
    await handlePromote(
      { config: api.config, pool: api.pool, boss: api.boss, storages: api.storages, log: quietLog },
      { uploadId: presign.body.uploadId },
    );
    const state = await call('GET', `/api/uploads/${presign.body.uploadId}`, api.org.token);
    assert.equal(state.body.status, 'promoted', JSON.stringify(state.body.error));
    const copy = sent.find((c) => c.name === 'CopyObjectCommand');
    assert.ok(copy, 'promotion copies server-side');
    assert.equal(copy!.input.ObjectLockMode, 'GOVERNANCE');
    assert.ok(copy!.input.ObjectLockRetainUntilDate instanceof Date);
    assert.equal(copy!.input.ChecksumAlgorithm, 'SHA256', 'a locked write carries a checksum');
    assert.ok(copy!.input.CopySourceIfMatch, 'pinned to the verified bytes');
    assert.equal(copy!.input.Key, masterKey(sha256(whole)));
    assert.equal((await api.storages.masters.head(masterKey(sha256(whole))))?.size, whole.length);
    assert.equal(await api.storages.staging.head(presign.body.stagingKey), null, 'staging removed after promotion');
  });

  test('a batch of small files: one PUT each to a URL signed for its sha256, completed and promoted together; a batch started again resumes by content', async () => {
    const files = [randomBytes(2000), Buffer.alloc(0), randomBytes(70_000)].map((bytes, i) => ({
      name: `still-${i}.dng`,
      bytes,
    }));
    const presign = () =>
      call('POST', '/api/uploads/batch', api.org.token, {
        projectId: api.org.projectId,
        files: files.map((f) => ({ name: f.name, size: f.bytes.length, sha256: sha256(f.bytes) })),
      });
    const first = await presign();
    assert.equal(first.status, 200, JSON.stringify(first.body));
    const started = first.body.files as {
      status: string;
      uploadId: string;
      stagingKey: string;
      url: string;
      checksumSha256: string;
      stored?: boolean;
    }[];
    assert.deepEqual(
      started.map((f) => f.status),
      ['upload', 'upload', 'upload'],
    );
    for (const [i, f] of started.entries()) {
      const url = new URL(f.url);
      assert.equal(url.searchParams.get('partNumber'), null, 'one whole-object PUT, no multipart upload');
      assert.match(
        url.searchParams.get('X-Amz-SignedHeaders') ?? '',
        /x-amz-checksum-sha256/,
        'the sha256 is a signed header',
      );
      assert.equal(f.checksumSha256, b64sha(files[i]!.bytes));
    }
    // The first file is stored, then the client dies: the same batch again says so, and keeps the same uploads.
    const put = async (i: number) => {
      const res = await fetch(started[i]!.url, {
        method: 'PUT',
        body: new Uint8Array(files[i]!.bytes),
        headers: { 'x-amz-checksum-sha256': started[i]!.checksumSha256 },
      });
      assert.equal(res.status, 200, await res.clone().text());
      return res.headers.get('etag')!;
    };
    const etags = [await put(0)];
    // The batch's staged objects share a folder, so the api asks the store once for all of them (a LIST, not a HEAD each).
    assert.equal(
      new Set(started.map((f) => f.stagingKey.slice(0, f.stagingKey.lastIndexOf('/')))).size,
      1,
      'one folder per batch',
    );
    const storeCalls = async (work: () => Promise<unknown>) => {
      const from = sent.length;
      await work();
      return sent
        .slice(from)
        .map((c) => c.name)
        .filter((n) => n === 'ListObjectsV2Command' || n === 'HeadObjectCommand');
    };
    let again: Awaited<ReturnType<typeof presign>> | undefined;
    assert.deepEqual(await storeCalls(async () => (again = await presign())), ['ListObjectsV2Command']);
    assert.deepEqual(
      again!.body.files.map((f: { uploadId: string; stored?: boolean }) => [f.uploadId, f.stored ?? false]),
      started.map((f, i) => [f.uploadId, i === 0]),
    );
    etags.push(await put(1), await put(2));
    // An s3 PUT answers the MD5 ETag; the whole-object sha256 is the one the URL was signed for.
    let completed: Awaited<ReturnType<typeof call>> | undefined;
    assert.deepEqual(
      await storeCalls(async () => {
        completed = await call('POST', '/api/uploads/batch/complete', api.org.token, {
          uploads: started.map((f, i) => ({
            uploadId: f.uploadId,
            etag: etags[i],
            promote: { collectionPath: 'stills' },
          })),
        });
      }),
      ['ListObjectsV2Command'],
    );
    assert.equal(completed!.status, 200, JSON.stringify(completed!.body));
    assert.deepEqual(
      completed!.body.uploads.map((u: { status: string }) => u.status),
      ['promoting', 'promoting', 'promoting'],
    );
    const { rows } = await api.pool.query(
      `SELECT data FROM pgboss.job WHERE name = 'promote' AND data->>'uploadId' = ANY($1::text[])`,
      [started.map((f) => f.uploadId)],
    );
    assert.equal(rows.length, 3, 'one promote job per upload');
    await promoteUploads(
      { config: api.config, pool: api.pool, boss: api.boss, storages: api.storages, log: quietLog },
      rows.map((r) => r.data),
    );
    for (const [i, f] of started.entries()) {
      const state = await call('GET', `/api/uploads/${f.uploadId}`, api.org.token);
      assert.equal(state.body.status, 'promoted', JSON.stringify(state.body.error));
      assert.equal((await api.storages.masters.head(masterKey(sha256(files[i]!.bytes))))?.size, files[i]!.bytes.length);
      assert.equal(await api.storages.staging.head(f.stagingKey), null, 'staging removed after promotion');
    }
    const dedup = await presign();
    assert.deepEqual(
      dedup.body.files.map((f: { status: string }) => f.status),
      ['duplicate', 'duplicate', 'duplicate'],
      'bytes in masters are not sent again',
    );
  });
});
