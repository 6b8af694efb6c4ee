/**
 * The walking skeleton end to end, as a new user drives it: `mediavault dev`,
 * a clip made with ffmpeg, `mediavault upload --promote`, `mediavault preview --wait`,
 * `mediavault playback`, the manifest and a segment through the edge with the signed
 * URL, and the bundled player in headless Chromium, with the labels the api signed into its
 * link. Everything is real: embedded PostgreSQL, fs storage, pg-boss, ffmpeg, the edge, Chromium.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { signEdgeToken } from '@mediavault/core/signer';
import { frameToSeconds, frameToTimecode } from '@mediavault/core/timecode';
import { lastJsonLine, startDevStack, type DevStack } from '../player/test/dev-stack.ts';
import { pageState, playedPast, settled } from '../player/test/reviewer-page.ts';
import { launchBrowser, type TestBrowser } from './helpers/browser.ts';
import { withEditedTitle } from './helpers/player-link.ts';

const run = promisify(execFile);

let stack: DevStack;
let dir: string;
let ready: DevStack['ready'];
let browser: TestBrowser | undefined;
const timings: Record<string, number> = {};
const cli = (...args: string[]) => stack.cli(...args);

/** What this test reads of the CLI's last `--json` line (the summary object). */
interface UploadSummary {
  event: string;
  files: { sha256: string; status: string; assetId: string }[];
}
interface PreviewSummary {
  status: string;
}
interface PlaybackSummary {
  manifestUrl: string;
  playerUrl: string;
  frameRate: { num: number; den: number } | null;
  startTimecode: string;
  dropFrame: boolean;
}

before(async () => {
  const started = Date.now();
  stack = await startDevStack();
  ({ dir, ready } = stack);
  timings.devReadyMs = Date.now() - started;
});

after(async () => {
  await browser?.close();
  await stack?.close();
  process.stderr.write(`e2e timings: ${JSON.stringify(timings)}\n`);
});

