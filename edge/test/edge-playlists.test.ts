/**
 * Playlists are rechecked against the store, segments never are. The edge runs with a
 * 10 s revalidation interval over the real fs driver; the test moves the edge's clock
 * instead of waiting, and counts the store calls the edge makes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { errorCode, sha, startEdge } from './helpers/edge.ts';

const masterPath = `hls/${sha}/master.m3u8`;
const segmentPath = `hls/${sha}/v360/seg_00001.m4s`;
// As published under backpressure (720p and below), then after the fill job added 1080p.
const degradedMaster = '#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=800000,RESOLUTION=640x360\nv360/index.m3u8\n';
const filledMaster = `${degradedMaster}#EXT-X-STREAM-INF:BANDWIDTH=5000000,RESOLUTION=1920x1080\nv1080/index.m3u8\n`;
const segment = randomBytes(32 * 1024);
const intervalMs = 10_000;
const yearMs = 365 * 24 * 3600 * 1000;

test('a filled-in master playlist reaches the edge within the 10 s interval, not before', async (t) => {
  const edge = await startEdge(t);
  await edge.putPreview(masterPath, degradedMaster);
  const token = edge.token({ exp: Math.floor((edge.clock.now + yearMs) / 1000) + 60 });
  const get = async (path: string) => {
    const response = await fetch(edge.url(path, token));
    return { response, body: await response.text() };
  };
  const start = edge.clock.now;

  const first = await get(masterPath);
  assert.equal(first.response.headers.get('x-edge-cache'), 'miss');
  assert.equal(first.response.headers.get('cache-control'), 'public, max-age=10');
  assert.equal(first.response.headers.get('age'), '0');
  assert.equal(first.body, degradedMaster);
  assert.deepEqual(edge.calls.all, [`head ${masterPath}`, `get ${masterPath}`], 'validator read before the bytes');

  await edge.putPreview(masterPath, filledMaster);
  edge.clock.now = start + intervalMs - 1;
  const withinInterval = await get(masterPath);
  assert.equal(withinInterval.response.headers.get('x-edge-cache'), 'hit');
  assert.equal(withinInterval.response.headers.get('age'), '9', 'downstream caches keep it 1 s more at most');
  assert.equal(withinInterval.body, degradedMaster);
  assert.equal(edge.calls.all.length, 2, 'no store I/O within the interval');

  edge.clock.now = start + intervalMs;
  const due = await get(masterPath);
  assert.equal(due.response.headers.get('x-edge-cache'), 'revalidated');
  assert.equal(due.response.headers.get('age'), '0');
  assert.equal(due.body, filledMaster);
  assert.deepEqual(edge.calls.all.slice(2), [`head ${masterPath}`, `get ${masterPath}`]);

  // Unchanged in the store: one HEAD, no download, and the same ETag, so players get 304.
  edge.clock.now = start + 2 * intervalMs;
  const unchanged = await get(masterPath);
  assert.equal(unchanged.response.headers.get('x-edge-cache'), 'revalidated');
  assert.equal(unchanged.body, filledMaster);
  assert.deepEqual(edge.calls.all.slice(4), [`head ${masterPath}`]);
  const etag = unchanged.response.headers.get('etag')!;
  assert.equal(etag, due.response.headers.get('etag'));
  edge.clock.now = start + 3 * intervalMs;
  const conditional = await fetch(edge.url(masterPath, token), { headers: { 'if-none-match': etag } });
  assert.equal(conditional.status, 304);
  assert.equal(conditional.headers.get('cache-control'), 'public, max-age=10');
  assert.deepEqual(edge.calls.all.slice(5), [`head ${masterPath}`]);
});

test('segments stay cached for good: no store I/O on a hit, however old', async (t) => {
  const edge = await startEdge(t);
  await edge.putPreview(segmentPath, segment);
  const token = edge.token({ exp: Math.floor((edge.clock.now + yearMs) / 1000) + 60 });

  const miss = await fetch(edge.url(segmentPath, token));
  assert.equal(miss.headers.get('x-edge-cache'), 'miss');
  assert.equal(miss.headers.get('cache-control'), 'public, max-age=31536000, immutable');
  assert.equal(miss.headers.get('age'), null);
  await miss.body?.cancel();

  edge.clock.now += yearMs;
  const hit = await fetch(edge.url(segmentPath, token));
  assert.equal(hit.headers.get('x-edge-cache'), 'hit');
  assert.ok(Buffer.from(await hit.arrayBuffer()).equals(segment));
  assert.deepEqual(edge.calls.all, [`get ${segmentPath}`]);
});

test('many players asking for a due playlist at once share one check', async (t) => {
  const edge = await startEdge(t);
  await edge.putPreview(masterPath, degradedMaster);
  const token = edge.token({ exp: Math.floor(edge.clock.now / 1000) + 3600 });
  await (await fetch(edge.url(masterPath, token))).body?.cancel();
  await edge.putPreview(masterPath, filledMaster);
  edge.clock.now += intervalMs;

  const players = 8;
  let waiting = 0;
  const allWaiting = new Promise<void>((resolve) =>
    edge.app.previewCache.on('revalidate', () => {
      if (++waiting === players) resolve();
    }),
  );
  const release = edge.holdStore();
  const responses = Array.from({ length: players }, () => fetch(edge.url(masterPath, token)));
  await allWaiting;
  release();
  for (const response of await Promise.all(responses)) {
    assert.equal(response.headers.get('x-edge-cache'), 'revalidated');
    assert.equal(await response.text(), filledMaster);
  }
  assert.deepEqual(edge.calls.all.slice(2), [`head ${masterPath}`, `get ${masterPath}`]);
});

test('a playlist the store no longer has is dropped from the edge: 404', async (t) => {
  const edge = await startEdge(t);
  await edge.putPreview(masterPath, degradedMaster);
  const token = edge.token({ exp: Math.floor(edge.clock.now / 1000) + 3600 });
  assert.equal((await fetch(edge.url(masterPath, token))).status, 200);

  await edge.removePreview(masterPath);
  edge.clock.now += intervalMs;
  const gone = await fetch(edge.url(masterPath, token));
  assert.equal(gone.status, 404);
  assert.equal(await errorCode(gone), 'not_found');
  assert.deepEqual(await readdir(join(edge.cacheDir, 'hls', sha)), []);
  assert.equal(edge.logs.length, 0, 'a missing preview is not an operator problem');
});

test('a playlist cached before the edge restarted is checked on its first request', async (t) => {
  const first = await startEdge(t);
  await first.putPreview(masterPath, degradedMaster);
  const token = first.token({ exp: Math.floor(first.clock.now / 1000) + 3600 });
  await (await fetch(first.url(masterPath, token))).body?.cancel();
  await first.app.close();

  // A new process on the same cache directory knows nothing of the earlier checks.
  const second = await startEdge(t, { cacheDir: first.cacheDir, previewsRoot: first.storageRoot });
  await second.putPreview(masterPath, filledMaster);
  const response = await fetch(second.url(masterPath, token));
  assert.equal(response.headers.get('x-edge-cache'), 'revalidated');
  assert.equal(await response.text(), filledMaster);
  assert.deepEqual(second.calls.all, [`head ${masterPath}`, `get ${masterPath}`]);
});
