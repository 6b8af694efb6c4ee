/**
 * Rate limits: per token (or address), tighter for mutations and for tokens that are not
 * valid, answered with 429 and Retry-After, and shared by api processes on one database.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { createApi } from '@mediavault/api/process';
import { openRuntime, type Runtime } from '@mediavault/core/runtime';
import { freePort } from '@mediavault/core/free-port';
import { callApi, startTestApi, type TestApi } from '../../test/helpers/api.ts';

let api: TestApi;
let second: { runtime: Runtime; app: FastifyInstance; url: string };

before(async () => {
  api = await startTestApi({
    env: {
      RATE_LIMIT_READS_PER_MINUTE: '6',
      RATE_LIMIT_WRITES_PER_MINUTE: '3',
      RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: '4',
    },
  });
  // A second api process on the same database and configuration.
  const runtime = await openRuntime(api.config, { databaseUrl: api.databaseUrl, apiUrl: api.url });
  const app = await createApi(runtime, { urls: { api: api.url, edge: api.edgeUrl }, logger: false });
  const port = await freePort();
  await app.listen({ host: '127.0.0.1', port });
  second = { runtime, app, url: `http://127.0.0.1:${port}` };
});
after(async () => {
  await second?.app.close();
  await second?.runtime.close();
  await api?.close();
});

/** New tokens, with every counter cleared after making them (their creation is not what is measured). */
async function newTokens(...names: string[]): Promise<string[]> {
  const tokens: string[] = [];
  for (const name of names) {
    const created = await callApi(api.url, 'POST', '/api/tokens', api.org.token, { name });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    tokens.push(created.body.token);
  }
  await api.pool.query('DELETE FROM rate_limit_windows');
  return tokens;
}

test('reads over the limit are 429 with Retry-After, counted across api processes; another token is not held back', async () => {
  const [token, other] = await newTokens('reader', 'other reader');
  const statuses: number[] = [];
  let last = null as Awaited<ReturnType<typeof callApi>> | null;
  for (let i = 0; i < 7; i++) {
    // Alternate between the two processes: one limit for both.
    last = await callApi(i % 2 === 0 ? api.url : second.url, 'GET', '/api/me', token!);
    statuses.push(last.status);
    if (i === 0) assert.equal(last.headers.get('x-ratelimit-limit'), '6');
  }
  assert.deepEqual(statuses, [200, 200, 200, 200, 200, 200, 429]);
  assert.equal(last!.body.error.code, 'rate_limited');
  const retryAfter = Number(last!.headers.get('retry-after'));
  assert.ok(retryAfter > 0 && retryAfter <= 60, `Retry-After ${retryAfter}`);
  assert.equal((await callApi(api.url, 'GET', '/api/me', other!)).status, 200);
});

test('mutations have a tighter limit than reads', async () => {
  const [token] = await newTokens('writer');
  const statuses: number[] = [];
  for (let i = 0; i < 4; i++)
    statuses.push((await callApi(api.url, 'POST', '/api/tokens', token!, { name: `w${i}` })).status);
  assert.deepEqual(statuses, [201, 201, 201, 429]);
  assert.equal((await callApi(api.url, 'GET', '/api/me', token!)).status, 200, 'reads go on');
});

test('requests with a token that is not valid are limited per address, tighter still', async () => {
  await api.pool.query('DELETE FROM rate_limit_windows');
  const statuses: number[] = [];
  for (let i = 0; i < 5; i++) statuses.push((await callApi(api.url, 'GET', '/api/me', `mvt_guess${i}`)).status);
  assert.deepEqual(statuses, [401, 401, 401, 401, 429]);
  assert.equal((await callApi(second.url, 'GET', '/api/me', 'mvt_guess-on-the-other-process')).status, 429);
  assert.equal((await callApi(api.url, 'GET', '/api/me', api.org.token)).status, 200, 'a valid token is not held back');
});
