/**
 * Watermarked rendition sets on real components: PostgreSQL, fs storage, pg-boss, ffmpeg with
 * DejaVu Sans. The api's requestWatermarkedSet claims the build; the worker's handler is called
 * directly (as pg-boss would, at least once), so the test controls re-deliveries. The burn-in
 * is proven on pixels: a frame of the watermarked MP4 against the same frame of the clean one.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { loadConfig, type Config } from '@mediavault/core/config';
import { findWatermarkedSet } from '@mediavault/core/catalogue/watermarks-store';
import { AppError } from '@mediavault/core/errors';
import { previewKeys, watermarkKeys } from '@mediavault/core/keys';
import { queues, watermarkSingletonKey } from '@mediavault/core/jobs';
import { openRuntime, type Runtime } from '@mediavault/core/runtime';
import { renderWatermark, type WatermarkSpec } from '@mediavault/core/watermark';
import { requestWatermarkedSet } from '@mediavault/api/services/watermarks';
import { handlePreview } from '../src/jobs/preview.ts';
import { handleWatermark } from '../src/jobs/watermark.ts';
import { runFfmpeg } from '../src/media/run.ts';
import { estimatedEms, planBurnIn } from '../src/media/watermark-args.ts';
import type { WorkerDeps } from '../src/worker.ts';
import { generateClip } from './fixtures.ts';
import { queuePreviewBuilds } from './preview-backlog.ts';
import { createTestDatabase, type TestDatabase } from '../../test/helpers/database.ts';

let db: TestDatabase;
let dir: string;
let runtime: Runtime;
let config: Config;
const log = { info() {}, warn() {}, error() {} };
const deps = (overrides: Partial<WorkerDeps> = {}): WorkerDeps => ({ ...runtime, config, log, ...overrides });

before(async () => {
  db = await createTestDatabase();
  dir = await mkdtemp(join(tmpdir(), 'mediavault-watermark-'));
  config = loadConfig({
    MEDIAVAULT_DATA_DIR: dir,
    DATABASE_URL: db.url,
    EDGE_SIGNING_KEY: 'e'.repeat(32),
    STORAGE_SIGNING_KEY: 's'.repeat(32),
  });
  runtime = await openRuntime(config, { databaseUrl: db.url, apiUrl: 'http://127.0.0.1:1' });
});
after(async () => {
  await runtime?.close();
  await db?.drop();
  await rm(dir, { recursive: true, force: true });
});

/** Puts a file into masters and the catalogue as a promotion leaves it (its preview claimed, its build queued). */
async function putMaster(path: string): Promise<string> {
  const [sha256] = await queuePreviewBuilds(runtime, [path]);
  return sha256!;
}

/** Every object of the previews store under a prefix, with the sha256 of its bytes. */
async function snapshot(prefix: string): Promise<Map<string, string>> {
  const objects = new Map<string, string>();
  for await (const object of runtime.storages.previews.list(prefix)) {
    const hash = createHash('sha256');
    for await (const chunk of await runtime.storages.previews.get(object.key)) hash.update(chunk);
    objects.set(object.key, hash.digest('hex'));
  }
  return objects;
}

/** One frame of a published MP4 at `seconds`, as 8-bit grey pixels of its own size. */
async function greyFrame(key: string, seconds: number, size: { width: number; height: number }): Promise<Buffer> {
  const local = join(dir, `${createHash('sha256').update(key).digest('hex').slice(0, 12)}.mp4`);
  await pipeline(await runtime.storages.previews.get(key), createWriteStream(local));
  const raw = `${local}.${seconds}.gray`;
  await runFfmpeg([
    ...['-hide_banner', '-nostdin', '-loglevel', 'error', '-y', '-ss', String(seconds), '-i', local],
    ...['-frames:v', '1', '-s', `${size.width}x${size.height}`, '-f', 'rawvideo', '-pix_fmt', 'gray', raw],
  ]);
  return readFile(raw);
}

interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Mean absolute difference of two grey frames inside a box, 0–255. */
function meanDifference(a: Buffer, b: Buffer, frameWidth: number, box: Box): number {
  let total = 0;
  for (let y = box.y; y < box.y + box.height; y++)
    for (let x = box.x; x < box.x + box.width; x++) total += Math.abs(a[y * frameWidth + x]! - b[y * frameWidth + x]!);
  return total / (box.width * box.height);
}

const values = { share: 'Trailer v3', viewer: 'jane@client.example', date: new Date('2025-03-10T12:00:00Z') };

