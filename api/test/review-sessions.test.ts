/**
 * Issue 13 point 5: a member mints a single-use review link; the page exchanges its token for
 * an HttpOnly, SameSite session cookie that acts as that member on every /api route and on the
 * event stream. Only hashes are stored; requests the cookie authenticates that change something
 * must come from the api's own origin; signing out ends the session and its streams.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { bootstrapOrganization, createMemberWithToken, type BootstrapResult } from '@mediavault/api/bootstrap';
import { promoteUploads } from '@mediavault/worker/jobs/promote';
import { callApi, startTestApi, type TestApi } from '../../test/helpers/api.ts';

let api: TestApi;
let reviewer: { userId: string; token: string };
let assetId: string;
let versionId: string;
let otherOrg: BootstrapResult;
let otherAssetId: string;

const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest();
const call = (method: string, path: string, token: string | null, body?: unknown) =>
  callApi(api.url, method, path, token, body);

/** One small file promoted into the project as a new asset: its asset and version ids. */
async function promotedAsset(target: TestApi, token: string, projectId: string) {
  const bytes = randomBytes(256);
  const presign = await callApi(target.url, 'POST', '/api/presign', token, {
    name: `clip-${bytes.toString('hex', 0, 4)}.mov`,
    size: bytes.length,
    projectId,
  });
  const put = await fetch(presign.body.parts[0].url, { method: 'PUT', body: new Uint8Array(bytes) });
  await callApi(target.url, 'POST', `/api/uploads/${presign.body.uploadId}/complete`, token, {
    parts: [{ partNumber: 1, etag: put.headers.get('etag') }],
  });
  await callApi(target.url, 'POST', '/api/promote', token, {
    uploadId: presign.body.uploadId,
    sha256: sha256(bytes).toString('hex'),
  });
  const log = { info() {}, warn() {}, error() {} };
  const deps = { config: target.config, pool: target.pool, boss: target.boss, storages: target.storages, log };
  assert.deepEqual(await promoteUploads(deps, [{ uploadId: presign.body.uploadId }]), [null]);
  const upload = await callApi(target.url, 'GET', `/api/uploads/${presign.body.uploadId}`, token);
  return { assetId: upload.body.assetId as string, versionId: upload.body.versionId as string };
}

before(async () => {
  api = await startTestApi();
  reviewer = await createMemberWithToken(api.pool, {
    organizationId: api.org.organizationId,
    projectId: api.org.projectId,
    email: 'reviewer@sessions.test',
    role: 'reviewer',
  });
  ({ assetId, versionId } = await promotedAsset(api, api.org.token, api.org.projectId));
  otherOrg = await bootstrapOrganization(api.pool, {
    organization: 'Elsewhere',
    client: 'C',
    project: 'P',
    adminEmail: 'admin@elsewhere.test',
    adminName: 'E',
  });
  ({ assetId: otherAssetId } = await promotedAsset(api, otherOrg.token, otherOrg.projectId));
});
after(() => api?.close());

/** A fresh link of the reviewer's to the asset: its token (the URL's fragment) and answer. */
async function mintLink(token = reviewer.token, body: Record<string, unknown> = {}) {
  const minted = await call('POST', `/api/assets/${assetId}/review-links`, token, body);
  assert.equal(minted.status, 201, JSON.stringify(minted.body));
  return { ...minted.body, token: new URL(minted.body.url).hash.slice(1) } as {
    url: string;
    expiresAt: string;
    token: string;
  };
}

/** The exchange as the review page makes it: a same-origin POST with the link's token. */
function exchange(token: string, headers: Record<string, string> = {}) {
  return fetch(`${api.url}/api/review-sessions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: api.url, ...headers },
    body: JSON.stringify({ token }),
  });
}

/** Exchanges a fresh link: the `Cookie` header the browser would send from then on, and the answer. */
async function openSession(token = reviewer.token) {
  const res = await exchange((await mintLink(token)).token);
  assert.equal(res.status, 201, await res.clone().text());
  const [pair] = res.headers.getSetCookie()[0]!.split(';');
  return { cookie: pair!, body: await res.json() };
}

/** A request as the review page makes it with its cookie (Origin: the api's, unless given). */
async function withCookie(cookie: string, method: string, path: string, body?: unknown, headers = {}) {
  const res = await fetch(`${api.url}${path}`, {
    method,
    headers: {
      cookie,
      ...(method === 'GET' ? {} : { origin: api.url }),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null, headers: res.headers };
}

test('a link is a fragment URL on the public api, valid 10 minutes, stored only as its hash', async () => {
  const before = Date.now();
  const link = await mintLink();
  assert.match(link.url, new RegExp(`^${api.url}/review/#mvr_[A-Za-z0-9_-]{43}$`));
  const lifetime = Date.parse(link.expiresAt) - before;
  assert.ok(lifetime > 9.9 * 60_000 && lifetime <= 10 * 60_000 + 5_000, `lifetime ${lifetime} ms`);
  const { rows } = await api.pool.query('SELECT * FROM review_links WHERE token_hash = $1', [sha256(link.token)]);
  assert.equal(rows.length, 1);
  assert.deepEqual([rows[0].user_id, rows[0].asset_id, rows[0].version_id], [reviewer.userId, assetId, null]);
  const everything = JSON.stringify((await api.pool.query('SELECT * FROM review_links')).rows);
  assert.ok(!everything.includes(link.token.slice(4)), 'the token itself is not stored');
  const activity = await api.pool.query(
    `SELECT action, project_id FROM activities WHERE subject_type = 'review_link' AND subject_id = $1`,
    [rows[0].id],
  );
  assert.deepEqual(activity.rows, [{ action: 'review_link.create', project_id: api.org.projectId }]);
});

