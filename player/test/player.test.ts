/**
 * The built reviewer page in real headless chromium, playing a real HLS (fMP4,
 * H.264/AAC) made by ffmpeg. Every video frame carries its own frame number as
 * seven black/white blocks (bit k = block k), so the test can read which picture
 * is on screen and check that the timecode names that very frame. The page gets its labels
 * the way it does from the api: the link carries them signed, and the page posts them back to
 * be checked by the api's own verifier (api/src/services/player-labels.ts).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join, normalize, sep } from 'node:path';
import { promisify } from 'node:util';
import { frameToSeconds, frameToTimecode, parseRate, secondsToFrame, timecodeToFrame } from '@mediavault/core/timecode';
import type { Page } from 'playwright-core';
import {
  signPlayerLink,
  verifyPlayerLink,
  type PlayerLabels,
  type PlayerLink,
} from '../../api/src/services/player-labels.ts';
import { launchBrowser, type TestBrowser } from '../../test/helpers/browser.ts';
import { withEditedTitle } from '../../test/helpers/player-link.ts';
import { buildPlayer } from '../build.ts';
import { pageState, playedPast, presentedFrame, settled, within } from './reviewer-page.ts';

const run = promisify(execFile);

interface PictureReader {
  pictureFrame(bits: number, x0: number, step: number, y: number): number;
}

const FPS = 25;
const SECONDS = 4;
const rate = parseRate('25/1');
const startTimecode = '01:00:00:00';
const BITS = 7; // 2^7 = 128 > 120 frames (4 s at 29.97)
const labelsKey = { kid: 'k1', secret: 'player-test-labels-key-0123456789abcdef' };
const reel: PlayerLabels = { title: 'Reel 1 v3', frameRate: { num: 25, den: 1 }, startTimecode, dropFrame: false };
/** 29.97 drop-frame, starting two frames before a minute whose first two frame numbers are dropped. */
const ntsc = parseRate('30000/1001');
const dropFrameReel: PlayerLabels = {
  title: 'Reel 4 v1',
  frameRate: ntsc,
  startTimecode: '00:00:59;28',
  dropFrame: true,
};
const blockX = (bit: number) => 24 + bit * 88;
const BLOCK_Y = 148;
const BLOCK_SIZE = 64;

/**
 * Two encodes, because they put frame 0 at different media times: libx264 `veryfast`
 * reorders B-frames, so frame 0 is presented at 0.08 s (as in real previews); `ultrafast`
 * has no B-frames and frame 0 at 0, and there Chrome leaves the next frame on screen when
 * pausing, which the player must settle.
 */
const encodes = [
  { name: 'bframes', preset: 'veryfast', what: 'with B-frames' },
  { name: 'plain', preset: 'ultrafast', what: 'without B-frames' },
] as const;

/** A 4 s 640x360 H.264/AAC fMP4 HLS whose frame n shows n in binary blocks; 25 fps unless told. */
async function makeHls(dir: string, preset: string, fps = String(FPS)): Promise<void> {
  const gop = String(Math.round(parseRate(fps).num / parseRate(fps).den));
  const blocks = Array.from(
    { length: BITS },
    (_, bit) =>
      `drawbox=x=${blockX(bit)}:y=${BLOCK_Y}:w=${BLOCK_SIZE}:h=${BLOCK_SIZE}:color=white:t=fill` +
      `:enable='eq(mod(floor(n/${2 ** bit}),2),1)'`,
  );
  const video = [`color=c=black:s=640x360:r=${fps}:d=${SECONDS}`, ...blocks].join(',');
  await mkdir(dir, { recursive: true });
  await run('ffmpeg', [
    '-hide_banner',
    '-loglevel',
    'error',
    '-y',
    '-f',
    'lavfi',
    '-i',
    video,
    '-f',
    'lavfi',
    '-i',
    `sine=frequency=440:sample_rate=48000:duration=${SECONDS}`,
    '-c:v',
    'libx264',
    '-preset',
    preset,
    '-pix_fmt',
    'yuv420p',
    '-g',
    gop,
    '-keyint_min',
    gop,
    '-sc_threshold',
    '0',
    '-c:a',
    'aac',
    '-b:a',
    '64k',
    '-shortest',
    '-f',
    'hls',
    '-hls_time',
    '1',
    '-hls_playlist_type',
    'vod',
    '-hls_segment_type',
    'fmp4',
    '-hls_fmp4_init_filename',
    'init.mp4',
    '-hls_segment_filename',
    join(dir, 'seg_%03d.m4s'),
    '-master_pl_name',
    'master.m3u8',
    join(dir, 'media.m3u8'),
  ]);
}

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json',
  '.m3u8': 'application/vnd.apple.mpegurl',
  '.mp4': 'video/mp4',
  '.m4s': 'video/iso.segment',
};

