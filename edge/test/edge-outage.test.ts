/**
 * The edge when its previews store is unreachable. The store is the real s3 driver
 * against s3rver, reached through a TCP link the test cuts (helpers/store-link.ts): the
 * edge sees the SDK's own errors for a refused connection (the store's host is down)
 * and for a connection that is never answered (packets dropped), not a stub's.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createStorage } from '@mediavault/core/storage/index';
import type { S3Storage } from '@mediavault/core/storage/s3';
import { startS3rver } from '../../core/test/helpers/s3rver.ts';
import { unavailableRetryAfterSeconds } from '../src/app.ts';
import { errorCode, pinoWarn, sha, startEdge } from './helpers/edge.ts';
import { startStoreLink } from './helpers/store-link.ts';

const masterPlaylist = '#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=800000\nv360/index.m3u8\n';
const segment = randomBytes(64 * 1024);
const masterPath = `hls/${sha}/master.m3u8`;
const segmentPath = `hls/${sha}/v360/seg_00001.m4s`;

/** s3rver holding one published HLS preview, and the edge's previews store reaching it through a link. */
async function storeBehindLink(t: TestContext) {
  const s3 = await startS3rver();
  t.after(() => s3.close());
  const publisher = createStorage('previews', s3.settings);
  await publisher.put(masterPath, Buffer.from(masterPlaylist));
  await publisher.put(segmentPath, segment);
  const link = await startStoreLink(s3.endpoint);
  t.after(() => link.close());
  const previews = createStorage('previews', { ...s3.settings, s3: { ...s3.settings.s3, endpoint: link.endpoint } });
  t.after(() => (previews as S3Storage).client.destroy());
  return { link, previews };
}

async function expectUnavailable(response: Response): Promise<void> {
  assert.equal(response.status, 503);
  assert.equal(response.headers.get('retry-after'), String(unavailableRetryAfterSeconds));
  assert.equal(response.headers.get('cache-control'), 'no-store');
  assert.equal(await errorCode(response), 'unavailable');
}

function warnings(logs: { level: number; msg: string }[]): string[] {
  return logs.filter((line) => line.level >= pinoWarn).map((line) => line.msg);
}

test('store host down: uncached previews are 503 with Retry-After and a warning, cached ones play on', async (t) => {
  const { link, previews } = await storeBehindLink(t);
  const edge = await startEdge(t, { previews });
  const cachedMaster = await fetch(edge.url(masterPath));
  assert.equal(cachedMaster.status, 200);
  await cachedMaster.body?.cancel();

  await link.refuse();
  await expectUnavailable(await fetch(edge.url(segmentPath)));
  assert.equal(edge.logs.length, 1);
  const [warning] = edge.logs;
  assert.equal(warning!.level, pinoWarn);
  assert.equal(warning!.msg, 'edge could not fetch a preview into its cache');
  assert.equal(warning!.previewPath, segmentPath);
  assert.match(warning!.err!.message, new RegExp(`${segmentPath}.*ECONNREFUSED`));
  // While the store is down the edge cannot tell a preview that is not built yet from one it
  // cannot reach: "not ready" (404) would be a lie, so that is a 503 as well.
  await expectUnavailable(await fetch(edge.url(`hls/${sha}/v1080/index.m3u8`)));

  const hot = await fetch(edge.url(masterPath));
  assert.equal(hot.status, 200);
  assert.equal(hot.headers.get('x-edge-cache'), 'hit');
  assert.equal(await hot.text(), masterPlaylist);

  // No failure is remembered: the first request after the store is back fetches.
  await link.restore();
  const recovered = await fetch(edge.url(segmentPath));
  assert.equal(recovered.status, 200);
  assert.equal(recovered.headers.get('x-edge-cache'), 'miss');
  assert.ok(Buffer.from(await recovered.arrayBuffer()).equals(segment));
  // A key the store says it does not have is a 404, and nothing for operators to act on.
  const missing = await fetch(edge.url(`hls/${sha}/v1080/index.m3u8`));
  assert.equal(missing.status, 404);
  assert.equal(await errorCode(missing), 'not_found');
  assert.equal(warnings(edge.logs).length, 2, 'only the two 503s were logged');
});

test('store dropping packets: 503 once the answer deadline passes; a due playlist is served stale', async (t) => {
  const { link, previews } = await storeBehindLink(t);
  const answerTimeoutMs = 200;
  const edge = await startEdge(t, { previews, storeAnswerTimeoutMs: answerTimeoutMs });
  const token = edge.token({ exp: Math.floor(edge.clock.now / 1000) + 3600 });
  const cachedMaster = await fetch(edge.url(masterPath, token));
  assert.equal(cachedMaster.status, 200);
  await cachedMaster.body?.cancel();

  await link.hang();
  const started = performance.now();
  await expectUnavailable(await fetch(edge.url(segmentPath, token)));
  const waitedMs = performance.now() - started;
  assert.ok(waitedMs >= answerTimeoutMs && waitedMs < answerTimeoutMs + 2000, `answered after ${waitedMs} ms`);
  assert.match(edge.logs.at(-1)!.err!.message, /did not answer within 200 ms/);

  // The playlist's interval runs out during the outage: the check times out, the copy is served.
  edge.clock.now += 10_000;
  const stale = await fetch(edge.url(masterPath, token));
  assert.equal(stale.status, 200);
  assert.equal(stale.headers.get('x-edge-cache'), 'stale');
  assert.equal(stale.headers.get('age'), '10', 'older than max-age: downstream caches will ask again');
  assert.equal(await stale.text(), masterPlaylist);
  assert.match(edge.logs.at(-1)!.msg, /serving a stale playlist/);
  assert.equal(edge.logs.at(-1)!.previewPath, masterPath);

  // The failed check is not retried on every request, only once the next interval is up.
  const headsDuringOutage = edge.calls.heads().length;
  edge.clock.now += 5_000;
  const meanwhile = await fetch(edge.url(masterPath, token));
  assert.equal(meanwhile.headers.get('x-edge-cache'), 'hit');
  assert.equal(await meanwhile.text(), masterPlaylist);
  assert.equal(edge.calls.heads().length, headsDuringOutage);

  await link.restore();
  const recovered = await fetch(edge.url(segmentPath, token));
  assert.equal(recovered.status, 200);
  assert.ok(Buffer.from(await recovered.arrayBuffer()).equals(segment));
  edge.clock.now += 5_000;
  const confirmed = await fetch(edge.url(masterPath, token));
  assert.equal(confirmed.headers.get('x-edge-cache'), 'revalidated');
  assert.equal(confirmed.headers.get('age'), '0');
  await confirmed.body?.cancel();
});
