/** The fs driver's presigned-URL signing: pure functions, no clock, no I/O. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  buildFsPresignedUrl,
  encodeKeyPath,
  type FsSignedFields,
  fsStringToSign,
  parseFsPresignedUrl,
  signFsRequest,
  verifyFsSignature,
} from '../src/storage/fs-url-signing.ts';

const KEY = 'k3y-for-tests';
const NOW = 1_800_000_000;
const part: FsSignedFields = {
  method: 'PUT',
  role: 'staging',
  key: 'staging/org/up/clip one.mov',
  uploadId: '0123456789abcdef0123456789abcdef',
  partNumber: 3,
  expires: NOW + 60,
};

describe('fs presigned URL signing', () => {
  it('signs deterministically, base64url, 256 bits', () => {
    const sig = signFsRequest(part, KEY);
    assert.equal(sig, signFsRequest({ ...part }, KEY));
    assert.match(sig, /^[A-Za-z0-9_-]{43}$/);
  });

  it('accepts the signature it made until the expiry second, then reports expired', () => {
    const sig = signFsRequest(part, KEY);
    assert.deepEqual(verifyFsSignature(part, sig, KEY, NOW), { ok: true });
    assert.deepEqual(verifyFsSignature(part, sig, KEY, part.expires), { ok: true });
    assert.deepEqual(verifyFsSignature(part, sig, KEY, part.expires + 1), { ok: false, reason: 'expired' });
  });

  it('refuses any change to any signed field, and another key', () => {
    const sig = signFsRequest(part, KEY);
    const changes: Partial<FsSignedFields>[] = [
      { method: 'GET' },
      { role: 'masters' },
      { key: 'staging/org/up/clip two.mov' },
      { uploadId: 'ffffffffffffffffffffffffffffffff' },
      { partNumber: 4 },
      { expires: part.expires + 3600 }, // a stretched expiry is a bad signature, not a valid URL
    ];
    for (const change of changes) {
      assert.deepEqual(
        verifyFsSignature({ ...part, ...change }, sig, KEY, NOW),
        { ok: false, reason: 'bad_signature' },
        JSON.stringify(change),
      );
    }
    assert.deepEqual(verifyFsSignature(part, sig, 'other-key', NOW), { ok: false, reason: 'bad_signature' });
    assert.deepEqual(verifyFsSignature(part, sig.slice(0, -2), KEY, NOW), { ok: false, reason: 'bad_signature' });
    assert.deepEqual(verifyFsSignature(part, 'not base64url!', KEY, NOW), { ok: false, reason: 'bad_signature' });
    assert.deepEqual(verifyFsSignature(part, '', KEY, NOW), { ok: false, reason: 'bad_signature' });
  });

  it('keeps field boundaries unambiguous', () => {
    const a = fsStringToSign({ ...part, key: 'a', uploadId: 'b' });
    const b = fsStringToSign({ ...part, key: 'a\nb', uploadId: '' });
    assert.notEqual(a, b);
  });

  it('refuses to sign without a key', () => {
    assert.throws(() => signFsRequest(part, ''), /signingKey/);
  });

  it('builds a URL that parses back to the same fields, whatever characters the key has', () => {
    for (const key of [part.key, 'a?b#c/d%e&f=g/ü/+plus', 'hls/abc/seg 0001.m4s']) {
      const fields = { ...part, key };
      const url = buildFsPresignedUrl('http://127.0.0.1:8080/', fields, KEY);
      assert.ok(url.startsWith(`http://127.0.0.1:8080/storage/staging/`));
      const target = url.slice('http://127.0.0.1:8080'.length);
      const parsed = parseFsPresignedUrl(target);
      assert.ok(parsed.ok, JSON.stringify(parsed));
      assert.deepEqual(parsed.value.fields, fields);
      assert.deepEqual(verifyFsSignature(parsed.value.fields, parsed.value.signature, KEY, NOW), { ok: true });
    }
  });

  it('a GET URL carries no upload fields and parses as GET', () => {
    const get: FsSignedFields = {
      method: 'GET',
      role: 'previews',
      key: 'mp4/x.mp4',
      uploadId: '',
      partNumber: 0,
      expires: NOW,
    };
    const url = new URL(buildFsPresignedUrl('https://media.example/api', get, KEY));
    assert.equal(url.pathname, '/api/storage/previews/mp4/x.mp4');
    assert.equal(url.searchParams.has('uploadId'), false);
    const parsed = parseFsPresignedUrl(url.pathname + url.search);
    assert.ok(parsed.ok);
    assert.deepEqual(parsed.value.fields, get);
  });

  it('a whole-object PUT URL carries its checksum, no upload fields, and parses back as PUT', () => {
    const put: FsSignedFields = {
      method: 'PUT',
      role: 'staging',
      key: 'staging/o/u/small.wav',
      uploadId: '',
      partNumber: 0,
      expires: NOW,
      checksumSha256: 'n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg=',
    };
    const url = new URL(buildFsPresignedUrl('http://127.0.0.1:8080', put, KEY));
    assert.equal(url.searchParams.has('uploadId'), false);
    assert.equal(url.searchParams.get('checksumSha256'), put.checksumSha256);
    const parsed = parseFsPresignedUrl(url.pathname + url.search);
    assert.ok(parsed.ok);
    assert.deepEqual(parsed.value.fields, put);
    assert.deepEqual(verifyFsSignature(parsed.value.fields, parsed.value.signature, KEY, NOW), { ok: true });

    // Without the checksum the same URL reads as a GET, whose signature it does not carry.
    url.searchParams.delete('checksumSha256');
    const stripped = parseFsPresignedUrl(url.pathname + url.search);
    assert.ok(stripped.ok);
    assert.equal(stripped.value.fields.method, 'GET');
    assert.deepEqual(verifyFsSignature(stripped.value.fields, stripped.value.signature, KEY, NOW), {
      ok: false,
      reason: 'bad_signature',
    });
  });

  it('refuses to build a whole-object PUT URL without a checksum, or a GET URL with one', () => {
    assert.throws(
      () =>
        buildFsPresignedUrl(
          'http://x',
          { method: 'PUT', role: 'staging', key: 'k', uploadId: '', partNumber: 0, expires: NOW },
          KEY,
        ),
      /checksumSha256/,
    );
    assert.throws(
      () =>
        buildFsPresignedUrl(
          'http://x',
          { method: 'GET', role: 'staging', key: 'k', uploadId: '', partNumber: 0, expires: NOW, checksumSha256: 'x' },
          KEY,
        ),
      /GET/,
    );
  });

  it('reports malformed URLs with a reason', () => {
    for (const target of [
      '/storage/nope/k?expires=1&signature=x',
      '/storage/staging/k?signature=x',
      '/storage/staging/k?expires=1',
      '/storage/staging/k?expires=soon&signature=x',
      '/storage/staging/k?expires=1&signature=x&partNumber=1',
      '/storage/staging/k?expires=1&signature=x&uploadId=u&partNumber=one',
      '/storage/staging/%E0%A4%A?expires=1&signature=x',
    ]) {
      const parsed = parseFsPresignedUrl(target);
      assert.equal(parsed.ok, false, target);
    }
  });

  it('encodes each key segment on its own', () => {
    assert.equal(encodeKeyPath('a b/c?d/e#f'), 'a%20b/c%3Fd/e%23f');
  });
});
