/**
 * One contract suite, run against both storage drivers:
 *  - fs in a temp dir, its presigned URLs served for real by a node:http server
 *    on 127.0.0.1:0 through handleFsPresignedRequest (helpers/fs-presigned-server.ts);
 *  - s3 against s3rver on 127.0.0.1:0.
 * s3rver implements no ListParts, AbortMultipartUpload, Object Lock or
 * UploadPartCopy, and does not verify part ETags on completion. Those behaviours
 * run for real on fs; for s3 the "s3 at the SDK boundary" tests below check the
 * exact requests the driver sends (middleware on client.middlewareStack) and how
 * it reads S3's answers, because s3rver cannot exercise them.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { access, chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { after, before, describe, it } from 'node:test';
import { NoSuchUpload, S3ServiceException, type S3Client } from '@aws-sdk/client-s3';
import { signFsRequest } from '../src/storage/fs-url-signing.ts';
import {
  canCopyFrom,
  createStorage,
  FsStorage,
  S3Storage,
  supportsCopy,
  type StorageSettings,
} from '../src/storage/index.ts';
import { type Storage, type StorageCapabilities, type StorageRole, storageRoles } from '../src/storage/types.ts';
import { isAppErrorWith } from './helpers/app-error.ts';
import { serveFsPresigned } from './helpers/fs-presigned-server.ts';
import { overwriteAsOwner, readAsStranger } from './helpers/write-as-owner.ts';
import { bucketFor, startS3rver } from './helpers/s3rver.ts';

// ---- harnesses -------------------------------------------------------------------------------

interface Harness {
  driver: 'fs' | 's3';
  storage(role: StorageRole): Storage;
  /** Where false, s3rver lacks the feature and the s3 SDK-boundary tests cover it instead. */
  storeImplements: { listParts: boolean; abort: boolean; completeVerifiesEtags: boolean };
  /** What every role's storage must say it can do. */
  capabilities: StorageCapabilities;
  close(): Promise<void>;
}

const SIGNING_KEY = 'test-signing-key-0123456789';
const STREAM_PART = 64 * 1024; // s3 driver: stream bodies above this go multipart (s3rver has no 5 MiB minimum)

interface FsHarness extends Harness {
  root: string;
  publicUrl: string;
  settings: StorageSettings;
  /** Storages the presigned endpoint serves; tests may swap one in (e.g. with another clock). */
  served: Partial<Record<StorageRole, Storage>>;
}

async function startFsHarness(): Promise<FsHarness> {
  const root = await mkdtemp(join(tmpdir(), 'mediavault-fs-storage-'));
  const served: Partial<Record<StorageRole, Storage>> = {};
  const server = await serveFsPresigned(served);
  const publicUrl = server.publicUrl;
  const settings: StorageSettings = {
    driver: 'fs',
    fs: { root, publicUrl, signingKey: SIGNING_KEY },
    s3: { region: 'unused', forcePathStyle: true, buckets: {} as never, credentials: {} as never },
  };
  return {
    driver: 'fs',
    root,
    publicUrl,
    settings,
    served,
    storage(role) {
      served[role] ??= createStorage(role, settings);
      return served[role];
    },
    storeImplements: { listParts: true, abort: true, completeVerifiesEtags: true },
    capabilities: {
      partChecksums: 'when-signed-or-sent',
      signedPutProvesSha256: true,
      presignedUrlsServedBy: 'api',
      copy: { scope: `fs:${root}`, multipartAboveBytes: null },
      retention: 'read-only-file',
      localPaths: true,
    },
    async close() {
      await server.close();
      await rm(root, { recursive: true, force: true });
    },
  };
}

interface S3Harness extends Harness {
  settings: StorageSettings;
}

async function startS3Harness(): Promise<S3Harness> {
  const s3rver = await startS3rver();
  const storages: Partial<Record<StorageRole, Storage>> = {};
  return {
    driver: 's3',
    settings: s3rver.settings,
    storage(role) {
      storages[role] ??= createStorage(role, s3rver.settings, { s3: { streamPartSizeBytes: STREAM_PART } });
      return storages[role];
    },
    storeImplements: { listParts: false, abort: false, completeVerifiesEtags: false },
    capabilities: {
      partChecksums: 'when-upload-declares',
      signedPutProvesSha256: false,
      presignedUrlsServedBy: 'store',
      copy: { scope: `s3:${s3rver.endpoint}`, multipartAboveBytes: 5 * 1024 ** 3 },
      retention: 'object-lock',
      localPaths: false,
    },
    close: () => s3rver.close(),
  };
}

// ---- helpers -------------------------------------------------------------------------------

function bytes(n: number, seed: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed * 7) & 0xff;
  return b;
}

const sha256b64 = (b: Buffer) => createHash('sha256').update(b).digest('base64');

async function readAll(storage: Storage, key: string, range?: { start: number; end: number }): Promise<Buffer> {
  return buffer(await storage.get(key, range));
}

async function keysUnder(storage: Storage, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const o of storage.list(prefix)) keys.push(o.key);
  return keys;
}

async function putPart(url: string, body: Buffer, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, { method: 'PUT', body: new Uint8Array(body), headers });
}

// ---- the shared contract -----------------------------------------------------------------------

