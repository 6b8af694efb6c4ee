import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { masterKey } from '@mediavault/core/keys';
import { verifyEdgeToken } from '@mediavault/core/signer';
import { createMemberWithToken, bootstrapOrganization } from '@mediavault/api/bootstrap';
import { handlePromote } from '@mediavault/worker/jobs/promote';
import { callApi, startTestApi, type TestApi } from '../../test/helpers/api.ts';

let api: TestApi;
const quietLog = { info() {}, warn() {}, error() {} };

before(async () => {
  api = await startTestApi();
});
after(async () => {
  await api?.close();
});

const call = (method: string, path: string, token: string | null, body?: unknown) =>
  callApi(api.url, method, path, token, body);

async function activityCount(): Promise<number> {
  const { rows } = await api.pool.query('SELECT count(*)::int AS n FROM activities');
  return rows[0].n;
}

/** Uploads bytes through the presigned part URLs the api hands out, like any client. */
async function uploadBytes(token: string, projectId: string, name: string, bytes: Buffer) {
  const presign = await call('POST', '/api/presign', token, {
    name,
    size: bytes.length,
    projectId,
    partSize: 5 * 1024 * 1024,
  });
  assert.equal(presign.status, 200, JSON.stringify(presign.body));
  assert.equal(presign.body.status, 'upload');
  const parts = [];
  for (const part of presign.body.parts) {
    const chunk = bytes.subarray(
      (part.partNumber - 1) * presign.body.partSize,
      part.partNumber * presign.body.partSize,
    );
    const res = await fetch(part.url, { method: 'PUT', body: new Uint8Array(chunk) });
    assert.equal(res.status, 200, await res.clone().text());
    parts.push({ partNumber: part.partNumber, etag: res.headers.get('etag')! });
  }
  const done = await call('POST', `/api/uploads/${presign.body.uploadId}/complete`, token, { parts });
  assert.equal(done.status, 200, JSON.stringify(done.body));
  assert.equal(done.body.status, 'uploaded');
  return presign.body as { uploadId: string; stagingKey: string; partCount: number };
}

const deps = () => ({ config: api.config, pool: api.pool, boss: api.boss, storages: api.storages, log: quietLog });

describe('authentication', () => {
  test('no token and a wrong token are 401 with the error shape', async () => {
    const none = await call('GET', '/api/me', null);
    assert.equal(none.status, 401);
    assert.equal(none.body.error.code, 'unauthenticated');
    const wrong = await call('GET', '/api/me', `mvt_${randomBytes(32).toString('base64url')}`);
    assert.equal(wrong.status, 401);
  });

  test('a new token is shown once and stored only as a hash', async () => {
    const created = await call('POST', '/api/tokens', api.org.token, { name: 'ci' });
    assert.equal(created.status, 201);
    assert.match(created.body.token, /^mvt_[A-Za-z0-9_-]{43}$/);
    const { rows } = await api.pool.query('SELECT token_hash FROM api_tokens WHERE id = $1', [created.body.id]);
    assert.deepEqual(rows[0].token_hash, createHash('sha256').update(created.body.token).digest());
    const raw = await api.pool.query(
      `SELECT count(*)::int AS n FROM api_tokens WHERE encode(token_hash, 'escape') LIKE '%' || $1 || '%'`,
      [created.body.token.slice(4, 20)],
    );
    assert.equal(raw.rows[0].n, 0);
    const me = await call('GET', '/api/me', created.body.token);
    assert.equal(me.status, 200);
    assert.equal(me.body.user.email, 'admin@test');
    const used = await api.pool.query('SELECT last_used_at FROM api_tokens WHERE id = $1', [created.body.id]);
    assert.ok(used.rows[0].last_used_at instanceof Date, 'use of a token is recorded');
    await api.pool.query('UPDATE api_tokens SET revoked_at = now() WHERE id = $1', [created.body.id]);
    assert.equal(
      (await call('GET', '/api/me', created.body.token)).status,
      401,
      'a revoked token stops working at once',
    );
  });
});