/** POST /labels as the api answers it: the labels of a link signed with `labelsKey`, else 403. */
async function answerLabels(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const link = JSON.parse(Buffer.concat(chunks).toString('utf8')) as PlayerLink;
  const labels = await verifyPlayerLink(link, [labelsKey], Math.floor(Date.now() / 1000));
  res.writeHead(labels ? 200 : 403, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify(labels ?? { error: { code: 'forbidden', message: 'not valid or expired' } }));
}

/**
 * The page at /, its labels at /labels, the HLS under /media/, and /media/expired/… answering
 * 403 like the edge does for a stale link.
 */
function serve(pageDir: string, mediaDir: string): Promise<Server> {
  const server = createServer(async (req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    if (req.method === 'POST' && path === '/labels') {
      await answerLabels(req, res);
      return;
    }
    if (path.startsWith('/media/expired/')) {
      res.writeHead(403, { 'content-type': 'application/json' }).end('{"error":{"code":"forbidden"}}');
      return;
    }
    const [root, rest] = path.startsWith('/media/')
      ? [mediaDir, path.slice('/media/'.length)]
      : [pageDir, path.slice(1)];
    const file = normalize(join(root, rest));
    try {
      if (!file.startsWith(root + sep) || !(await stat(file)).isFile()) throw new Error('not a file');
    } catch {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': contentTypes[extname(file)] ?? 'application/octet-stream' });
    createReadStream(file).pipe(res);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

describe('reviewer page', { timeout: 60_000 }, () => {
  let workDir: string;
  let server: Server;
  let browser: TestBrowser;
  let origin: string;

  before(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'mediavault-player-'));
    // Build into a private folder: the test checks the current source and never races
    // another test reading player/dist.
    await Promise.all([
      buildPlayer(join(workDir, 'dist')),
      ...encodes.map((encode) => makeHls(join(workDir, 'hls', encode.name), encode.preset)),
      makeHls(join(workDir, 'hls', 'ntsc'), 'veryfast', '30000/1001'),
    ]);
    server = await serve(join(workDir, 'dist'), join(workDir, 'hls'));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });

  const mediaUrl = (name: string) => `${origin}/media/${name}/master.m3u8`;
  /** The player link the api hands out: the manifest and its labels, signed for that manifest. */
  const pageUrl = async (src: string, labels: PlayerLabels = reel) => {
    const signed = await signPlayerLink({ src, labels }, labelsKey, Math.floor(Date.now() / 1000) + 3600);
    return `${origin}/index.html?${new URLSearchParams({ src, labels: signed })}`;
  };
  /** Opens `url` and waits until the page shows its labels or has said why it cannot. */
  const open = async (url: string) => {
    const page = await browser.newPage();
    await page.goto(url);
    await page.evaluate(() => window.mediavaultPlayer.ready);
    return page;
  };

  /** The frame number drawn in the picture currently on screen. */
  const pictureFrame = (bits: number, x0: number, step: number, y: number) => {
    const video = document.querySelector('video')!;
    const canvas = document.createElement('canvas');
    canvas.width = video.videoWidth;
    canvas.height = video.videoHeight;
    const context = canvas.getContext('2d', { willReadFrequently: true })!;
    context.drawImage(video, 0, 0);
    let frame = 0;
    for (let bit = 0; bit < bits; bit++) {
      const [luma] = context.getImageData(x0 + bit * step, y, 1, 1).data;
      if (luma! > 128) frame |= 1 << bit;
    }
    return frame;
  };
  const pictureArgs = [BITS, blockX(0) + BLOCK_SIZE / 2, blockX(1) - blockX(0), BLOCK_Y + BLOCK_SIZE / 2] as const;

  /**
   * Waits until the picture on screen carries frame `expected`: it is read now, and again
   * each time the video presents a frame (a paused video presents the frame a seek lands on).
   */
  const waitForPicture = async (page: Page, expected: number) => {
    const shows = page.evaluate(
      ([want, args]) =>
        new Promise<void>((resolve) => {
          const video = document.querySelector('video')!;
          const check = () => {
            if ((window as unknown as PictureReader).pictureFrame(...args) === want) resolve();
            else video.requestVideoFrameCallback(check);
          };
          check();
        }),
      [expected, pictureArgs] as const,
    );
    await within(page, 15_000, `the picture of frame ${expected}`, shows).catch(async (err: Error) => {
      const onScreen = await page.evaluate(
        (args) => (window as unknown as PictureReader).pictureFrame(...args),
        pictureArgs,
      );
      assert.fail(`picture shows frame ${onScreen}, expected ${expected}: ${err.message}`);
    });
  };

  for (const encode of encodes) {
    test(`plays H.264/AAC HLS ${encode.what}: timecode of the frame on screen, one-frame steps`, async () => {
      const page = await open(await pageUrl(mediaUrl(encode.name)));
      await page.evaluate(`window.pictureFrame = ${pictureFrame.toString()}`);
      assert.equal(await page.textContent('h1'), 'Reel 1 v3');
      assert.equal(await page.textContent('#rate'), '25 fps');

      await page.click('#play');
      assert.equal(await playedPast(page, 1), 'playing', 'chromium should decode H.264/AAC from hls.js');

      // While playing, what is composited when is the browser's business: the player promises
      // only that the label names the frame requestVideoFrameCallback reports presented.
      const playing = await presentedFrame(page);
      assert.equal(playing.shown, playing.state.timecode);
      assert.match(playing.state.timecode, /^01:00:0\d:\d\d$/);
      // libx264 veryfast at 25 fps reorders by two frames: frame 0 is presented at 0.08 s.
      assert.equal(playing.state.firstFrameTime, encode.preset === 'veryfast' ? 0.08 : 0);
      const presented = secondsToFrame(playing.mediaTime - playing.state.firstFrameTime, rate);
      assert.equal(playing.state.frame, presented, `the frame presented at ${playing.mediaTime} s`);
      assert.equal(playing.state.timecode, frameToTimecode(presented, rate, { startTimecode }));
      assert.equal(timecodeToFrame(playing.state.timecode, rate, { startTimecode }), presented);

      // Space pauses (keyboard), then the label, the state and the picture agree exactly:
      // the player settles on the frame on screen (a seek) as it pauses.
      await page.focus('video');
      await page.keyboard.press('Space');
      const paused = await settled(page);
      assert.equal(paused.frame, secondsToFrame(paused.currentTime - paused.firstFrameTime, rate));
      assert.equal(paused.timecode, frameToTimecode(paused.frame, rate, { startTimecode }));
      assert.equal(paused.shown, paused.timecode);
      await waitForPicture(page, paused.frame);

      // +1 frame by the button: exactly one frame later, still paused, and the picture follows.
      await page.click('#step-forward');
      const stepped = await settled(page);
      assert.equal(stepped.frame, paused.frame + 1);
      assert.equal(stepped.paused, true);
      assert.equal(stepped.frame, secondsToFrame(stepped.currentTime - stepped.firstFrameTime, rate));
      assert.equal(stepped.timecode, frameToTimecode(paused.frame + 1, rate, { startTimecode }));
      assert.equal(stepped.shown, stepped.timecode);
      await waitForPicture(page, paused.frame + 1);

      // ← steps back by the keyboard.
      await page.keyboard.press('ArrowLeft');
      const back = await settled(page);
      assert.equal(back.frame, paused.frame);
      assert.equal(back.shown, frameToTimecode(paused.frame, rate, { startTimecode }));
      await waitForPicture(page, paused.frame);

      // Pausing by the button: from the moment the video reports paused, the state names the
      // frame at currentTime (the player settles at once, not on the 'pause' event a task later).
      await page.click('#play');
      await presentedFrame(page, paused.frame + 5);
      const atPause = await page.evaluate(() => {
        document.querySelector<HTMLButtonElement>('#play')!.click();
        return { ...window.mediavaultPlayer.state(), paused: document.querySelector('video')!.paused };
      });
      assert.equal(atPause.paused, true);
      assert.equal(
        atPause.frame,
        secondsToFrame(atPause.currentTime - atPause.firstFrameTime, rate),
        'the state at the moment of pausing',
      );
      const afterPause = await settled(page);
      assert.equal(afterPause.frame, atPause.frame);
      await waitForPicture(page, atPause.frame);
      assert.equal((await pageState(page)).frame, atPause.frame);

      assert.deepEqual(page.problems, []);
      await page.close();
    });
  }

  test('29.97 drop-frame: the label skips ;00 and ;01 at the minute, on the frame on screen', async () => {
    const labelOptions = { startTimecode: dropFrameReel.startTimecode, dropFrame: true };
    const page = await open(await pageUrl(mediaUrl('ntsc'), dropFrameReel));
    await page.evaluate(`window.pictureFrame = ${pictureFrame.toString()}`);
    assert.equal(await page.textContent('h1'), 'Reel 4 v1');
    assert.equal(await page.textContent('#rate'), '29.97 fps DF');
    await page.click('#play');
    assert.equal(await playedPast(page, 0.5), 'playing');
    await page.keyboard.press('Space');
    const { firstFrameTime } = await settled(page);

    // Frame 1 by a seek to its middle, then one step across the minute.
    await page.evaluate(
      (time) => {
        document.querySelector('video')!.currentTime = time;
      },
      firstFrameTime + frameToSeconds(1, ntsc) + frameToSeconds(1, ntsc) / 2,
    );
    const before = await settled(page);
    assert.deepEqual([before.frame, before.shown], [1, '00:00:59;29']);
    await waitForPicture(page, 1);
    await page.click('#step-forward');
    const across = await settled(page);
    assert.deepEqual([across.frame, across.shown], [2, '00:01:00;02']);
    assert.equal(across.shown, frameToTimecode(2, ntsc, labelOptions));
    await waitForPicture(page, 2);
    assert.deepEqual(page.problems, []);
    await page.close();
  });

  test('an edited link: its own text is ignored, edited labels or another video are refused', async () => {
    const genuine = await pageUrl(mediaUrl('plain'));

    // Labels added to the query as the old links carried them change nothing.
    const extra = new URL(genuine);
    extra.searchParams.set('title', 'APPROVED FINAL');
    extra.searchParams.set('tc', '10:00:00:00');
    extra.searchParams.set('rate', '30000/1001');
    const ignored = await open(extra.href);
    assert.equal(await ignored.textContent('h1'), 'Reel 1 v3');
    assert.equal(await ignored.textContent('#rate'), '25 fps');
    assert.equal((await pageState(ignored)).error, null);
    assert.equal(await ignored.isDisabled('#play'), false);
    await ignored.close();

    // The signed title rewritten, signature kept: the api refuses, the page shows nothing of it.
    const edited = withEditedTitle(genuine, 'APPROVED FINAL');
    // The labels of one video over the picture of another.
    const moved = new URL(genuine);
    moved.searchParams.set('src', mediaUrl('bframes'));
    for (const url of [edited, moved.href]) {
      const page = await open(url);
      assert.equal((await pageState(page)).error, 'This link has expired or is not valid.');
      assert.equal(await page.textContent('[role=alert]'), 'This link has expired or is not valid.');
      assert.equal(await page.textContent('h1'), 'Review');
      assert.doesNotMatch(await page.title(), /APPROVED/);
      assert.equal(await page.textContent('#timecode'), '--:--:--:--');
      assert.equal(await page.isDisabled('#play'), true);
      await page.close();
    }
  });

  test('an expired link (403 from the edge) says so', async () => {
    const page = await open(await pageUrl(mediaUrl('expired')));
    // The error box changing is the page's report; nothing plays, so nothing else comes.
    assert.equal(await playedPast(page, 0), 'This link has expired or is not valid.');
    assert.equal((await pageState(page)).error, 'This link has expired or is not valid.');
    assert.equal(await page.isVisible('#error'), true);
    assert.equal(await page.textContent('[role=alert]'), 'This link has expired or is not valid.');
    assert.equal(await page.isDisabled('#step-forward'), true);
    await page.close();
  });
});