test('a link names a version of its own asset; other tenants and strangers get nothing', async () => {
  const pinned = await mintLink(reviewer.token, { versionId });
  const session = await exchange(pinned.token);
  assert.equal((await session.json()).versionId, versionId);

  const { versionId: foreignVersion } = await promotedAsset(api, api.org.token, api.org.projectId);
  const wrongVersion = await call('POST', `/api/assets/${assetId}/review-links`, reviewer.token, {
    versionId: foreignVersion,
  });
  assert.equal(wrongVersion.status, 404);
  assert.equal(wrongVersion.body.error.message, 'version not found');
  assert.equal((await call('POST', `/api/assets/${otherAssetId}/review-links`, reviewer.token, {})).status, 404);
  assert.equal((await call('POST', `/api/assets/${assetId}/review-links`, otherOrg.token, {})).status, 404);
  assert.equal((await call('POST', `/api/assets/${assetId}/review-links`, null, {})).status, 401);
});

test('the exchange sets an HttpOnly, SameSite=Strict cookie for 12 hours; the session is the member', async () => {
  const link = await mintLink();
  const res = await exchange(link.token);
  assert.equal(res.status, 201);
  assert.equal(res.headers.get('cache-control'), 'no-store');
  const setCookie = res.headers.getSetCookie();
  assert.equal(setCookie.length, 1);
  const [pair, ...attributes] = setCookie[0]!.split(/;\s*/);
  const [name, value] = pair!.split('=') as [string, string];
  assert.equal(name, 'mv_review');
  assert.match(value, /^[A-Za-z0-9_-]{43}$/, '256 random bits');
  assert.deepEqual(attributes.sort(), ['HttpOnly', 'Max-Age=43200', 'Path=/api', 'SameSite=Strict']);
  const body = await res.json();
  assert.deepEqual(
    { ...body, expiresAt: undefined },
    { assetId, versionId: null, user: { id: reviewer.userId, name: 'reviewer@sessions.test' }, expiresAt: undefined },
  );
  const lifetime = Date.parse(body.expiresAt) - Date.now();
  assert.ok(lifetime > 11.9 * 3600_000 && lifetime <= 12 * 3600_000, `lifetime ${lifetime} ms`);

  // Stored as the sha256 of the cookie's value, never the value.
  const { rows } = await api.pool.query('SELECT kind, user_id, asset_id FROM review_sessions WHERE secret_hash = $1', [
    sha256(value),
  ]);
  assert.deepEqual(rows, [{ kind: 'member', user_id: reviewer.userId, asset_id: assetId }]);
  const everything = JSON.stringify((await api.pool.query('SELECT * FROM review_sessions')).rows);
  assert.ok(!everything.includes(value), 'the cookie value is not stored');

  const me = await withCookie(`mv_review=${value}`, 'GET', '/api/me');
  assert.equal(me.status, 200);
  assert.equal(me.body.user.id, reviewer.userId);
  const current = await withCookie(`mv_review=${value}`, 'GET', '/api/review-sessions/current');
  assert.deepEqual(current.body, body);
});

test('a link opens once: used, expired and unknown tokens are refused with a reason', async () => {
  const link = await mintLink();
  assert.equal((await exchange(link.token)).status, 201);
  const again = await exchange(link.token);
  assert.equal(again.status, 401);
  assert.match((await again.json()).error.message, /already used/);
  assert.equal(again.headers.getSetCookie().length, 0);

  const late = await mintLink();
  await api.pool.query(`UPDATE review_links SET expires_at = now() - interval '1 second' WHERE token_hash = $1`, [
    sha256(late.token),
  ]);
  const expired = await exchange(late.token);
  assert.equal(expired.status, 401);
  assert.match((await expired.json()).error.message, /expired \(links are valid for 10 minutes\)/);

  for (const token of [`mvr_${randomBytes(32).toString('base64url')}`, 'mvt_not-a-link', 'x']) {
    const unknown = await exchange(token);
    assert.equal(unknown.status, 401);
    assert.match((await unknown.json()).error.message, /not valid/);
  }
  assert.equal((await exchange('')).status, 400);
});