describe('organization, clients, projects, members', () => {
  test('an org admin creates a client, a project and gives a user a role; each mutation is an activity', async () => {
    const before = await activityCount();
    const client = await call('POST', '/api/clients', api.org.token, { name: 'Broadcaster B' });
    assert.equal(client.status, 201);
    const project = await call('POST', '/api/projects', api.org.token, { clientId: client.body.id, name: 'Series 2' });
    assert.equal(project.status, 201);
    const user = await call('POST', '/api/users', api.org.token, { email: 'Editor@Studio.example', name: 'Ed' });
    assert.equal(user.status, 201);
    assert.equal(user.body.email, 'editor@studio.example');
    const member = await call('PUT', `/api/projects/${project.body.id}/members/${user.body.id}`, api.org.token, {
      role: 'editor',
    });
    assert.equal(member.status, 200);
    assert.equal(member.body.role, 'editor');
    assert.equal(await activityCount(), before + 4);
    const duplicate = await call('POST', '/api/clients', api.org.token, { name: 'Broadcaster B' });
    assert.equal(duplicate.status, 409);
    assert.equal(await activityCount(), before + 4, 'a refused mutation writes no activity');
  });

  test('a non-admin cannot create projects, and sees only projects they hold a role in', async () => {
    const viewer = await createMemberWithToken(api.pool, {
      organizationId: api.org.organizationId,
      projectId: api.org.projectId,
      email: 'viewer1@test',
      role: 'viewer',
    });
    const refused = await call('POST', '/api/projects', viewer.token, { clientId: api.org.clientId, name: 'Nope' });
    assert.equal(refused.status, 403);
    const list = await call('GET', '/api/projects', viewer.token);
    assert.deepEqual(
      list.body.items.map((p: { id: string }) => p.id),
      [api.org.projectId],
    );
    assert.equal(list.body.items[0].role, 'viewer');
  });
});

describe('bad input', () => {
  test('a malformed body is a 400 naming the field, and changes nothing', async () => {
    const before = await activityCount();
    const res = await call('POST', '/api/presign', api.org.token, {
      name: 'a.mov',
      size: 'big',
      projectId: api.org.projectId,
    });
    assert.equal(res.status, 400);
    assert.equal(res.body.error.code, 'bad_request');
    assert.equal(res.body.error.details.field, 'body.size');
    assert.match(res.body.error.message, /body\.size/);
    const missing = await call('POST', '/api/presign', api.org.token, { name: 'a.mov', size: 1 });
    assert.equal(missing.body.error.details.field, 'body.projectId');
    const extra = await call('POST', '/api/presign', api.org.token, {
      name: 'a.mov',
      size: 1,
      projectId: api.org.projectId,
      bogus: 1,
    });
    assert.equal(extra.status, 400);
    assert.equal(extra.body.error.details.field, 'body.bogus');
    assert.equal(await activityCount(), before);
    const uploads = await api.pool.query('SELECT count(*)::int AS n FROM uploads');
    assert.equal(uploads.rows[0].n, 0);
  });

  test('a viewer presigning an upload is 403', async () => {
    const viewer = await createMemberWithToken(api.pool, {
      organizationId: api.org.organizationId,
      projectId: api.org.projectId,
      email: 'viewer2@test',
      role: 'viewer',
    });
    const res = await call('POST', '/api/presign', viewer.token, {
      name: 'a.mov',
      size: 10,
      projectId: api.org.projectId,
    });
    assert.equal(res.status, 403);
    assert.equal(res.body.error.code, 'forbidden');
  });

  test('a name that cannot be an asset name is refused at presign, before any byte is sent', async () => {
    const before = await api.pool.query('SELECT count(*)::int AS n FROM uploads');
    for (const name of ['day01/a.mov', '../a.mov', ' ']) {
      const res = await call('POST', '/api/presign', api.org.token, { name, size: 10, projectId: api.org.projectId });
      assert.equal(res.status, 400, `${name}: ${JSON.stringify(res.body)}`);
    }
    const after = await api.pool.query('SELECT count(*)::int AS n FROM uploads');
    assert.equal(after.rows[0].n, before.rows[0].n, 'no upload was started');
  });

  test('promoting into an asset of another project than the mapping names is 400, and starts nothing', async () => {
    const client = await call('POST', '/api/clients', api.org.token, {
      name: `Client ${randomBytes(4).toString('hex')}`,
    });
    const other = await call('POST', '/api/projects', api.org.token, {
      clientId: client.body.id,
      name: 'Other project',
    });
    assert.equal(other.status, 201, JSON.stringify(other.body));
    const bytes = randomBytes(1000);
    const first = await uploadBytes(api.org.token, other.body.id, 'first.bin', bytes);
    await call('POST', '/api/promote', api.org.token, {
      uploadId: first.uploadId,
      sha256: createHash('sha256').update(bytes).digest('hex'),
    });
    await handlePromote(deps(), { uploadId: first.uploadId });
    const assetId = (await call('GET', `/api/uploads/${first.uploadId}`, api.org.token)).body.assetId;
    const more = randomBytes(1000);
    const second = await uploadBytes(api.org.token, api.org.projectId, 'second.bin', more);
    const res = await call('POST', '/api/promote', api.org.token, {
      uploadId: second.uploadId,
      sha256: createHash('sha256').update(more).digest('hex'),
      mapping: { assetId },
    });
    assert.equal(res.status, 400, JSON.stringify(res.body));
    assert.match(res.body.error.message, /another project/);
    assert.equal(
      (await call('GET', `/api/uploads/${second.uploadId}`, api.org.token)).body.status,
      'uploaded',
      'the upload is unchanged',
    );
  });

  test('a declared size over the maximum is 413', async () => {
    const res = await call('POST', '/api/presign', api.org.token, {
      name: 'huge.mov',
      size: 6 * 1024 ** 4,
      projectId: api.org.projectId,
    });
    assert.equal(res.status, 413);
  });
});

