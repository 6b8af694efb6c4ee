/**
 * Review changes live: every comment and approval change reaches, over /api/events, the clients
 * allowed to read the asset (a viewer of its project) and nobody else (a member of another
 * project, another organization), typed as the SDK delivers them; `?assetId=` narrows the stream.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createMemberWithToken, bootstrapOrganization } from '@mediavault/api/bootstrap';
import { createClient } from '../../sdk/src/client.ts';
import { openEventStream, type MediavaultEvent } from '../../sdk/src/event-stream.ts';
import { callApi, startTestApi, type TestApi } from '../../test/helpers/api.ts';

let api: TestApi;
let reviewer: string;
let viewer: string;
let outsider: string;
let outsiderProject: string;
let otherOrg: { token: string; projectId: string; organizationId: string };

before(async () => {
  api = await startTestApi();
  const member = (email: string, role: 'reviewer' | 'viewer' | 'editor', projectId: string) =>
    createMemberWithToken(api.pool, { organizationId: api.org.organizationId, projectId, email, role });
  reviewer = (await member('reviewer@studio.example', 'reviewer', api.org.projectId)).token;
  viewer = (await member('viewer@studio.example', 'viewer', api.org.projectId)).token;
  const { rows } = await api.pool.query<{ id: string }>(
    `INSERT INTO projects (organization_id, client_id, name) VALUES ($1, $2, 'Elsewhere') RETURNING id`,
    [api.org.organizationId, api.org.clientId],
  );
  outsiderProject = rows[0]!.id;
  outsider = (await member('outsider@studio.example', 'editor', outsiderProject)).token;
  otherOrg = await bootstrapOrganization(api.pool, {
    organization: 'Other',
    client: 'C',
    project: 'P',
    adminEmail: 'admin@other.example',
    adminName: 'O',
  });
});
after(() => api?.close());

let seeded = 0;
async function seedAsset(organizationId: string, projectId: string) {
  const name = `live-${++seeded}.mov`;
  const { rows } = await api.pool.query<{ asset_id: string; id: string }>(
    `WITH m AS (INSERT INTO masters (sha256, size, storage_key, retain_until)
                VALUES (encode(sha256($3::bytea), 'hex'), 1, 'k', now() + interval '1 day') RETURNING sha256),
          a AS (INSERT INTO assets (organization_id, project_id, name) VALUES ($1, $2, $3) RETURNING id)
     INSERT INTO versions (asset_id, number, sha256, size, original_name, meta)
     SELECT a.id, 1, m.sha256, 1, $3, '{"video":{"frameRate":{"num":25,"den":1}},"durationSeconds":60}' FROM a, m
     RETURNING asset_id, id`,
    [organizationId, projectId, name],
  );
  return { assetId: rows[0]!.asset_id, versionId: rows[0]!.id };
}

/** The SDK's event stream for a token, collecting what it delivers; resolves once the api listens. */
async function watch(token: string, filter: { assetId?: string } = {}) {
  const events: MediavaultEvent[] = [];
  const stream = openEventStream(createClient({ baseUrl: api.url, token }), filter, {
    onEvent: (event) => events.push(event),
  });
  assert.ok(await stream.whenLive(10_000), 'the stream is live');
  /** The first event matching, waiting for it (10 s at most). */
  const next = async (matches: (event: MediavaultEvent) => boolean) => {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const found = events.find(matches);
      if (found) return found;
      if (Date.now() > deadline || !stream.isLive) throw new Error(`no matching event; got ${JSON.stringify(events)}`);
      await stream.after(stream.received, deadline - Date.now());
    }
  };
  return { events, next, close: () => stream.close() };
}

const post = (token: string, path: string, body?: unknown) => callApi(api.url, 'POST', path, token, body);

test('comment and approval changes reach a viewer of the project, not another project or organization', async () => {
  const { assetId, versionId } = await seedAsset(api.org.organizationId, api.org.projectId);
  const ours = await watch(viewer);
  const theirs = await watch(outsider);
  const foreign = await watch(otherOrg.token);

  const created = await post(reviewer, `/api/assets/${assetId}/comments`, { frame: 12, text: 'soft focus' });
  const id = created.body.id as string;
  await callApi(api.url, 'PATCH', `/api/comments/${id}`, reviewer, { text: 'soft focus, 2nd shot' });
  await post(reviewer, `/api/comments/${id}/resolve`);
  await post(reviewer, `/api/comments/${id}/reopen`);
  await callApi(api.url, 'DELETE', `/api/comments/${id}`, reviewer);
  const approval = `/api/assets/${assetId}/versions/${versionId}/approval`;
  await callApi(api.url, 'PUT', approval, reviewer, { status: 'approved' });
  await callApi(api.url, 'PUT', approval, reviewer, { status: 'none' });

  await ours.next((e) => e.type === 'approval' && e.status === 'none');
  const review = ours.events.filter((e) => e.type === 'comment' || e.type === 'approval');
  assert.deepEqual(
    review.map((e) => (e.type === 'comment' ? `comment ${e.action}` : `approval ${e.status}`)),
    [
      'comment created',
      'comment updated',
      'comment resolved',
      'comment reopened',
      'comment deleted',
      'approval approved',
      'approval none',
    ],
  );
  assert.deepEqual(review[0], {
    type: 'comment',
    action: 'created',
    id,
    assetId,
    versionId,
    projectId: api.org.projectId,
    organizationId: api.org.organizationId,
    internal: false,
  });
  assert.deepEqual(review[5], {
    type: 'approval',
    assetId,
    versionId,
    projectId: api.org.projectId,
    organizationId: api.org.organizationId,
    status: 'approved',
  });

  // A change each of them may see, made last: delivery is in order per stream, so once it is
  // there, ours would have been too.
  const theirAsset = await seedAsset(api.org.organizationId, outsiderProject);
  await post(outsider, `/api/assets/${theirAsset.assetId}/comments`, { frame: 1, text: 'marker' });
  await theirs.next((e) => e.type === 'comment' && e.assetId === theirAsset.assetId);
  const foreignAsset = await seedAsset(otherOrg.organizationId, otherOrg.projectId);
  await post(otherOrg.token, `/api/assets/${foreignAsset.assetId}/comments`, { frame: 1, text: 'marker' });
  await foreign.next((e) => e.type === 'comment' && e.assetId === foreignAsset.assetId);
  for (const [who, stream] of [
    ['another project', theirs],
    ['another organization', foreign],
  ] as const) {
    const leaked = stream.events.filter((e) => 'assetId' in e && e.assetId === assetId);
    assert.deepEqual(leaked, [], `${who} sees nothing of the asset`);
  }
  for (const stream of [ours, theirs, foreign]) stream.close();
});

test('?assetId= keeps the events of one asset', async () => {
  const one = await seedAsset(api.org.organizationId, api.org.projectId);
  const other = await seedAsset(api.org.organizationId, api.org.projectId);
  const narrowed = await watch(viewer, { assetId: one.assetId });
  await post(reviewer, `/api/assets/${other.assetId}/comments`, { frame: 1, text: 'elsewhere' });
  await post(reviewer, `/api/assets/${one.assetId}/comments`, { frame: 1, text: 'here' });
  await narrowed.next((e) => e.type === 'comment' && e.assetId === one.assetId);
  assert.deepEqual(
    narrowed.events.filter((e) => 'assetId' in e && e.assetId === other.assetId),
    [],
  );
  narrowed.close();
});
