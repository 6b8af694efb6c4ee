/**
 * Issue 14 points 1, 2 and 4 against the real api, PostgreSQL and fs storage (and, for
 * revocation, the real edge over the same previews store): editors create shares whose token is
 * shown once and stored hashed; the page exchanges it (and the password) for a guest session
 * that member routes refuse; wrong passwords wait longer each time; a guest's edge URLs open the
 * share's content only; revoking stops the edge's next segment; everything is audited.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { text } from 'node:stream/consumers';
import { createMemberWithToken } from '@mediavault/api/bootstrap';
import { promoteUploads } from '@mediavault/worker/jobs/promote';
import { shareMarkerKey } from '@mediavault/core/share-policy';
import { verifyEdgeToken } from '@mediavault/core/signer';
import { createClient } from '../../sdk/src/client.ts';
import { openEventStream, type ShareEvent } from '../../sdk/src/event-stream.ts';
import { callApi, startTestApi, type TestApi } from '../../test/helpers/api.ts';
import { startEdge } from '../../edge/test/helpers/edge.ts';

let api: TestApi;
let editor: { userId: string; token: string };
let reviewer: { userId: string; token: string };
let clip: { assetId: string; versionId: string; sha: string; bytes: Buffer };
let other: { assetId: string; versionId: string; sha: string; bytes: Buffer };

const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest();
const call = (method: string, path: string, token: string | null, body?: unknown) =>
  callApi(api.url, method, path, token, body);
const edgeKey = { kid: 'k1', secret: 'test-edge-signing-key-0123456789abcdef' };

/** One small file promoted into the project (optionally into a collection), its preview marked built. */
async function promotedAsset(collectionPath?: string) {
  const bytes = randomBytes(256);
  const presign = await call('POST', '/api/presign', api.org.token, {
    name: `clip-${bytes.toString('hex', 0, 4)}.mov`,
    size: bytes.length,
    projectId: api.org.projectId,
  });
  assert.equal(presign.status, 200, JSON.stringify(presign.body));
  const put = await fetch(presign.body.parts[0].url, { method: 'PUT', body: new Uint8Array(bytes) });
  await call('POST', `/api/uploads/${presign.body.uploadId}/complete`, api.org.token, {
    parts: [{ partNumber: 1, etag: put.headers.get('etag') }],
  });
  const sha = sha256(bytes).toString('hex');
  const promote = await call('POST', '/api/promote', api.org.token, {
    uploadId: presign.body.uploadId,
    sha256: sha,
    ...(collectionPath ? { mapping: { projectId: api.org.projectId, collectionPath } } : {}),
  });
  assert.ok(promote.status < 300, JSON.stringify(promote.body));
  const log = { info() {}, warn() {}, error() {} };
  const deps = { config: api.config, pool: api.pool, boss: api.boss, storages: api.storages, log };
  assert.deepEqual(await promoteUploads(deps, [{ uploadId: presign.body.uploadId }]), [null]);
  const upload = await call('GET', `/api/uploads/${presign.body.uploadId}`, api.org.token);
  await api.pool.query(
    `INSERT INTO previews (sha256, profile, status) VALUES ($1, 'default', 'ready')
     ON CONFLICT (sha256, profile) DO UPDATE SET status = 'ready'`,
    [sha],
  );
  return { assetId: upload.body.assetId as string, versionId: upload.body.versionId as string, sha, bytes };
}

before(async () => {
  api = await startTestApi();
  const member = (email: string, role: 'editor' | 'reviewer') =>
    createMemberWithToken(api.pool, {
      organizationId: api.org.organizationId,
      projectId: api.org.projectId,
      email,
      role,
    });
  editor = await member('editor@shares.test', 'editor');
  reviewer = await member('reviewer@shares.test', 'reviewer');
  clip = await promotedAsset('Client cut/Reel 1');
  other = await promotedAsset();
});
after(() => api?.close());

async function createShare(body: Record<string, unknown>, token = editor.token) {
  const created = await call('POST', '/api/shares', token, body);
  assert.equal(created.status, 201, JSON.stringify(created.body));
  return { ...created.body.share, url: created.body.url as string, token: new URL(created.body.url).hash.slice(1) };
}

/** The exchange as the share page makes it: a same-origin POST; the cookie and the answer. */
async function exchange(token: string, password?: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${api.url}/api/share-sessions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: api.url, 'user-agent': 'share-test/1', ...headers },
    body: JSON.stringify(password === undefined ? { token } : { token, password }),
  });
  const body = await res.json();
  const cookie = res.headers.getSetCookie()[0]?.split(';')[0] ?? null;
  return { status: res.status, body, cookie, headers: res.headers };
}