describe('upload and promotion', () => {
  const bytes = randomBytes(11 * 1024 * 1024);
  const sha = createHash('sha256').update(bytes).digest('hex');

  test('a wrong sha256 fails the promotion clearly: nothing in masters, staged bytes kept', async () => {
    const upload = await uploadBytes(api.org.token, api.org.projectId, 'wrong.bin', bytes);
    assert.equal(upload.partCount, 3);
    const wrongSha = createHash('sha256').update('something else').digest('hex');
    const promote = await call('POST', '/api/promote', api.org.token, { uploadId: upload.uploadId, sha256: wrongSha });
    assert.equal(promote.status, 202);
    await handlePromote(deps(), { uploadId: upload.uploadId });
    const state = await call('GET', `/api/uploads/${upload.uploadId}`, api.org.token);
    assert.equal(state.body.status, 'failed');
    assert.equal(state.body.error.code, 'checksum_mismatch');
    assert.match(state.body.error.message, new RegExp(sha));
    assert.equal(await api.storages.masters.head(masterKey(wrongSha)), null);
    assert.equal(await api.storages.masters.head(masterKey(sha)), null);
    const staged = await api.storages.staging.head(upload.stagingKey);
    assert.equal(staged?.size, bytes.length, 'staged bytes are kept for inspection');
    const masters = await api.pool.query('SELECT count(*)::int AS n FROM masters WHERE sha256 = ANY($1)', [
      [sha, wrongSha],
    ]);
    assert.equal(masters.rows[0].n, 0);
  });

  test('the right sha256 makes a read-only master and a version; promoting again changes nothing', async () => {
    const upload = await uploadBytes(api.org.token, api.org.projectId, 'clip.bin', bytes);
    const promote = await call('POST', '/api/promote', api.org.token, {
      uploadId: upload.uploadId,
      sha256: sha,
      mapping: { collectionPath: 'day01/cam-a' },
    });
    assert.equal(promote.status, 202);
    const again = await call('POST', '/api/promote', api.org.token, { uploadId: upload.uploadId, sha256: sha });
    assert.equal(again.status, 202);
    assert.equal(again.body.jobId, null, 'a second promote while promoting sends no second job');
    await handlePromote(deps(), { uploadId: upload.uploadId });
    await handlePromote(deps(), { uploadId: upload.uploadId }); // at-least-once delivery: a re-run is harmless
    const state = await call('GET', `/api/uploads/${upload.uploadId}`, api.org.token);
    assert.equal(state.body.status, 'promoted');
    const masterPath = join(api.config.storage.fs.root, 'masters', masterKey(sha));
    const info = await stat(masterPath);
    assert.equal(info.size, bytes.length);
    assert.equal(info.mode & 0o222, 0, 'the master is read-only');
    await assert.rejects(api.storages.masters.delete(masterKey(sha)), /retain|retention|locked|forbidden/i);
    const versions = await api.pool.query('SELECT count(*)::int AS n FROM versions WHERE sha256 = $1', [sha]);
    assert.equal(versions.rows[0].n, 1);
    const asset = await call('GET', `/api/assets/${state.body.assetId}`, api.org.token);
    assert.equal(asset.status, 200);
    assert.equal(asset.body.collectionPath, 'day01/cam-a');
    assert.equal(asset.body.versions[0].sha256, sha);
    assert.equal(
      await api.storages.staging.head(upload.stagingKey),
      null,
      'the staged copy is removed after promotion',
    );
    const idempotent = await call('POST', '/api/promote', api.org.token, { uploadId: upload.uploadId, sha256: sha });
    assert.equal(idempotent.status, 200);
    assert.equal(idempotent.body.versionId, state.body.versionId);

    // The same bytes presigned again are a duplicate: no URLs, the existing version.
    const dup = await call('POST', '/api/presign', api.org.token, {
      name: 'copy.bin',
      size: bytes.length,
      projectId: api.org.projectId,
      sha256: sha,
    });
    assert.equal(dup.body.status, 'duplicate');
    assert.equal(dup.body.versionId, state.body.versionId);
  });

  test('another organization sees 404 and no data for our asset, upload and staging key', async () => {
    const other = await bootstrapOrganization(api.pool, {
      organization: 'Other',
      client: 'C',
      project: 'P',
      adminEmail: 'admin@other',
      adminName: 'O',
    });
    const { rows } = await api.pool.query(
      'SELECT id, asset_id, staging_key FROM uploads WHERE asset_id IS NOT NULL LIMIT 1',
    );
    const asset = await call('GET', `/api/assets/${rows[0].asset_id}`, other.token);
    assert.equal(asset.status, 404);
    assert.deepEqual(Object.keys(asset.body), ['error']);
    assert.equal((await call('GET', `/api/uploads/${rows[0].id}`, other.token)).status, 404);
    assert.equal((await call('GET', `/api/assets/${rows[0].asset_id}/playback`, other.token)).status, 404);
    assert.equal(
      (await call('POST', '/api/promote', other.token, { stagingKey: rows[0].staging_key, sha256: sha })).status,
      404,
    );
    assert.equal((await call('GET', `/api/projects/${api.org.projectId}/assets`, other.token)).status, 404);
    assert.equal((await call('POST', '/api/preview', other.token, { sha256: sha })).status, 404);
  });

  test('assets list pages newest first with a cursor', async () => {
    for (const n of [1, 2, 3]) {
      const b = randomBytes(1000 + n);
      const up = await uploadBytes(api.org.token, api.org.projectId, `page-${n}.bin`, b);
      await call('POST', '/api/promote', api.org.token, {
        uploadId: up.uploadId,
        sha256: createHash('sha256').update(b).digest('hex'),
      });
      await handlePromote(deps(), { uploadId: up.uploadId });
    }
    const first = await call('GET', `/api/projects/${api.org.projectId}/assets?limit=2`, api.org.token);
    assert.equal(first.body.items.length, 2);
    assert.equal(first.body.items[0].name, 'page-3.bin');
    const second = await call(
      'GET',
      `/api/projects/${api.org.projectId}/assets?limit=2&cursor=${first.body.nextCursor}`,
      api.org.token,
    );
    assert.equal(second.body.items[0].name, 'page-1.bin');
    const bad = await call('GET', `/api/projects/${api.org.projectId}/assets?cursor=nonsense`, api.org.token);
    assert.equal(bad.status, 400);
  });

  test('playback is 409 until the preview is ready, then signed edge URLs for that sha only', async () => {
    const { rows } = await api.pool.query('SELECT asset_id FROM uploads WHERE name = $1', ['clip.bin']);
    const assetId = rows[0].asset_id;
    const notReady = await call('GET', `/api/assets/${assetId}/playback`, api.org.token);
    assert.equal(notReady.status, 409);
    const requested = await call('POST', '/api/preview', api.org.token, { sha256: sha });
    assert.ok([200, 202].includes(requested.status));
    await api.pool.query(`UPDATE previews SET status = 'ready' WHERE sha256 = $1`, [sha]);
    const playback = await call('GET', `/api/assets/${assetId}/playback`, api.org.token);
    assert.equal(playback.status, 200);
    const manifest = new URL(playback.body.manifestUrl);
    const [, v, token, ...rest] = manifest.pathname.split('/');
    assert.equal(v, 'v');
    assert.equal(rest.join('/'), `hls/${sha}/master.m3u8`);
    const check = verifyEdgeToken(
      token!,
      [{ kid: api.config.edge.signingKid, secret: api.config.edge.signingKey }],
      Math.floor(Date.now() / 1000),
    );
    assert.ok(check.ok);
    assert.equal(check.ok && check.claims.sha, sha);
    assert.ok(new URL(playback.body.playerUrl).searchParams.get('src') === playback.body.manifestUrl);
  });
});

describe('openapi', () => {
  test('every route has an operationId and tags, and /docs is served', async () => {
    const doc = await call('GET', '/openapi.json', null);
    assert.equal(doc.body.openapi, '3.1.0');
    const operations = Object.values(
      doc.body.paths as Record<string, Record<string, { operationId?: string; tags?: string[] }>>,
    ).flatMap((p) => Object.values(p));
    assert.ok(operations.length >= 20);
    for (const op of operations) {
      assert.ok(op.operationId, 'operationId');
      assert.ok(op.tags && op.tags.length > 0, `tags of ${op.operationId}`);
    }
    const docs = await fetch(`${api.url}/docs/`);
    assert.equal(docs.status, 200);
  });
});
