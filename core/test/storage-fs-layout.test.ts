/**
 * The fs driver's multipart uploads with a layout ({ size, partSize } fixed at creation):
 * every part is written at its place in one data file, and completion publishes that file
 * by rename instead of copying the parts into a new one. Real files in a temp dir; the
 * presigned part URLs are served over real HTTP on 127.0.0.1:0.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { watch } from 'node:fs';
import { access, mkdtemp, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { after, before, describe, it } from 'node:test';
import { FsStorage } from '../src/storage/fs.ts';
import type { Storage, StorageRole } from '../src/storage/types.ts';
import { isAppErrorWith } from './helpers/app-error.ts';
import { serveFsPresigned, type FsPresignedServer } from './helpers/fs-presigned-server.ts';

// Not a multiple of the driver's 1 MiB reads, so completion's reads straddle part boundaries.
const PART = 300_000;
const SIZE = 4 * PART + 100_000;

function bytes(n: number, seed: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed * 7 + (i >> 10)) & 0xff;
  return b;
}

const sha256hex = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const sha256b64 = (b: Buffer) => createHash('sha256').update(b).digest('base64');

/** The object's bytes split as the layout splits them. */
function split(object: Buffer, partSize: number): Buffer[] {
  const parts: Buffer[] = [];
  for (let at = 0; at < object.length; at += partSize) parts.push(object.subarray(at, at + partSize));
  return parts.length > 0 ? parts : [Buffer.alloc(0)];
}

async function errorOf(res: Response): Promise<{ code: string; message: string }> {
  return ((await res.json()) as { error: { code: string; message: string } }).error;
}