describe('watermarked rendition set', () => {
  test('is burnt from the master into every rung and the MP4, and leaves the clean preview alone', async () => {
    const size = { width: 1280, height: 720 };
    const clip = await generateClip(dir, { name: 'burn.mp4', ...size, seconds: 3 });
    const sha = await putMaster(clip);
    await handlePreview(deps(), { sha256: sha, profile: 'default' });
    const clean = await snapshot('');
    assert.ok(clean.has(previewKeys.mp4(sha)) && clean.has(previewKeys.hlsMaster(sha)), 'the clean preview is built');

    const spec: WatermarkSpec = {
      template: 'CONFIDENTIAL {share} {date}',
      position: 'bottom-right',
      opacity: 1,
      size: 'large',
    };
    const asked = await requestWatermarkedSet(runtime, sha, spec, values);
    assert.equal(asked.status, 'queued');
    assert.equal(asked.outputs, undefined);
    await handleWatermark(deps(), { sha256: sha, key: asked.key });

    const set = await findWatermarkedSet(runtime.pool, asked.key);
    assert.ok(set?.outputs, 'the set is recorded with its outputs');
    assert.equal(set.status, 'ready');
    assert.equal(set.encoder?.name, 'libx264');
    const { renditions, ...where } = set.outputs;
    assert.deepEqual(where, {
      hls: watermarkKeys.hlsMaster(sha, asked.key),
      mp4: watermarkKeys.mp4(sha, asked.key),
      poster: watermarkKeys.poster(sha, asked.key),
    });
    assert.deepEqual(
      (renditions as { name: string }[]).map((r) => r.name),
      ['720p', '360p'],
      'the same ladder as the clean preview',
    );
    const again = await requestWatermarkedSet(runtime, sha, spec, values);
    assert.deepEqual(again, { status: 'ready', key: asked.key, outputs: set.outputs });

    // The clean preview's objects are all there, byte for byte; everything new is under the set's prefix.
    const after = await snapshot('');
    for (const [key, hash] of clean) assert.equal(after.get(key), hash, `${key} untouched`);
    const added = [...after.keys()].filter((key) => !clean.has(key));
    const prefix = watermarkKeys.prefix(sha, asked.key);
    assert.deepEqual(
      added.filter((key) => !key.startsWith(prefix)),
      [],
    );
    for (const file of [
      'hls/master.m3u8',
      'hls/720p/index.m3u8',
      'hls/360p/index.m3u8',
      'hls/audio/index.m3u8',
      'preview.mp4',
      'poster.jpg',
    ])
      assert.ok(after.has(`${prefix}${file}`), `${file} published`);
    assert.equal(
      added.filter((key) => /sprite|waveform|watermark\.txt/.test(key)).length,
      0,
      'no sprites, waveform or scratch',
    );

    // Pixels: the text's place differs from the clean frame; the rest of the picture does not.
    const burnIn = planBurnIn(renderWatermark(spec, values), size);
    const textWidth = Math.round(estimatedEms(set.watermark.text, 0.45) * burnIn.fontSize);
    const textBox = {
      x: size.width - burnIn.margin - textWidth,
      y: size.height - burnIn.margin - burnIn.fontSize,
      width: textWidth,
      height: burnIn.fontSize,
    };
    const awayBox = { x: 0, y: 0, width: size.width / 2, height: size.height / 2 };
    const watermarked = await greyFrame(watermarkKeys.mp4(sha, asked.key), 1.5, size);
    const plain = await greyFrame(previewKeys.mp4(sha), 1.5, size);
    const inText = meanDifference(watermarked, plain, size.width, textBox);
    const away = meanDifference(watermarked, plain, size.width, awayBox);
    console.log(
      `mean grey difference, watermarked vs clean MP4 at 1.5 s: text box ${inText.toFixed(2)}, top-left quarter ${away.toFixed(2)}`,
    );
    assert.ok(inText > 25, `the watermark's place differs (${inText.toFixed(2)})`);
    assert.ok(away < 1.5, `away from it the pictures match (${away.toFixed(2)})`);

    // A re-delivery of the job does not build again.
    const masterPlaylist = join(config.storage.fs.root, 'previews', watermarkKeys.hlsMaster(sha, asked.key));
    const published = await stat(masterPlaylist);
    await handleWatermark(deps(), { sha256: sha, key: asked.key });
    assert.equal((await stat(masterPlaylist)).mtimeMs, published.mtimeMs, 'a ready set is not built again');
  });

  test('diagonal-tiled covers the whole picture, and hostile names are burnt in as text', async () => {
    const size = { width: 640, height: 360 };
    const clip = await generateClip(dir, { name: 'tiled.mp4', ...size, seconds: 2 });
    const sha = await putMaster(clip);
    await handlePreview(deps(), { sha256: sha, profile: 'default' });
    const spec: WatermarkSpec = {
      template: '{share} / {viewer}',
      position: 'diagonal-tiled',
      opacity: 0.6,
      size: 'medium',
    };
    const hostile = { ...values, share: `it's 50% off: \\ "x"`, viewer: '%{localtime} [a];b,c' };
    const { key } = await requestWatermarkedSet(runtime, sha, spec, hostile);
    await handleWatermark(deps(), { sha256: sha, key });
    const set = await findWatermarkedSet(runtime.pool, key);
    assert.equal(set?.status, 'ready', JSON.stringify(set?.error));
    assert.equal(set?.watermark.text, `it's 50% off: \\ "x" / %{localtime} [a];b,c`);

    const watermarked = await greyFrame(watermarkKeys.mp4(sha, key), 1, size);
    const plain = await greyFrame(previewKeys.mp4(sha), 1, size);
    const quarters = [0, 1].flatMap((row) =>
      [0, 1].map((column) =>
        meanDifference(watermarked, plain, size.width, {
          x: (column * size.width) / 2,
          y: (row * size.height) / 2,
          width: size.width / 2,
          height: size.height / 2,
        }),
      ),
    );
    console.log(`tiled: mean grey difference per quarter ${quarters.map((d) => d.toFixed(2)).join(', ')}`);
    // An untouched quarter differs by about 0.02 (see the corner test): every quarter here carries text.
    for (const difference of quarters)
      assert.ok(difference > 3, `every quarter carries the pattern (${difference.toFixed(2)})`);
  });

  test('asked for by many viewers at once, equal watermarks queue one build; another viewer is another set', async () => {
    const clip = await generateClip(dir, { name: 'crowd.mp4', width: 320, height: 180, seconds: 1 });
    const sha = await putMaster(clip);
    const spec: WatermarkSpec = { template: '{viewer}', position: 'center', opacity: 0.4, size: 'small' };
    const answers = await Promise.all(
      Array.from({ length: 8 }, () => requestWatermarkedSet(runtime, sha, spec, values)),
    );
    const key = answers[0]!.key;
    assert.deepEqual(new Set(answers.map((a) => `${a.key} ${a.status}`)), new Set([`${key} queued`]));
    const { rows } = await runtime.pool.query(
      `SELECT count(*)::int AS n FROM pgboss.job WHERE name = $1 AND singleton_key = $2`,
      [queues.watermark, watermarkSingletonKey(key)],
    );
    assert.equal(rows[0].n, 1, 'one build queued');
    const other = await requestWatermarkedSet(runtime, sha, spec, { ...values, viewer: 'joe@client.example' });
    assert.notEqual(other.key, key);
    await runtime.boss.deleteAllJobs(queues.watermark);
  });

  test('a master without a picture fails once with a clear error, and may be asked for again', async () => {
    const clip = await generateClip(dir, { name: 'sound.m4a', video: false, seconds: 1 });
    const sha = await putMaster(clip);
    const spec: WatermarkSpec = { template: '{share}', position: 'top-left', opacity: 0.5, size: 'small' };
    const { key } = await requestWatermarkedSet(runtime, sha, spec, values);
    await handleWatermark(deps(), { sha256: sha, key }); // resolves: no throw, so pg-boss does not retry
    const set = await findWatermarkedSet(runtime.pool, key);
    assert.equal(set?.status, 'failed');
    assert.equal(set?.error?.code, 'unprocessable');
    assert.match(String(set?.error?.message), /only sound/);
    const again = await requestWatermarkedSet(runtime, sha, spec, values);
    assert.equal(again.status, 'queued', 'a failed set is built again when asked for');
    await runtime.boss.deleteAllJobs(queues.watermark);
  });

  test('a missing font is the worker’s to fix: the attempt fails and is retried, the set is not failed', async () => {
    const clip = await generateClip(dir, { name: 'nofont.mp4', width: 352, height: 198, seconds: 1 });
    const sha = await putMaster(clip);
    const spec: WatermarkSpec = { template: '{share}', position: 'top-left', opacity: 0.5, size: 'small' };
    const { key } = await requestWatermarkedSet(runtime, sha, spec, values);
    const withoutFont = { ...config, watermarkFontFile: join(dir, 'no-such-font.ttf') };
    await assert.rejects(handleWatermark(deps({ config: withoutFont }), { sha256: sha, key }), /WATERMARK_FONT_FILE/);
    const set = await findWatermarkedSet(runtime.pool, key);
    assert.equal(set?.status, 'queued');
    assert.equal(set?.error?.retrying, true);
    assert.equal(set?.error?.code, 'unavailable');
    await runtime.boss.deleteAllJobs(queues.watermark);
  });

  test('refuses a spec it cannot burn and content that is not archived', async () => {
    const spec: WatermarkSpec = { template: '{client}', position: 'top-left', opacity: 0.5, size: 'small' };
    await assert.rejects(
      requestWatermarkedSet(runtime, 'f'.repeat(64), spec, values),
      (err: unknown) => err instanceof AppError && err.code === 'bad_request',
    );
    await assert.rejects(
      requestWatermarkedSet(runtime, 'f'.repeat(64), { ...spec, template: '{share}' }, values),
      (err: unknown) => err instanceof AppError && err.code === 'not_found',
    );
  });
});