test('two exchanges of one link at once: exactly one session', async () => {
  const link = await mintLink();
  const statuses = (await Promise.all(Array.from({ length: 6 }, () => exchange(link.token)))).map((r) => r.status);
  assert.deepEqual(statuses.sort(), [201, 401, 401, 401, 401, 401]);
  const { rows } = await api.pool.query(
    'SELECT count(*)::int AS n FROM review_sessions s JOIN review_links l ON l.id = s.link_id WHERE l.token_hash = $1',
    [sha256(link.token)],
  );
  assert.equal(rows[0].n, 1);
});

test('the cookie acts exactly like its member: the same answers as their token', async () => {
  const { cookie } = await openSession();
  const requests: [string, string, unknown?][] = [
    ['GET', '/api/me'],
    ['GET', '/api/projects'],
    ['GET', `/api/assets/${assetId}`],
    ['GET', `/api/assets/${otherAssetId}`],
    ['GET', '/api/users'],
    ['PUT', `/api/projects/${api.org.projectId}/members/${reviewer.userId}`, { role: 'admin' }],
    ['POST', '/api/presign', { name: 'x.mov', size: 10, projectId: api.org.projectId }],
    ['POST', `/api/assets/${assetId}/review-links`, {}],
  ];
  for (const [method, path, body] of requests) {
    const byToken = await call(method, path, reviewer.token, body);
    const byCookie = await withCookie(cookie, method, path, body);
    assert.equal(byCookie.status, byToken.status, `${method} ${path}: ${JSON.stringify(byCookie.body)}`);
    if (method === 'GET' && byToken.status === 200) assert.deepEqual(byCookie.body, byToken.body, path);
  }
  // A token wins over a cookie: it is what the caller named explicitly.
  const both = await fetch(`${api.url}/api/me`, { headers: { cookie, authorization: `Bearer ${api.org.token}` } });
  assert.equal((await both.json()).user.id, api.org.userId);
});

test('changes by cookie must come from the api origin (CSRF); reads and tokens need no Origin', async () => {
  const { cookie } = await openSession();
  const link = (headers: Record<string, string>) =>
    withCookie(cookie, 'POST', `/api/assets/${assetId}/review-links`, {}, headers);
  assert.equal((await link({})).status, 201, 'Origin: the api');

  const refused = await link({ origin: 'http://127.0.0.1:1' });
  assert.equal(refused.status, 403);
  assert.match(refused.body.error.message, /must come from a page of http:\/\/127\.0\.0\.1:\d+/);
  assert.equal((await link({ origin: api.url.replace('127.0.0.1', 'localhost') })).status, 403, 'another name');
  assert.equal((await link({ origin: 'null' })).status, 403, 'an opaque origin (a sandboxed frame, a file)');
  const noOrigin = await fetch(`${api.url}/api/assets/${assetId}/review-links`, {
    method: 'POST',
    headers: { cookie, 'content-type': 'application/json' },
    body: '{}',
  });
  assert.equal(noOrigin.status, 403, 'a script outside a browser sends no Origin: it uses a token');
  assert.equal((await withCookie(cookie, 'GET', `/api/assets/${assetId}`, undefined, {})).status, 200);

  // Signing this browser in from another site's page (login CSRF) is refused too.
  const foreign = await exchange((await mintLink()).token, { origin: 'https://evil.example' });
  assert.equal(foreign.status, 403);
  assert.equal(foreign.headers.getSetCookie().length, 0);
});

/** An event stream opened with a cookie: resolves with its first message or how it closed. */
function openStream(cookie: string, origin: string) {
  const socket = new WebSocket(`${api.url.replace('http', 'ws')}/api/events`, {
    headers: { cookie, origin },
  } as unknown as string[]);
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    socket.addEventListener('close', (e) => resolve({ code: e.code, reason: e.reason })),
  );
  const first = new Promise<unknown>((resolve) => {
    socket.addEventListener('message', (e) => resolve(JSON.parse(String(e.data))));
    void closed.then(resolve);
  });
  return { socket, closed, first };
}