describe('fs multipart with a layout: parts written in place, completion without a copy', () => {
  let root: string;
  let server: FsPresignedServer;
  let staging: FsStorage;
  const served: Partial<Record<StorageRole, Storage>> = {};
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'mediavault-fs-layout-'));
    server = await serveFsPresigned(served);
    staging = new FsStorage('staging', { root, publicUrl: server.publicUrl, signingKey: 'layout-test-key' });
    served.staging = staging;
  });
  after(async () => {
    await server.close();
    await rm(root, { recursive: true, force: true });
  });

  const uploadDir = (uploadId: string) => join(staging.roleRoot, '.multipart', uploadId);
  const dataFile = (uploadId: string) => join(uploadDir(uploadId), 'data');
  const exists = (path: string) =>
    access(path).then(
      () => true,
      () => false,
    );

  async function putPart(
    key: string,
    uploadId: string,
    partNumber: number,
    body: Buffer,
    options: { checksumSha256?: string } = {},
  ): Promise<Response> {
    const url = await staging.presignUploadPart(key, uploadId, partNumber, 300, options);
    const headers: Record<string, string> = options.checksumSha256
      ? { 'x-amz-checksum-sha256': options.checksumSha256 }
      : {};
    return fetch(url, { method: 'PUT', body: new Uint8Array(body), headers });
  }

  async function putAll(key: string, uploadId: string, parts: Buffer[], order: number[]): Promise<string[]> {
    const etags: string[] = [];
    for (const n of order) {
      const res = await putPart(key, uploadId, n, parts[n - 1]!);
      assert.equal(res.status, 200, await res.text());
      etags[n - 1] = res.headers.get('etag')!;
    }
    return etags;
  }

  it('takes parts out of order over HTTP and publishes the data file itself: same inode, sha256 of the bytes', async () => {
    const key = 'layout/out-of-order.mov';
    const object = bytes(SIZE, 1);
    const parts = split(object, PART);
    const { uploadId } = await staging.createMultipartUpload(key, {
      contentType: 'video/quicktime',
      layout: { size: SIZE, partSize: PART },
    });
    assert.equal((await stat(dataFile(uploadId))).size, SIZE, 'the data file is sized up front');

    // Part 2 carries its checksum (signed and sent), the others none.
    const second = await putPart(key, uploadId, 2, parts[1]!, { checksumSha256: sha256b64(parts[1]!) });
    assert.equal(second.status, 200, await second.text());
    const etags = await putAll(key, uploadId, parts, [5, 1, 4, 3]);
    etags[1] = second.headers.get('etag')!;
    assert.deepEqual(
      etags,
      parts.map((p) => `"${sha256hex(p)}"`),
      'a part ETag is its sha256, as without layout',
    );
    const { ino } = await stat(dataFile(uploadId));

    const result = await staging.completeMultipartUpload(
      key,
      uploadId,
      etags.map((etag, i) => ({ partNumber: i + 1, etag })),
    );
    assert.equal(result.sha256, sha256hex(object));
    const published = await stat(join(staging.roleRoot, key));
    assert.equal(published.ino, ino, 'published by rename: no copy');
    assert.equal(result.etag, (await staging.head(key))?.etag);
    assert.deepEqual(await buffer(await staging.get(key)), object);
    await assert.rejects(access(uploadDir(uploadId)), 'the upload directory is gone');
    await assert.rejects(staging.listParts(key, uploadId), isAppErrorWith('not_found', /upload/));
  });

  it('listParts answers as it does without a layout', async () => {
    const object = bytes(SIZE, 2);
    const parts = split(object, PART);
    const listed: unknown[] = [];
    for (const layout of [undefined, { size: SIZE, partSize: PART }]) {
      const key = `layout/list-${layout ? 'placed' : 'files'}`;
      const { uploadId } = await staging.createMultipartUpload(key, layout ? { layout } : {});
      await putAll(key, uploadId, parts, [3, 1, 5]);
      listed.push(await staging.listParts(key, uploadId));
      if (layout) {
        // Recorded under the same names as part files, as empty markers: the bytes are in `data`.
        const names = (await readdir(uploadDir(uploadId))).sort();
        assert.deepEqual(
          names,
          ['data', ...[1, 3, 5].map((n) => `${n}.${sha256hex(parts[n - 1]!)}`), 'upload.json'].sort(),
        );
        for (const n of [1, 3, 5])
          assert.equal((await stat(join(uploadDir(uploadId), `${n}.${sha256hex(parts[n - 1]!)}`))).size, 0);
      }
    }
    assert.deepEqual(listed[1], listed[0]);
    assert.deepEqual(
      listed[1],
      [1, 3, 5].map((n) => ({
        partNumber: n,
        etag: `"${sha256hex(parts[n - 1]!)}"`,
        size: parts[n - 1]!.length,
        checksumSha256: sha256b64(parts[n - 1]!),
      })),
    );
  });

  it('refuses a part of the wrong size with 400 before writing, and keeps the part already recorded', async () => {
    const key = 'layout/wrong-size';
    const object = bytes(SIZE, 3);
    const parts = split(object, PART);
    const { uploadId } = await staging.createMultipartUpload(key, { layout: { size: SIZE, partSize: PART } });
    const etags = await putAll(key, uploadId, parts, [1, 2, 3, 4, 5]);
    const before = await staging.listParts(key, uploadId);

    for (const [n, body] of [
      [2, bytes(PART + 1, 9)],
      [2, bytes(PART - 1, 9)],
      [5, bytes(PART, 9)],
      [5, bytes(99_999, 9)],
    ] as const) {
      const res = await putPart(key, uploadId, n, body);
      assert.equal(res.status, 400, `part ${n} of ${body.length} bytes`);
      const error = await errorOf(res);
      assert.equal(error.code, 'bad_request');
      assert.match(error.message, new RegExp(`part ${n} must be ${parts[n - 1]!.length} bytes`));
    }
    const past = await putPart(key, uploadId, 6, bytes(10, 9));
    assert.equal(past.status, 400);
    assert.match((await errorOf(past)).message, /past the last part: this upload has 5 parts/);

    assert.deepEqual(await staging.listParts(key, uploadId), before);
    const result = await staging.completeMultipartUpload(
      key,
      uploadId,
      etags.map((etag, i) => ({ partNumber: i + 1, etag })),
    );
    assert.equal(result.sha256, sha256hex(object), 'the refused parts changed no byte');
  });

  it('a streamed part of the wrong size (no Content-Length) is refused; having touched its place, it withdraws the earlier record', async () => {
    const key = 'layout/streamed-wrong-size';
    const parts = split(bytes(SIZE, 4), PART);
    const { uploadId } = await staging.createMultipartUpload(key, { layout: { size: SIZE, partSize: PART } });
    // Nothing recorded yet: a too-long stream stops at the part's end and records nothing.
    await assert.rejects(
      staging.writeUploadPart(key, uploadId, 1, Readable.from([bytes(PART, 5), Buffer.from('spill')])),
      isAppErrorWith('bad_request', /part 1 must be 300000 bytes/),
    );
    assert.deepEqual(await staging.listParts(key, uploadId), []);
    const data = await open(dataFile(uploadId), 'r');
    const spill = Buffer.alloc(5);
    await data.read(spill, 0, 5, PART);
    await data.close();
    assert.deepEqual(spill, Buffer.alloc(5), 'not a byte spilled into part 2’s place');

    await staging.writeUploadPart(key, uploadId, 1, parts[0]!);
    assert.equal((await staging.listParts(key, uploadId)).length, 1);
    // A short re-send overwrote part of the recorded bytes: the record goes, so a resume sends the part again.
    await assert.rejects(
      staging.writeUploadPart(key, uploadId, 1, Readable.from([bytes(1000, 6)])),
      isAppErrorWith('bad_request', /not 1000/),
    );
    assert.deepEqual(await staging.listParts(key, uploadId), []);
    // A stream whose first chunk is already too long touched nothing and withdraws nothing.
    await staging.writeUploadPart(key, uploadId, 1, parts[0]!);
    await assert.rejects(
      staging.writeUploadPart(key, uploadId, 1, Readable.from([bytes(PART + 1, 7)])),
      isAppErrorWith('bad_request'),
    );
    assert.equal((await staging.listParts(key, uploadId)).length, 1);
  });

  it('a part whose bytes differ from its checksum is refused (422) and not recorded', async () => {
    const key = 'layout/checksum';
    const parts = split(bytes(SIZE, 8), PART);
    const { uploadId } = await staging.createMultipartUpload(key, { layout: { size: SIZE, partSize: PART } });
    const res = await putPart(key, uploadId, 3, parts[2]!, { checksumSha256: sha256b64(parts[1]!) });
    assert.equal(res.status, 422);
    assert.equal((await errorOf(res)).code, 'checksum_mismatch');
    assert.deepEqual(await staging.listParts(key, uploadId), []);
  });

  it('a re-sent part replaces the earlier one; completion has the latest bytes', async () => {
    const key = 'layout/resent';
    const object = bytes(SIZE, 10);
    const parts = split(object, PART);
    const { uploadId } = await staging.createMultipartUpload(key, { layout: { size: SIZE, partSize: PART } });
    const etags = await putAll(key, uploadId, parts, [1, 2, 3, 4, 5]);
    const replacement = bytes(PART, 11);
    const res = await putPart(key, uploadId, 3, replacement);
    assert.equal(res.status, 200);
    etags[2] = res.headers.get('etag')!;
    const listed = await staging.listParts(key, uploadId);
    assert.deepEqual(
      listed.map((p) => p.partNumber),
      [1, 2, 3, 4, 5],
      'one record per part number',
    );
    assert.equal(listed[2]!.etag, `"${sha256hex(replacement)}"`);
    // Completing with the replaced part's ETag is refused, naming the part.
    await assert.rejects(
      staging.completeMultipartUpload(
        key,
        uploadId,
        [1, 2, 3, 4, 5].map((n) => ({ partNumber: n, etag: `"${sha256hex(parts[n - 1]!)}"` })),
      ),
      isAppErrorWith('bad_request', /part 3: ETag/),
    );
    const expected = Buffer.concat([parts[0]!, parts[1]!, replacement, parts[3]!, parts[4]!]);
    const result = await staging.completeMultipartUpload(
      key,
      uploadId,
      etags.map((etag, i) => ({ partNumber: i + 1, etag })),
    );
    assert.equal(result.sha256, sha256hex(expected));
    assert.deepEqual(await buffer(await staging.get(key)), expected);
  });

  it('two requests for one part overlapping: completion re-hashes that place, refuses the mix, and the part is asked for again', async () => {
    const key = 'layout/torn';
    const object = bytes(SIZE, 12);
    const parts = split(object, PART);
    const { uploadId } = await staging.createMultipartUpload(key, { layout: { size: SIZE, partSize: PART } });
    const etags = await putAll(key, uploadId, parts, [1, 3, 4, 5]);
    // Request A for part 2 (other bytes: the file changed between tries) stalls after half of it …
    const other = bytes(PART, 99);
    let resume!: () => void;
    const stalled = new Promise<void>((resolve) => (resume = resolve));
    const slowBody = Readable.from(
      (async function* () {
        yield other.subarray(0, PART / 2);
        await stalled;
        yield other.subarray(PART / 2);
      })(),
    );
    // B must come after A's first bytes reached the data file (or nothing of A's would be torn):
    // the file system reports that write (inotify, kqueue) as a change to the file.
    const watcher = watch(dataFile(uploadId));
    const firstWrite = once(watcher, 'change');
    const first = staging.writeUploadPart(key, uploadId, 2, slowBody);
    await firstWrite;
    watcher.close();
    assert.ok(await exists(join(uploadDir(uploadId), '2.writing')), 'A holds its mark while it writes');
    // … request B sends all of part 2 meanwhile, then A finishes and is recorded last.
    assert.equal((await putPart(key, uploadId, 2, parts[1]!)).status, 200);
    resume();
    etags[1] = (await first).etag;
    assert.ok(await exists(join(uploadDir(uploadId), '2.overlapped')), 'B found A in flight and marked the part');

    const complete = () =>
      staging.completeMultipartUpload(
        key,
        uploadId,
        etags.map((etag, i) => ({ partNumber: i + 1, etag })),
      );
    await assert.rejects(
      complete(),
      isAppErrorWith('bad_request', /part 2: the bytes at its place are not the part that was recorded/),
    );
    assert.equal(await staging.head(key), null, 'nothing published');
    assert.deepEqual(
      (await staging.listParts(key, uploadId)).map((p) => p.partNumber),
      [1, 3, 4, 5],
      'part 2 is to be sent again',
    );
    await assert.rejects(complete(), isAppErrorWith('bad_request', /part 2 was never uploaded/));

    etags[1] = (await putPart(key, uploadId, 2, parts[1]!)).headers.get('etag')!;
    assert.equal((await complete()).sha256, sha256hex(object));
    assert.deepEqual(await buffer(await staging.get(key)), object);
  });

  it('a part written by one request alone is not hashed again: completion reads every byte once, for the whole sha256', async () => {
    const key = 'layout/trusted';
    const object = bytes(SIZE, 14);
    const parts = split(object, PART);
    const { uploadId } = await staging.createMultipartUpload(key, { layout: { size: SIZE, partSize: PART } });
    const etags = await putAll(key, uploadId, parts, [1, 2, 3, 4, 5]);
    // Bytes changed behind the driver's back are not caught per part, but they change the whole
    // object's sha256, which promotion compares with the sha256 the client read from the file.
    const data = await open(dataFile(uploadId), 'r+');
    await data.write(Buffer.from('garbage'), 0, 7, PART + 150_000);
    await data.close();
    const changed = Buffer.from(object);
    changed.write('garbage', PART + 150_000);
    const result = await staging.completeMultipartUpload(
      key,
      uploadId,
      etags.map((etag, i) => ({ partNumber: i + 1, etag })),
    );
    assert.equal(result.sha256, sha256hex(changed));
    assert.notEqual(result.sha256, sha256hex(object));
  });

  it('refuses a completion that lists fewer parts than the layout, and a layout that makes no sense', async () => {
    const key = 'layout/short';
    const parts = split(bytes(SIZE, 13), PART);
    const { uploadId } = await staging.createMultipartUpload(key, { layout: { size: SIZE, partSize: PART } });
    const etags = await putAll(key, uploadId, parts, [1, 2, 3]);
    await assert.rejects(
      staging.completeMultipartUpload(
        key,
        uploadId,
        etags.map((etag, i) => ({ partNumber: i + 1, etag })),
      ),
      isAppErrorWith('bad_request', /this upload has 5 parts/),
    );
    assert.equal(await staging.head(key), null);
    for (const layout of [
      { size: -1, partSize: 10 },
      { size: 10, partSize: 0 },
      { size: 1.5, partSize: 1 },
      { size: 10_001, partSize: 1 },
    ]) {
      await assert.rejects(
        staging.createMultipartUpload('layout/bad', { layout }),
        isAppErrorWith('bad_request', /layout/),
        JSON.stringify(layout),
      );
    }
  });

  it('an empty object is one empty part', async () => {
    const key = 'layout/empty';
    const { uploadId } = await staging.createMultipartUpload(key, { layout: { size: 0, partSize: PART } });
    const etags = await putAll(key, uploadId, [Buffer.alloc(0)], [1]);
    const result = await staging.completeMultipartUpload(key, uploadId, [{ partNumber: 1, etag: etags[0]! }]);
    assert.equal(result.sha256, sha256hex(Buffer.alloc(0)));
    assert.equal((await staging.head(key))?.size, 0);
  });

  it('a completion onto a retained key is refused and the upload, data file included, is kept', async () => {
    const masters = new FsStorage('masters', { root, publicUrl: server.publicUrl, signingKey: 'layout-test-key' });
    await masters.put('retained/layout', Buffer.from('v1'), { retainUntil: new Date(Date.now() + 60_000) });
    const { uploadId } = await masters.createMultipartUpload('retained/layout', {
      layout: { size: 2, partSize: PART },
    });
    const part = await masters.writeUploadPart('retained/layout', uploadId, 1, Buffer.from('v2'));
    await assert.rejects(
      masters.completeMultipartUpload('retained/layout', uploadId, [{ partNumber: 1, etag: part.etag }]),
      isAppErrorWith('conflict'),
    );
    assert.equal((await buffer(await masters.get('retained/layout'))).toString(), 'v1');
    assert.equal((await masters.listParts('retained/layout', uploadId)).length, 1);
    assert.equal((await stat(join(masters.roleRoot, '.multipart', uploadId, 'data'))).size, 2);
  });

  it('two completions of one upload at once: one publishes, the other finds the upload gone, naming no path', async () => {
    const object = bytes(SIZE, 15);
    const parts = split(object, PART);
    for (const round of [1, 2, 3]) {
      const key = `layout/completed-twice-${round}`;
      const { uploadId } = await staging.createMultipartUpload(key, { layout: { size: SIZE, partSize: PART } });
      const etags = await putAll(key, uploadId, parts, [1, 2, 3, 4, 5]);
      const listed = etags.map((etag, i) => ({ partNumber: i + 1, etag }));
      const outcomes = await Promise.allSettled([
        staging.completeMultipartUpload(key, uploadId, listed),
        staging.completeMultipartUpload(key, uploadId, listed),
      ]);
      assert.equal(outcomes.filter((o) => o.status === 'fulfilled').length, 1, `round ${round}`);
      const refused = outcomes.find((o) => o.status === 'rejected')?.reason;
      isAppErrorWith('not_found', /^upload not found$/)(refused);
      assert.deepEqual(await buffer(await staging.get(key)), object);
    }
    // Where the race above may catch the later completion, made certain: the data file was published away.
    const key = 'layout/completed-elsewhere';
    const { uploadId } = await staging.createMultipartUpload(key, { layout: { size: SIZE, partSize: PART } });
    const etags = await putAll(key, uploadId, parts, [1, 2, 3, 4, 5]);
    await rename(dataFile(uploadId), join(root, 'published-by-the-other-completion'));
    await assert.rejects(
      staging.completeMultipartUpload(
        key,
        uploadId,
        etags.map((etag, i) => ({ partNumber: i + 1, etag })),
      ),
      isAppErrorWith('not_found', /^upload not found$/),
    );
  });

  it('abort removes the data file and every record; a late part PUT finds no upload', async () => {
    const key = 'layout/aborted';
    const parts = split(bytes(SIZE, 14), PART);
    const { uploadId } = await staging.createMultipartUpload(key, { layout: { size: SIZE, partSize: PART } });
    await putAll(key, uploadId, parts, [2, 4]);
    const lateUrl = await staging.presignUploadPart(key, uploadId, 1, 300);
    await staging.abortMultipartUpload(key, uploadId);
    await assert.rejects(access(uploadDir(uploadId)));
    await assert.rejects(staging.listParts(key, uploadId), isAppErrorWith('not_found', /upload/));
    const late = await fetch(lateUrl, { method: 'PUT', body: new Uint8Array(parts[0]!) });
    assert.equal(late.status, 404);
    assert.deepEqual(await readdir(join(staging.roleRoot, '.multipart')).then((d) => d.includes(uploadId)), false);
    assert.equal(await staging.head(key), null);
  });
});
