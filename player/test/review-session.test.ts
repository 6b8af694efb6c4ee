/**
 * Issue 13 point 5 in real headless Chromium: a review link from the api opened as a member
 * opens it, and the page's exchange (player/src/review-session.ts) leaves an HttpOnly, SameSite
 * session cookie behind and the token nowhere: not in the address, not in history, not in any
 * request's URL or Referer. A second use of the link is refused.
 *
 * The page is the api's own /review/ (its HTML and headers); its script is this module bundled
 * with a small harness in place of player.js, so the exchange is tested by itself, whatever the
 * rest of the page does with the session.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { access } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { Page } from 'playwright-core';
import { createMemberWithToken } from '@mediavault/api/bootstrap';
import { callApi, startTestApi, type TestApi } from '../../test/helpers/api.ts';
import { launchBrowser, type TestBrowser } from '../../test/helpers/browser.ts';
import { buildPlayer, defaultOutDir } from '../build.ts';

let api: TestApi;
let browser: TestBrowser;
let reviewer: { userId: string; token: string };
let assetId: string;
let harness: string;
/** Another origin on the same host, like the edge under `mediavault dev`: what reaches it shows what the page leaks. */
let elsewhere: { url: string; seen: IncomingHttpHeaders[]; close(): void };

/** The page's script: opens the session, and offers the test a same-origin call and sign-out. */
const harnessSource = `
import { openReviewSession, signOutOfReview } from '../src/review-session.ts';
window.review = {
  opened: openReviewSession().then(
    (session) => ({ ok: true, session }),
    (err) => ({ ok: false, name: err.name, code: err.code, message: err.message }),
  ),
  call: async (method, path) => {
    const res = await fetch(new URL('../api/' + path, location.href), {
      method,
      headers: { 'content-type': 'application/json' },
      body: method === 'GET' ? undefined : '{}',
    });
    return { status: res.status, body: await res.json().catch(() => null) };
  },
  signOut: () => signOutOfReview(),
};
`;

type Opened =
  | { ok: true; session: { assetId: string; versionId: string | null; user: { id: string; name: string } } }
  | { ok: false; name: string; code: string; message: string };

