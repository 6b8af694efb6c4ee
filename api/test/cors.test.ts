/** Browsers on the origins CORS_ORIGINS names may call the api; other origins get no CORS headers. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { bearer, startTestApi, type TestApi } from '../../test/helpers/api.ts';

let api: TestApi;
before(async () => {
  api = await startTestApi({ env: { CORS_ORIGINS: 'https://tools.example.com,https://review.example.com' } });
});
after(() => api?.close());

test('an allowed origin gets the CORS headers (preflight included), another origin none', async () => {
  const allowed = await fetch(`${api.url}/api/me`, {
    headers: { ...bearer(api.org.token), origin: 'https://tools.example.com' },
  });
  assert.equal(allowed.status, 200);
  assert.equal(allowed.headers.get('access-control-allow-origin'), 'https://tools.example.com');
  assert.match(allowed.headers.get('access-control-expose-headers') ?? '', /x-request-id/);

  const preflight = await fetch(`${api.url}/api/tokens`, {
    method: 'OPTIONS',
    headers: {
      origin: 'https://review.example.com',
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'authorization,content-type',
    },
  });
  assert.equal(preflight.headers.get('access-control-allow-origin'), 'https://review.example.com');

  const other = await fetch(`${api.url}/api/me`, {
    headers: { ...bearer(api.org.token), origin: 'https://evil.test' },
  });
  assert.equal(other.status, 200, 'the request itself is not refused: browsers enforce CORS');
  assert.equal(other.headers.get('access-control-allow-origin'), null);
});
