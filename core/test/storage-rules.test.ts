/** Pure rules of the storage drivers: key safety, part limits, completion order, copy planning, chunking. */
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { AppError } from '../src/errors.ts';
import { assertSafeKey, isFsUploadId } from '../src/storage/fs-keys.ts';
import { assertCompletionOrder, assertPartNumber, assertPresignExpiry } from '../src/storage/rules.ts';
import { encodeKeyForCopySource } from '../src/storage/s3.ts';
import { fixedSizeChunks, planPartCopyRanges } from '../src/storage/s3-parts.ts';

const badRequest = (err: unknown) => err instanceof AppError && err.code === 'bad_request';

describe('fs key safety', () => {
  it('accepts the key layouts the platform uses', () => {
    for (const key of ['sha256/ab/cd/abcd', 'staging/org/upload/.DS_Store', 'hls/x/seg 1.m4s', 'a..b', 'ü/ß']) {
      assert.equal(assertSafeKey(key), key);
    }
  });
  it('refuses traversal, absolute paths, backslashes, empty segments, control characters, internals', () => {
    for (const key of [
      '',
      '..',
      '../x',
      'a/..',
      'a/../b',
      '.',
      './a',
      '/a',
      'a\\b',
      'a//b',
      'a/',
      'a\nb',
      '.tmp/x',
      '.multipart',
      '.retention/a',
      'x'.repeat(1025),
    ]) {
      assert.throws(() => assertSafeKey(key), badRequest, JSON.stringify(key));
    }
  });
  it('upload ids are 128-bit hex only', () => {
    assert.equal(isFsUploadId('0123456789abcdef0123456789abcdef'), true);
    for (const id of ['', '../x', '0123456789ABCDEF0123456789ABCDEF', '0123456789abcdef0123456789abcde'])
      assert.equal(isFsUploadId(id), false);
  });
});

describe('multipart rules shared by both drivers', () => {
  it('part numbers 1..10000, presign expiry 1 s..7 days', () => {
    assertPartNumber(1);
    assertPartNumber(10_000);
    for (const n of [0, 10_001, 1.5, -1, Number.NaN]) assert.throws(() => assertPartNumber(n), badRequest);
    assertPresignExpiry(604_800);
    for (const s of [0, 604_801, 2.5]) assert.throws(() => assertPresignExpiry(s), badRequest);
  });
  it('completion lists parts ascending and contiguous from 1', () => {
    assertCompletionOrder([
      { partNumber: 1, etag: 'a' },
      { partNumber: 2, etag: 'b' },
    ]);
    for (const order of [[], [2], [1, 3], [2, 1], [1, 1]]) {
      assert.throws(
        () => assertCompletionOrder(order.map((partNumber) => ({ partNumber, etag: 'e' }))),
        badRequest,
        JSON.stringify(order),
      );
    }
  });
});

describe('s3 copy planning', () => {
  it('splits into inclusive ranges covering every byte once', () => {
    assert.deepEqual(planPartCopyRanges(2500, 1024), [
      { partNumber: 1, start: 0, end: 1023 },
      { partNumber: 2, start: 1024, end: 2047 },
      { partNumber: 3, start: 2048, end: 2499 },
    ]);
    assert.deepEqual(planPartCopyRanges(1024, 1024), [{ partNumber: 1, start: 0, end: 1023 }]);
  });
  it('grows the part size so a huge object fits in 10,000 parts', () => {
    const size = 5 * 1024 ** 4; // 5 TiB, S3's maximum object size
    const ranges = planPartCopyRanges(size, 512 * 1024 ** 2);
    assert.ok(ranges.length <= 10_000);
    assert.equal(ranges.at(-1)!.end, size - 1);
    assert.ok(ranges.every((r, i) => i === 0 || r.start === ranges[i - 1]!.end + 1));
  });
  it('refuses an empty object', () => {
    assert.throws(() => planPartCopyRanges(0, 1024));
  });
  it('encodes copy sources keeping slashes', () => {
    assert.equal(encodeKeyForCopySource('staging/o/u/a b+c?.mov'), 'staging/o/u/a%20b%2Bc%3F.mov');
  });
});

describe('fixedSizeChunks', () => {
  it('re-chunks arbitrary pieces into exact sizes with a short last chunk', async () => {
    const source = Readable.from([Buffer.from('ab'), Buffer.from('cdefg'), Buffer.from(''), Buffer.from('hij')]);
    const chunks: string[] = [];
    for await (const c of fixedSizeChunks(source, 4)) chunks.push(c.toString());
    assert.deepEqual(chunks, ['abcd', 'efgh', 'ij']);
  });
  it('yields nothing for an empty stream', async () => {
    const chunks: Buffer[] = [];
    for await (const c of fixedSizeChunks(Readable.from([]), 4)) chunks.push(c);
    assert.deepEqual(chunks, []);
  });
});
