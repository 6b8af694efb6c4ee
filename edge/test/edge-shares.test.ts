/**
 * Issue 14 point 2: a share session's edge URLs open the share's content only (its sha, the
 * watermarked set when there is one, the MP4 only through a download token), and a revoked
 * share's next request is refused within the marker's one-second recheck, long before its
 * tokens expire. The edge runs over a real fs previews store; the marker is written into it
 * the way the api writes it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { shareMarkerKey } from '@mediavault/core/share-policy';
import { signEdgeToken, type ShareGrant } from '@mediavault/core/signer';
import { shareMarkerRecheckMs } from '../src/share-markers.ts';
import { type Edge, errorCode, key, nowSeconds, otherSha, sha, startEdge } from './helpers/edge.ts';

const wm = 'c3'.repeat(16);
const playlist = '#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=800000\nv360/index.m3u8\n';

function shareToken(grant: Partial<ShareGrant> & { id: string }, forSha = sha): string {
  return signEdgeToken(
    {
      sha: forSha,
      exp: nowSeconds + 300,
      scope: 'share',
      share: { iat: nowSeconds, files: 'play', ...grant },
    },
    key,
  );
}

async function seed(edge: Edge): Promise<void> {
  for (const forSha of [sha, otherSha]) {
    await edge.putPreview(`hls/${forSha}/master.m3u8`, playlist);
    await edge.putPreview(`hls/${forSha}/v360/seg_00001.m4s`, randomBytes(1024));
    await edge.putPreview(`hls/${forSha}/v360/seg_00002.m4s`, randomBytes(1024));
    await edge.putPreview(`mp4/${forSha}.mp4`, randomBytes(1024));
  }
  await edge.putPreview(`watermarks/${sha}/${wm}/hls/master.m3u8`, playlist);
  await edge.putPreview(`watermarks/${sha}/${wm}/preview.mp4`, randomBytes(1024));
}

async function status(edge: Edge, token: string, path: string): Promise<number> {
  const response = await fetch(edge.url(path, token));
  await response.arrayBuffer();
  return response.status;
}

/** The marker as the api writes it when a share is revoked or its policy narrows. */
async function writeMarker(edge: Edge, shareId: string, marker: { revoked: boolean; notBefore: number }) {
  await edge.putPreview(shareMarkerKey(shareId), JSON.stringify(marker));
}

test("a share token plays its sha's stream, and nothing else: not another sha, not the MP4", async (t) => {
  const edge = await startEdge(t);
  await seed(edge);
  const token = shareToken({ id: randomUUID() });
  assert.equal(await status(edge, token, `hls/${sha}/master.m3u8`), 200);
  assert.equal(await status(edge, token, `hls/${sha}/v360/seg_00001.m4s`), 200);
  assert.equal(await status(edge, token, `hls/${otherSha}/master.m3u8`), 403);
  assert.equal(await status(edge, token, `mp4/${sha}.mp4`), 403);
  assert.equal(await status(edge, token, `watermarks/${sha}/${wm}/hls/master.m3u8`), 403);

  const download = shareToken({ id: randomUUID(), files: 'download' });
  assert.equal(await status(edge, download, `mp4/${sha}.mp4`), 200);
  assert.equal(await status(edge, download, `hls/${sha}/master.m3u8`), 403);
});

test('a download token is answered as an attachment under the name the api signed; play tokens are not', async (t) => {
  const edge = await startEdge(t);
  await seed(edge);
  const named = shareToken({ id: randomUUID(), files: 'download', name: 'Chloé cut v3.mp4' });
  const saved = await fetch(edge.url(`mp4/${sha}.mp4`, named));
  await saved.arrayBuffer();
  assert.equal(saved.status, 200);
  assert.equal(
    saved.headers.get('content-disposition'),
    `attachment; filename="Chlo_ cut v3.mp4"; filename*=UTF-8''Chlo%C3%A9%20cut%20v3.mp4`,
  );
  const unnamed = await fetch(edge.url(`mp4/${sha}.mp4`, shareToken({ id: randomUUID(), files: 'download' })));
  await unnamed.arrayBuffer();
  assert.match(unnamed.headers.get('content-disposition')!, new RegExp(`^attachment; filename="${sha}\\.mp4"`));
  const played = await fetch(edge.url(`hls/${sha}/master.m3u8`, shareToken({ id: randomUUID() })));
  await played.arrayBuffer();
  assert.equal(played.headers.get('content-disposition'), null);
});

