/**
 * No input produces a 500, and a refused request changes nothing: NUL characters and broken
 * UTF-16 are refused naming the field, bodies are not coerced, numbers out of range are 400.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { findUnstorableText } from '@mediavault/api/plugins/validation';
import { bearer, callApi, startTestApi, type TestApi } from '../../test/helpers/api.ts';

let api: TestApi;
before(async () => {
  api = await startTestApi();
});
after(() => api?.close());

/** A raw JSON body, as a client that builds its own could send it (lone surrogates survive JSON escapes). */
async function postRaw(path: string, json: string) {
  const res = await fetch(`${api.url}${path}`, {
    method: 'POST',
    headers: { ...bearer(api.org.token), 'content-type': 'application/json' },
    body: json,
  });
  return { status: res.status, body: (await res.json()) as { error?: { code: string; details?: { field?: string } } } };
}

async function footprint() {
  const { rows } = await api.pool.query(
    `SELECT (SELECT count(*) FROM uploads)::int AS uploads, (SELECT count(*) FROM activities)::int AS activities`,
  );
  const multipart = await readdir(join(api.config.storage.fs.root, 'staging', '.multipart')).catch(() => []);
  return { ...rows[0], multipart: multipart.length };
}

test('NUL characters and lone surrogates are 400 naming the field, and leave nothing behind', async () => {
  const before = await footprint();
  const cases = [
    ['{"name":"a\\u0000b.mov","size":10,"projectId":"%P"}', 'body.name'],
    ['{"name":"a\\ud800b.mov","size":10,"projectId":"%P"}', 'body.name'],
    ['{"name":"ok.mov","size":10,"projectId":"%P","contentType":"video/\\udc00x"}', 'body.contentType'],
  ] as const;
  for (const [json, field] of cases) {
    const res = await postRaw('/api/presign', json.replace('%P', api.org.projectId));
    assert.deepEqual(
      [res.status, res.body.error?.code, res.body.error?.details?.field],
      [400, 'bad_request', field],
      json,
    );
  }
  const batch = await postRaw(
    '/api/uploads/batch',
    JSON.stringify({
      projectId: api.org.projectId,
      files: [
        { name: 'fine.wav', size: 1, sha256: 'a'.repeat(64) },
        { name: 'x\u0000.wav', size: 1, sha256: 'b'.repeat(64) },
      ],
    }),
  );
  assert.deepEqual([batch.status, batch.body.error?.details?.field], [400, 'body.files[1].name']);
  const query = await callApi(api.url, 'GET', `/api/projects/${api.org.projectId}/assets?cursor=%00`, api.org.token);
  assert.deepEqual([query.status, query.body.error.details.field], [400, 'querystring.cursor']);
  assert.deepEqual(await footprint(), before, 'no upload, activity or staging folder left by refused requests');
});

test('bodies are not coerced: null is not 0, true is not [1], "5" is not 5', async () => {
  for (const body of [
    { name: 'a.mov', size: null, projectId: api.org.projectId },
    { name: 'a.mov', size: '5', projectId: api.org.projectId },
  ]) {
    const res = await callApi(api.url, 'POST', '/api/presign', api.org.token, body);
    assert.deepEqual([res.status, res.body.error.details.field], [400, 'body.size'], JSON.stringify(body));
  }
  const presign = await callApi(api.url, 'POST', '/api/presign', api.org.token, {
    name: 'b.mov',
    size: 10,
    projectId: api.org.projectId,
  });
  const parts = await callApi(api.url, 'POST', `/api/uploads/${presign.body.uploadId}/parts`, api.org.token, {
    partNumbers: true,
  });
  assert.deepEqual([parts.status, parts.body.error.details.field], [400, 'body.partNumbers']);
});

test('numbers out of range in a querystring are 400, never 500', async () => {
  for (const limit of ['1e400', '-1', '0', '501', '1.5', 'NaN', '99999999999999999999']) {
    const res = await callApi(
      api.url,
      'GET',
      `/api/projects/${api.org.projectId}/assets?limit=${limit}`,
      api.org.token,
    );
    assert.equal(res.status, 400, `limit=${limit}: ${JSON.stringify(res.body)}`);
  }
  assert.equal((await callApi(api.url, 'GET', `/api/jobs?limit=1e400`, api.org.token)).status, 400);
  assert.equal(
    (await callApi(api.url, 'POST', '/api/preview', api.org.token, { sha256: 'a'.repeat(64), profile: 'x' })).status,
    400,
    'an unknown preview profile',
  );
});

test('the text check walks keys and nested arrays', () => {
  assert.equal(findUnstorableText({ a: [{ b: 'ok' }, { c: 'x\u0000' }] }, 'body'), 'body.a[1].c');
  assert.equal(findUnstorableText({ 'k\ud800': 1 }, 'body'), 'body.<key>');
  assert.equal(findUnstorableText({ a: 'emoji 🎬 is fine', b: ['\u00e9'] }, 'body'), null);
});
