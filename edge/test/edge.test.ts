import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type Edge, errorCode, nowMs, nowSeconds, otherSha, sha, startEdge } from './helpers/edge.ts';

const masterPlaylist = '#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=800000\nv360/index.m3u8\n';
const segment = randomBytes(256 * 1024);

async function seedHls(edge: Edge, forSha = sha): Promise<void> {
  await edge.putPreview(`hls/${forSha}/master.m3u8`, masterPlaylist);
  await edge.putPreview(`hls/${forSha}/v360/seg_00001.m4s`, segment);
}

/** A raw HTTP GET that sends the path byte for byte (fetch would normalise dot segments and encodings). */
function rawGet(baseUrl: string, path: string): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: hostname, port, path, method: 'GET' }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode!, body: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

async function expectForbidden(response: Response, messagePattern: RegExp): Promise<void> {
  assert.equal(response.status, 403);
  assert.equal(response.headers.get('access-control-allow-origin'), '*');
  const body = (await response.json()) as { error: { code: string; message: string } };
  assert.equal(body.error.code, 'forbidden');
  assert.match(body.error.message, messagePattern);
}

test('a valid token serves the master playlist, then a segment through the relative URL', async (t) => {
  const edge = await startEdge(t);
  await seedHls(edge);
  const token = edge.token();

  const master = await fetch(`${edge.baseUrl}/v/${token}/hls/${sha}/master.m3u8`);
  assert.equal(master.status, 200);
  assert.equal(master.headers.get('content-type'), 'application/vnd.apple.mpegurl');
  assert.equal(master.headers.get('cache-control'), 'public, max-age=10');
  assert.equal(master.headers.get('age'), '0');
  assert.equal(master.headers.get('access-control-allow-origin'), '*');
  assert.match(master.headers.get('access-control-expose-headers')!, /Content-Range/);
  assert.equal(await master.text(), masterPlaylist);

  // The player resolves segment URLs against the playlist URL, token included.
  const segmentUrl = new URL('v360/seg_00001.m4s', master.url);
  const seg = await fetch(segmentUrl);
  assert.equal(seg.status, 200);
  assert.equal(seg.headers.get('content-type'), 'video/iso.segment');
  assert.equal(seg.headers.get('cache-control'), 'public, max-age=31536000, immutable');
  assert.equal(seg.headers.get('content-length'), String(segment.length));
  assert.match(seg.headers.get('etag')!, /^"[0-9a-f]+-[0-9a-f]+"$/);
  assert.ok(Buffer.from(await seg.arrayBuffer()).equals(segment));
});

test('Range requests get 206 with exactly those bytes, 416 beyond the end, and HEAD has no body', async (t) => {
  const edge = await startEdge(t);
  await seedHls(edge);
  const url = `${edge.baseUrl}/v/${edge.token()}/hls/${sha}/v360/seg_00001.m4s`;

  const middle = await fetch(url, { headers: { range: 'bytes=1000-1999' } });
  assert.equal(middle.status, 206);
  assert.equal(middle.headers.get('content-range'), `bytes 1000-1999/${segment.length}`);
  assert.equal(middle.headers.get('content-length'), '1000');
  assert.ok(Buffer.from(await middle.arrayBuffer()).equals(segment.subarray(1000, 2000)));

  const suffix = await fetch(url, { headers: { range: 'bytes=-10' } });
  assert.equal(suffix.status, 206);
  assert.ok(Buffer.from(await suffix.arrayBuffer()).equals(segment.subarray(segment.length - 10)));

  const beyond = await fetch(url, { headers: { range: `bytes=${segment.length}-` } });
  assert.equal(beyond.status, 416);
  assert.equal(beyond.headers.get('content-range'), `bytes */${segment.length}`);
  await beyond.body?.cancel();

  const etag = middle.headers.get('etag')!;
  const stale = await fetch(url, { headers: { range: 'bytes=0-9', 'if-range': '"stale"' } });
  assert.equal(stale.status, 200, 'a stale If-Range gets the whole file');
  await stale.body?.cancel();
  const notModified = await fetch(url, { headers: { 'if-none-match': etag } });
  assert.equal(notModified.status, 304);

  const head = await fetch(url, { method: 'HEAD' });
  assert.equal(head.status, 200);
  assert.equal(head.headers.get('content-length'), String(segment.length));
  assert.equal((await head.arrayBuffer()).byteLength, 0);

  const preflight = await fetch(url, {
    method: 'OPTIONS',
    headers: {
      origin: 'http://api.test',
      'access-control-request-method': 'GET',
      'access-control-request-headers': 'range',
    },
  });
  assert.equal(preflight.status, 204);
  assert.match(preflight.headers.get('access-control-allow-headers')!, /Range/);
});