before(async () => {
  // `npm test` builds the page first; a file run on its own builds it here.
  await access(`${defaultOutDir}/index.html`).catch(() => buildPlayer());
  const bundled = await build({
    stdin: { contents: harnessSource, resolveDir: fileURLToPath(new URL('.', import.meta.url)), loader: 'js' },
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    logLevel: 'warning',
  });
  harness = bundled.outputFiles[0]!.text;
  api = await startTestApi();
  reviewer = await createMemberWithToken(api.pool, {
    organizationId: api.org.organizationId,
    projectId: api.org.projectId,
    email: 'reviewer@browser.test',
    role: 'reviewer',
  });
  // The exchange needs an asset to name, not its media.
  const { rows } = await api.pool.query<{ id: string }>(
    `INSERT INTO assets (organization_id, project_id, name) VALUES ($1, $2, 'cut.mov') RETURNING id`,
    [api.org.organizationId, api.org.projectId],
  );
  assetId = rows[0]!.id;
  const seen: IncomingHttpHeaders[] = [];
  const server = createServer((request, response) => {
    seen.push(request.headers);
    // A 1×1 GIF: what a poster request gets.
    response
      .writeHead(200, { 'content-type': 'image/gif' })
      .end(Buffer.from('R0lGODlhAQABAAAAACH5BAEKAAEALAAAAAABAAEAAAICTAEAOw==', 'base64'));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  elsewhere = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v/poster.jpg`,
    seen,
    close: () => server.close(),
  };
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  elsewhere?.close();
  await api?.close();
});

async function mintLink(): Promise<{ url: string; token: string }> {
  const minted = await callApi(api.url, 'POST', `/api/assets/${assetId}/review-links`, reviewer.token, {});
  assert.equal(minted.status, 201, JSON.stringify(minted.body));
  return { url: minted.body.url, token: new URL(minted.body.url).hash.slice(1) };
}

interface SeenRequest {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: string | null;
}

/** A page of the review link's origin whose script is the harness; every request it makes is kept. */
async function reviewPage(): Promise<{ page: Page & { problems: string[] }; requests: SeenRequest[] }> {
  const page = await browser.newPage();
  await page.route('**/review/player.js', (route) =>
    route.fulfill({ status: 200, contentType: 'text/javascript; charset=utf-8', body: harness }),
  );
  const requests: SeenRequest[] = [];
  page.on('request', async (request) => {
    requests.push({
      url: request.url(),
      method: request.method(),
      headers: await request.allHeaders(),
      body: request.postData(),
    });
  });
  return { page, requests };
}

const opened = (page: Page) =>
  page.evaluate(() => (window as unknown as { review: { opened: Promise<Opened> } }).review.opened);
const callFromPage = (page: Page, method: string, path: string) =>
  page.evaluate(
    ([m, p]) =>
      (
        window as unknown as { review: { call(m: string, p: string): Promise<{ status: number; body: unknown }> } }
      ).review.call(m!, p!),
    [method, path],
  );

test('a member opens a review link: an HttpOnly SameSite cookie, and the token gone from address, history and requests', async () => {
  const link = await mintLink();
  const { page, requests } = await reviewPage();
  await page.goto(link.url);
  const result = await opened(page);
  assert.deepEqual(result, {
    ok: true,
    session: {
      ...(result.ok ? result.session : {}),
      assetId,
      versionId: null,
      user: { id: reviewer.userId, name: 'reviewer@browser.test' },
    },
  });

  // The address names what is open, and no longer holds the token…
  assert.equal(page.url(), `${api.url}/review/?asset=${assetId}`);
  assert.equal(await page.evaluate(() => location.hash), '');
  // …nor does any entry of the tab's history.
  const cdp = await page.context().newCDPSession(page);
  const { entries } = (await cdp.send('Page.getNavigationHistory')) as { entries: { url: string }[] };
  assert.deepEqual(
    entries.map((e) => e.url).filter((url) => url !== 'about:blank'),
    [`${api.url}/review/?asset=${assetId}`],
  );
  await page.goto('about:blank');
  await page.goBack();
  assert.equal(page.url(), `${api.url}/review/?asset=${assetId}`, 'back: the address without the token');
  assert.deepEqual(await opened(page).then((r) => r.ok), true, 'and the page opens again from its cookie');

  // The cookie: HttpOnly (no script reads it), SameSite=Strict, for the api's routes, 12 hours.
  const cookies = await page.context().cookies(`${api.url}/api/me`);
  assert.equal(cookies.length, 1);
  const [cookie] = cookies;
  assert.equal(cookie!.name, 'mv_review');
  assert.deepEqual([cookie!.httpOnly, cookie!.sameSite, cookie!.path, cookie!.secure], [true, 'Strict', '/api', false]);
  const lifetime = cookie!.expires * 1000 - Date.now();
  assert.ok(lifetime > 11.9 * 3600_000 && lifetime <= 12 * 3600_000, `cookie lifetime ${lifetime} ms`);
  assert.equal(await page.evaluate(() => document.cookie), '', 'invisible to the page');

  // The page calls the api as the member, changes included (its Origin passes the CSRF check).
  assert.equal((await callFromPage(page, 'GET', 'me')).status, 200);
  const minted = await callFromPage(page, 'POST', `assets/${assetId}/review-links`);
  assert.equal(minted.status, 201, JSON.stringify(minted.body));
  // An image from another origin of the same host (the edge): no Referer, and not the cookie
  // either (an image request carries cookies, and cookies ignore ports; the cookie's path does not).
  await page.evaluate(
    (url) =>
      new Promise((done) => {
        const image = new Image();
        image.onload = image.onerror = done;
        image.src = url;
      }),
    elsewhere.url,
  );
  assert.equal(elsewhere.seen.length, 1);
  assert.equal(elsewhere.seen[0]!.referer, undefined);
  assert.equal(elsewhere.seen[0]!.cookie, undefined);

  // The token went out once, in the body of the exchange; no request carries a Referer.
  const exchanges = requests.filter((r) => r.url === `${api.url}/api/review-sessions`);
  assert.deepEqual(
    exchanges.map((r) => [r.method, r.body]),
    [['POST', JSON.stringify({ token: link.token })]],
  );
  for (const request of requests) {
    assert.equal(request.headers.referer, undefined, `${request.method} ${request.url} has no Referer`);
    assert.ok(!request.url.includes(link.token), `${request.url} does not hold the token`);
    assert.ok(!JSON.stringify(request.headers).includes(link.token), `${request.url}: no header holds the token`);
  }
  assert.ok(
    requests.some((r) => r.url === `${api.url}/review/player.css`),
    'the page loaded its own files',
  );
  assert.deepEqual(page.problems, []);

  // Signing out: the api refuses the cookie from then on.
  await page.evaluate(() => (window as unknown as { review: { signOut(): Promise<void> } }).review.signOut());
  assert.equal((await callFromPage(page, 'GET', 'me')).status, 401);
  assert.deepEqual(await page.context().cookies(`${api.url}/api/me`), [], 'the cookie is cleared');
  await page.close();
});

test('a second use of the link is refused, and its token still leaves the address', async () => {
  const link = await mintLink();
  const first = await reviewPage();
  await first.page.goto(link.url);
  assert.equal((await opened(first.page)).ok, true);
  await first.page.close();

  const { page } = await reviewPage();
  await page.context().clearCookies();
  await page.goto(link.url);
  const second = await opened(page);
  assert.equal(second.ok, false);
  assert.deepEqual(second.ok ? null : [second.name, second.code], ['ReviewSignInError', 'unauthenticated']);
  assert.match(second.ok ? '' : second.message, /already used \(a link opens once\)/);
  assert.equal(page.url(), `${api.url}/review/`);
  assert.deepEqual(await page.context().cookies(`${api.url}/api/me`), []);
  await page.close();
});

test('without a link or a session the page is told to open a new link', async () => {
  const { page } = await reviewPage();
  await page.context().clearCookies();
  await page.goto(`${api.url}/review/?asset=${assetId}`);
  const result = await opened(page);
  assert.equal(result.ok, false);
  assert.match(result.ok ? '' : result.message, /open a new review link/);
  // A made-up token is no better.
  await page.goto(`${api.url}/review/#mvr_${randomBytes(32).toString('base64url')}`);
  assert.match(await opened(page).then((r) => (r.ok ? '' : r.message)), /not valid/);
  await page.close();
});