async function asGuest(cookie: string, method: string, path: string, body?: unknown) {
  const res = await fetch(`${api.url}${path}`, {
    method,
    redirect: 'manual',
    headers: {
      cookie,
      'user-agent': 'share-test/1',
      ...(method === 'GET' ? {} : { origin: api.url }),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const type = res.headers.get('content-type') ?? '';
  const payload = type.includes('json') ? await res.json() : Buffer.from(await res.arrayBuffer());
  return { status: res.status, body: payload, headers: res.headers };
}

async function auditEvents(shareId: string): Promise<string[]> {
  const audit = await call('GET', `/api/shares/${shareId}/audit`, editor.token);
  assert.equal(audit.status, 200, JSON.stringify(audit.body));
  return audit.body.items.map((e: { event: string }) => e.event);
}

test('editors share an asset; the link holds a 256-bit token once, stored only as its hash', async () => {
  const share = await createShare({ assetIds: [clip.assetId], name: 'Reel 1 for client', download: 'proxy' });
  assert.match(share.url, new RegExp(`^${api.url}/s/#mvs_[A-Za-z0-9_-]{43}$`));
  assert.deepEqual(
    [share.kind, share.versionPolicy, share.state, share.hasPassword],
    ['asset', 'latest', 'active', false],
  );
  assert.deepEqual(
    share.items.map((i: { assetId: string }) => i.assetId),
    [clip.assetId],
  );
  const { rows } = await api.pool.query('SELECT token_hash FROM shares WHERE id = $1', [share.id]);
  assert.deepEqual(rows[0].token_hash, sha256(share.token));
  const stored = JSON.stringify((await api.pool.query('SELECT * FROM shares WHERE id = $1', [share.id])).rows);
  assert.ok(!stored.includes(share.token.slice(4)), 'the token itself is stored nowhere');
  // Nor is it ever answered again.
  const read = await call('GET', `/api/shares/${share.id}`, editor.token);
  assert.ok(!JSON.stringify(read.body).includes(share.token.slice(4)));

  const refused = await call('POST', '/api/shares', reviewer.token, { assetIds: [clip.assetId] });
  assert.equal(refused.status, 403);
  assert.equal((await call('GET', `/api/shares/${share.id}`, reviewer.token)).status, 403);
  assert.deepEqual(await auditEvents(share.id), ['create']);
});

test('a guest session opens its share only: member routes refuse it', async () => {
  const share = await createShare({ assetIds: [clip.assetId] });
  const opened = await exchange(share.token);
  assert.equal(opened.status, 201, JSON.stringify(opened.body));
  assert.match(
    opened.headers.get('set-cookie')!,
    /^mv_review=[^;]+; Max-Age=\d+; Path=\/api; HttpOnly; SameSite=Strict$/,
  );
  assert.deepEqual(
    opened.body.items.map((i: { assetId: string }) => i.assetId),
    [clip.assetId],
  );
  const cookie = opened.cookie!;

  assert.equal((await asGuest(cookie, 'GET', '/api/share-sessions/current')).status, 200);
  for (const path of [
    `/api/assets/${clip.assetId}`,
    `/api/assets/${clip.assetId}/comments`,
    '/api/me',
    '/api/shares',
  ]) {
    const refused = await asGuest(cookie, 'GET', path);
    assert.equal(refused.status, 403, path);
  }
  // Not in the share: unknown to the guest.
  assert.equal(
    (await asGuest(cookie, 'POST', `/api/share-sessions/current/assets/${other.assetId}/playback`)).status,
    404,
  );
  // Another site's page cannot act with the cookie.
  const foreign = await fetch(`${api.url}/api/share-sessions/current/assets/${clip.assetId}/playback`, {
    method: 'POST',
    headers: { cookie, origin: 'https://evil.example' },
  });
  assert.equal(foreign.status, 403);
  // An unknown token is refused.
  assert.equal((await exchange(`mvs_${'A'.repeat(43)}`)).status, 401);
});

/**
 * A project member's event stream (/api/events through the SDK, as a tool or page watches);
 * `arrived(shareId, n)` waits for that share's first n 'share' events.
 */
async function shareEvents(t: import('node:test').TestContext) {
  const seen: ShareEvent[] = [];
  const stream = openEventStream(
    createClient({ baseUrl: api.url, token: reviewer.token }),
    {},
    {
      onEvent: (event) => {
        if (event.type === 'share') seen.push(event);
      },
    },
  );
  t.after(() => stream.close());
  assert.ok(await stream.whenLive(10_000), 'the stream is live');
  return {
    async arrived(shareId: string, count: number) {
      const mine = () => seen.filter((e) => e.shareId === shareId);
      const deadline = Date.now() + 10_000;
      while (mine().length < count) {
        if (Date.now() > deadline || !stream.isLive) throw new Error(`got ${JSON.stringify(seen)}`);
        await stream.after(stream.received, deadline - Date.now());
      }
      return mine();
    },
  };
}

test('playback: five-minute edge URLs scoped to the share, renewed; the first is the play start', {
  timeout: 20_000,
}, async (t) => {
  const events = await shareEvents(t);
  const share = await createShare({ assetIds: [clip.assetId] });
  const { cookie } = await exchange(share.token);
  const path = `/api/share-sessions/current/assets/${clip.assetId}/playback`;
  const first = await asGuest(cookie!, 'POST', path);
  assert.equal(first.status, 200, JSON.stringify(first.body));
  assert.equal(first.body.status, 'ready');
  const token = new URL(first.body.manifestUrl).pathname.split('/')[2]!;
  const check = verifyEdgeToken(token, [edgeKey], Math.floor(Date.now() / 1000));
  assert.ok(check.ok);
  assert.equal(check.claims.scope, 'share');
  assert.equal(check.claims.sha, clip.sha);
  assert.deepEqual({ ...check.claims.share, iat: 0 }, { id: share.id, iat: 0, files: 'play' });
  const lifetime = check.claims.exp - Math.floor(Date.now() / 1000);
  assert.ok(lifetime > 290 && lifetime <= 300, `lifetime ${lifetime}`);
  const renewed = await asGuest(cookie!, 'POST', path);
  assert.equal(renewed.status, 200);
  assert.equal(renewed.body.renewAfterSeconds, 240);
  assert.deepEqual(await auditEvents(share.id), ['create', 'open', 'play']);
  // Every audit row is also an event for the project's members, on their /api/events stream.
  const published = await events.arrived(share.id, 3);
  assert.deepEqual(
    published.map((e) => [e.event, e.projectId, e.assetId]),
    [
      ['create', api.org.projectId, null],
      ['open', api.org.projectId, null],
      ['play', api.org.projectId, clip.assetId],
    ],
  );
});

/**
 * The exchange from a given loopback address (127.0.0.0/8 is all this host's), so per-address
 * and per-share password delays can be told apart.
 */
function exchangeFrom(address: string, token: string, password: string) {
  type Answer = { status: number; retryAfter: string | null; body: { error?: { details?: unknown } } };
  return new Promise<Answer>((resolve, reject) => {
    const url = new URL('/api/share-sessions', api.url);
    const request = httpRequest(
      url,
      {
        method: 'POST',
        localAddress: address,
        headers: { 'content-type': 'application/json', origin: api.url, 'user-agent': 'share-test/1' },
      },
      async (res) => {
        const body = JSON.parse(await text(res));
        resolve({ status: res.statusCode!, retryAfter: (res.headers['retry-after'] as string) ?? null, body });
      },
    );
    request.on('error', reject);
    request.end(JSON.stringify({ token, password }));
  });
}

/** Moves a share's audit rows back in time: the delays pass without sleeping through them. */
const rewind = (shareId: string, seconds: number) =>
  api.pool.query(`UPDATE share_audit SET at = at - make_interval(secs => $2) WHERE share_id = $1`, [shareId, seconds]);

test('wrong passwords are refused and recorded, then wait 1 s, 2 s … per address; the right one opens', async () => {
  const share = await createShare({ assetIds: [clip.assetId], password: 'correct horse battery' });
  const { rows } = await api.pool.query('SELECT password_hash FROM shares WHERE id = $1', [share.id]);
  assert.match(rows[0].password_hash, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
  assert.ok(!rows[0].password_hash.includes('correct horse'));

  const missing = await exchange(share.token);
  assert.deepEqual([missing.status, missing.body.error.details.reason], [401, 'password_required']);
  for (let i = 0; i < 3; i++) {
    const wrong = await exchange(share.token, `wrong guess ${i}`);
    assert.deepEqual([wrong.status, wrong.body.error.details.reason], [401, 'password_incorrect']);
  }
  // The fourth try waits: refused unchecked, even with the right password.
  const throttled = await exchange(share.token, 'correct horse battery');
  assert.deepEqual([throttled.status, throttled.headers.get('retry-after')], [429, '1']);
  assert.equal(throttled.body.error.details.retryAfterSeconds, 1);
  await rewind(share.id, 1.5);
  assert.equal((await exchange(share.token, 'still wrong')).status, 401);
  const longer = await exchange(share.token, 'correct horse battery');
  assert.deepEqual([longer.status, longer.headers.get('retry-after')], [429, '2']);
  // Another address is not held up by this one's failures.
  const elsewhere = await exchangeFrom('127.0.0.2', share.token, 'correct horse battery');
  assert.equal(elsewhere.status, 201, JSON.stringify(elsewhere.body));
  await rewind(share.id, 2.5);
  const right = await exchange(share.token, 'correct horse battery');
  assert.equal(right.status, 201, JSON.stringify(right.body));

  const audit = await call('GET', `/api/shares/${share.id}/audit`, editor.token);
  const tries = audit.body.items.filter(
    (e: { event: string }) => e.event.startsWith('password_') || e.event === 'open',
  );
  assert.deepEqual(
    tries.map((e: { event: string; clientAddress: string }) => `${e.event}@${e.clientAddress}`),
    [
      ...Array(3).fill('password_failed@127.0.0.1'),
      'password_throttled@127.0.0.1',
      'password_failed@127.0.0.1',
      'password_throttled@127.0.0.1',
      'open@127.0.0.2',
      'open@127.0.0.1',
    ],
  );
  for (const e of tries) assert.equal(e.userAgent, 'share-test/1');
});

test('after the first try the password page sends the password alone: the link token goes once', async () => {
  const share = await createShare({ assetIds: [clip.assetId], password: 'correct horse battery' });
  // The first request carries the token; the 401 sets a short HttpOnly cookie naming the share.
  const first = await exchange(share.token);
  assert.deepEqual([first.status, first.body.error.details.reason], [401, 'password_required']);
  const [pending, ...attributes] = first.cookie!.split('; ');
  assert.match(pending!, /^mv_share_password=/);
  const setCookie = first.headers.getSetCookie()[0]!;
  assert.match(setCookie, /HttpOnly/);
  assert.match(setCookie, /SameSite=Strict/);
  assert.match(setCookie, /Path=\/api\/share-sessions/);
  assert.match(setCookie, /Max-Age=900/);
  assert.deepEqual(attributes, []);

  const passwordOnly = (password: string, cookie?: string) =>
    fetch(`${api.url}/api/share-sessions`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        origin: api.url,
        'user-agent': 'share-test/1',
        ...(cookie ? { cookie } : {}),
      },
      body: JSON.stringify({ password }),
    });
  const wrong = await passwordOnly('not it', pending);
  assert.equal(wrong.status, 401);
  assert.equal((await wrong.json()).error.details.reason, 'password_incorrect');
  const right = await passwordOnly('correct horse battery', pending);
  assert.equal(right.status, 201, await right.clone().text());
  const cookies = right.headers.getSetCookie();
  assert.match(cookies[0]!, /^mv_review=[\w-]{20,}/, 'the guest session');
  assert.match(cookies[1]!, /^mv_share_password=; Max-Age=0/, 'the pending cookie cleared');
  assert.deepEqual(await auditEvents(share.id), ['create', 'password_failed', 'open']);

  // Without the cookie (or with a forged or another kind of value) the link must be opened again.
  for (const cookie of [undefined, 'mv_share_password=forged', `mv_share_password=${first.cookie!.split('=')[1]}x`]) {
    const refused = await passwordOnly('correct horse battery', cookie);
    assert.equal(refused.status, 401);
    assert.equal((await refused.json()).error.details.reason, 'link_required');
  }
  // The cookie names its share only: it opens no other share, with that one's password or not.
  const another = await createShare({ assetIds: [other.assetId], password: 'another password' });
  const otherTry = await passwordOnly('another password', pending);
  assert.equal(otherTry.status, 401, 'the pending cookie is for the first share');
  assert.deepEqual(await auditEvents(another.id), ['create']);
});

test('wrong passwords from many addresses slow the share down for every address, growing', async () => {
  const share = await createShare({ assetIds: [clip.assetId], password: 'correct horse battery' });
  // Twenty failures, at most three per address: no address waits, the share's free tries are spent.
  for (let i = 0; i < 20; i++) {
    const wrong = await exchangeFrom(`127.0.1.${1 + Math.floor(i / 3)}`, share.token, `guess ${i}`);
    assert.equal(wrong.status, 401, `try ${i}: ${JSON.stringify(wrong.body)}`);
  }
  const fresh = await exchangeFrom('127.0.2.1', share.token, 'correct horse battery');
  assert.deepEqual([fresh.status, fresh.retryAfter], [429, '1']);
  await rewind(share.id, 1.5);
  assert.equal((await exchangeFrom('127.0.2.2', share.token, 'guess 21')).status, 401);
  const longer = await exchangeFrom('127.0.2.3', share.token, 'correct horse battery');
  assert.deepEqual([longer.status, longer.retryAfter], [429, '2']);
  const { rows } = await api.pool.query(
    `SELECT event, count(*)::int AS n FROM share_audit WHERE share_id = $1 GROUP BY event ORDER BY event`,
    [share.id],
  );
  assert.deepEqual(rows, [
    { event: 'create', n: 1 },
    { event: 'password_failed', n: 21 },
    { event: 'password_throttled', n: 2 },
  ]);
});

const clipName = async () =>
  (await api.pool.query<{ name: string }>('SELECT name FROM assets WHERE id = $1', [clip.assetId])).rows[0]!.name;

test('downloads follow the policy: none, the MP4 through a one-file edge URL, the master streamed', async () => {
  const none = await createShare({ assetIds: [clip.assetId] });
  const noneCookie = (await exchange(none.token)).cookie!;
  const download = (cookie: string, kind: string) =>
    asGuest(cookie, 'GET', `/api/share-sessions/current/assets/${clip.assetId}/download?kind=${kind}`);
  assert.equal((await download(noneCookie, 'proxy')).status, 403);

  const proxy = await createShare({ assetIds: [clip.assetId], download: 'proxy' });
  const proxyCookie = (await exchange(proxy.token)).cookie!;
  const redirected = await download(proxyCookie, 'proxy');
  assert.equal(redirected.status, 302);
  const location = new URL(redirected.headers.get('location')!);
  assert.equal(location.pathname.split('/').slice(3).join('/'), `mp4/${clip.sha}.mp4`);
  const claims = verifyEdgeToken(location.pathname.split('/')[2]!, [edgeKey], Math.floor(Date.now() / 1000));
  assert.ok(claims.ok && claims.claims.share?.files === 'download');
  // The edge saves it under the original's name (the page's link followed a redirect there).
  assert.equal(claims.claims.share?.name, (await clipName()).replace(/\.mov$/, '.mp4'));
  assert.equal((await download(proxyCookie, 'master')).status, 403);

  const master = await createShare({ assetIds: [clip.assetId], download: 'master' });
  const masterCookie = (await exchange(master.token)).cookie!;
  const bytes = await download(masterCookie, 'master');
  assert.equal(bytes.status, 200);
  assert.deepEqual(bytes.body, clip.bytes);
  assert.match(
    bytes.headers.get('content-disposition')!,
    /^attachment; filename="clip-[0-9a-f]{8}\.mov"; filename\*=UTF-8''clip-/,
  );
  assert.deepEqual(await auditEvents(master.id), ['create', 'open', 'download']);
});

test('guests comment under their name when the share allows it, and never see internal comments', async () => {
  const off = await createShare({ assetIds: [clip.assetId] });
  const offCookie = (await exchange(off.token)).cookie!;
  const commentsPath = `/api/share-sessions/current/assets/${clip.assetId}/comments`;
  assert.equal((await asGuest(offCookie, 'POST', commentsPath, { frame: 0, text: 'hi' })).status, 403);

  await call('POST', `/api/assets/${clip.assetId}/comments`, editor.token, {
    frame: 0,
    text: 'team only',
    internal: true,
  });
  const open = await call('POST', `/api/assets/${clip.assetId}/comments`, editor.token, { frame: 0, text: 'for all' });
  const share = await createShare({ assetIds: [clip.assetId], comments: true });
  const cookie = (await exchange(share.token)).cookie!;
  const nameless = await asGuest(cookie, 'POST', commentsPath, { frame: 0, text: 'who am I' });
  assert.equal(nameless.status, 400);
  assert.equal(
    (await asGuest(cookie, 'PUT', '/api/share-sessions/current/name', { name: ' Ana  Client ' })).status,
    200,
  );
  const created = await asGuest(cookie, 'POST', commentsPath, {
    frame: 0,
    text: 'Looks great',
    parentId: open.body.id,
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  assert.deepEqual(created.body.author, { userId: null, name: 'Ana Client', kind: 'guest' });
  assert.equal(created.body.internal, false);

  const seen = await asGuest(cookie, 'GET', commentsPath);
  const texts = seen.body.items.map((c: { text: string }) => c.text);
  assert.ok(texts.includes('for all') && texts.includes('Looks great'));
  assert.ok(!texts.includes('team only'));
  // Left out by the query, not after it: a page of one is the first comment a guest may see,
  // though the team's note comes first in frame order.
  const first = await asGuest(cookie, 'GET', `${commentsPath}?limit=1`);
  assert.deepEqual(
    first.body.items.map((c: { text: string }) => c.text),
    ['for all'],
  );
  // Members see it among theirs.
  const members = await call('GET', `/api/assets/${clip.assetId}/comments`, editor.token);
  assert.ok(members.body.items.some((c: { author: { kind: string } }) => c.author.kind === 'guest'));
  const audit = await call('GET', `/api/shares/${share.id}/audit`, editor.token);
  const comment = audit.body.items.find((e: { event: string }) => e.event === 'comment');
  assert.equal(comment.guestName, 'Ana Client');
  assert.equal(comment.versionId, clip.versionId);
});

test('revoking ends the sessions, refuses the link, and the edge refuses the next segment', async (t) => {
  const share = await createShare({ assetIds: [clip.assetId] });
  const { cookie } = await exchange(share.token);
  const playback = await asGuest(cookie!, 'POST', `/api/share-sessions/current/assets/${clip.assetId}/playback`);
  // The real edge over the api's previews store, its clock running with this one.
  const edge = await startEdge(t, { previewsRoot: join(api.dataDir, 'storage'), keys: [edgeKey] });
  edge.clock.now = Date.now();
  await edge.putPreview(`hls/${clip.sha}/master.m3u8`, '#EXTM3U\n');
  await edge.putPreview(`hls/${clip.sha}/v360/seg_00001.m4s`, randomBytes(512));
  await edge.putPreview(`hls/${clip.sha}/v360/seg_00002.m4s`, randomBytes(512));
  const token = new URL(playback.body.manifestUrl).pathname.split('/')[2]!;
  const segment = (n: number) => fetch(edge.url(`hls/${clip.sha}/v360/seg_0000${n}.m4s`, token));
  assert.equal((await segment(1)).status, 200);

  const revoked = await call('POST', `/api/shares/${share.id}/revoke`, editor.token);
  assert.deepEqual([revoked.status, revoked.body.state], [200, 'revoked']);
  const marker = JSON.parse(await text(await api.storages.previews.get(shareMarkerKey(share.id))));
  assert.equal(marker.revoked, true);
  edge.clock.now += 1000;
  assert.equal((await segment(2)).status, 403);

  assert.equal((await asGuest(cookie!, 'GET', '/api/share-sessions/current')).status, 401);
  const again = await exchange(share.token);
  assert.deepEqual([again.status, again.body.error.details.reason], [403, 'share_revoked']);
  assert.deepEqual(await auditEvents(share.id), ['create', 'open', 'play', 'revoke']);
});

/** The real edge over the api's previews store, its clock running with this one. */
async function edgeOverApiStore(t: import('node:test').TestContext) {
  const edge = await startEdge(t, { previewsRoot: join(api.dataDir, 'storage'), keys: [edgeKey] });
  edge.clock.now = Date.now();
  return edge;
}

const tokenOf = (edgeUrl: string) => new URL(edgeUrl).pathname.split('/')[2]!;

test("a share session's edge token opens its share's content only", async (t) => {
  const share = await createShare({ assetIds: [clip.assetId] });
  const { cookie } = await exchange(share.token);
  const playback = await asGuest(cookie!, 'POST', `/api/share-sessions/current/assets/${clip.assetId}/playback`);
  const edge = await edgeOverApiStore(t);
  for (const sha of [clip.sha, other.sha]) {
    await edge.putPreview(`hls/${sha}/master.m3u8`, '#EXTM3U\n');
    await edge.putPreview(`mp4/${sha}.mp4`, randomBytes(256));
  }
  const token = tokenOf(playback.body.manifestUrl);
  const fetchEdge = async (path: string) => (await fetch(edge.url(path, token))).status;
  assert.equal(await fetchEdge(`hls/${clip.sha}/master.m3u8`), 200);
  // Another sha, the MP4 (a download, not granted to play), nor a master are reachable.
  assert.equal(await fetchEdge(`hls/${other.sha}/master.m3u8`), 403);
  assert.equal(await fetchEdge(`mp4/${clip.sha}.mp4`), 403);
  assert.equal(await fetchEdge(`masters/${clip.sha}`), 403);
  // The master goes only to a share allowing master downloads (the api streams it; never the edge).
  const download = await asGuest(
    cookie!,
    'GET',
    `/api/share-sessions/current/assets/${clip.assetId}/download?kind=master`,
  );
  assert.equal(download.status, 403);
});

test('a watermarked share plays and downloads its watermarked set only: preparing until it is ready', async (t) => {
  const share = await createShare({
    assetIds: [clip.assetId],
    name: 'Cut for Acme',
    download: 'master',
    watermark: { template: '{share} for {viewer}', position: 'center' },
  });
  assert.deepEqual(share.watermark, {
    template: '{share} for {viewer}',
    position: 'center',
    opacity: 0.5,
    size: 'medium',
  });
  const opened = await exchange(share.token);
  assert.deepEqual([opened.body.share.watermarked, opened.body.share.watermarkNeedsName], [true, true]);
  const cookie = opened.cookie!;
  const playbackPath = `/api/share-sessions/current/assets/${clip.assetId}/playback`;
  const unnamed = await asGuest(cookie, 'POST', playbackPath);
  assert.deepEqual([unnamed.status, unnamed.body.error.details.reason], [409, 'name_required']);
  await asGuest(cookie, 'PUT', '/api/share-sessions/current/name', { name: 'Ana' });

  const preparing = await asGuest(cookie, 'POST', playbackPath);
  assert.equal(preparing.status, 200, JSON.stringify(preparing.body));
  assert.equal(preparing.body.status, 'preparing');
  const { rows } = await api.pool.query(`SELECT key, status, watermark FROM watermarked_sets WHERE sha256 = $1`, [
    clip.sha,
  ]);
  assert.equal(rows.length, 1);
  assert.equal(rows[0].watermark.text, 'Cut for Acme for Ana');
  const key = rows[0].key as string;
  const downloadPath = `/api/share-sessions/current/assets/${clip.assetId}/download?kind=master`;
  const notYet = await asGuest(cookie, 'GET', downloadPath);
  assert.equal(notYet.status, 409);

  // The worker's part (worker/test/watermark.test.ts) marks it built.
  const prefix = `watermarks/${clip.sha}/${key}/`;
  await api.pool.query(`UPDATE watermarked_sets SET status = 'ready', outputs = $2 WHERE key = $1`, [
    key,
    { hls: `${prefix}hls/master.m3u8`, mp4: `${prefix}preview.mp4`, poster: `${prefix}poster.jpg`, renditions: [] },
  ]);
  const ready = await asGuest(cookie, 'POST', playbackPath);
  assert.equal(ready.body.status, 'ready');
  assert.equal(new URL(ready.body.manifestUrl).pathname.split('/').slice(3).join('/'), `${prefix}hls/master.m3u8`);
  assert.deepEqual([ready.body.spritesVttUrl, ready.body.waveformUrl], [null, null]);
  const claims = verifyEdgeToken(tokenOf(ready.body.manifestUrl), [edgeKey], Math.floor(Date.now() / 1000));
  assert.ok(claims.ok && claims.claims.share?.wm === key);

  const edge = await edgeOverApiStore(t);
  await edge.putPreview(`${prefix}hls/master.m3u8`, '#EXTM3U\n');
  await edge.putPreview(`${prefix}preview.mp4`, randomBytes(256));
  await edge.putPreview(`hls/${clip.sha}/master.m3u8`, '#EXTM3U\n');
  const playToken = tokenOf(ready.body.manifestUrl);
  assert.equal((await fetch(edge.url(`${prefix}hls/master.m3u8`, playToken))).status, 200);
  assert.equal(
    (await fetch(edge.url(`hls/${clip.sha}/master.m3u8`, playToken))).status,
    403,
    'never the clean preview',
  );

  // Downloads (master allowed) are the watermarked MP4, never the master or the clean MP4.
  const download = await asGuest(cookie, 'GET', downloadPath);
  assert.equal(download.status, 302);
  const location = new URL(download.headers.get('location')!);
  assert.equal(location.pathname.split('/').slice(3).join('/'), `${prefix}preview.mp4`);
  const downloadToken = tokenOf(location.href);
  assert.equal((await fetch(edge.url(`${prefix}preview.mp4`, downloadToken))).status, 200);
  assert.equal((await fetch(edge.url(`mp4/${clip.sha}.mp4`, downloadToken))).status, 403);
});

test("a guest's routes say why the session no longer opens the share", async () => {
  const share = await createShare({ assetIds: [clip.assetId] });
  const first = (await exchange(share.token)).cookie!;
  const second = (await exchange(share.token)).cookie!;
  const reason = async (cookie: string) => {
    const res = await asGuest(cookie, 'GET', '/api/share-sessions/current');
    return [res.status, res.body.error?.details?.reason];
  };
  const signedOut = await asGuest(first, 'DELETE', '/api/share-sessions/current');
  assert.equal(signedOut.status, 204);
  assert.deepEqual(await reason(first), [401, 'session_ended']);
  const anonymous = await fetch(`${api.url}/api/share-sessions/current`);
  const answer = (await anonymous.json()) as { error: { details: { reason: string } } };
  assert.equal(answer.error.details.reason, 'no_session');
  await call('POST', `/api/shares/${share.id}/revoke`, editor.token);
  assert.deepEqual(await reason(second), [401, 'share_revoked']);
});

test('an expired share says so', async () => {
  const share = await createShare({ assetIds: [clip.assetId], expiresAt: new Date(Date.now() + 60_000).toISOString() });
  const { cookie } = await exchange(share.token);
  await api.pool.query(`UPDATE shares SET expires_at = now() - interval '1 second' WHERE id = $1`, [share.id]);
  const again = await exchange(share.token);
  assert.deepEqual([again.status, again.body.error.details.reason], [403, 'share_expired']);
  assert.equal((await asGuest(cookie!, 'GET', '/api/share-sessions/current')).status, 401);
  assert.equal((await call('GET', `/api/shares/${share.id}`, editor.token)).body.state, 'expired');
});

test('a collection share is a playlist of the collection, read live; the audit exports as CSV', async () => {
  const share = await createShare({ collection: { projectId: api.org.projectId, path: 'Client cut' } });
  assert.equal(share.kind, 'collection');
  assert.deepEqual(
    share.items.map((i: { assetId: string }) => i.assetId),
    [clip.assetId],
  );
  const opened = await exchange(share.token);
  assert.deepEqual(opened.body.items.map((i: { name: string }) => i.name).length, 1);
  const later = await promotedAsset('Client cut/Reel 2');
  const session = await asGuest(opened.cookie!, 'GET', '/api/share-sessions/current');
  assert.deepEqual(
    session.body.items.map((i: { assetId: string }) => i.assetId),
    [clip.assetId, later.assetId],
  );

  const csv = await fetch(`${api.url}/api/shares/${share.id}/audit.csv`, {
    headers: { authorization: `Bearer ${editor.token}` },
  });
  assert.equal(csv.status, 200);
  assert.match(csv.headers.get('content-type')!, /^text\/csv/);
  const lines = (await csv.text()).trimEnd().split('\r\n');
  assert.equal(
    lines[0],
    'time,event,share,asset,asset_name,version,version_number,client_address,user_agent,guest_name,member,session,details',
  );
  assert.deepEqual(
    lines.slice(1).map((l) => l.split(',')[1]),
    ['create', 'open'],
  );
});

test('listing and policy changes: audited, and a new password ends the open guest sessions', async () => {
  const share = await createShare({ assetIds: [clip.assetId, other.assetId], name: 'Two cuts' });
  assert.equal(share.kind, 'assets');
  const { cookie } = await exchange(share.token);
  const changed = await call('PATCH', `/api/shares/${share.id}`, editor.token, {
    password: 'a new secret',
    download: 'proxy',
  });
  assert.equal(changed.status, 200, JSON.stringify(changed.body));
  assert.deepEqual([changed.body.hasPassword, changed.body.download], [true, 'proxy']);
  assert.equal((await asGuest(cookie!, 'GET', '/api/share-sessions/current')).status, 401);
  const marker = JSON.parse(await text(await api.storages.previews.get(shareMarkerKey(share.id))));
  assert.equal(marker.revoked, false);
  const listed = await call('GET', `/api/shares?projectId=${api.org.projectId}`, editor.token);
  assert.ok(listed.body.items.some((s: { id: string }) => s.id === share.id));
  const audit = await call('GET', `/api/shares/${share.id}/audit`, editor.token);
  const update = audit.body.items.find((e: { event: string }) => e.event === 'update');
  assert.deepEqual(update.details.changed, ['password', 'download']);
  assert.equal(update.details.sessionsEnded, 1);
  assert.equal(update.actor.userId, editor.userId);
  assert.ok(!JSON.stringify(audit.body).includes('a new secret'));
});
