/**
 * The reviewer page (`/review/`) on the whole platform, in headless Chromium: `mediavault dev`,
 * clips uploaded and previewed by the real worker, review links minted by the api and exchanged
 * by the page for its session cookie. Every clip burns its frame number and ffmpeg's own SMPTE
 * timecode into each picture (worker/test/fixtures-burned-in.ts); the tests read them back from
 * the screen (burned-in-reader.ts), so "the frame on screen" is what the picture says it is.
 *
 * Set MEDIAVAULT_SCREENSHOTS=<dir> to keep the screenshots the last test takes.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { launchBrowser, type TestBrowser } from '../../test/helpers/browser.ts';
import {
  generateBurnedInClip,
  burnedInGlyphs,
  burnedInLayout,
  type Glyph,
} from '../../worker/test/fixtures-burned-in.ts';
import { generateClip } from '../../worker/test/fixtures.ts';
import { burnedInBand, readBurnedIn, type BurnedIn } from './burned-in-reader.ts';
import { lastJsonLine, startDevStack, type DevStack } from './dev-stack.ts';
import { pageState, playedPast, settled, within } from './reviewer-page.ts';
import type { Comment } from '../src/review-api.ts';

interface Uploaded {
  assetId: string;
  versionId: string;
}

const clips = [
  { name: '25 fps', fps: '25', startTimecode: '10:00:00:00' },
  { name: '23.976 fps', fps: '24000/1001', startTimecode: '01:00:00:00' },
  // Starts a second before a minute whose ;00 and ;01 are dropped: the comment lands after the drop.
  { name: '29.97 fps drop-frame', fps: '30000/1001', startTimecode: '00:00:59;00' },
] as const;

describe('reviewer page on the whole platform', { timeout: 600_000 }, () => {
  let stack: DevStack;
  let workDir: string;
  let glyphs: Glyph[];
  const browsers: TestBrowser[] = [];
  const assets = new Map<string, Uploaded>();
  let secondVersion: Uploaded;
  let soundOnly: Uploaded;
  let reviewerToken: string;

  /** Uploads and promotes `path` (as the next version of `versionOf`), and waits for its preview. */
  async function upload(path: string, versionOf?: string): Promise<Uploaded> {
    const args = ['upload', path, '--project', stack.ready.project, '--promote', '--json'];
    const done = await stack.cli(...args, ...(versionOf ? ['--version-of', versionOf] : []));
    assert.equal(done.code, 0, `${done.stdout}\n${done.stderr}`);
    const file = lastJsonLine<{ files: { sha256: string; assetId: string; versionId: string }[] }>(done.stdout)
      .files[0]!;
    const preview = await stack.cli('preview', file.sha256, '--wait', '--json');
    assert.equal(lastJsonLine<{ status: string }>(preview.stdout).status, 'ready', preview.stderr);
    return { assetId: file.assetId, versionId: file.versionId };
  }

  before(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'mediavault-review-page-'));
    stack = await startDevStack();
    glyphs = await burnedInGlyphs(workDir);
    for (const clip of clips) {
      const folder = join(workDir, clip.name.replace(/\W+/g, '-'));
      await mkdir(folder, { recursive: true });
      const path = await generateBurnedInClip(folder, {
        name: `reel-${clip.name.replace(/\W+/g, '')}.mov`,
        fps: clip.fps,
        startTimecode: clip.startTimecode,
        seconds: 4,
        caption: 'version 1',
      });
      assets.set(clip.name, await upload(path));
    }
    const v2 = join(workDir, 'v2');
    await mkdir(v2);
    secondVersion = await upload(
      await generateBurnedInClip(v2, {
        name: 'reel-25fps-v2.mov',
        fps: '25',
        startTimecode: '10:00:00:00',
        seconds: 4,
        background: '0x203a2a',
        caption: 'version 2',
      }),
      assets.get('25 fps')!.assetId,
    );
    soundOnly = await upload(
      await generateClip(workDir, { name: 'voice-over.wav', video: false, audioCodec: 'pcm', seconds: 3 }),
    );
    // A second member of the project, a reviewer, with a token of her own.
    const bea = await stack.api<{ id: string }>('POST', '/api/users', { email: 'bea@example.com', name: 'Bea' });
    assert.equal(bea.status, 201);
    const role = await stack.api('PUT', `/api/projects/${stack.ready.project}/members/${bea.body.id}`, {
      role: 'reviewer',
    });
    assert.equal(role.status, 200, JSON.stringify(role.body));
    const token = await stack.api<{ token: string }>('POST', '/api/tokens', { name: 'bea', userId: bea.body.id });
    assert.equal(token.status, 201);
    reviewerToken = token.body.token;
  });

  after(async () => {
    for (const browser of browsers) await browser.close();
    await stack?.close();
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });

  /** A single-use review link to `assetId`, minted for the owner of `token` (the admin by default). */
  async function reviewLink(assetId: string, token?: string, versionId?: string): Promise<string> {
    const link = await stack.api<{ url: string }>(
      'POST',
      `/api/assets/${assetId}/review-links`,
      versionId ? { versionId } : {},
      token,
    );
    assert.equal(link.status, 201, JSON.stringify(link.body));
    return link.body.url;
  }

  /** Waits until the page shows its asset (or why it cannot) and the video has a picture. */
  async function pageReady(page: Page): Promise<void> {
    await page.evaluate(() => window.mediavaultPlayer.ready);
    const error = (await pageState(page)).error;
    assert.equal(error, null, `the page says: ${error}`);
    const loaded = page.evaluate(
      () =>
        new Promise<void>((resolve) => {
          const video = document.querySelector('video')!;
          if (video.readyState >= 2 && !video.seeking) return resolve();
          const check = () => {
            if (video.readyState >= 2 && !video.seeking) resolve();
          };
          video.addEventListener('loadeddata', check);
          video.addEventListener('seeked', check);
        }),
    );
    await within(page, 30_000, 'the first picture', loaded);
  }

  /** A new browser (its own cookies: its own review session) on a fresh review link. */
  async function openReview(url: string, browser?: TestBrowser): Promise<Page & { problems: string[] }> {
    if (!browser) {
      browser = await launchBrowser();
      browsers.push(browser);
    }
    const page = await browser.newPage();
    await page.goto(url);
    await pageReady(page);
    return page;
  }

  /**
   * What the picture of `selector` shows now (drawn at its own size, read in Node), and how many
   * pictures that video had presented by then (counted from the first call on the page).
   */
  async function picture(page: Page, selector: string): Promise<BurnedIn & { presented: number }> {
    const { top, rows } = burnedInBand();
    const grabbed = await page.evaluate(
      ({ selector, top, rows }) => {
        const video = document.querySelector<HTMLVideoElement & { presented?: number }>(selector)!;
        if (video.presented === undefined) {
          video.presented = 0;
          const count = () => {
            video.presented! += 1;
            video.requestVideoFrameCallback(count);
          };
          video.requestVideoFrameCallback(count);
        }
        const canvas = document.createElement('canvas');
        canvas.width = video.videoWidth;
        canvas.height = video.videoHeight;
        let luma = '';
        if (canvas.width > 0) {
          const context = canvas.getContext('2d', { willReadFrequently: true })!;
          context.drawImage(video, 0, 0);
          const rgba = context.getImageData(0, top, canvas.width, rows).data;
          for (let i = 0; i < rgba.length; i += 4) {
            luma += String.fromCharCode(Math.round(0.299 * rgba[i]! + 0.587 * rgba[i + 1]! + 0.114 * rgba[i + 2]!));
          }
        }
        return { width: canvas.width, height: canvas.height, luma: btoa(luma), presented: video.presented };
      },
      { selector, top, rows },
    );
    if (grabbed.width === 0) return { frame: Number.NaN, timecode: '', worstMismatch: 1, presented: grabbed.presented };
    assert.deepEqual([grabbed.width, grabbed.height], [burnedInLayout.width, burnedInLayout.height]);
    const band = { width: grabbed.width, top, rows, luma: Buffer.from(grabbed.luma, 'base64') };
    return { ...readBurnedIn(band, glyphs), presented: grabbed.presented };
  }

  /**
   * Waits until the picture of `selector` shows frame `frame`: read now, and again each time that
   * video presents another picture (a paused video presents the frame a seek lands on). The read
   * and the count of pictures presented come from one task, so no picture is missed between them.
   */
  async function pictureShows(page: Page, selector: string, frame: number): Promise<BurnedIn> {
    for (;;) {
      const read = await picture(page, selector);
      if (read.frame === frame) return read;
      const presented = page.evaluate(
        ({ selector, seen }) =>
          new Promise<void>((resolve) => {
            const video = document.querySelector<HTMLVideoElement & { presented: number }>(selector)!;
            const check = () => (video.presented > seen ? resolve() : video.requestVideoFrameCallback(check));
            check();
          }),
        { selector, seen: read.presented },
      );
      await within(
        page,
        15_000,
        `${selector} presenting frame ${frame} (it shows ${read.frame} ${read.timecode})`,
        presented,
      );
    }
  }

  /** The asset's comments as the api lists them to the admin. */
  async function commentsOf(assetId: string): Promise<Comment[]> {
    const listed = await stack.api<{ items: Comment[] }>('GET', `/api/assets/${assetId}/comments?limit=500`);
    assert.equal(listed.status, 200);
    return listed.body.items;
  }

  /** Types `text` into the composer and sends it; resolves with the comment once the panel lists it. */
  async function addComment(page: Page, assetId: string, text: string): Promise<Comment> {
    await page.fill('#composer-text', text);
    await page.click('#composer-submit');
    await page.locator('#comment-list article', { hasText: text }).waitFor();
    const comment = (await commentsOf(assetId)).find((c) => c.text === text);
    assert.ok(comment, `the api lists “${text}”`);
    return comment;
  }

  for (const clip of clips) {
    test(`${clip.name}: a comment at the paused frame, reloaded and clicked, shows that frame and its burned-in timecode`, async () => {
      const { assetId } = assets.get(clip.name)!;
      const page = await openReview(await reviewLink(assetId));
      assert.equal(await page.textContent('h1'), `reel-${clip.name.replace(/\W+/g, '')}.mov`);

      // Played, then paused where the reviewer happened to be.
      await page.click('#play');
      assert.equal(await playedPast(page, 1.7), 'playing');
      await page.keyboard.press('Space');
      const paused = await settled(page);
      const atPause = await pictureShows(page, '#video', paused.frame);
      assert.equal(paused.shown, atPause.timecode, 'the page labels the picture with its burned-in timecode');
      assert.ok(atPause.worstMismatch < 0.08, `read with ${atPause.worstMismatch} of a cell unsure`);

      const comment = await addComment(page, assetId, `Grade shift at frame ${paused.frame}`);
      assert.equal(comment.frame, paused.frame);
      assert.equal(comment.timecode, atPause.timecode, 'the api’s timecode is the one burned into that frame');
      assert.equal(comment.endFrame, null);

      // Reloaded: the session cookie carries on (no token in the address any more); the page
      // opens at the first frame; the comment's timecode, clicked, brings frame N back.
      assert.doesNotMatch(page.url(), /#/);
      await page.reload();
      await pageReady(page);
      assert.equal((await pageState(page)).frame, 0);
      await pictureShows(page, '#video', 0);
      const entry = page.locator('#comment-list article', { hasText: comment.text });
      assert.equal(await entry.locator('.comment-timecode').textContent(), comment.timecode);
      await entry.locator('.comment-timecode').click();
      const back = await settled(page);
      assert.equal(back.frame, comment.frame);
      const shown = await pictureShows(page, '#video', comment.frame);
      assert.equal(shown.timecode, comment.timecode);
      assert.equal(back.shown, comment.timecode);
      process.stderr.write(
        `review frame accuracy, ${clip.name}: comment at frame ${comment.frame} ${comment.timecode}, ` +
          `reloaded and clicked, picture reads frame ${shown.frame} ${shown.timecode}\n`,
      );
      assert.deepEqual(page.problems, []);
      await page.close();
    });
  }

  test('two reviewers see each other’s comments, replies, resolutions and approvals live', async () => {
    const { assetId } = assets.get('29.97 fps drop-frame')!;
    const ana = await openReview(await reviewLink(assetId));
    const bea = await openReview(await reviewLink(assetId, reviewerToken));
    assert.equal(await ana.textContent('#signed-in'), 'Admin');
    assert.equal(await bea.textContent('#signed-in'), 'Bea');
    for (const page of [ana, bea]) await page.locator('#live-status.on').waitFor();

    await ana.fill('#goto-input', '00:01:00;02');
    await ana.press('#goto-input', 'Enter');
    assert.equal((await settled(ana)).frame, 30);
    const started = Date.now();
    const note = await addComment(ana, assetId, 'Boom in shot, top left');
    await bea.locator('#comment-list article', { hasText: note.text }).waitFor({ timeout: 10_000 });
    const arrivedMs = Date.now() - started;
    assert.equal(
      await bea.locator('#comment-list article', { hasText: note.text }).locator('.comment-timecode').textContent(),
      '00:01:00;02',
    );

    const thread = bea.locator('#comment-list li.thread', { hasText: note.text });
    await thread.getByRole('button', { name: 'Reply' }).click();
    await bea.fill('[data-form-for^="reply:"]', 'Will paint it out');
    await bea.press('[data-form-for^="reply:"]', 'Control+Enter');
    await ana.locator('#comment-list article.reply', { hasText: 'Will paint it out' }).waitFor({ timeout: 10_000 });

    await thread.getByRole('button', { name: 'Resolve' }).first().click();
    // Resolved threads leave the list unless asked for.
    await ana.locator('#comment-list article', { hasText: note.text }).waitFor({ state: 'detached', timeout: 10_000 });
    await ana.check('#filter-resolved');
    await ana.locator('#comment-list article', { hasText: note.text }).locator('.badge.resolved').waitFor();

    await ana.click('#approval button[data-status="approved"]');
    await bea.locator('#approval-status', { hasText: 'Approved by Admin' }).waitFor({ timeout: 10_000 });
    assert.equal(await bea.getAttribute('#approval button[data-status="approved"]', 'aria-pressed'), 'true');
    process.stderr.write(`review live: Ana's comment reached Bea's page in ${arrivedMs} ms\n`);
    assert.deepEqual([...ana.problems, ...bea.problems], []);
  });

  test('ranges, drawings, thumbnails, waveform, versions compared frame to frame, keys', async () => {
    const { assetId, versionId: firstVersionId } = assets.get('25 fps')!;
    const page = await openReview(await reviewLink(assetId));
    assert.equal(await page.inputValue('#version-select'), secondVersion.versionId, 'the latest version opens');

    // An in/out range with I and O, typed timecodes to get there.
    await page.keyboard.press('g');
    await page.keyboard.type('10:00:00:10');
    await page.keyboard.press('Enter');
    assert.equal((await settled(page)).frame, 10);
    await page.keyboard.press('i');
    await page.fill('#goto-input', '+15');
    await page.press('#goto-input', 'Enter');
    assert.equal((await settled(page)).frame, 25);
    await page.keyboard.press('o');
    assert.equal(await page.textContent('#composer-at'), '10:00:00:10 – 10:00:01:00');
    const range = await addComment(page, assetId, 'Music swells too early');
    assert.deepEqual([range.frame, range.endFrame, range.endTimecode], [10, 25, '10:00:01:00']);
    assert.equal(await page.locator('.timeline-span').count(), 1);

    // Loop in to out (P): played past the out frame, the playhead comes back to the in frame.
    await page.fill('#goto-input', '#10');
    await page.press('#goto-input', 'Enter');
    await settled(page);
    await page.keyboard.press('i');
    await page.fill('#goto-input', '#20');
    await page.press('#goto-input', 'Enter');
    await settled(page);
    await page.keyboard.press('o');
    const looped = page.evaluate(
      () =>
        new Promise<void>((resolve) => {
          const video = document.querySelector('video')!;
          let reachedOut = false;
          const onFrame = () => {
            const { frame } = window.mediavaultPlayer.state();
            if (frame >= 20) reachedOut = true;
            else if (reachedOut && frame <= 11) return resolve();
            video.requestVideoFrameCallback(onFrame);
          };
          video.requestVideoFrameCallback(onFrame);
        }),
    );
    await page.keyboard.press('p');
    await within(page, 15_000, 'looping from 20 back to 10', looped);
    await page.keyboard.press('p');
    await page.keyboard.press('Space');
    await settled(page);
    await page.keyboard.press('x');
    assert.equal(await page.textContent('#range'), '');

    // An internal note, edited, then deleted by its author.
    await page.check('#composer-internal');
    const internal = await addComment(page, assetId, 'Client must not see this');
    assert.equal(internal.internal, true);
    const entry = page.locator('#comment-list article', { hasText: 'Client must not see this' });
    assert.equal(await entry.locator('.badge.internal').count(), 1);
    await entry.getByRole('button', { name: 'Edit' }).click();
    await page.fill('[data-form-for^="edit:"]', 'Client must not see this (rev 2)');
    await page.press('[data-form-for^="edit:"]', 'Control+Enter');
    await page.locator('#comment-list article', { hasText: '(rev 2)' }).locator('.edited').waitFor();
    const edited = page.locator('#comment-list article', { hasText: '(rev 2)' });
    await edited.getByRole('button', { name: 'Delete' }).click();
    await edited.getByRole('button', { name: 'Delete for good?' }).click();
    await edited.waitFor({ state: 'detached' });
    const tombstone = await stack.api<Comment>('GET', `/api/comments/${internal.id}`);
    assert.deepEqual([tombstone.body.deleted, tombstone.body.text], [true, '']);
    await page.uncheck('#composer-internal');

    // Drawing switched on and off again without a stroke, on another frame, does not pin the
    // next drawing to that frame (it would seek back there).
    assert.notEqual((await pageState(page)).frame, 60);
    await page.click('#draw');
    await page.click('#draw');
    assert.equal(await page.getAttribute('#draw', 'aria-pressed'), 'false');

    // A rectangle and an arrow on frame 60, stored normalised, shown on that frame only.
    await page.fill('#goto-input', '#60');
    await page.press('#goto-input', 'Enter');
    await settled(page);
    await page.keyboard.press('d');
    await page.selectOption('#draw-tool', 'rect');
    const box = (await page.locator('#annotation-layer').boundingBox())!;
    const drag = async (from: [number, number], to: [number, number]) => {
      await page.mouse.move(box.x + box.width * from[0], box.y + box.height * from[1]);
      await page.mouse.down();
      await page.mouse.move(box.x + box.width * to[0], box.y + box.height * to[1], { steps: 4 });
      await page.mouse.up();
    };
    await drag([0.25, 0.25], [0.75, 0.5]);
    await page.selectOption('#draw-tool', 'arrow');
    await drag([0.9, 0.9], [0.76, 0.52]);
    assert.match((await page.textContent('#composer-drawing')) ?? '', /2 shapes/);
    const drawn = await addComment(page, assetId, 'Crop to this box');
    assert.equal(drawn.frame, 60);
    const [rect, arrow] = drawn.annotation!.shapes;
    assert.equal(rect!.kind, 'rect');
    assert.equal(arrow!.kind, 'arrow');
    // The stage is 16:9 like the picture, so the box's fractions are the picture's.
    const near = (actual: number[], expected: number[]) =>
      assert.ok(
        actual.every((v, i) => Math.abs(v - expected[i]!) < 0.01),
        `${actual} ≈ ${expected}`,
      );
    if (rect!.kind === 'rect') near([...rect!.from, ...rect!.to], [0.25, 0.25, 0.75, 0.5]);
    const inked = () =>
      page.evaluate(() => {
        const canvas = document.querySelector<HTMLCanvasElement>('#annotation-layer')!;
        const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
        let count = 0;
        for (let i = 3; i < data.length; i += 4) if (data[i]! > 0) count++;
        return count;
      });
    assert.ok((await inked()) > 100, 'the drawing is on its frame');
    await page.keyboard.press('ArrowRight');
    assert.equal((await settled(page)).frame, 61);
    assert.equal(await inked(), 0, 'and gone one frame later');
    await page.keyboard.press('ArrowLeft');
    await settled(page);
    assert.ok((await inked()) > 100, 'and back on it');

    // Scrubbing thumbnails: hovering the timeline shows the sprite tile of that moment.
    const track = (await page.locator('.timeline-track').boundingBox())!;
    await page.mouse.move(track.x + track.width * 0.5, track.y + track.height / 2);
    await page.locator('.timeline-hover').waitFor();
    assert.match((await page.textContent('.timeline-hover span')) ?? '', /^10:00:0[12]:\d\d$/);
    const thumb = await page.locator('.timeline-thumb').evaluate((el) => getComputedStyle(el).backgroundImage);
    assert.match(thumb, /\/thumbs\/[0-9a-f]{64}\/sprite\.jpg/);
    const sprite = await page.evaluate(async (url) => (await fetch(url)).status, thumb.slice(5, -2));
    assert.equal(sprite, 200);
    // The waveform strip under the picture has ink.
    const waveInk = await page.evaluate(() => {
      const canvas = document.querySelector<HTMLCanvasElement>('#waveform canvas')!;
      const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
      let count = 0;
      for (let i = 3; i < data.length; i += 4) if (data[i]! > 0) count++;
      return count / (canvas.width * canvas.height);
    });
    assert.ok(waveInk > 0.05, `waveform ink ${waveInk}`);

    // Compare with version 1, side by side then as a wipe: both pictures on the same frame.
    await page.keyboard.press('v');
    await page.locator('.secondary:not([hidden])').waitFor();
    assert.equal(await page.inputValue('#compare-version'), firstVersionId);
    const bothOn = async (frame: number) => {
      await pictureShows(page, '#video', frame);
      await pictureShows(page, '#compare-video', frame);
    };
    await bothOn(60);
    await page.keyboard.press('ArrowRight');
    await settled(page);
    await bothOn(61);
    await page.click('#play');
    await playedPast(page, 3);
    await page.keyboard.press('Space');
    const stopped = await settled(page);
    await bothOn(stopped.frame);
    await page.keyboard.press('w');
    assert.equal(await page.locator('#stage.comparing.wipe').count(), 1);
    await page.fill('#goto-input', '#40');
    await page.press('#goto-input', 'Enter');
    await settled(page);
    await bothOn(40);

    // J/K/L: forward at 1× then 2×, stop, backwards.
    await page.keyboard.press('v');
    await page.keyboard.press('l');
    await page.keyboard.press('l');
    assert.equal(await page.evaluate(() => document.querySelector('video')!.playbackRate), 2);
    await playedPast(page, 2.5);
    await page.keyboard.press('k');
    const beforeReverse = (await settled(page)).frame;
    await page.keyboard.press('j');
    const reversed = page.evaluate(
      (from) =>
        new Promise<void>((resolve) => {
          const video = document.querySelector('video')!;
          video.addEventListener('seeked', function check() {
            if (window.mediavaultPlayer.state().frame <= from - 5) {
              video.removeEventListener('seeked', check);
              resolve();
            }
          });
        }),
      beforeReverse,
    );
    await within(page, 15_000, 'playing backwards five frames', reversed);
    await page.keyboard.press('k');
    const after = await settled(page);
    assert.ok(after.frame < beforeReverse, `${after.frame} before ${beforeReverse}`);
    await pictureShows(page, '#video', after.frame);

    // The shortcut sheet on ?, drawn from the same table as the keys.
    await page.keyboard.press('?');
    assert.equal(await page.evaluate(() => document.querySelector<HTMLDialogElement>('#shortcut-sheet')!.open), true);
    assert.ok((await page.locator('#shortcut-list dt').count()) >= 15);
    await page.keyboard.press('Escape');
    assert.equal(await page.evaluate(() => document.querySelector<HTMLDialogElement>('#shortcut-sheet')!.open), false);
    assert.deepEqual(page.problems, []);
  });

  test('sound only: the waveform is the picture, frames counted at 25 from 00:00:00:00', async () => {
    const page = await openReview(await reviewLink(soundOnly.assetId));
    assert.equal(await page.locator('#stage.sound-only #waveform-main canvas').count(), 1);
    assert.equal(await page.textContent('#rate'), '25 fps');
    await page.fill('#goto-input', '00:00:01:05');
    await page.press('#goto-input', 'Enter');
    assert.equal((await settled(page)).frame, 30);
    const note = await addComment(page, soundOnly.assetId, 'Breath before the line');
    assert.deepEqual([note.frame, note.timecode], [30, '00:00:01:05']);
    assert.deepEqual(page.problems, []);
  });

  test('signing out ends the session: the page stops, and a reload asks for a new link', async () => {
    const page = await openReview(await reviewLink(soundOnly.assetId));
    await page.click('#sign-out');
    await page.locator('#error', { hasText: 'signed out' }).waitFor();
    assert.equal(await page.isDisabled('#play'), true);
    // Nothing of the review is left to see or to press.
    for (const part of ['#comments', '#stage', '#review-header']) assert.equal(await page.isVisible(part), false, part);
    await page.keyboard.press('?');
    assert.equal(await page.evaluate(() => document.querySelector<HTMLDialogElement>('#shortcut-sheet')!.open), false);
    await page.reload();
    await page.evaluate(() => window.mediavaultPlayer.ready);
    assert.match((await pageState(page)).error ?? '', /open a new review link/i);
    // The 401 of the reload's session check is the page's expected answer, not a problem.
    assert.deepEqual(
      page.problems.filter((problem) => !/401/.test(problem)),
      [],
    );
    await page.close();
  });

  test('screenshots: desktop, and a phone in portrait', async () => {
    const shots = process.env.MEDIAVAULT_SCREENSHOTS ?? join(workDir, 'screenshots');
    await mkdir(shots, { recursive: true });
    const { assetId } = assets.get('25 fps')!;
    const page = await openReview(await reviewLink(assetId));
    await page.setViewportSize({ width: 1440, height: 900 });
    const drawn = page.locator('#comment-list article', { hasText: 'Crop to this box' });
    await drawn.locator('.comment-timecode').click();
    await settled(page);
    await pictureShows(page, '#video', 60);
    await page.screenshot({ path: join(shots, 'review-desktop.png') });
    const track = (await page.locator('.timeline-track').boundingBox())!;
    await page.mouse.move(track.x + track.width * 0.3, track.y + track.height / 2);
    await page.locator('.timeline-hover').waitFor();
    await page.screenshot({ path: join(shots, 'review-scrub.png') });
    await page.keyboard.press('v');
    await pictureShows(page, '#compare-video', 60);
    await page.screenshot({ path: join(shots, 'review-compare.png') });
    await page.keyboard.press('v');
    await page.setViewportSize({ width: 390, height: 844 });
    // In portrait the page is one column: the picture spans the width, the panel follows.
    const stage = (await page.locator('#stage').boundingBox())!;
    const panel = (await page.locator('#comments').boundingBox())!;
    assert.ok(stage.width > 350, `the picture is ${stage.width} px wide`);
    assert.ok(panel.y > stage.y + stage.height, 'the comments come under the picture');
    assert.equal(await page.evaluate(() => document.documentElement.scrollWidth), 390, 'nothing overflows sideways');
    await page.screenshot({ path: join(shots, 'review-phone.png'), fullPage: true });
    process.stderr.write(`review screenshots: ${shots}\n`);
    assert.deepEqual(page.problems, []);
  });
});