test('upload, promote, preview and play a clip through the edge', { timeout: 240_000 }, async () => {
  assert.match(ready.api, /^http:\/\/127\.0\.0\.1:\d+$/);
  assert.match(ready.edge, /^http:\/\/127\.0\.0\.1:\d+$/);
  assert.match(ready.token, /^mvt_/);

  const whoami = await cli('whoami', '--json');
  assert.equal(whoami.code, 0, whoami.stderr);

  const media = join(dir, 'shoot', 'day01');
  await mkdir(media, { recursive: true });
  const clip = join(media, 'A001_C002.mov');
  await run('ffmpeg', [
    '-y',
    '-v',
    'error',
    '-f',
    'lavfi',
    '-i',
    'testsrc2=size=1280x720:rate=25:duration=4',
    '-f',
    'lavfi',
    '-i',
    'sine=frequency=1000:sample_rate=48000:duration=4',
    '-c:v',
    'libx264',
    '-preset',
    'ultrafast',
    '-pix_fmt',
    'yuv420p',
    '-c:a',
    'aac',
    '-shortest',
    clip,
  ]);

  const uploadStarted = Date.now();
  const upload = await cli('upload', join(dir, 'shoot'), '--project', ready.project, '--promote', '--json');
  assert.equal(upload.code, 0, `${upload.stdout}\n${upload.stderr}`);
  const summary = lastJsonLine<UploadSummary>(upload.stdout);
  assert.equal(summary.event, 'summary');
  assert.equal(summary.files.length, 1);
  const file = summary.files[0]!;
  assert.match(file.sha256, /^[0-9a-f]{64}$/);
  assert.equal(file.status, 'promoted');
  const expectedSha = (await run('sha256sum', [clip])).stdout.split(' ')[0];
  assert.equal(file.sha256, expectedSha);

  const preview = await cli('preview', file.sha256, '--wait', '--json');
  assert.equal(preview.code, 0, `${preview.stdout}\n${preview.stderr}`);
  assert.equal(lastJsonLine<PreviewSummary>(preview.stdout).status, 'ready');
  timings.uploadToPlayableMs = Date.now() - uploadStarted;

  const shown = await cli('assets', 'show', file.assetId);
  assert.equal(shown.code, 0, shown.stderr);
  const asset = JSON.parse(shown.stdout);
  assert.equal(asset.collectionPath, 'shoot/day01', 'the uploaded folder and its subfolders become collections');
  assert.equal(asset.versions[0].meta.video.width, 1280);

  const playback = await cli('playback', file.assetId, '--json');
  assert.equal(playback.code, 0, playback.stderr);
  const urls = lastJsonLine<PlaybackSummary>(playback.stdout);
  assert.ok(urls.manifestUrl.startsWith(`${ready.edge}/v/`));

  // Manifest and one segment through the edge, with the signed URL.
  const manifest = await fetch(urls.manifestUrl);
  assert.equal(manifest.status, 200);
  const master = await manifest.text();
  const rendition = master.split('\n').find((l) => l.endsWith('.m3u8') && l.includes('720'));
  assert.ok(rendition, `a 720p rendition in\n${master}`);
  const media720 = await (await fetch(new URL(rendition!, urls.manifestUrl))).text();
  const segment = media720.split('\n').find((l) => l.endsWith('.m4s'));
  assert.ok(segment);
  const segmentResponse = await fetch(new URL(segment!, new URL(rendition!, urls.manifestUrl)));
  assert.equal(segmentResponse.status, 200);
  assert.ok((await segmentResponse.arrayBuffer()).byteLength > 1000);

  // A tampered token and an expired one are refused.
  // One character of the signature changed (the last but one: all six of its bits are signature bits).
  const tampered = urls.manifestUrl.replace(
    /\/v\/([^/]+)\//,
    (_m: string, t: string) => `/v/${t.slice(0, -2)}${t.at(-2) === 'A' ? 'B' : 'A'}${t.slice(-1)}/`,
  );
  assert.notEqual(tampered, urls.manifestUrl);
  assert.equal((await fetch(tampered)).status, 403);
  const devState = JSON.parse(await readFile(join(dir, 'data', 'dev-state.json'), 'utf8'));
  const expired = signEdgeToken(
    { sha: file.sha256, exp: Math.floor(Date.now() / 1000) - 10, scope: 'preview' },
    { kid: 'k1', secret: devState.edgeSigningKey },
  );
  assert.equal((await fetch(`${ready.edge}/v/${expired}/hls/${file.sha256}/master.m3u8`)).status, 403);

  // The bundled player plays it through the edge and shows the timecode, under the labels the
  // api signed into the link; the page itself asks for no referrer.
  assert.equal((await fetch(urls.playerUrl)).headers.get('referrer-policy'), 'no-referrer');
  browser = await launchBrowser();
  const page = await browser.newPage();
  await page.goto(urls.playerUrl);
  await page.click('#play');
  assert.equal(await playedPast(page, 1, 60_000), 'playing');
  assert.equal(await page.textContent('h1'), 'A001_C002.mov');
  assert.equal(await page.textContent('#rate'), '25 fps');
  const timecode = await page.locator('#timecode').textContent();
  assert.match(timecode ?? '', /^00:00:0\d:\d\d$/);

  // Frame accuracy on the real pipeline (separate audio rendition, B-frames): the player must
  // place frame 0 where the preview's first video sample is, or every timecode is off.
  const init = media720
    .split('\n')
    .find((l) => l.startsWith('#EXT-X-MAP'))!
    .match(/URI="([^"]+)"/)![1]!;
  const base = new URL(rendition!, urls.manifestUrl);
  const head = Buffer.concat([
    Buffer.from(await (await fetch(new URL(init, base))).arrayBuffer()),
    Buffer.from(await (await fetch(new URL(segment!, base))).arrayBuffer()),
  ]);
  const headPath = join(dir, 'head.mp4');
  await writeFile(headPath, head);
  const firstPts = Number(
    (
      await run('ffprobe', [
        '-v',
        'error',
        '-select_streams',
        'v',
        '-show_entries',
        'stream=start_time',
        '-of',
        'csv=p=0',
        headPath,
      ])
    ).stdout.trim(),
  );
  // Space on the focused play button pauses; the player settles on the picture on screen (a seek).
  await page.keyboard.press('Space');
  const state = await settled(page);
  assert.ok(
    Math.abs(state.firstFrameTime - firstPts) < 0.001,
    `frame 0 at ${state.firstFrameTime}, the preview's first video sample at ${firstPts}`,
  );
  assert.equal(
    state.frame,
    Math.floor((state.currentTime - firstPts) * 25 + 1e-6),
    'the timecode shows the frame at the playhead',
  );
  assert.deepEqual(
    page.problems.filter((p) => !/favicon/.test(p)),
    [],
  );
});