test('signing out ends the session at once, its event streams too; the cookie is cleared', {
  timeout: 30_000,
}, async () => {
  const { cookie, body } = await openSession();
  const stream = openStream(cookie, api.url);
  assert.deepEqual(await stream.first, { type: 'ready' });
  const foreign = openStream(cookie, 'http://127.0.0.1:1');
  assert.deepEqual(await foreign.first, { code: 4401, reason: 'unauthenticated' }, 'another origin cannot listen');

  const refused = await withCookie(cookie, 'DELETE', '/api/review-sessions/current', undefined, {
    origin: 'http://127.0.0.1:1',
  });
  assert.equal(refused.status, 403, 'no forced sign-out from another origin');

  const out = await withCookie(cookie, 'DELETE', '/api/review-sessions/current');
  assert.equal(out.status, 204);
  assert.match(out.headers.get('set-cookie')!, /^mv_review=; Max-Age=0; Path=\/api; HttpOnly; SameSite=Strict$/);
  assert.equal((await stream.closed).code, 4401);

  const after = await withCookie(cookie, 'GET', '/api/me');
  assert.equal(after.status, 401);
  assert.match(after.body.error.message, /review session: it has expired or was signed out/);
  assert.equal((await withCookie(cookie, 'GET', '/api/review-sessions/current')).status, 401);
  // Idempotent: the browser may sign out again, with or without its stale cookie.
  assert.equal((await withCookie(cookie, 'DELETE', '/api/review-sessions/current')).status, 204);
  assert.equal((await call('DELETE', '/api/review-sessions/current', null)).status, 204);

  const { rows } = await api.pool.query(
    `SELECT action FROM activities WHERE subject_type = 'review_session' AND subject_id = $1 ORDER BY id`,
    [(await api.pool.query('SELECT id FROM review_sessions WHERE revoked_at IS NOT NULL')).rows[0].id],
  );
  assert.deepEqual(
    rows.map((r) => r.action),
    ['review_session.start', 'review_session.end'],
  );
  assert.ok(body.user.id);
});

test('a session ends after 12 hours; a stale cookie does not stop a new link from signing in', async () => {
  const { cookie } = await openSession();
  await api.pool.query(`UPDATE review_sessions SET expires_at = now() - interval '1 second' WHERE secret_hash = $1`, [
    sha256(cookie.slice('mv_review='.length)),
  ]);
  const stale = await withCookie(cookie, 'GET', `/api/assets/${assetId}`);
  assert.equal(stale.status, 401);
  assert.match(stale.body.error.message, /open a new review link/);

  const res = await fetch(`${api.url}/api/review-sessions`, {
    method: 'POST',
    headers: { cookie, origin: api.url, 'content-type': 'application/json' },
    body: JSON.stringify({ token: (await mintLink()).token }),
  });
  assert.equal(res.status, 201);
});

test("revoking the member's token leaves their review sessions (separate credentials)", async () => {
  const member = await createMemberWithToken(api.pool, {
    organizationId: api.org.organizationId,
    projectId: api.org.projectId,
    email: 'leaver@sessions.test',
    role: 'viewer',
  });
  const { cookie } = await openSession(member.token);
  const { rows } = await api.pool.query('SELECT id FROM api_tokens WHERE user_id = $1', [member.userId]);
  assert.equal((await call('DELETE', `/api/tokens/${rows[0].id}`, member.token)).status, 200);
  assert.equal((await call('GET', '/api/me', member.token)).status, 401);
  assert.equal((await withCookie(cookie, 'GET', '/api/me')).status, 200);
});

test('the review page is served at /review/ without a referrer and never cached', async () => {
  const page = await fetch(`${api.url}/review/`);
  assert.equal(page.status, 200);
  assert.equal(page.headers.get('content-type'), 'text/html; charset=utf-8');
  assert.equal(page.headers.get('referrer-policy'), 'no-referrer');
  assert.equal(page.headers.get('cache-control'), 'no-store');
  assert.equal(await page.text(), await (await fetch(`${api.url}/player/`)).text(), 'the player page');
  const script = await fetch(`${api.url}/review/player.js`);
  assert.equal(script.status, 200);
  assert.equal(script.headers.get('referrer-policy'), 'no-referrer');
  const bare = await fetch(`${api.url}/review`, { redirect: 'manual' });
  assert.equal(bare.status, 302);
  assert.equal(bare.headers.get('location'), '/review/');
});

test('unknown link tokens count against the address like unknown bearer tokens', async (t) => {
  const limited = await startTestApi({ env: { RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: '3' } });
  t.after(() => limited.close());
  const statuses: number[] = [];
  for (let i = 0; i < 5; i++) {
    const res = await fetch(`${limited.url}/api/review-sessions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: `mvr_${randomBytes(32).toString('base64url')}` }),
    });
    statuses.push(res.status);
    if (res.status === 429) assert.ok(Number(res.headers.get('retry-after')) > 0);
  }
  assert.deepEqual(statuses, [401, 401, 401, 429, 429]);
});

test('a review session cannot mint API tokens: a 12-hour browser session must not outlive itself', async () => {
  const { cookie } = await openSession();
  const minted = await withCookie(cookie, 'POST', '/api/tokens', { name: 'from the browser' });
  assert.deepEqual([minted.status, minted.body.error.code], [403, 'forbidden']);
  assert.match(minted.body.error.message, /review session cannot create API tokens/);
});