test('a miss persists the file: the second request is a hit even after the storage copy is gone', async (t) => {
  const edge = await startEdge(t);
  await seedHls(edge);
  const url = `${edge.baseUrl}/v/${edge.token()}/hls/${sha}/v360/seg_00001.m4s`;

  const first = await fetch(url);
  assert.equal(first.headers.get('x-edge-cache'), 'miss');
  assert.ok(Buffer.from(await first.arrayBuffer()).equals(segment));

  await edge.removePreview(`hls/${sha}/v360/seg_00001.m4s`);
  const second = await fetch(url);
  assert.equal(second.status, 200);
  assert.equal(second.headers.get('x-edge-cache'), 'hit');
  assert.ok(Buffer.from(await second.arrayBuffer()).equals(segment));
  assert.deepEqual(edge.calls.gets(), [`hls/${sha}/v360/seg_00001.m4s`]);

  // Nothing half-written is left behind next to the cached file.
  assert.deepEqual(await readdir(join(edge.cacheDir, '.partial')), []);

  const health = (await (await fetch(`${edge.baseUrl}/healthz`)).json()) as Record<string, unknown>;
  assert.deepEqual(health, { ok: true, hits: 1, misses: 1, revalidations: 0, stale: 0 });
});

test('concurrent misses for one path share a single storage fetch', async (t) => {
  const edge = await startEdge(t);
  await seedHls(edge);
  const url = `${edge.baseUrl}/v/${edge.token()}/hls/${sha}/v360/seg_00001.m4s`;
  const waiters = 6;

  // Hold the storage read until every request has missed and joined the in-flight fetch.
  const release = edge.holdStore();
  let missed = 0;
  const allMissed = new Promise<void>((resolve) =>
    edge.app.previewCache.on('miss', () => {
      if (++missed === waiters) resolve();
    }),
  );
  const responses = Array.from({ length: waiters }, () => fetch(url));
  await allMissed;
  release();

  for (const response of await Promise.all(responses)) {
    assert.equal(response.status, 200);
    assert.ok(Buffer.from(await response.arrayBuffer()).equals(segment));
  }
  assert.deepEqual(edge.calls.gets(), [`hls/${sha}/v360/seg_00001.m4s`]);
});

test('a tampered token is refused with 403', async (t) => {
  const edge = await startEdge(t);
  await seedHls(edge);
  const [payload, signature] = edge.token().split('.') as [string, string];
  const flipped = (signature[0] === 'A' ? 'B' : 'A') + signature.slice(1);

  await expectForbidden(await fetch(`${edge.baseUrl}/v/${payload}.${flipped}/hls/${sha}/master.m3u8`), /signature/);
  // A payload naming another sha, carrying this token's signature.
  const [otherPayload] = edge.token({ sha: otherSha }).split('.');
  await seedHls(edge, otherSha);
  await expectForbidden(
    await fetch(`${edge.baseUrl}/v/${otherPayload}.${signature}/hls/${otherSha}/master.m3u8`),
    /signature/,
  );
  await expectForbidden(await fetch(`${edge.baseUrl}/v/not-a-token/hls/${sha}/master.m3u8`), /malformed/);
  const foreign = edge.token({}, { kid: 'k9', secret: 'another-secret-0123456789abcdef' });
  await expectForbidden(await fetch(`${edge.baseUrl}/v/${foreign}/hls/${sha}/master.m3u8`), /key/);
  assert.deepEqual(edge.calls.all, [], 'refused requests never reach the storage');
});

test('an expired token is refused with 403, the same token is fine before expiry', async (t) => {
  const edge = await startEdge(t);
  await seedHls(edge);
  const url = `${edge.baseUrl}/v/${edge.token({ exp: nowSeconds + 60 })}/hls/${sha}/master.m3u8`;

  assert.equal((await fetch(url)).status, 200);
  edge.clock.now = nowMs + 60_000;
  await expectForbidden(await fetch(url), /expired/);
});