/** Opens a player link and waits until the page shows its labels or has said why it cannot. */
async function openPlayer(url: string) {
  browser ??= await launchBrowser();
  const page = await browser.newPage();
  await page.goto(url);
  await page.evaluate(() => window.mediavaultPlayer.ready);
  return page;
}

/** `mediavault playback --json` of the asset named `name` in the project. */
async function playbackByName(name: string): Promise<PlaybackSummary> {
  const list = await cli('assets', 'list', '--project', ready.project, '--json');
  assert.equal(list.code, 0, list.stderr);
  const asset = list.stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { event: string; id: string; name: string })
    .find((event) => event.event === 'asset' && event.name === name);
  assert.ok(asset, `${name} in\n${list.stdout}`);
  const playback = await cli('playback', asset.id, '--json');
  assert.equal(playback.code, 0, playback.stderr);
  return lastJsonLine<PlaybackSummary>(playback.stdout);
}

test('an edited player link shows none of its edits', { timeout: 60_000 }, async () => {
  const genuine = await playbackByName('A001_C002.mov');

  // Labels written into the query, as links used to carry them, are not read.
  const extra = new URL(genuine.playerUrl);
  extra.searchParams.set('title', 'APPROVED FINAL');
  extra.searchParams.set('tc', '10:00:00:00');
  const ignored = await openPlayer(extra.href);
  assert.equal(await ignored.textContent('h1'), 'A001_C002.mov');
  assert.equal((await pageState(ignored)).error, null);
  await ignored.close();

  // The signed title rewritten (signature kept): the api refuses it and the page says so.
  const refused = await openPlayer(withEditedTitle(genuine.playerUrl, 'APPROVED FINAL'));
  assert.equal(await refused.textContent('[role=alert]'), 'This link has expired or is not valid.');
  assert.equal(await refused.textContent('h1'), 'Review');
  assert.equal(await refused.isDisabled('#play'), true);
  await refused.close();
});

test('29.97 drop-frame from 01:00:00;00: the api and the player agree at frame 17,982', {
  timeout: 240_000,
}, async () => {
  // 601 s (frame 17,982 starts at 599.9994 s), 160x90, no sound: the preview of ten minutes
  // stays a few seconds of work (EBU R128 true peak over ten minutes of sound would take ~40 s).
  const folder = join(dir, 'ntsc');
  await mkdir(folder, { recursive: true });
  const clip = join(folder, 'B001_C001.mov');
  await run('ffmpeg', [
    ...['-y', '-v', 'error', '-f', 'lavfi', '-i', 'testsrc=size=160x90:rate=30000/1001:duration=601'],
    ...['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-timecode', '01:00:00;00', clip],
  ]);
  const upload = await cli('upload', clip, '--project', ready.project, '--promote', '--json');
  assert.equal(upload.code, 0, `${upload.stdout}\n${upload.stderr}`);
  const { sha256 } = lastJsonLine<UploadSummary>(upload.stdout).files[0]!;
  const preview = await cli('preview', sha256, '--wait', '--json');
  assert.equal(lastJsonLine<PreviewSummary>(preview.stdout).status, 'ready', preview.stderr);

  // The api: the probe recorded the drop-frame start, and its labels count drop-frame.
  const playback = await playbackByName('B001_C001.mov');
  assert.deepEqual(
    [playback.frameRate, playback.startTimecode, playback.dropFrame],
    [{ num: 30000, den: 1001 }, '01:00:00;00', true],
  );
  const fromApi = frameToTimecode(17982, playback.frameRate!, playback);
  assert.equal(fromApi, '01:10:00;00');

  // The player, on frame 17,982 of the real preview through the edge.
  const page = await openPlayer(playback.playerUrl);
  assert.equal(await page.textContent('#rate'), '29.97 fps DF');
  await page.click('#play');
  assert.equal(await playedPast(page, 0.5, 60_000), 'playing');
  await page.keyboard.press('Space');
  const { firstFrameTime } = await settled(page);
  const rate = playback.frameRate!;
  await page.evaluate(
    (time) => {
      document.querySelector('video')!.currentTime = time;
    },
    firstFrameTime + frameToSeconds(17982, rate) + frameToSeconds(1, rate) / 2,
  );
  const atFrame = await settled(page, 60_000);
  assert.equal(atFrame.frame, 17982);
  assert.equal(atFrame.shown, fromApi);
  assert.equal(atFrame.timecode, '01:10:00;00');
  await page.close();
});