for (const start of [startFsHarness, startS3Harness]) {
  describe(`storage contract (${start === startFsHarness ? 'fs' : 's3 on s3rver'})`, () => {
    let h: Harness;
    let staging: Storage;
    before(async () => {
      h = await start();
      staging = h.storage('staging');
    });
    after(() => h.close());

    it('describes what it can do, the same for every role of one store', () => {
      for (const role of storageRoles) assert.deepEqual(h.storage(role).capabilities, h.capabilities, role);
    });

    it('answers a local path exactly when its capabilities say so, holding the object', async () => {
      const body = bytes(300, 25);
      await staging.put('objects/local', body);
      const path = staging.localPath?.('objects/local') ?? null;
      assert.equal(path !== null, staging.capabilities.localPaths);
      if (path !== null) assert.deepEqual(await readFile(path), body);
    });

    it('presigns URLs that whoever its capabilities name answers', async () => {
      await staging.put('objects/served', Buffer.from('served'));
      const url = new URL(await staging.presignGet('objects/served', 60));
      const byApi = url.pathname.startsWith('/storage/staging/');
      assert.equal(byApi ? 'api' : 'store', staging.capabilities.presignedUrlsServedBy, url.pathname);
      assert.equal(await (await fetch(url)).text(), 'served');
    });

    it('puts a buffer and gets it back whole, by inclusive range, and by head', async () => {
      const body = bytes(1000, 1);
      await staging.put('objects/one.bin', body, { contentType: 'application/octet-stream' });
      assert.deepEqual(await readAll(staging, 'objects/one.bin'), body);
      assert.deepEqual(await readAll(staging, 'objects/one.bin', { start: 10, end: 19 }), body.subarray(10, 20));
      assert.deepEqual(await readAll(staging, 'objects/one.bin', { start: 990, end: 5000 }), body.subarray(990));
      const info = await staging.head('objects/one.bin');
      assert.equal(info?.key, 'objects/one.bin');
      assert.equal(info?.size, 1000);
      assert.ok(info?.etag);
      assert.ok(info?.lastModified instanceof Date);
    });

    it('answers not_found for a missing key on get, null on head', async () => {
      await assert.rejects(staging.get('objects/missing'), isAppErrorWith('not_found'));
      assert.equal(await staging.head('objects/missing'), null);
    });

    it('refuses a range that starts past the end', async () => {
      await staging.put('objects/small', Buffer.from('abc'));
      await assert.rejects(
        readAll(staging, 'objects/small', { start: 10, end: 20 }),
        isAppErrorWith('range_not_satisfiable'),
      );
    });

    it('streams a body larger than one part and verifies its sha256', async () => {
      const body = bytes(STREAM_PART * 3 + 123, 2);
      const chunks = [body.subarray(0, 1000), body.subarray(1000, 70_000), body.subarray(70_000)];
      await staging.put('objects/streamed', Readable.from(chunks), { checksumSha256: sha256b64(body) });
      assert.deepEqual(await readAll(staging, 'objects/streamed'), body);
    });

    it('refuses a streamed body whose sha256 does not match and stores nothing', async () => {
      const body = bytes(STREAM_PART * 2 + 5, 3);
      await assert.rejects(
        staging.put('objects/bad-stream', Readable.from([body]), { checksumSha256: sha256b64(Buffer.from('other')) }),
        isAppErrorWith('checksum_mismatch'),
      );
      assert.equal(await staging.head('objects/bad-stream'), null);
    });

    it('refuses a small buffer whose sha256 does not match and stores nothing', async () => {
      await assert.rejects(
        staging.put('objects/bad-small', Buffer.from('hello'), { checksumSha256: sha256b64(Buffer.from('other')) }),
        isAppErrorWith('checksum_mismatch'),
      );
      assert.equal(await staging.head('objects/bad-small'), null);
    });

    it('lists recursively by prefix, including partial segments', async () => {
      for (const key of ['lst/a', 'lst/b/c', 'lst/b-d', 'lst/b/e/f', 'lstx/z'])
        await staging.put(key, Buffer.from(key));
      // s3rver does not list in S3's byte order, so order is checked on fs only (below).
      assert.deepEqual((await keysUnder(staging, 'lst/')).sort(), ['lst/a', 'lst/b-d', 'lst/b/c', 'lst/b/e/f']);
      assert.deepEqual((await keysUnder(staging, 'lst/b')).sort(), ['lst/b-d', 'lst/b/c', 'lst/b/e/f']);
      assert.deepEqual(await keysUnder(staging, 'nothing-here/'), []);
      const infos: [string, number][] = [];
      for await (const info of staging.list('lst/a')) infos.push([info.key, info.size]);
      assert.deepEqual(infos, [['lst/a', 5]]);
    });

    it('deletes, and deleting again is a no-op', async () => {
      await staging.put('objects/doomed', Buffer.from('x'));
      await staging.delete('objects/doomed');
      assert.equal(await staging.head('objects/doomed'), null);
      await staging.delete('objects/doomed');
    });

    it('uploads multipart through presigned part URLs over real HTTP, resumes with listParts, completes', async () => {
      const parts = [bytes(70_000, 4), bytes(70_000, 5), bytes(1234, 6)];
      const key = 'uploads/video.mov';
      const { uploadId } = await staging.createMultipartUpload(key, { contentType: 'video/quicktime' });
      const etags: string[] = [];
      // "Crash" after the first two parts...
      for (const [i, part] of parts.slice(0, 2).entries()) {
        const res = await putPart(await staging.presignUploadPart(key, uploadId, i + 1, 300), part);
        assert.equal(res.status, 200, await res.text());
        const etag = res.headers.get('etag');
        // S3 answers a part's MD5; the fs driver its SHA-256 (the one hash it computes, verified against any checksum sent).
        const digest =
          h.driver === 'fs'
            ? createHash('sha256').update(part).digest('hex')
            : createHash('md5').update(part).digest('hex');
        assert.equal(etag, `"${digest}"`);
        etags.push(etag!);
      }
      // ...then resume: the store says which parts it has.
      if (h.storeImplements.listParts) {
        assert.deepEqual(
          (await staging.listParts(key, uploadId)).map(({ partNumber, etag, size }) => ({ partNumber, etag, size })),
          [
            { partNumber: 1, etag: etags[0], size: 70_000 },
            { partNumber: 2, etag: etags[1], size: 70_000 },
          ],
        );
      }
      const res = await putPart(await staging.presignUploadPart(key, uploadId, 3, 300), parts[2]!);
      assert.equal(res.status, 200);
      etags.push(res.headers.get('etag')!);

      assert.equal(await staging.head(key), null, 'nothing is visible before completion');
      await staging.completeMultipartUpload(
        key,
        uploadId,
        etags.map((etag, i) => ({ partNumber: i + 1, etag })),
      );
      assert.deepEqual(await readAll(staging, key), Buffer.concat(parts));
      if (h.storeImplements.listParts) {
        await assert.rejects(staging.listParts(key, uploadId), isAppErrorWith('not_found', /upload/));
      }
    });

    it('refuses a completion whose parts are not ascending and contiguous from 1, before touching the store', async () => {
      const { uploadId } = await staging.createMultipartUpload('uploads/order');
      await assert.rejects(
        staging.completeMultipartUpload('uploads/order', uploadId, [
          { partNumber: 2, etag: '"a"' },
          { partNumber: 1, etag: '"b"' },
        ]),
        isAppErrorWith('bad_request', /ascending/),
      );
      await assert.rejects(
        staging.completeMultipartUpload('uploads/order', uploadId, []),
        isAppErrorWith('bad_request'),
      );
      assert.equal(await staging.head('uploads/order'), null);
    });

    it('refuses a completion with a wrong ETag, naming the part, and assembles nothing', async (t) => {
      if (!h.storeImplements.completeVerifiesEtags)
        return t.skip('s3rver does not verify ETags: see the SDK-boundary test');
      const key = 'uploads/wrong-etag';
      const { uploadId } = await staging.createMultipartUpload(key);
      const etags: string[] = [];
      for (const [i, part] of [bytes(100, 7), bytes(100, 8)].entries()) {
        const res = await putPart(await staging.presignUploadPart(key, uploadId, i + 1, 300), part);
        etags.push(res.headers.get('etag')!);
      }
      await assert.rejects(
        staging.completeMultipartUpload(key, uploadId, [
          { partNumber: 1, etag: etags[0]! },
          { partNumber: 2, etag: '"00000000000000000000000000000000"' },
        ]),
        isAppErrorWith('bad_request', /part 2/),
      );
      assert.equal(await staging.head(key), null);
      // Nothing was lost: the upload is intact and completes with the right ETags.
      assert.equal((await staging.listParts(key, uploadId)).length, 2);
      await staging.completeMultipartUpload(
        key,
        uploadId,
        etags.map((etag, i) => ({ partNumber: i + 1, etag })),
      );
      assert.equal((await staging.head(key))?.size, 200);
    });

    it('aborts an upload: its parts are gone and it is unknown afterwards', async (t) => {
      if (!h.storeImplements.abort) return t.skip('s3rver has no AbortMultipartUpload: see the SDK-boundary test');
      const key = 'uploads/aborted';
      const { uploadId } = await staging.createMultipartUpload(key);
      await putPart(await staging.presignUploadPart(key, uploadId, 1, 300), bytes(10, 9));
      await staging.abortMultipartUpload(key, uploadId);
      await assert.rejects(staging.listParts(key, uploadId), isAppErrorWith('not_found', /upload/));
      await assert.rejects(staging.abortMultipartUpload(key, uploadId), isAppErrorWith('not_found', /upload/));
      assert.equal(await staging.head(key), null);
    });

    it('presigns a GET that serves the object, with Range', async () => {
      const body = bytes(5000, 10);
      await staging.put('objects/presigned', body);
      const url = await staging.presignGet('objects/presigned', 60);
      const whole = await fetch(url);
      assert.equal(whole.status, 200);
      assert.deepEqual(Buffer.from(await whole.arrayBuffer()), body);
      const part = await fetch(url, { headers: { range: 'bytes=100-199' } });
      assert.equal(part.status, 206);
      assert.equal(part.headers.get('content-range'), 'bytes 100-199/5000');
      assert.deepEqual(Buffer.from(await part.arrayBuffer()), body.subarray(100, 200));
    });

    it('presigns a whole-object PUT for its sha256: one PUT with the header stores the bytes, answering the ETag head reports', async () => {
      const body = bytes(5000, 20);
      const url = await staging.presignPut('put/whole.bin', 300, { checksumSha256: sha256b64(body) });
      const res = await putPart(url, body, { 'x-amz-checksum-sha256': sha256b64(body) });
      assert.equal(res.status, 200, await res.text());
      assert.deepEqual(await readAll(staging, 'put/whole.bin'), body);
      const info = await staging.head('put/whole.bin');
      assert.equal(info?.size, 5000);
      assert.equal(res.headers.get('etag'), info?.etag);
    });

    it('copies between roles server-side (promotion), pinned to the verified source ETag', async () => {
      const body = bytes(3000, 18);
      await staging.put('promote/src', body);
      const masters = h.storage('masters');
      assert.ok(supportsCopy(masters));
      assert.ok(canCopyFrom(masters, staging), 'the roles of one store share a copy scope');
      const sourceEtag = (await staging.head('promote/src'))!.etag!;
      await masters.copyObject('promote/src', 'sha256/12/34/1234', { sourceRole: 'staging', sourceEtag });
      assert.deepEqual(await readAll(masters, 'sha256/12/34/1234'), body);
      assert.deepEqual(await readAll(staging, 'promote/src'), body, 'the source is left as it was');
      await assert.rejects(
        masters.copyObject('promote/src', 'sha256/12/34/other', { sourceRole: 'staging', sourceEtag: '"0123"' }),
        isAppErrorWith('precondition_failed'),
      );
      await assert.rejects(
        masters.copyObject('promote/none', 'x/y', { sourceRole: 'staging' }),
        isAppErrorWith('not_found'),
      );
      assert.equal(await masters.head('sha256/12/34/other'), null);
    });

    it('keeps roles apart: a key in staging is not in masters', async () => {
      await staging.put('objects/role-check', Buffer.from('s'));
      assert.equal(await h.storage('masters').head('objects/role-check'), null);
    });
  });
}

