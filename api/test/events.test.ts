import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { bootstrapOrganization, createMemberWithToken } from '@mediavault/api/bootstrap';
import type { CatalogueEvent } from '@mediavault/api/services/events';
import { bearer, startTestApi, type TestApi } from '../../test/helpers/api.ts';

let api: TestApi;
before(async () => {
  api = await startTestApi({ env: { PREVIEW_BACKLOG_SECONDS: '30' } });
});
after(async () => {
  await api?.close();
});

/** A WebSocket on /api/events that collects messages; resolves once the server says it is listening. */
/** What the stream sends: the catalogue's events and its own 'ready'. */
type EventMessage = Partial<Omit<CatalogueEvent, 'type'>> & { type: CatalogueEvent['type'] | 'ready' } & Record<
    string,
    unknown
  >;

async function subscribe(token: string, query = '') {
  const url = `${api.url.replace('http', 'ws')}/api/events?access_token=${encodeURIComponent(token)}${query}`;
  const socket = new WebSocket(url);
  const messages: EventMessage[] = [];
  const waiters: { predicate: (m: EventMessage) => boolean; resolve: (m: EventMessage) => void }[] = [];
  socket.addEventListener('message', (e) => {
    const message = JSON.parse(String(e.data)) as EventMessage;
    messages.push(message);
    for (const w of [...waiters])
      if (w.predicate(message)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(message);
      }
  });
  const next = (predicate: (m: EventMessage) => boolean, timeoutMs = 10_000) =>
    new Promise<EventMessage>((resolve, reject) => {
      const found = messages.find(predicate);
      if (found) return resolve(found);
      const timer = setTimeout(
        () => reject(new Error(`no matching event in ${timeoutMs} ms; got ${JSON.stringify(messages)}`)),
        timeoutMs,
      );
      waiters.push({
        predicate,
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m);
        },
      });
    });
  await next((m) => m.type === 'ready');
  return { socket, messages, next, close: () => socket.close() };
}

async function seedVersion(sha: string) {
  const { rows } = await api.pool.query(
    `WITH m AS (INSERT INTO masters (sha256, size, storage_key, retain_until) VALUES ($1, 1, 'k', now() + interval '1 day') RETURNING sha256),
          a AS (INSERT INTO assets (organization_id, project_id, name) VALUES ($2, $3, $4) RETURNING id)
     INSERT INTO versions (asset_id, number, sha256, size, original_name) SELECT a.id, 1, m.sha256, 1, $4 FROM a, m RETURNING asset_id`,
    [sha, api.org.organizationId, api.org.projectId, `clip-${sha.slice(0, 6)}.mov`],
  );
  return rows[0].asset_id as string;
}

test('state changes reach subscribers allowed to see them, and nobody else', async () => {
  const other = await bootstrapOrganization(api.pool, {
    organization: 'Other',
    client: 'C',
    project: 'P',
    adminEmail: 'a@other.example',
    adminName: 'O',
  });
  const ours = await subscribe(api.org.token);
  const theirs = await subscribe(other.token);

  const presign = await fetch(`${api.url}/api/presign`, {
    method: 'POST',
    headers: { ...bearer(api.org.token), 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'a.mov', size: 10, projectId: api.org.projectId }),
  }).then((r) => r.json());
  const uploadEvent = await ours.next((m) => m.type === 'upload' && m.id === presign.uploadId);
  assert.equal(uploadEvent.status, 'uploading');
  assert.equal(uploadEvent.projectId, api.org.projectId);

  const sha = createHash('sha256').update('events').digest('hex');
  await seedVersion(sha);
  const requested = await fetch(`${api.url}/api/preview`, {
    method: 'POST',
    headers: { ...bearer(api.org.token), 'content-type': 'application/json' },
    body: JSON.stringify({ sha256: sha }),
  });
  assert.equal(requested.status, 202);
  assert.ok(Number(requested.headers.get('retry-after')) >= 1, 'a queued preview says when to ask again');
  const previewEvent = await ours.next((m) => m.type === 'preview' && m.sha256 === sha);
  assert.equal(previewEvent.status, 'queued');

  // A marker event the other organization may see proves its socket was live the whole time.
  await fetch(`${api.url}/api/presign`, {
    method: 'POST',
    headers: { ...bearer(other.token), 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'b.mov', size: 10, projectId: other.projectId }),
  });
  await theirs.next((m) => m.type === 'upload' && m.projectId === other.projectId);
  assert.equal(theirs.messages.filter((m) => m.type === 'upload' && m.id === presign.uploadId).length, 0);
  assert.equal(theirs.messages.filter((m) => m.type === 'preview').length, 0);
  ours.close();
  theirs.close();
});

