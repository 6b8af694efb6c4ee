/**
 * API tokens: listed and revoked through the api; a revoked token is refused from its next
 * request and its open event streams close. Secrets never reach the request log.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { createMemberWithToken } from '@mediavault/api/bootstrap';
import { callApi, startTestApi, type TestApi } from '../../test/helpers/api.ts';

let api: TestApi;
const logLines: string[] = [];

before(async () => {
  const logStream = new PassThrough();
  logStream.on('data', (chunk: Buffer) => logLines.push(...chunk.toString('utf8').split('\n').filter(Boolean)));
  api = await startTestApi({ logStream });
});
after(() => api?.close());

const call = (method: string, path: string, token: string | null, body?: unknown) =>
  callApi(api.url, method, path, token, body);

/** An open event stream of a token, with a promise of how it closes. */
async function openStream(token: string) {
  const socket = new WebSocket(`${api.url.replace('http', 'ws')}/api/events?access_token=${encodeURIComponent(token)}`);
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    socket.addEventListener('close', (e) => resolve({ code: e.code, reason: e.reason })),
  );
  await new Promise<void>((resolve, reject) => {
    socket.addEventListener('message', (e) => {
      if (JSON.parse(String(e.data)).type === 'ready') resolve();
    });
    socket.addEventListener('error', () => reject(new Error('the event stream failed to open')));
  });
  return { socket, closed };
}

test('a user lists their own tokens (prefix, never the token); only organization admins list others', async () => {
  const created = await call('POST', '/api/tokens', api.org.token, { name: 'laptop' });
  assert.equal(created.status, 201);
  const mine = await call('GET', '/api/tokens', api.org.token);
  assert.equal(mine.status, 200);
  const laptop = mine.body.items.find((t: { id: string }) => t.id === created.body.id);
  assert.deepEqual([laptop.name, laptop.prefix, laptop.revokedAt], ['laptop', created.body.prefix, null]);
  assert.doesNotMatch(JSON.stringify(mine.body), new RegExp(created.body.token));

  const member = await createMemberWithToken(api.pool, {
    organizationId: api.org.organizationId,
    projectId: api.org.projectId,
    email: 'member@tokens.test',
    role: 'editor',
  });
  const theirs = await call('GET', '/api/tokens', member.token);
  assert.deepEqual(
    theirs.body.items.map((t: { userId: string }) => t.userId),
    [member.userId],
    'only their own',
  );
  assert.equal((await call('GET', `/api/tokens?userId=${api.org.userId}`, member.token)).status, 403);
  const everyone = await call('GET', '/api/tokens?all=true', api.org.token);
  assert.ok(everyone.body.items.some((t: { userId: string }) => t.userId === member.userId));
  // Someone else's token is unknown to a member who may not manage it.
  assert.equal((await call('DELETE', `/api/tokens/${created.body.id}`, member.token)).status, 404);
});

test('a revoked token is refused at once and its open event streams close; other streams stay', async () => {
  const doomed = await call('POST', '/api/tokens', api.org.token, { name: 'leaked' });
  const kept = await call('POST', '/api/tokens', api.org.token, { name: 'kept' });
  const leaked = await openStream(doomed.body.token);
  const other = await openStream(kept.body.token);
  let otherClosed = false;
  void other.closed.then(() => {
    otherClosed = true;
  });

  const revoked = await call('DELETE', `/api/tokens/${doomed.body.id}`, api.org.token);
  assert.equal(revoked.status, 200);
  assert.ok(revoked.body.revokedAt);
  assert.deepEqual(await leaked.closed, { code: 4401, reason: 'token revoked' });
  const refused = await call('GET', '/api/me', doomed.body.token);
  assert.deepEqual([refused.status, refused.body.error.code], [401, 'unauthenticated']);
  assert.equal((await call('DELETE', `/api/tokens/${doomed.body.id}`, api.org.token)).status, 200, 'idempotent');
  // The other token still works, and its stream is open.
  assert.equal((await call('GET', '/api/me', kept.body.token)).status, 200);
  assert.equal(otherClosed, false);
  other.socket.close();
  const { rows } = await api.pool.query(`SELECT count(*)::int AS n FROM activities WHERE action = 'token.revoke'`);
  assert.equal(rows[0].n, 1, 'one activity, however often asked');
});

test('tokens, signatures and signed edge paths never reach the request log', async () => {
  const token = (await call('POST', '/api/tokens', api.org.token, { name: 'logged' })).body.token as string;
  const stream = await openStream(token);
  stream.socket.close();
  const presign = await call('POST', '/api/presign', api.org.token, {
    name: 'log.wav',
    size: 10,
    projectId: api.org.projectId,
  });
  const partUrl = new URL(presign.body.parts[0].url as string);
  await fetch(partUrl, { method: 'PUT', body: new Uint8Array(10) });
  const signature = partUrl.searchParams.get('signature')!;
  await fetch(`${api.url}/player/?src=${encodeURIComponent(`http://127.0.0.1:1/v/edgetokenXYZ.sig/hls/a/m.m3u8`)}`);

  const logged = logLines.join('\n');
  assert.match(logged, /\/api\/events/, 'the requests were logged');
  assert.match(logged, /\/storage\//);
  for (const secret of [token, api.org.token, signature, 'edgetokenXYZ'])
    assert.equal(logged.includes(secret), false, `${secret.slice(0, 12)}… is in the log`);
});