// ---- fs only: what the fs driver does for real that S3 does in the store -------------------------

describe('fs driver', () => {
  let h: FsHarness;
  let staging: FsStorage;
  before(async () => {
    h = await startFsHarness();
    staging = h.storage('staging') as FsStorage;
  });
  after(() => h.close());

  it('keeps objects of role R under <root>/R', async () => {
    await h.storage('previews').put('hls/x/master.m3u8', Buffer.from('#EXTM3U'));
    await access(join(h.root, 'previews', 'hls/x/master.m3u8'));
  });

  it('lists in the byte order of keys, as S3 does, skipping internal directories', async () => {
    const docs = h.storage('docs');
    for (const key of ['o/b/c', 'o/b-d', 'o/a', 'o/b.e', 'o/B']) await docs.put(key, Buffer.from('1'));
    await docs.createMultipartUpload('o/pending');
    await docs.put('o/locked', Buffer.from('1'), { retainUntil: new Date(Date.now() + 60_000) });
    assert.deepEqual(await keysUnder(docs, ''), ['o/B', 'o/a', 'o/b-d', 'o/b.e', 'o/b/c', 'o/locked']);
  });

  it('retention: file read-only, retain-until recorded, delete refused, overwrite refused; allowed after expiry', async () => {
    const retainUntil = new Date(Date.now() + 3600_000);
    const masters = h.storage('masters');
    await masters.put('sha256/ab/cd/abcd', Buffer.from('master bytes'), { retainUntil });
    const file = join(h.root, 'masters', 'sha256/ab/cd/abcd');
    assert.equal((await stat(file)).mode & 0o777, 0o440, 'read-only, owner and group');
    assert.equal((await masters.head('sha256/ab/cd/abcd'))?.retainUntil?.toISOString(), retainUntil.toISOString());
    await assert.rejects(masters.delete('sha256/ab/cd/abcd'), isAppErrorWith('forbidden', /retention/));
    await assert.rejects(
      masters.put('sha256/ab/cd/abcd', Buffer.from('other')),
      isAppErrorWith('conflict', /retention/),
    );
    assert.equal((await readAll(masters, 'sha256/ab/cd/abcd')).toString(), 'master bytes');

    const later = new FsStorage('masters', h.settings.fs, { now: () => new Date(retainUntil.getTime() + 1000) });
    await later.delete('sha256/ab/cd/abcd');
    assert.equal(await later.head('sha256/ab/cd/abcd'), null);
    await assert.rejects(access(join(h.root, 'masters', '.retention', 'sha256/ab/cd/abcd.json')));
  });

  it('promotion hard-links into masters (no second copy), then makes it read-only and retained', async () => {
    await staging.put('promote/linked', bytes(10_000, 19));
    const masters = h.storage('masters') as FsStorage;
    const retainUntil = new Date(Date.now() + 3600_000);
    await masters.copyObject('promote/linked', 'sha256/99/88/9988', { sourceRole: 'staging', retainUntil });
    const [src, dst] = await Promise.all([
      stat(join(staging.roleRoot, 'promote/linked')),
      stat(join(masters.roleRoot, 'sha256/99/88/9988')),
    ]);
    assert.equal(dst.ino, src.ino);
    assert.equal(dst.mode & 0o777, 0o440);
    assert.equal((await masters.head('sha256/99/88/9988'))?.retainUntil?.toISOString(), retainUntil.toISOString());
    await assert.rejects(masters.delete('sha256/99/88/9988'), isAppErrorWith('forbidden'));
    await assert.rejects(
      masters.copyObject('promote/linked', 'sha256/99/88/9988', { sourceRole: 'staging' }),
      isAppErrorWith('conflict', /retention/),
    );
  });

  it('copies server-side only from a store of its own scope: not another root, not another driver', () => {
    const masters = h.storage('masters');
    const otherRoot = new FsStorage('staging', { ...h.settings.fs, root: join(h.root, 'elsewhere') });
    assert.equal(canCopyFrom(masters, otherRoot), false);
    const credentials = { accessKeyId: 'unused', secretAccessKey: 'unused' };
    const s3Staging = new S3Storage('staging', {
      region: 'us-east-1',
      forcePathStyle: true,
      buckets: Object.fromEntries(storageRoles.map((role) => [role, `bucket-${role}`])) as never,
      credentials: Object.fromEntries(storageRoles.map((role) => [role, credentials])) as never,
    });
    assert.equal(canCopyFrom(masters, s3Staging), false);
    assert.equal(canCopyFrom(s3Staging, masters), false);
    assert.equal(canCopyFrom(masters, new FsStorage('staging', { ...h.settings.fs, root: `${h.root}/.` })), true);
  });

  it('a put replaces the object in one rename, leaving no temp files behind', async () => {
    await staging.put('atomic/x', bytes(100_000, 11));
    await staging.put('atomic/x', bytes(50, 12));
    assert.deepEqual(await readAll(staging, 'atomic/x'), bytes(50, 12));
    assert.deepEqual(await readdir(join(staging.roleRoot, '.tmp')), []);
  });

  it('refuses keys that could leave the role root or alias another key', async () => {
    await writeFile(join(h.root, 'secret'), 'outside the role root');
    for (const key of [
      '../secret',
      'a/../../secret',
      '/etc/passwd',
      'a\\b',
      'a//b',
      'a/',
      '',
      './a',
      '.multipart/x',
      '.retention/x',
      'a\u0000b',
    ]) {
      await assert.rejects(
        staging.put(key, Buffer.from('x')),
        isAppErrorWith('bad_request'),
        `put ${JSON.stringify(key)}`,
      );
      await assert.rejects(staging.get(key), isAppErrorWith('bad_request'), `get ${JSON.stringify(key)}`);
      await assert.rejects(staging.createMultipartUpload(key), isAppErrorWith('bad_request'));
    }
    await assert.rejects(keysUnder(staging, '../'), isAppErrorWith('bad_request'));
  });

  it('answers 400 for a traversal key even when the URL is correctly signed', async () => {
    const fields = {
      method: 'GET' as const,
      role: 'staging' as const,
      key: '../secret',
      uploadId: '',
      partNumber: 0,
      expires: Math.floor(Date.now() / 1000) + 60,
    };
    const url = `${h.publicUrl}/storage/staging/..%2Fsecret?expires=${fields.expires}&signature=${signFsRequest(fields, SIGNING_KEY)}`;
    const res = await fetch(url);
    assert.equal(res.status, 400);
    assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'bad_request');
  });

  it('presigned URLs: a tampered URL is refused with 403 and nothing is stored', async () => {
    const { uploadId } = await staging.createMultipartUpload('p/tamper');
    const url = new URL(await staging.presignUploadPart('p/tamper', uploadId, 1, 300));
    url.searchParams.set('partNumber', '2');
    let res = await putPart(url.toString(), Buffer.from('x'));
    assert.equal(res.status, 403);
    const body = (await res.json()) as { error: { code: string; message: string } };
    assert.equal(body.error.code, 'forbidden');
    assert.match(body.error.message, /signature/);

    const longer = new URL(await staging.presignUploadPart('p/tamper', uploadId, 1, 300));
    longer.searchParams.set('expires', String(Number(longer.searchParams.get('expires')) + 3600));
    res = await putPart(longer.toString(), Buffer.from('x'));
    assert.equal(res.status, 403);
    assert.match(((await res.json()) as { error: { message: string } }).error.message, /signature/);

    const otherKey = (await staging.presignUploadPart('p/tamper', uploadId, 1, 300)).replace('/p/tamper?', '/p/other?');
    assert.equal((await putPart(otherKey, Buffer.from('x'))).status, 403);
    assert.deepEqual(await staging.listParts('p/tamper', uploadId), []);
  });

  it('presigned URLs: an expired URL is refused with 403 and its own message', async () => {
    // Signed by a storage whose clock is two hours behind: the URL expired an hour before the server's now.
    const past = new FsStorage('staging', h.settings.fs, { now: () => new Date(Date.now() - 2 * 3600_000) });
    await staging.put('p/expiring', Buffer.from('x'));
    const res = await fetch(await past.presignGet('p/expiring', 3600));
    assert.equal(res.status, 403);
    const body = (await res.json()) as { error: { code: string; message: string } };
    assert.equal(body.error.code, 'forbidden');
    assert.match(body.error.message, /expired/);
  });

  it('presigned URLs: wrong method 405, unknown upload 404, range past the end 416', async () => {
    const { uploadId } = await staging.createMultipartUpload('p/methods');
    const partUrl = await staging.presignUploadPart('p/methods', uploadId, 1, 300);
    const get = await fetch(partUrl);
    assert.equal(get.status, 405);
    assert.equal(get.headers.get('allow'), 'PUT');
    await staging.abortMultipartUpload('p/methods', uploadId);
    const gone = await putPart(partUrl, Buffer.from('x'));
    assert.equal(gone.status, 404);
    assert.equal(((await gone.json()) as { error: { code: string } }).error.code, 'not_found');

    await staging.put('p/range', Buffer.from('0123456789'));
    const getUrl = await staging.presignGet('p/range', 60);
    assert.equal((await fetch(getUrl, { method: 'PUT', body: 'x' })).status, 405);
    const past = await fetch(getUrl, { headers: { range: 'bytes=50-60' } });
    assert.equal(past.status, 416);
    assert.equal(past.headers.get('content-range'), 'bytes */10');
    const suffix = await fetch(getUrl, { headers: { range: 'bytes=-3' } });
    assert.equal(suffix.status, 206);
    assert.equal(await suffix.text(), '789');
    const head = await fetch(getUrl, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.headers.get('content-length'), '10');
  });

  it('a part PUT carrying x-amz-checksum-sha256 is verified; a mismatch keeps nothing', async () => {
    const key = 'p/checksummed';
    const { uploadId } = await staging.createMultipartUpload(key);
    const part = bytes(4096, 13);
    const url = await staging.presignUploadPart(key, uploadId, 1, 300);
    const bad = await putPart(url, part, { 'x-amz-checksum-sha256': sha256b64(Buffer.from('not it')) });
    assert.equal(bad.status, 422);
    assert.equal(((await bad.json()) as { error: { code: string } }).error.code, 'checksum_mismatch');
    assert.deepEqual(await staging.listParts(key, uploadId), []);
    assert.deepEqual((await readdir(join(staging.roleRoot, '.multipart', uploadId))).sort(), ['upload.json']);

    const good = await putPart(url, part, { 'x-amz-checksum-sha256': sha256b64(part) });
    assert.equal(good.status, 200);
    assert.equal((await staging.listParts(key, uploadId)).length, 1);
  });

  it('re-uploading a part replaces it; completion uses the latest bytes', async () => {
    const key = 'p/reupload';
    const { uploadId } = await staging.createMultipartUpload(key);
    const url = await staging.presignUploadPart(key, uploadId, 1, 300);
    await putPart(url, Buffer.from('first'));
    const res = await putPart(url, Buffer.from('second'));
    const parts = await staging.listParts(key, uploadId);
    assert.deepEqual(parts, [
      {
        partNumber: 1,
        etag: res.headers.get('etag'),
        size: 6,
        checksumSha256: createHash('sha256').update('second').digest('base64'),
      },
    ]);
    await staging.completeMultipartUpload(key, uploadId, [{ partNumber: 1, etag: parts[0]!.etag }]);
    assert.equal((await readAll(staging, key)).toString(), 'second');
    await assert.rejects(access(join(staging.roleRoot, '.multipart', uploadId)));
  });

  it('a whole-object PUT is verified against the signed checksum, header or not; a mismatch stores nothing', async () => {
    const body = bytes(70_000, 21);
    const url = await staging.presignPut('put/verified', 300, { checksumSha256: sha256b64(body) });
    const wrongBytes = Buffer.from(body);
    wrongBytes[69_999] = wrongBytes[69_999]! ^ 1;
    const withAndWithoutHeader: Record<string, string>[] = [{ 'x-amz-checksum-sha256': sha256b64(body) }, {}];
    for (const headers of withAndWithoutHeader) {
      const res = await putPart(url, wrongBytes, headers);
      assert.equal(res.status, 422);
      assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'checksum_mismatch');
      assert.equal(await staging.head('put/verified'), null);
    }
    assert.deepEqual(await readdir(join(staging.roleRoot, '.tmp')), [], 'no temp file is left behind');

    // Without the header the signed checksum still applies: the right bytes are stored.
    const res = await putPart(url, body);
    assert.equal(res.status, 200);
    assert.deepEqual(await readAll(staging, 'put/verified'), body);
  });

  it('a whole-object PUT whose header differs from the signed checksum is refused before reading, nothing stored', async () => {
    const body = bytes(1000, 22);
    const other = bytes(1000, 23);
    const url = await staging.presignPut('put/other-header', 300, { checksumSha256: sha256b64(body) });
    // The bytes match the header but not the URL: the header cannot choose another checksum.
    const res = await putPart(url, other, { 'x-amz-checksum-sha256': sha256b64(other) });
    assert.equal(res.status, 422);
    const error = ((await res.json()) as { error: { code: string; message: string } }).error;
    assert.equal(error.code, 'checksum_mismatch');
    assert.match(error.message, /presigned for/);
    assert.equal(await staging.head('put/other-header'), null);
  });

  it('a whole-object PUT URL that was tampered with or expired is refused with 403, nothing stored', async () => {
    const body = bytes(1000, 24);
    const url = await staging.presignPut('put/tamper', 300, { checksumSha256: sha256b64(body) });
    const tampered = [
      url.replace('/put/tamper?', '/put/other?'),
      (() => {
        const u = new URL(url);
        u.searchParams.set('expires', String(Number(u.searchParams.get('expires')) + 3600));
        return u.toString();
      })(),
      (() => {
        const u = new URL(url);
        u.searchParams.set('checksumSha256', sha256b64(Buffer.from('other bytes')));
        return u.toString();
      })(),
    ];
    for (const target of tampered) {
      const res = await putPart(target, body);
      assert.equal(res.status, 403, target);
      assert.match(((await res.json()) as { error: { message: string } }).error.message, /signature/);
    }
    // Stripping the checksum turns it into a GET URL, which a PUT cannot use.
    const stripped = new URL(url);
    stripped.searchParams.delete('checksumSha256');
    assert.equal((await putPart(stripped.toString(), body)).status, 405);

    const past = new FsStorage('staging', h.settings.fs, { now: () => new Date(Date.now() - 2 * 3600_000) });
    const expired = await putPart(await past.presignPut('put/tamper', 3600, { checksumSha256: sha256b64(body) }), body);
    assert.equal(expired.status, 403);
    assert.match(((await expired.json()) as { error: { message: string } }).error.message, /expired/);

    assert.equal(await staging.head('put/tamper'), null);
    assert.equal(await staging.head('put/other'), null);
  });

  it('a whole-object PUT onto a retained key is refused as put() is, and the master is kept', async () => {
    const masters = h.storage('masters') as FsStorage;
    await masters.put('retained/put-target', Buffer.from('v1'), { retainUntil: new Date(Date.now() + 60_000) });
    const body = Buffer.from('v2');
    const res = await putPart(
      await masters.presignPut('retained/put-target', 300, { checksumSha256: sha256b64(body) }),
      body,
    );
    assert.equal(res.status, 409);
    assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'conflict');
    assert.equal((await readAll(masters, 'retained/put-target')).toString(), 'v1');
  });

  it('presignPut needs a base64 sha256; writeObject verifies as the endpoint does', async () => {
    for (const checksumSha256 of ['', 'abc', createHash('sha256').update('x').digest('hex')]) {
      await assert.rejects(
        staging.presignPut('put/x', 60, { checksumSha256 }),
        isAppErrorWith('bad_request', /checksumSha256/),
      );
    }
    await assert.rejects(
      staging.presignPut('../x', 60, { checksumSha256: sha256b64(Buffer.from('x')) }),
      isAppErrorWith('bad_request'),
    );
    await assert.rejects(
      staging.writeObject('put/direct', Readable.from([Buffer.from('abc')]), {
        checksumSha256: sha256b64(Buffer.from('abd')),
      }),
      isAppErrorWith('checksum_mismatch'),
    );
    assert.equal(await staging.head('put/direct'), null);
    const written = await staging.writeObject('put/direct', Readable.from([Buffer.from('abc')]), {
      checksumSha256: sha256b64(Buffer.from('abc')),
    });
    assert.deepEqual(written, { etag: (await staging.head('put/direct'))?.etag, size: 3 });
  });

  it('an upload id is bound to its key and must look like one', async () => {
    const { uploadId } = await staging.createMultipartUpload('p/bound');
    assert.match(uploadId, /^[0-9a-f]{32}$/);
    await assert.rejects(staging.listParts('p/other', uploadId), isAppErrorWith('not_found', /upload/));
    await assert.rejects(staging.listParts('p/bound', '../../masters'), isAppErrorWith('not_found', /upload/));
    await assert.rejects(staging.presignUploadPart('p/bound', uploadId, 0, 60), isAppErrorWith('bad_request'));
    await assert.rejects(staging.presignUploadPart('p/bound', uploadId, 1, 0), isAppErrorWith('bad_request'));
  });

  it('a completed upload onto a retained key is refused and the upload is kept', async () => {
    const masters = h.storage('masters') as FsStorage;
    await masters.put('retained/target', Buffer.from('v1'), { retainUntil: new Date(Date.now() + 60_000) });
    const { uploadId } = await masters.createMultipartUpload('retained/target');
    const part = await masters.writeUploadPart('retained/target', uploadId, 1, Buffer.from('v2'));
    await assert.rejects(
      masters.completeMultipartUpload('retained/target', uploadId, [{ partNumber: 1, etag: part.etag }]),
      isAppErrorWith('conflict'),
    );
    assert.equal((await readAll(masters, 'retained/target')).toString(), 'v1');
    assert.equal((await masters.listParts('retained/target', uploadId)).length, 1);
  });

  it('objects, folders and masters are closed to other accounts (owner and group only)', async () => {
    const masters = h.storage('masters');
    await masters.put('perm/master', Buffer.from('secret'), { retainUntil: new Date(Date.now() + 60_000) });
    const previews = h.storage('previews');
    await previews.put('hls/perm/master.m3u8', Buffer.from('#EXTM3U'));
    const modeOf = async (path: string) => (await stat(path)).mode & 0o777;
    for (const [path, what] of [
      [join(h.root, 'masters'), 'role root'],
      [join(h.root, 'masters', 'perm'), 'folder'],
      [join(h.root, 'masters', 'perm/master'), 'master'],
      [join(h.root, 'previews', 'hls/perm/master.m3u8'), 'preview'],
    ] as const) {
      assert.equal((await modeOf(path)) & 0o007, 0, `${what} ${path} has no bits for other accounts`);
    }
    // The default mode, as far as the umask (022 here) leaves it.
    assert.equal(await modeOf(join(h.root, 'masters', 'perm/master')), 0o440);
    assert.equal(await modeOf(join(h.root, 'previews', 'hls/perm/master.m3u8')), 0o640);
    assert.equal(await modeOf(join(h.root, 'masters')), 0o750);
    // As root (CI), an account outside the group is refused for real.
    const stranger = await readAsStranger(join(h.root, 'masters', 'perm/master'));
    if (stranger !== null) assert.equal(stranger, 'EACCES');
  });

  it('the object mode is configurable, and a role root made before is closed on start', async () => {
    const root = await mkdtemp(join(tmpdir(), 'mediavault-fs-mode-'));
    try {
      await mkdir(join(root, 'previews'), { mode: 0o755 });
      await chmod(join(root, 'previews'), 0o755);
      const shared = new FsStorage('previews', {
        root,
        publicUrl: 'http://127.0.0.1:1',
        signingKey: 'k'.repeat(32),
        fileMode: 0o600,
      });
      assert.equal((await stat(join(root, 'previews'))).mode & 0o777, 0o700, 'an existing 0755 root is closed');
      await shared.put('a/b', Buffer.from('x'));
      assert.equal((await stat(join(root, 'previews', 'a/b'))).mode & 0o777, 0o600);
      assert.equal((await stat(join(root, 'previews', 'a'))).mode & 0o777, 0o700);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it('the file is actually read-only for a non-root writer', async () => {
    const masters = h.storage('masters');
    await masters.put('ro/check', Buffer.from('x'), { retainUntil: new Date(Date.now() + 60_000) });
    // The same writer overwrites an object that is not retained: the refusal below is the retained file's mode.
    await masters.put('ro/control', Buffer.from('y'));
    assert.equal(await overwriteAsOwner(join(h.root, 'masters', 'ro/control'), h.root), 'written');
    assert.equal(await overwriteAsOwner(join(h.root, 'masters', 'ro/check'), h.root), 'EACCES');
    assert.equal((await readAll(masters, 'ro/check')).toString(), 'x');
  });
});

// ---- s3 only: what s3rver cannot do, asserted at the SDK boundary ------------------------------

interface Captured {
  command: string;
  input: Record<string, unknown>;
  headers: Record<string, string>;
}

/**
 * Records every command the client sends: its input as the driver built it, and the
 * HTTP headers it serialized to (empty for commands answered locally, see below).
 */
function captureRequests(client: S3Client): Captured[] {
  const seen: Captured[] = [];
  const byContext = new WeakMap<object, Captured>();
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const entry: Captured = {
        command: String(context.commandName),
        input: args.input as Record<string, unknown>,
        headers: {},
      };
      seen.push(entry);
      byContext.set(context, entry);
      return next(args);
    },
    { step: 'initialize', priority: 'high', name: 'testCaptureInput' },
  );
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const entry = byContext.get(context);
      if (entry) entry.headers = { ...(args.request as { headers?: Record<string, string> }).headers };
      return next(args);
    },
    { step: 'build', priority: 'low', name: 'testCaptureHeaders' },
  );
  return seen;
}