test('a token for one sha does not open another sha’s previews', async (t) => {
  const edge = await startEdge(t);
  await seedHls(edge);
  await seedHls(edge, otherSha);
  const token = edge.token();

  await expectForbidden(await fetch(`${edge.baseUrl}/v/${token}/hls/${otherSha}/master.m3u8`), /path/);
  await expectForbidden(await fetch(`${edge.baseUrl}/v/${token}/mp4/${otherSha}.mp4`), /path/);
  await expectForbidden(await fetch(`${edge.baseUrl}/v/${token}/masters/${sha}`), /path/);
  assert.deepEqual(edge.calls.all, []);
});

test('traversal attempts, plain or encoded, are refused', async (t) => {
  const edge = await startEdge(t);
  await seedHls(edge);
  await seedHls(edge, otherSha);
  await writeFile(join(edge.storageRoot, 'secret.txt'), 'top secret');
  const token = edge.token();
  // Prime the cache so a cache-side traversal would have something to find.
  assert.equal((await fetch(`${edge.baseUrl}/v/${token}/hls/${sha}/master.m3u8`)).status, 200);

  const attempts = [
    `hls/${sha}/../${otherSha}/master.m3u8`,
    `hls/${sha}/../../../storage/secret.txt`,
    `hls/${sha}/%2e%2e/${otherSha}/master.m3u8`,
    `hls/${sha}/%2E%2E%2F%2E%2E%2Fsecret.txt`,
    `hls/${sha}/..%2f..%2fsecret.txt`,
    `hls/${sha}/%2e%2e%5c%2e%2e%5csecret.txt`,
    `hls/${sha}/..\\..\\secret.txt`,
    `hls/${sha}//master.m3u8`,
    `hls/${sha}/./master.m3u8`,
    `hls/${sha}/master.m3u8%00.jpg`,
  ];
  for (const attempt of attempts) {
    const response = await rawGet(edge.baseUrl, `/v/${token}/${attempt}`);
    assert.ok(response.status === 403 || response.status === 404, `${attempt} → ${response.status}`);
    assert.doesNotMatch(response.body, /top secret|EXTM3U/, attempt);
  }
  assert.deepEqual(edge.calls.all, [`head hls/${sha}/master.m3u8`, `get hls/${sha}/master.m3u8`]);
});

test('an unknown preview is a 404, and is served once it exists (no negative caching)', async (t) => {
  const edge = await startEdge(t);
  const url = `${edge.baseUrl}/v/${edge.token()}/hls/${sha}/master.m3u8`;

  const missing = await fetch(url);
  assert.equal(missing.status, 404);
  assert.equal(await errorCode(missing), 'not_found');
  assert.equal(missing.headers.get('cache-control'), 'no-store');

  await seedHls(edge);
  const found = await fetch(url);
  assert.equal(found.status, 200);
  assert.equal(await found.text(), masterPlaylist);
});

test('content types follow the extension', async (t) => {
  const edge = await startEdge(t);
  const files: [string, string][] = [
    [`mp4/${sha}.mp4`, 'video/mp4'],
    [`thumbs/${sha}/poster.jpg`, 'image/jpeg'],
    [`thumbs/${sha}/sprite.vtt`, 'text/vtt'],
    [`waveform/${sha}.json`, 'application/json'],
  ];
  const token = edge.token();
  for (const [path, type] of files) {
    await edge.putPreview(path, 'x');
    const response = await fetch(`${edge.baseUrl}/v/${token}/${path}`);
    assert.equal(response.status, 200, path);
    assert.equal(response.headers.get('content-type'), type, path);
    assert.equal(response.headers.get('cache-control'), 'public, max-age=31536000, immutable', path);
    await response.body?.cancel();
  }
});

test('request logs carry the preview path but never the token', async (t) => {
  const edge = await startEdge(t, { logLevel: 'info' });
  await seedHls(edge);
  const token = edge.token();
  assert.equal((await fetch(edge.url(`hls/${sha}/master.m3u8`, token))).status, 200);
  const [payload] = token.split('.');
  assert.equal((await fetch(edge.url(`hls/${sha}/master.m3u8`, `${payload}.forged`))).status, 403);

  const requestUrls = edge.logs.filter((line) => line.req).map((line) => line.req!.url);
  assert.deepEqual(requestUrls, [`/v/[token]/hls/${sha}/master.m3u8`, `/v/[token]/hls/${sha}/master.m3u8`]);
  const everything = JSON.stringify(edge.logs);
  assert.ok(!everything.includes(payload!), 'no part of a token reaches the log');
});
