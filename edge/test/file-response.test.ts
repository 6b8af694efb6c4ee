import { test } from 'node:test';
import assert from 'node:assert/strict';
import { etagFor, planFileResponse } from '../src/file-response.ts';
import { cacheControlFor, contentTypeFor } from '../src/media-headers.ts';

const file = { size: 1000, mtimeMs: 1_700_000_000_123.4 };
const etag = etagFor(file);

test('etag changes with size and mtime', () => {
  assert.equal(etag, `"3e8-${Math.floor(file.mtimeMs).toString(16)}"`);
  assert.notEqual(etagFor({ ...file, size: 1001 }), etag);
  assert.notEqual(etagFor({ ...file, mtimeMs: file.mtimeMs + 1 }), etag);
});

test('no Range: the whole file', () => {
  assert.deepEqual(planFileResponse(file, {}), { status: 200, etag, start: 0, end: 999, length: 1000 });
});

test('a single byte range: 206 with its Content-Range', () => {
  assert.deepEqual(planFileResponse(file, { range: 'bytes=10-19' }), {
    status: 206,
    etag,
    start: 10,
    end: 19,
    length: 10,
    contentRange: 'bytes 10-19/1000',
  });
  assert.deepEqual(planFileResponse(file, { range: 'bytes=990-5000' }), {
    status: 206,
    etag,
    start: 990,
    end: 999,
    length: 10,
    contentRange: 'bytes 990-999/1000',
  });
  assert.deepEqual(planFileResponse(file, { range: 'bytes=-100' }), {
    status: 206,
    etag,
    start: 900,
    end: 999,
    length: 100,
    contentRange: 'bytes 900-999/1000',
  });
  // Overlapping ranges combine into one.
  assert.equal(planFileResponse(file, { range: 'bytes=0-9,5-19' }).status, 206);
});

test('unsatisfiable ranges: 416 with the size', () => {
  assert.deepEqual(planFileResponse(file, { range: 'bytes=1000-' }), {
    status: 416,
    etag,
    contentRange: 'bytes */1000',
  });
  assert.equal(planFileResponse({ size: 0, mtimeMs: 1 }, { range: 'bytes=0-' }).status, 416);
});

test('malformed, foreign-unit or disjoint multi-ranges fall back to the whole file', () => {
  for (const range of ['bytes', 'bytes=abc', 'items=0-5', 'bytes=0-9,500-509']) {
    assert.equal(planFileResponse(file, { range }).status, 200, range);
  }
});

test('If-None-Match: 304 on a match (weak or listed), 200 otherwise', () => {
  assert.deepEqual(planFileResponse(file, { ifNoneMatch: etag }), { status: 304, etag });
  assert.equal(planFileResponse(file, { ifNoneMatch: `"x", W/${etag}` }).status, 304);
  assert.equal(planFileResponse(file, { ifNoneMatch: '*' }).status, 304);
  assert.equal(planFileResponse(file, { ifNoneMatch: '"other"' }).status, 200);
});

test('If-Range: the range only while the validator still matches', () => {
  assert.equal(planFileResponse(file, { range: 'bytes=0-9', ifRange: etag }).status, 206);
  assert.equal(planFileResponse(file, { range: 'bytes=0-9', ifRange: '"old"' }).status, 200);
});

test('content type and caching by extension', () => {
  assert.equal(contentTypeFor('hls/x/master.m3u8'), 'application/vnd.apple.mpegurl');
  assert.equal(contentTypeFor('hls/x/v360/seg_1.m4s'), 'video/iso.segment');
  assert.equal(contentTypeFor('hls/x/v360/init.mp4'), 'video/mp4');
  assert.equal(contentTypeFor('thumbs/x/poster.JPG'), 'image/jpeg');
  assert.equal(contentTypeFor('thumbs/x/sprite.vtt'), 'text/vtt');
  assert.equal(contentTypeFor('waveform/x.json'), 'application/json');
  assert.equal(contentTypeFor('thumbs/x/unknown.bin'), 'application/octet-stream');
  // Playlists live as long as the edge's revalidation interval; everything else is immutable.
  assert.equal(cacheControlFor('hls/x/v360/index.m3u8', 10), 'public, max-age=10');
  assert.equal(cacheControlFor('hls/x/MASTER.M3U8', 30), 'public, max-age=30');
  assert.equal(cacheControlFor('hls/x/v360/seg_1.m4s', 10), 'public, max-age=31536000, immutable');
  assert.equal(cacheControlFor('hls/x/v360/init.mp4', 10), 'public, max-age=31536000, immutable');
  assert.equal(cacheControlFor(`mp4/x.mp4`, 10), 'public, max-age=31536000, immutable');
});