test("a watermarked share's token opens its set, never the clean preview", async (t) => {
  const edge = await startEdge(t);
  await seed(edge);
  const token = shareToken({ id: randomUUID(), wm });
  assert.equal(await status(edge, token, `watermarks/${sha}/${wm}/hls/master.m3u8`), 200);
  assert.equal(await status(edge, token, `hls/${sha}/master.m3u8`), 403);
  assert.equal(await status(edge, token, `watermarks/${sha}/${wm}/preview.mp4`), 403);
  const download = shareToken({ id: randomUUID(), wm, files: 'download' });
  assert.equal(await status(edge, download, `watermarks/${sha}/${wm}/preview.mp4`), 200);
  assert.equal(await status(edge, download, `mp4/${sha}.mp4`), 403);
});

test("a revoked share's next segment is refused within a second, though its token runs 5 minutes", async (t) => {
  const edge = await startEdge(t);
  await seed(edge);
  const shareId = randomUUID();
  const token = shareToken({ id: shareId });
  const otherShare = shareToken({ id: randomUUID() });
  assert.equal(await status(edge, token, `hls/${sha}/v360/seg_00001.m4s`), 200);

  await writeMarker(edge, shareId, { revoked: true, notBefore: 0 });
  // The edge trusts its last reading for the recheck interval: this is the bound the README states.
  edge.clock.now += shareMarkerRecheckMs;
  const refused = await fetch(edge.url(`hls/${sha}/v360/seg_00002.m4s`, token));
  assert.equal(refused.status, 403);
  assert.equal(await errorCode(refused), 'forbidden');
  assert.equal(refused.headers.get('cache-control'), 'no-store');
  // Already cached segments are refused too: the check comes before the cache.
  assert.equal(await status(edge, token, `hls/${sha}/v360/seg_00001.m4s`), 403);
  // Other shares of the same content play on.
  assert.equal(await status(edge, otherShare, `hls/${sha}/v360/seg_00002.m4s`), 200);
});

test('within the recheck interval one marker read serves every request of a share', async (t) => {
  const edge = await startEdge(t);
  await seed(edge);
  const shareId = randomUUID();
  const token = shareToken({ id: shareId });
  const before = edge.app.shareMarkers.reads;
  await Promise.all(
    Array.from({ length: 8 }, (_, i) => status(edge, token, `hls/${sha}/v360/seg_0000${(i % 2) + 1}.m4s`)),
  );
  assert.equal(edge.app.shareMarkers.reads - before, 1);
  edge.clock.now += shareMarkerRecheckMs;
  assert.equal(await status(edge, token, `hls/${sha}/master.m3u8`), 200);
  assert.equal(edge.app.shareMarkers.reads - before, 2);
});

test("a narrowed policy refuses the share's tokens issued before it, not those issued after", async (t) => {
  const edge = await startEdge(t);
  await seed(edge);
  const shareId = randomUUID();
  const earlier = shareToken({ id: shareId, iat: nowSeconds - 10 });
  const later = shareToken({ id: shareId, iat: nowSeconds });
  await writeMarker(edge, shareId, { revoked: false, notBefore: nowSeconds - 5 });
  const refused = await fetch(edge.url(`hls/${sha}/master.m3u8`, earlier));
  assert.equal(refused.status, 403);
  assert.match(((await refused.json()) as { error: { message: string } }).error.message, /policy changed/);
  assert.equal(await status(edge, later, `hls/${sha}/master.m3u8`), 200);
});