test('a viewer of another project does not see uploads of ours; filters narrow the stream', async () => {
  const client = await api.pool.query(
    `INSERT INTO projects (organization_id, client_id, name) VALUES ($1, $2, 'Elsewhere') RETURNING id`,
    [api.org.organizationId, api.org.clientId],
  );
  const outsider = await createMemberWithToken(api.pool, {
    organizationId: api.org.organizationId,
    projectId: client.rows[0].id,
    email: 'outsider@studio.example',
    role: 'viewer',
  });
  const watcher = await subscribe(outsider.token);
  const filtered = await subscribe(api.org.token, `&projectId=${client.rows[0].id}`);
  const ours = await subscribe(api.org.token);
  const presign = await fetch(`${api.url}/api/presign`, {
    method: 'POST',
    headers: { ...bearer(api.org.token), 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'c.mov', size: 10, projectId: api.org.projectId }),
  }).then((r) => r.json());
  await ours.next((m) => m.type === 'upload' && m.id === presign.uploadId);
  // Events are delivered in order per connection: once a later event arrives, the earlier one would have too.
  await api.pool.query(`UPDATE uploads SET status = 'aborted' WHERE id = $1`, [presign.uploadId]);
  await ours.next((m) => m.type === 'upload' && m.status === 'aborted');
  assert.equal(watcher.messages.filter((m) => m.type === 'upload').length, 0);
  assert.equal(filtered.messages.filter((m) => m.type === 'upload').length, 0);
  for (const s of [watcher, filtered, ours]) s.close();
});

test('without a valid token the socket is closed', async () => {
  const socket = new WebSocket(`${api.url.replace('http', 'ws')}/api/events?access_token=mvt_nope`);
  const closed = await new Promise<{ code: number } | 'error'>((resolve) => {
    socket.addEventListener('close', (e) => resolve({ code: e.code }));
    socket.addEventListener('error', () => resolve('error'));
  });
  assert.notEqual(closed, 'error');
  assert.equal((closed as { code: number }).code, 4401, 'closed as unauthenticated');
});

test('dead-lettered jobs are listed for organization admins only', async () => {
  const sha = createHash('sha256').update('dead').digest('hex');
  await seedVersion(sha);
  await api.pool.query(
    `INSERT INTO jobs (kind, subject, state, attempts, error) VALUES ('preview', $1, 'dead', 3, '{"code":"retries_exhausted","message":"gave up"}')`,
    [`${sha}:default`],
  );
  const res = await fetch(`${api.url}/api/jobs?state=dead`, { headers: bearer(api.org.token) });
  assert.equal(res.status, 200);
  const body = await res.json();
  assert.ok(
    body.items.some(
      (j: { subject: string; state: string; error: { code?: string } | null }) =>
        j.subject === `${sha}:default` && j.state === 'dead' && j.error?.code === 'retries_exhausted',
    ),
  );
  const other = await bootstrapOrganization(api.pool, {
    organization: 'Third',
    client: 'C',
    project: 'P',
    adminEmail: 'a@third.example',
    adminName: 'T',
  });
  const theirs = await (await fetch(`${api.url}/api/jobs?state=dead`, { headers: bearer(other.token) })).json();
  assert.equal(theirs.items.length, 0, 'another organization does not see jobs on our content');
  const viewer = await createMemberWithToken(api.pool, {
    organizationId: api.org.organizationId,
    projectId: api.org.projectId,
    email: 'v@studio.example',
    role: 'viewer',
  });
  assert.equal((await fetch(`${api.url}/api/jobs`, { headers: bearer(viewer.token) })).status, 403);
});