type Canned = (input: Record<string, unknown>) => unknown;

/** Answers the named commands without sending them (for the operations s3rver does not implement). */
function answerLocally(client: S3Client, answers: Record<string, Canned>): void {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const answer = answers[String(context.commandName)];
      if (!answer) return next(args);
      return { output: { $metadata: {}, ...(answer(args.input as Record<string, unknown>) as object) }, response: {} };
    },
    { step: 'initialize', priority: 'low', name: 'testAnswerLocally' },
  );
}

describe('s3 driver at the SDK boundary (s3rver has no Object Lock, UploadPartCopy, ListParts or Abort)', () => {
  let s3rver: Awaited<ReturnType<typeof startS3rver>>;
  const fresh = (role: StorageRole, options = {}) => new S3Storage(role, s3rver.settings.s3, options);
  before(async () => {
    s3rver = await startS3rver();
  });
  after(() => s3rver.close());

  it('creates clients that add checksums only when required, and each role signs with its own credentials', async () => {
    const masters = fresh('masters');
    const config = masters.client.config;
    assert.equal(await config.requestChecksumCalculation(), 'WHEN_REQUIRED');
    assert.equal(await config.responseChecksumValidation(), 'WHEN_REQUIRED');
    assert.equal(config.forcePathStyle, true);
    assert.equal((await config.credentials()).accessKeyId, 'mediavault-masters');
    const url = await fresh('staging').presignUploadPart('k', 'upload-1', 1, 60);
    assert.match(url, /X-Amz-Credential=mediavault-staging%2F/);
    assert.doesNotMatch(url, /checksum/i, 'a presigned part URL must not carry a checksum of an empty body');
  });

  it('presignPut signs x-amz-checksum-sha256 as a header (not hoisted into the query), so the client must send exactly it', async () => {
    const staging = fresh('staging');
    const body = Buffer.from('one request, whole object');
    const url = new URL(await staging.presignPut('put/signed', 60, { checksumSha256: sha256b64(body) }));
    assert.deepEqual(url.searchParams.get('X-Amz-SignedHeaders')?.split(';').sort(), ['host', 'x-amz-checksum-sha256']);
    assert.match(url.searchParams.get('X-Amz-Credential') ?? '', /^mediavault-staging\//);
    assert.ok(
      ![...url.searchParams.keys()].some((k) => /checksum/i.test(k)),
      `no checksum in the query: ${url.search}`,
    );
    // s3rver verifies neither the signature nor the checksum: this only shows the request shape is accepted.
    const res = await putPart(url.toString(), body, { 'x-amz-checksum-sha256': sha256b64(body) });
    assert.equal(res.status, 200, await res.text());
    assert.deepEqual(await readAll(staging, 'put/signed'), body);
    await assert.rejects(staging.presignPut('put/signed', 60, { checksumSha256: '' }), isAppErrorWith('bad_request'));
    await assert.rejects(
      staging.presignPut('put/signed', 0, { checksumSha256: sha256b64(body) }),
      isAppErrorWith('bad_request'),
    );
  });

  it('a retained put carries GOVERNANCE lock, retain-until, Content-MD5 and the sha256 on the wire', async () => {
    const masters = fresh('masters');
    const seen = captureRequests(masters.client);
    const body = Buffer.from('master bytes');
    const retainUntil = new Date('2031-01-02T03:04:05.000Z');
    await masters.put('sha256/aa/bb/aabb', body, { retainUntil, checksumSha256: sha256b64(body) });
    const put = seen.find((c) => c.command === 'PutObjectCommand');
    assert.ok(put);
    assert.equal(put.input.ObjectLockMode, 'GOVERNANCE');
    assert.deepEqual(put.input.ObjectLockRetainUntilDate, retainUntil);
    assert.equal(put.headers['x-amz-object-lock-mode'], 'GOVERNANCE');
    assert.equal(put.headers['x-amz-object-lock-retain-until-date'], '2031-01-02T03:04:05Z');
    assert.equal(put.headers['x-amz-checksum-sha256'], sha256b64(body));
    assert.equal(put.headers['content-md5'], createHash('md5').update(body).digest('base64'));
    assert.deepEqual(await readAll(masters, 'sha256/aa/bb/aabb'), body);
  });

  it('a retained put of a large stream locks the multipart upload and sends Content-MD5 with every part', async () => {
    const masters = fresh('masters', { streamPartSizeBytes: STREAM_PART });
    const seen = captureRequests(masters.client);
    const body = bytes(STREAM_PART * 2 + 10, 14);
    const retainUntil = new Date('2031-01-02T00:00:00.000Z');
    await masters.put('sha256/cc/dd/ccdd', Readable.from([body]), { retainUntil, checksumSha256: sha256b64(body) });
    const create = seen.find((c) => c.command === 'CreateMultipartUploadCommand');
    assert.equal(create?.headers['x-amz-object-lock-mode'], 'GOVERNANCE');
    assert.equal(create?.headers['x-amz-object-lock-retain-until-date'], '2031-01-02T00:00:00Z');
    const uploads = seen.filter((c) => c.command === 'UploadPartCommand');
    assert.equal(uploads.length, 3);
    for (const u of uploads) assert.match(u.headers['content-md5'] ?? '', /^[A-Za-z0-9+/]{22}==$/);
    assert.deepEqual(await readAll(masters, 'sha256/cc/dd/ccdd'), body);
  });

  it('a streamed put with a wrong sha256 aborts the multipart upload instead of completing it', async () => {
    const staging = fresh('staging', { streamPartSizeBytes: STREAM_PART });
    const seen = captureRequests(staging.client);
    answerLocally(staging.client, { AbortMultipartUploadCommand: () => ({}) });
    const body = bytes(STREAM_PART * 2, 15);
    await assert.rejects(
      staging.put('bad/stream', Readable.from([body]), { checksumSha256: sha256b64(Buffer.from('x')) }),
      isAppErrorWith('checksum_mismatch'),
    );
    assert.deepEqual(
      seen.map((c) => c.command).filter((c) => c.includes('Multipart')),
      ['CreateMultipartUploadCommand', 'AbortMultipartUploadCommand'],
    );
    assert.equal(await staging.head('bad/stream'), null);
  });

  it('delete is refused while Object Lock retains the object, and no DeleteObject is sent', async () => {
    const masters = fresh('masters');
    await masters.put('locked/obj', Buffer.from('x'));
    const retainUntil = new Date(Date.now() + 86_400_000);
    // s3rver returns no lock headers: add what S3 would answer for a locked object.
    masters.client.middlewareStack.add(
      (next, context) => async (args) => {
        const result = await next(args);
        if (context.commandName === 'HeadObjectCommand')
          Object.assign(result.output as object, { ObjectLockRetainUntilDate: retainUntil });
        return result;
      },
      { step: 'initialize', name: 'testObjectLockHead' },
    );
    const seen = captureRequests(masters.client);
    assert.equal((await masters.head('locked/obj'))?.retainUntil, retainUntil);
    await assert.rejects(masters.delete('locked/obj'), isAppErrorWith('forbidden', /retention/));
    assert.ok(!seen.some((c) => c.command === 'DeleteObjectCommand'));
    assert.ok(await fresh('masters').head('locked/obj'));
  });

  it('copies staging → masters with CopyObject under the threshold, pinned to the source ETag, with lock', async () => {
    const staging = fresh('staging');
    await staging.put('staged/file', Buffer.from('promote me'));
    const masters = fresh('masters');
    const seen = captureRequests(masters.client);
    const retainUntil = new Date('2032-05-06T07:08:09.000Z');
    await masters.copyObject('staged/file', 'sha256/ee/ff/eeff', { sourceRole: 'staging', retainUntil });
    const copy = seen.find((c) => c.command === 'CopyObjectCommand');
    assert.equal(copy?.input.CopySource, `${bucketFor('staging')}/staged/file`);
    assert.equal(copy?.input.CopySourceIfMatch, (await staging.head('staged/file'))?.etag);
    assert.equal(copy?.headers['x-amz-object-lock-mode'], 'GOVERNANCE');
    assert.equal(copy?.headers['x-amz-object-lock-retain-until-date'], '2032-05-06T07:08:09Z');
    assert.equal((await readAll(masters, 'sha256/ee/ff/eeff')).toString(), 'promote me');
    await assert.rejects(
      masters.copyObject('staged/file', 'x', { sourceBucket: bucketFor('staging'), sourceEtag: '"0000"' }),
      isAppErrorWith('precondition_failed'),
    );
    await assert.rejects(
      masters.copyObject('staged/none', 'x', { sourceBucket: bucketFor('staging') }),
      isAppErrorWith('not_found'),
    );
  });

  it('copies above the threshold with multipart UploadPartCopy over planned ranges', async () => {
    const staging = fresh('staging');
    await staging.put('staged/big', bytes(2500, 16));
    const masters = fresh('masters', { multipartCopyThresholdBytes: 1000, copyPartSizeBytes: 1024 });
    assert.equal(masters.capabilities.copy?.multipartAboveBytes, 1000);
    const seen = captureRequests(masters.client);
    answerLocally(masters.client, {
      CreateMultipartUploadCommand: () => ({ UploadId: 'copy-upload-1' }),
      UploadPartCopyCommand: (input) => ({ CopyPartResult: { ETag: `"etag-${String(input.PartNumber)}"` } }),
      CompleteMultipartUploadCommand: () => ({}),
    });
    const retainUntil = new Date('2033-01-01T00:00:00.000Z');
    await masters.copyObject('staged/big', 'sha256/11/22/1122', { sourceBucket: bucketFor('staging'), retainUntil });
    const sourceEtag = (await staging.head('staged/big'))?.etag;
    const create = seen.find((c) => c.command === 'CreateMultipartUploadCommand');
    assert.equal(create?.input.ObjectLockMode, 'GOVERNANCE');
    assert.deepEqual(create?.input.ObjectLockRetainUntilDate, retainUntil);
    const copies = seen.filter((c) => c.command === 'UploadPartCopyCommand').map((c) => c.input);
    assert.deepEqual(
      copies.map((c) => [c.PartNumber, c.CopySourceRange, c.CopySource, c.CopySourceIfMatch, c.UploadId]).sort(),
      [
        [1, 'bytes=0-1023', `${bucketFor('staging')}/staged/big`, sourceEtag, 'copy-upload-1'],
        [2, 'bytes=1024-2047', `${bucketFor('staging')}/staged/big`, sourceEtag, 'copy-upload-1'],
        [3, 'bytes=2048-2499', `${bucketFor('staging')}/staged/big`, sourceEtag, 'copy-upload-1'],
      ],
    );
    assert.ok(!seen.some((c) => c.command === 'CopyObjectCommand'));
    const complete = seen.find((c) => c.command === 'CompleteMultipartUploadCommand');
    assert.deepEqual(complete?.input.MultipartUpload, {
      Parts: [1, 2, 3].map((n) => ({ PartNumber: n, ETag: `"etag-${n}"` })),
    });
  });

  it('a failing UploadPartCopy aborts the multipart copy', async () => {
    const staging = fresh('staging');
    await staging.put('staged/big2', bytes(2500, 17));
    const masters = fresh('masters', { multipartCopyThresholdBytes: 1000, copyPartSizeBytes: 1024 });
    const seen = captureRequests(masters.client);
    answerLocally(masters.client, {
      CreateMultipartUploadCommand: () => ({ UploadId: 'copy-upload-2' }),
      UploadPartCopyCommand: () => {
        throw new S3ServiceException({
          name: 'InternalError',
          $fault: 'server',
          $metadata: { httpStatusCode: 500 },
          message: 'boom',
        });
      },
      AbortMultipartUploadCommand: () => ({}),
    });
    await assert.rejects(masters.copyObject('staged/big2', 'dest', { sourceBucket: bucketFor('staging') }), /boom/);
    const abort = seen.find((c) => c.command === 'AbortMultipartUploadCommand');
    assert.equal(abort?.input.UploadId, 'copy-upload-2');
    assert.ok(!seen.some((c) => c.command === 'CompleteMultipartUploadCommand'));
  });

  it('listParts pages through ListParts and reports parts as S3 lists them', async () => {
    const staging = fresh('staging');
    const seen = captureRequests(staging.client);
    answerLocally(staging.client, {
      ListPartsCommand: (input) =>
        input.PartNumberMarker === undefined
          ? {
              IsTruncated: true,
              NextPartNumberMarker: '2',
              Parts: [
                { PartNumber: 1, ETag: '"e1"', Size: 5 },
                { PartNumber: 2, ETag: '"e2"', Size: 5 },
              ],
            }
          : { IsTruncated: false, Parts: [{ PartNumber: 3, ETag: '"e3"', Size: 1 }] },
    });
    assert.deepEqual(await staging.listParts('uploads/k', 'u-1'), [
      { partNumber: 1, etag: '"e1"', size: 5 },
      { partNumber: 2, etag: '"e2"', size: 5 },
      { partNumber: 3, etag: '"e3"', size: 1 },
    ]);
    assert.deepEqual(
      seen
        .filter((c) => c.command === 'ListPartsCommand')
        .map((c) => [c.input.Key, c.input.UploadId, c.input.PartNumberMarker]),
      [
        ['uploads/k', 'u-1', undefined],
        ['uploads/k', 'u-1', '2'],
      ],
    );
  });

  it('abort sends AbortMultipartUpload; an unknown upload is not_found', async () => {
    const staging = fresh('staging');
    const seen = captureRequests(staging.client);
    answerLocally(staging.client, {
      AbortMultipartUploadCommand: (input) => {
        if (input.UploadId === 'gone')
          throw new NoSuchUpload({ $metadata: { httpStatusCode: 404 }, message: 'no such upload' });
        return {};
      },
    });
    await staging.abortMultipartUpload('uploads/k', 'u-2');
    assert.deepEqual(seen.find((c) => c.command === 'AbortMultipartUploadCommand')?.input, {
      Bucket: bucketFor('staging'),
      Key: 'uploads/k',
      UploadId: 'u-2',
    });
    await assert.rejects(staging.abortMultipartUpload('uploads/k', 'gone'), isAppErrorWith('not_found', /upload/));
  });

  it('a completion S3 refuses with InvalidPart (wrong ETag) is a clear bad_request', async () => {
    const staging = fresh('staging');
    const seen = captureRequests(staging.client);
    answerLocally(staging.client, {
      CompleteMultipartUploadCommand: () => {
        throw new S3ServiceException({
          name: 'InvalidPart',
          $fault: 'client',
          $metadata: { httpStatusCode: 400 },
          message: 'One or more of the specified parts could not be found.',
        });
      },
    });
    await assert.rejects(
      staging.completeMultipartUpload('uploads/k', 'u-3', [
        { partNumber: 1, etag: 'abc' },
        { partNumber: 2, etag: '"def"' },
      ]),
      isAppErrorWith('bad_request', /part/),
    );
    // ETags are sent quoted however the caller passed them.
    assert.deepEqual(seen.find((c) => c.command === 'CompleteMultipartUploadCommand')?.input.MultipartUpload, {
      Parts: [
        { PartNumber: 1, ETag: '"abc"' },
        { PartNumber: 2, ETag: '"def"' },
      ],
    });
    assert.equal(await staging.head('uploads/k'), null);
  });
});
