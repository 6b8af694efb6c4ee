/**
 * The guest page of share links (`/s/#mvs_…`) on the whole platform, in headless Chromium:
 * `mediavault dev` (api, worker with ffmpeg, edge), clips uploaded and previewed by the real
 * worker, shares created through the api as a member would, and guests in browsers of their own
 * (their own cookies). Every request a guest's page makes is logged, to show where the link's
 * token goes. The audit trail of the guest's session is printed (issue 14's closing note).
 *
 * Set MEDIAVAULT_SCREENSHOTS=<dir> to keep the screenshots (password page; watermarked playing
 * page at 1440x900 and 390x844).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page, Request } from 'playwright-core';
import { launchBrowser, type TestBrowser } from '../../test/helpers/browser.ts';
import { generateClip } from '../../worker/test/fixtures.ts';
import { lastJsonLine, startDevStack, type DevStack } from './dev-stack.ts';
import { pageState, playedPast, settled, within } from './reviewer-page.ts';

interface Uploaded {
  assetId: string;
  versionId: string;
}

interface LoggedRequest {
  at: number;
  method: string;
  url: string;
  referer: string | null;
  body: string | null;
  status: number | null;
}

type GuestPage = Page & { problems: string[]; log: LoggedRequest[] };

interface ShareCreated {
  share: { id: string };
  url: string;
}

interface AuditRow {
  at: string;
  event: string;
  guestName: string | null;
  assetName: string | null;
  versionNumber: number | null;
  clientAddress: string | null;
  userAgent: string | null;
  details: Record<string, unknown>;
}

const password = 'correct horse battery';

describe('share links: the guest page on the whole platform', { timeout: 900_000 }, () => {
  let stack: DevStack;
  let workDir: string;
  let shots: string;
  const browsers: TestBrowser[] = [];
  /** 40 s: longer than hls.js buffers ahead (30 s), so segments are still fetched while it plays. */
  let longTake: Uploaded;
  let shortTake: Uploaded;
  let expiringShare: ShareCreated & { expiresAt: number };

  async function upload(path: string): Promise<Uploaded> {
    const done = await stack.cli('upload', path, '--project', stack.ready.project, '--promote', '--json');
    assert.equal(done.code, 0, `${done.stdout}\n${done.stderr}`);
    const file = lastJsonLine<{ files: { sha256: string; assetId: string; versionId: string }[] }>(done.stdout)
      .files[0]!;
    const preview = await stack.cli('preview', file.sha256, '--wait', '--json');
    assert.equal(lastJsonLine<{ status: string }>(preview.stdout).status, 'ready', preview.stderr);
    return { assetId: file.assetId, versionId: file.versionId };
  }

  async function createShare(body: Record<string, unknown>): Promise<ShareCreated> {
    const created = await stack.api<ShareCreated>('POST', '/api/shares', body);
    assert.equal(created.status, 201, JSON.stringify(created.body));
    return created.body;
  }

  async function audit(shareId: string): Promise<AuditRow[]> {
    const listed = await stack.api<{ items: AuditRow[] }>('GET', `/api/shares/${shareId}/audit?limit=500`);
    assert.equal(listed.status, 200, JSON.stringify(listed.body));
    return listed.body.items;
  }

  before(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'mediavault-share-page-'));
    shots = process.env.MEDIAVAULT_SCREENSHOTS ?? join(workDir, 'screenshots');
    await mkdir(shots, { recursive: true });
    stack = await startDevStack();
    longTake = await upload(
      await generateClip(workDir, { name: 'long-take.mp4', width: 640, height: 360, seconds: 40 }),
    );
    shortTake = await upload(
      await generateClip(workDir, { name: 'pickup-shot.mp4', width: 640, height: 360, seconds: 3 }),
    );
    // Expires while the other tests run: the expiry test opens it afterwards.
    const expiresAt = Date.now() + 20_000;
    expiringShare = {
      ...(await createShare({ assetIds: [shortTake.assetId], expiresAt: new Date(expiresAt).toISOString() })),
      expiresAt,
    };
  });

  after(async () => {
    for (const browser of browsers) await browser.close();
    await stack?.close();
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });

  /** A guest: a new browser (cookies of its own), every request logged with its answer. */
  async function guestPage(): Promise<GuestPage> {
    const browser = await launchBrowser();
    browsers.push(browser);
    const page = (await browser.newPage()) as GuestPage;
    page.log = [];
    const logged = new Map<Request, LoggedRequest>();
    page.on('request', (request) => {
      const entry: LoggedRequest = {
        at: Date.now(),
        method: request.method(),
        url: request.url(),
        referer: request.headers().referer || null,
        body: request.postData(),
        status: null,
      };
      logged.set(request, entry);
      page.log.push(entry);
    });
    page.on('requestfinished', async (request) => {
      const entry = logged.get(request);
      if (entry) entry.status = (await request.response())?.status() ?? null;
    });
    page.on('requestfailed', (request) => {
      const entry = logged.get(request);
      if (entry) entry.status = 0;
    });
    return page;
  }

  /**
   * The requests that send `token` to a server anywhere: address, Referer or body. The address
   * as sent: a fragment never leaves the browser (the log shows the page's own navigation with it).
   */
  const carrying = (page: GuestPage, token: string) =>
    page.log.filter(
      (r) => r.url.split('#')[0]!.includes(token) || r.referer?.includes(token) || r.body?.includes(token),
    );

  /** Waits for the page to say it is ready (playing its first video, or a page saying why not). */
  async function pageSettled(page: Page): Promise<void> {
    await within(
      page,
      120_000,
      'the share page ready',
      page.evaluate(() => window.mediavaultPlayer.ready),
    );
  }

  /** The luma of the picture now, row by row, drawn at the video's own size. */
  async function pictureLuma(page: Page): Promise<{ width: number; height: number; luma: Buffer }> {
    const grabbed = await page.evaluate(() => {
      const video = document.querySelector('video')!;
      const canvas = document.createElement('canvas');
      canvas.width = video.videoWidth;
      canvas.height = video.videoHeight;
      const context = canvas.getContext('2d', { willReadFrequently: true })!;
      context.drawImage(video, 0, 0);
      const rgba = context.getImageData(0, 0, canvas.width, canvas.height).data;
      let luma = '';
      for (let i = 0; i < rgba.length; i += 4) {
        luma += String.fromCharCode(Math.round(0.299 * rgba[i]! + 0.587 * rgba[i + 1]! + 0.114 * rgba[i + 2]!));
      }
      return { width: canvas.width, height: canvas.height, luma: btoa(luma) };
    });
    return { width: grabbed.width, height: grabbed.height, luma: Buffer.from(grabbed.luma, 'base64') };
  }

  /** Pauses the video at media time `seconds` and waits until that picture is on screen. */
  async function pauseAt(page: Page, seconds: number): Promise<void> {
    const sought = page.evaluate(
      (time) =>
        new Promise<void>((resolve) => {
          const video = document.querySelector('video')!;
          video.pause();
          video.addEventListener('seeked', () => resolve(), { once: true });
          video.currentTime = time;
        }),
      seconds,
    );
    await within(page, 30_000, `the picture at ${seconds} s`, sought);
  }

  test('the page is served at /s/ like the other entries: no referrer, never cached; /s redirects', async () => {
    const page = await fetch(`${stack.ready.api}/s/`);
    assert.equal(page.status, 200);
    assert.equal(page.headers.get('referrer-policy'), 'no-referrer');
    assert.equal(page.headers.get('cache-control'), 'no-store');
    const bare = await fetch(`${stack.ready.api}/s`, { redirect: 'manual' });
    assert.equal(bare.status, 302);
    assert.equal(new URL(bare.headers.get('location')!, stack.ready.api).pathname, '/s/');
  });

  test('a guest: wrong password refused, the right one, plays, steps the playlist, comments; a member sees it live', async () => {
    const created = await createShare({
      name: 'Spot 30s, client review',
      assetIds: [longTake.assetId, shortTake.assetId],
      password,
      comments: true,
      download: 'proxy',
    });
    const token = new URL(created.url).hash.slice(1);
    assert.match(token, /^mvs_[\w-]{43}$/);

    // A member follows the asset on the reviewer page, signed in by a review link of their own.
    const memberBrowser = await launchBrowser();
    browsers.push(memberBrowser);
    const member = await memberBrowser.newPage();
    const link = await stack.api<{ url: string }>('POST', `/api/assets/${longTake.assetId}/review-links`, {});
    assert.equal(link.status, 201, JSON.stringify(link.body));
    await member.goto(link.body.url);
    await member.evaluate(() => window.mediavaultPlayer.ready);
    await member.locator('#live-status.on').waitFor();

    const guest = await guestPage();
    await guest.setViewportSize({ width: 1440, height: 900 });
    await guest.goto(created.url);
    await guest.locator('#share-gate[data-gate="password"]').waitFor();
    assert.doesNotMatch(guest.url(), /mvs_/, 'the token left the address at once');
    assert.equal(await guest.evaluate(() => location.hash), '');
    await guest.screenshot({ path: join(shots, 'share-password-desktop.png') });

    // A wrong password: refused, said so, recorded.
    await guest.fill('#share-password-input', 'not the password');
    await guest.click('#share-password-submit');
    await guest.locator('#share-gate-message', { hasText: 'not right' }).waitFor();
    assert.deepEqual(
      (await audit(created.share.id)).map((row) => row.event),
      ['create', 'password_failed'],
    );
    await guest.setViewportSize({ width: 390, height: 844 });
    await guest.screenshot({ path: join(shots, 'share-password-phone.png') });
    await guest.setViewportSize({ width: 1440, height: 900 });

    // The right one: the page plays the share's first asset.
    await guest.locator('#share-password-submit:enabled').waitFor();
    await guest.fill('#share-password-input', password);
    await guest.click('#share-password-submit');
    await pageSettled(guest);
    assert.equal(await guest.textContent('h1'), 'Spot 30s, client review');
    assert.equal(await guest.textContent('#share-position'), '1 of 2');
    assert.equal(await guest.isVisible('#share-gate'), false);
    await guest.click('#play');
    assert.equal(await playedPast(guest, 1), 'playing');

    // Downloads as the policy says: the MP4, not the original.
    assert.deepEqual(await guest.locator('#share-downloads a').allTextContents(), ['Download MP4']);

    // A comment at the paused frame: the name is asked first; marked a guest's.
    await guest.click('#play');
    const paused = await settled(guest);
    await guest.fill('#composer-text', 'Logo too small at the end');
    await guest.click('#composer-submit');
    await guest.locator('#share-name[open]').waitFor();
    await guest.fill('#share-name-input', 'Chloé from Client Co');
    await guest.click('#share-name-submit');
    const posted = guest.locator('#comment-list article', { hasText: 'Logo too small at the end' });
    await posted.waitFor();
    assert.equal(await posted.locator('.badge.guest').count(), 1);
    assert.equal(await posted.locator('.comment-author').textContent(), 'Chloé from Client Co');
    assert.equal(await posted.getByRole('button', { name: 'Resolve' }).count(), 0, 'guests do not resolve');
    assert.equal(await guest.isVisible('#composer-internal'), false, 'guests write no internal notes');
    assert.equal(await guest.textContent('#share-guest'), 'Watching as Chloé from Client Co');

    // The member's page shows it without a reload, marked a guest's, at the guest's frame.
    const seen = member.locator('#comment-list article', { hasText: 'Logo too small at the end' });
    await seen.waitFor({ timeout: 10_000 });
    assert.equal(await seen.locator('.badge.guest').count(), 1);
    const listed = await stack.api<{ items: { text: string; frame: number; author: { kind: string } }[] }>(
      'GET',
      `/api/assets/${longTake.assetId}/comments`,
    );
    const stored = listed.body.items.find((c) => c.text === 'Logo too small at the end')!;
    assert.equal(stored.author.kind, 'guest');
    assert.ok(Math.abs(stored.frame - paused.frame) <= 1, `comment at ${stored.frame}, paused at ${paused.frame}`);

    // An internal note of the team never reaches the guest.
    const internal = await stack.api('POST', `/api/assets/${longTake.assetId}/comments`, {
      frame: 10,
      text: 'Team only: client will hate the grade',
      internal: true,
    });
    assert.equal(internal.status, 201);

    // Renewal: new edge URLs, and the segments fetched after them carry the new token.
    const before = await guest.evaluate(() => window.mediavaultShare!.edgeToken());
    await guest.evaluate(() => window.mediavaultShare!.renew());
    const renewed = await guest.evaluate(() => window.mediavaultShare!.edgeToken());
    assert.ok(before && renewed && renewed !== before, 'a new edge token');
    const renewedAt = Date.now();
    await guest.click('#play');
    const freshSegment = guest.waitForRequest((r) => r.url().includes(`/v/${renewed}/`) && /\.m4s$/.test(r.url()), {
      timeout: 30_000,
    });
    await freshSegment;
    await guest.click('#play');

    // The playlist: next plays the second asset; previous comes back.
    const steppedAt = Date.now();
    await guest.click('#share-next');
    await guest.locator('#share-position', { hasText: '2 of 2' }).waitFor();
    await guest.locator('#share-item', { hasText: 'pickup-shot.mp4' }).waitFor();
    assert.equal(await guest.isDisabled('#share-next'), true);
    await guest.keyboard.press('p');
    await guest.locator('#share-position', { hasText: '1 of 2' }).waitFor();
    await guest.locator('#comment-list article', { hasText: 'Logo too small at the end' }).waitFor();
    assert.equal(await guest.locator('#comment-list article', { hasText: 'Team only' }).count(), 0);

    // A download: the api redirects to the edge's MP4, which the browser saves under the asset's
    // name (an attachment) while the page stays where it is; the api records it.
    const pageAddress = guest.url();
    const saved = guest.waitForEvent('download', { timeout: 15_000 });
    await guest.click('#share-downloads a[data-kind="proxy"]');
    const download = await saved;
    assert.equal(download.suggestedFilename(), 'long-take.mp4');
    assert.match(download.url(), /\/mp4\/[0-9a-f]{64}\.mp4$/);
    assert.ok(download.url().startsWith(stack.ready.edge), download.url());
    assert.equal(await download.failure(), null, 'the whole MP4 was saved');
    assert.equal(guest.url(), pageAddress, 'the page stayed');

    // Where the link's token went: in the first request only (the exchange's POST body, answered
    // 401 password_required), never in an address or a Referer; the password tries after it send
    // the password alone, and the last of them opened the session.
    const withToken = carrying(guest, token);
    assert.deepEqual(
      withToken.map((r) => `${r.method} ${new URL(r.url).pathname} ${r.status}`),
      ['POST /api/share-sessions 401'],
    );
    assert.equal(
      withToken[0],
      guest.log.find((r) => new URL(r.url).pathname.startsWith('/api/')),
      'the first api request',
    );
    const exchanges = guest.log.filter((r) => r.method === 'POST' && new URL(r.url).pathname === '/api/share-sessions');
    assert.deepEqual(
      exchanges.map((r) => r.status),
      [401, 401, 201],
      'the link, a wrong password, the right one',
    );
    const edgeRequests = guest.log.filter((r) => r.url.startsWith(stack.ready.edge));
    assert.ok(edgeRequests.length > 5);
    assert.deepEqual(
      edgeRequests.filter((r) => r.referer !== null).map((r) => `${r.url} ← ${r.referer}`),
      [],
      'no Referer reaches the edge',
    );
    const afterRenewal = edgeRequests.filter((r) => r.at > renewedAt + 100 && r.at < steppedAt && /\.m4s$/.test(r.url));
    assert.ok(afterRenewal.length > 0);
    assert.ok(
      afterRenewal.every((r) => r.url.includes(renewed!)),
      'segments after the renewal carry the new token',
    );

    const trail = await audit(created.share.id);
    const events = trail.map((row) => row.event);
    for (const event of ['create', 'password_failed', 'open', 'play', 'comment', 'download'])
      assert.ok(events.includes(event), `${event} in ${events}`);
    assert.equal(events.filter((e) => e === 'play').length, 2, 'one play start per version, renewals not counted');
    process.stderr.write(
      `share audit trail of the browser test (share ${created.share.id}):\n${trail
        .map(
          (row) =>
            `  ${row.at}  ${row.event.padEnd(16)} ${(row.assetName ?? '').padEnd(16)} v${row.versionNumber ?? '-'}  ` +
            `${row.guestName ?? '-'}  ${row.clientAddress ?? '-'}  ${(row.userAgent ?? '-').slice(0, 40)}  ${JSON.stringify(row.details)}`,
        )
        .join('\n')}\n`,
    );
    process.stderr.write(
      `share request log: ${guest.log.length} requests, the link token in ${withToken.length} ` +
        `(${withToken.map((r) => `${r.method} ${new URL(r.url).pathname} → ${r.status}`).join(', ')})\n`,
    );
    assert.deepEqual(
      guest.problems.filter((p) => !/401/.test(p)),
      [],
    );
  });

  test('a link without a password: its token goes in the first request only; revoked, playback stops at the next segment', async () => {
    const created = await createShare({ assetIds: [longTake.assetId] });
    const token = new URL(created.url).hash.slice(1);
    const guest = await guestPage();
    await guest.goto(created.url);
    await pageSettled(guest);
    await guest.click('#play');
    assert.equal(await playedPast(guest, 1), 'playing');

    const apiRequests = guest.log.filter((r) => r.url.startsWith(stack.ready.api));
    const withToken = carrying(guest, token);
    assert.equal(withToken.length, 1, JSON.stringify(withToken, null, 1));
    const exchange = apiRequests.find((r) => r.method === 'POST');
    assert.equal(withToken[0], exchange, 'in the exchange, the page’s first call to the api');
    assert.equal(new URL(exchange!.url).pathname, '/api/share-sessions');
    assert.deepEqual(
      guest.log.filter((r) => r.url.includes(token)),
      [],
      'in no address, not even the page’s own navigation (its fragment never leaves the browser)',
    );

    // The media time last played, kept by the page's own 'timeupdate' (the player lets go of the video when it stops).
    await guest.evaluate(() => {
      const video = document.querySelector('video')!;
      video.addEventListener('timeupdate', () => {
        if (video.currentTime > 0) document.body.dataset.lastPlayed = String(video.currentTime);
      });
    });
    const revokedAt = Date.now();
    const revoked = await stack.api('POST', `/api/shares/${created.share.id}/revoke`);
    assert.equal(revoked.status, 200);
    await guest.locator('#share-gate[data-gate="revoked"]').waitFor({ timeout: 30_000 });
    const stoppedMs = Date.now() - revokedAt;
    const state = await guest.evaluate(() => {
      const video = document.querySelector('video')!;
      return { paused: video.paused, currentTime: Number(document.body.dataset.lastPlayed), src: video.currentSrc };
    });
    assert.ok(state.paused || state.src === '', 'nothing plays any more');
    assert.ok(state.currentTime < 35, `stopped at ${state.currentTime} s, before the end`);
    const segmentsAfter = guest.log.filter(
      (r) => r.at > revokedAt && r.url.startsWith(stack.ready.edge) && /\.m4s$/.test(r.url),
    );
    assert.ok(segmentsAfter.length >= 1, 'a segment was asked for after the revocation');
    // The edge checks a share's marker once a second: later requests are all refused.
    const servedLate = segmentsAfter.filter((r) => r.at > revokedAt + 1100 && r.status === 200);
    assert.deepEqual(servedLate, [], 'no segment served once the edge knew');
    assert.equal(segmentsAfter.at(-1)!.status, 403);
    assert.match((await guest.textContent('#share-gate-title')) ?? '', /revoked/);
    process.stderr.write(
      `share revoked: playback stopped ${stoppedMs} ms after the revocation, at media time ` +
        `${state.currentTime.toFixed(2)} s; segments after it: ${segmentsAfter.map((r) => r.status).join(' ')}\n`,
    );
    // A reload: the cookie's session is gone with the share.
    await guest.reload();
    await pageSettled(guest);
    await guest.locator('#share-gate[data-gate="revoked"]').waitFor();
  });

  test('an expired link shows the expiry page', async () => {
    // Created before the other tests, to expire while they ran; what is left of its time, if anything.
    const left = expiringShare.expiresAt - Date.now();
    if (left > 0) await new Promise((resolve) => setTimeout(resolve, left + 50));
    const guest = await guestPage();
    await guest.goto(expiringShare.url);
    await pageSettled(guest);
    await guest.locator('#share-gate[data-gate="expired"]').waitFor();
    assert.match((await guest.textContent('#share-gate-title')) ?? '', /expired/);
    assert.equal(await guest.isVisible('video'), false);
    assert.doesNotMatch(guest.url(), /mvs_/);
  });

  test('download buttons follow the policy; the original only when allowed', async () => {
    const none = await createShare({ assetIds: [shortTake.assetId], download: 'none' });
    const master = await createShare({ assetIds: [shortTake.assetId], download: 'master' });
    const guest = await guestPage();
    await guest.goto(none.url);
    await pageSettled(guest);
    assert.equal(await guest.isVisible('#share-downloads'), false);
    assert.equal(await guest.locator('#share-downloads a').count(), 0);
    const refused = await guest.evaluate(
      async (assetId) => (await fetch(`/api/share-sessions/current/assets/${assetId}/download?kind=proxy`)).status,
      shortTake.assetId,
    );
    assert.equal(refused, 403);

    const other = await guestPage();
    await other.goto(master.url);
    await pageSettled(other);
    assert.deepEqual(await other.locator('#share-downloads a').allTextContents(), [
      'Download MP4',
      'Download original',
    ]);
    const href = await other.getAttribute('#share-downloads a[data-kind="master"]', 'href');
    const original = await other.evaluate(async (url) => {
      const response = await fetch(url!);
      return {
        status: response.status,
        disposition: response.headers.get('content-disposition'),
        size: (await response.arrayBuffer()).byteLength,
      };
    }, href);
    assert.equal(original.status, 200);
    assert.equal(original.disposition, `attachment; filename="pickup-shot.mp4"; filename*=UTF-8''pickup-shot.mp4`);
    assert.ok(original.size > 1000);
    assert.deepEqual(
      (await audit(master.share.id)).filter((row) => row.event === 'download').map((row) => row.details.kind),
      ['master'],
    );
  });

  test('a watermarked share: preparing first, then its picture shows the text the clean preview has not', async () => {
    const created = await createShare({
      name: 'Festival cut',
      assetIds: [longTake.assetId],
      download: 'master',
      watermark: { template: 'CONFIDENTIAL {viewer}', position: 'center', size: 'large', opacity: 1 },
    });
    const guest = await guestPage();
    await guest.setViewportSize({ width: 1440, height: 900 });
    await guest.goto(created.url);
    // The watermark shows the viewer: the name first, then the wait while the set is built.
    await guest.locator('#share-name[open]').waitFor();
    await guest.fill('#share-name-input', 'Dana Festival');
    await guest.click('#share-name-submit');
    await guest.locator('#share-preparing:not([hidden])').waitFor({ timeout: 30_000 });
    const preparingText = await guest.textContent('#share-preparing');
    assert.match(preparingText ?? '', /Preparing/);
    await pageSettled(guest);
    assert.equal((await pageState(guest)).error, null);
    assert.equal(await guest.isVisible('#share-preparing'), false);
    // Never the clean preview: every playlist and segment comes from the watermarked set.
    const media = guest.log.filter((r) => r.url.startsWith(stack.ready.edge));
    assert.ok(media.length > 0);
    assert.ok(
      media.every((r) => /\/watermarks\//.test(r.url)),
      media.map((r) => r.url).join('\n'),
    );
    assert.deepEqual(await guest.locator('#share-downloads a').allTextContents(), ['Download MP4']);

    // The same moment on a clean share of the same asset.
    const clean = await createShare({ assetIds: [longTake.assetId] });
    const viewer = await guestPage();
    await viewer.goto(clean.url);
    await pageSettled(viewer);
    await pauseAt(guest, 2.5);
    await pauseAt(viewer, 2.5);
    const marked = await pictureLuma(guest);
    const plain = await pictureLuma(viewer);
    assert.deepEqual([marked.width, marked.height], [plain.width, plain.height]);
    const meanDifference = (x0: number, x1: number, y0: number, y1: number) => {
      let sum = 0;
      let count = 0;
      for (let y = Math.floor(y0 * marked.height); y < Math.floor(y1 * marked.height); y++) {
        for (let x = Math.floor(x0 * marked.width); x < Math.floor(x1 * marked.width); x++) {
          const i = y * marked.width + x;
          sum += Math.abs(marked.luma[i]! - plain.luma[i]!);
          count++;
        }
      }
      return sum / count;
    };
    const centre = meanDifference(0.2, 0.8, 0.4, 0.6);
    const corner = meanDifference(0, 0.15, 0, 0.15);
    process.stderr.write(
      `share watermark: mean luma difference against the clean preview, centre band ${centre.toFixed(1)}, corner ${corner.toFixed(1)}\n`,
    );
    assert.ok(centre > 8, `the watermark region differs (${centre})`);
    assert.ok(corner < 3, `away from it the pictures agree (${corner})`);

    await guest.screenshot({ path: join(shots, 'share-watermark-desktop.png') });
    await guest.setViewportSize({ width: 390, height: 844 });
    assert.equal(await guest.evaluate(() => document.documentElement.scrollWidth), 390, 'nothing overflows sideways');
    await guest.screenshot({ path: join(shots, 'share-watermark-phone.png'), fullPage: true });
    process.stderr.write(`share screenshots: ${shots}\n`);
  });
});
