/**
 * Review comments and approvals through the real api on a real database: frame anchors and their
 * SMPTE timecode (drop-frame from a real ffprobe of a 29.97 DF clip too), replies, edits and
 * tombstones, resolve and reopen, listing order, filters and keyset pages, approvals in the asset
 * document, and every change in the activity log.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bootstrapOrganization, createMemberWithToken } from '@mediavault/api/bootstrap';
import { masterKey } from '@mediavault/core/keys';
import { handleProbe } from '@mediavault/worker/jobs/probe';
import { generateClip } from '../../worker/test/fixtures.ts';
import { callApi, startTestApi, type TestApi } from '../../test/helpers/api.ts';

let api: TestApi;
const tokens = {} as Record<
  'admin' | 'reviewer' | 'reviewer2' | 'viewer' | 'projectAdmin' | 'outsider' | 'other',
  string
>;
const users = {} as Record<keyof typeof tokens, string>;

before(async () => {
  api = await startTestApi();
  const { org } = api;
  tokens.admin = org.token;
  users.admin = org.userId;
  const elsewhere = await api.pool.query<{ id: string }>(
    `INSERT INTO projects (organization_id, client_id, name) VALUES ($1, $2, 'Elsewhere') RETURNING id`,
    [org.organizationId, org.clientId],
  );
  const members = [
    ['reviewer', 'reviewer', org.projectId],
    ['reviewer2', 'reviewer', org.projectId],
    ['viewer', 'viewer', org.projectId],
    ['projectAdmin', 'admin', org.projectId],
    ['outsider', 'editor', elsewhere.rows[0]!.id],
  ] as const;
  for (const [name, role, projectId] of members) {
    const member = await createMemberWithToken(api.pool, {
      organizationId: org.organizationId,
      projectId,
      email: `${name}@studio.example`,
      role,
    });
    tokens[name] = member.token;
    users[name] = member.userId;
  }
  const other = await bootstrapOrganization(api.pool, {
    organization: 'Other',
    client: 'C',
    project: 'P',
    adminEmail: 'admin@other.example',
    adminName: 'O',
  });
  tokens.other = other.token;
  users.other = other.userId;
});
after(() => api?.close());

const call = (who: keyof typeof tokens, method: string, path: string, body?: unknown) =>
  callApi(api.url, method, path, tokens[who], body);

let seeded = 0;
/** An asset in the project with versions carrying the probe metadata given (number 1 first). */
async function seedAsset(...metas: Record<string, unknown>[]) {
  const name = `clip-${++seeded}.mov`;
  const { rows } = await api.pool.query<{ id: string }>(
    'INSERT INTO assets (organization_id, project_id, name) VALUES ($1, $2, $3) RETURNING id',
    [api.org.organizationId, api.org.projectId, name],
  );
  const assetId = rows[0]!.id;
  const versionIds: string[] = [];
  for (const [i, meta] of metas.entries()) {
    const sha = createHash('sha256').update(`${name}/${i}`).digest('hex');
    await api.pool.query(
      `INSERT INTO masters (sha256, size, storage_key, retain_until) VALUES ($1, 1, 'k', now() + interval '1 day')`,
      [sha],
    );
    const version = await api.pool.query<{ id: string }>(
      `INSERT INTO versions (asset_id, number, sha256, size, original_name, meta) VALUES ($1, $2, $3, 1, $4, $5) RETURNING id`,
      [assetId, i + 1, sha, name, meta],
    );
    versionIds.push(version.rows[0]!.id);
  }
  return { assetId, versionIds };
}

// What the probe job records (worker/src/media/probe.ts summarizeProbe): a 10 s PAL version 1
// starting at 10:00:00:00 (250 frames), and a 29.97 drop-frame version 2 of 700 s from 01:00:00;00.
const pal = { video: { frameRate: { num: 25, den: 1 } }, startTimecode: '10:00:00:00', durationSeconds: 10 };
const dropFrame = {
  video: { frameRate: { num: 30000, den: 1001 } },
  startTimecode: '01:00:00;00',
  durationSeconds: 700,
};

async function activities(action: string, subjectId: string) {
  const { rows } = await api.pool.query<{ actor_user_id: string; data: Record<string, unknown>; project_id: string }>(
    'SELECT actor_user_id, data, project_id FROM activities WHERE action = $1 AND subject_id = $2 ORDER BY id',
    [action, subjectId],
  );
  return rows;
}

describe('frame anchors', () => {
  test('a comment sits on a frame of the latest version, with SMPTE timecode in drop-frame', async () => {
    const { assetId, versionIds } = await seedAsset(pal, dropFrame);
    const res = await call('reviewer', 'POST', `/api/assets/${assetId}/comments`, {
      frame: 17_982,
      endFrame: 17_990,
      text: 'the cut lands a frame late',
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    const comment = res.body;
    assert.deepEqual(
      {
        versionId: comment.versionId,
        versionNumber: comment.versionNumber,
        frame: comment.frame,
        endFrame: comment.endFrame,
        timecode: comment.timecode,
        endTimecode: comment.endTimecode,
        author: comment.author,
        parentId: comment.parentId,
        resolved: comment.resolved,
        deleted: comment.deleted,
        internal: comment.internal,
        annotation: comment.annotation,
      },
      {
        versionId: versionIds[1],
        versionNumber: 2,
        frame: 17_982,
        endFrame: 17_990,
        timecode: '01:10:00;00',
        endTimecode: '01:10:00;08',
        author: { userId: users.reviewer, name: 'reviewer@studio.example', kind: 'member' },
        parentId: null,
        resolved: false,
        deleted: false,
        internal: false,
        annotation: null,
      },
    );
    const [created] = await activities('comment.create', comment.id);
    assert.equal(created?.actor_user_id, users.reviewer);
    assert.equal(created?.project_id, api.org.projectId);

    const onFirst = await call('reviewer', 'POST', `/api/assets/${assetId}/comments`, {
      versionId: versionIds[0],
      frame: 249,
      text: 'last frame',
    });
    assert.deepEqual([onFirst.status, onFirst.body.timecode, onFirst.body.versionNumber], [201, '10:00:09:24', 1]);
  });

  test('frames outside the version, ranges ending before they start and bad text are 400 and write nothing', async () => {
    const { assetId, versionIds } = await seedAsset(pal, dropFrame);
    const refused = [
      // 700 s at 30000/1001 are 20,979 frames: 0–20,978.
      [{ frame: 20_979, text: 'x' }, 'body.frame'],
      [{ frame: 10, endFrame: 20_979, text: 'x' }, 'body.endFrame'],
      [{ frame: 10, endFrame: 9, text: 'x' }, 'body.endFrame'],
      [{ versionId: versionIds[0], frame: 250, text: 'x' }, 'body.frame'],
      [{ frame: -1, text: 'x' }, 'body.frame'],
      [{ frame: 1.5, text: 'x' }, 'body.frame'],
      [{ text: 'x' }, 'body.frame'],
      [{ frame: 1, text: '' }, 'body.text'],
      [{ frame: 1, text: ' \n ' }, 'body.text'],
      [{ frame: 1, text: 'x'.repeat(10_001) }, 'body.text'],
      [{ frame: 1, text: 'x', annotation: { shapes: [{ kind: 'rect', from: [0, 0], to: [1.5, 1] }] } }, null],
      [{ frame: 1, text: 'x', extra: true }, null],
    ] as const;
    for (const [body, field] of refused) {
      const res = await call('reviewer', 'POST', `/api/assets/${assetId}/comments`, body);
      assert.equal(res.status, 400, JSON.stringify(body));
      if (field) assert.equal(res.body.error.details.field, field, JSON.stringify(body));
    }
    const other = await seedAsset(pal);
    const wrongVersion = await call('reviewer', 'POST', `/api/assets/${assetId}/comments`, {
      versionId: other.versionIds[0],
      frame: 1,
      text: 'x',
    });
    assert.equal(wrongVersion.status, 404);
    const { rows } = await api.pool.query('SELECT count(*)::int AS n FROM comments WHERE asset_id = $1', [assetId]);
    assert.equal(rows[0].n, 0);
    const longest = await call('reviewer', 'POST', `/api/assets/${assetId}/comments`, {
      frame: 20_978,
      text: '€'.repeat(10_000),
    });
    assert.equal(longest.status, 201, 'ten thousand characters (not bytes) are taken');
  });

  test('a version without a video frame rate counts at 25/1 from midnight', async () => {
    const { assetId } = await seedAsset({ video: null, startTimecode: '10:00:00:00', durationSeconds: 4 });
    const ok = await call('reviewer', 'POST', `/api/assets/${assetId}/comments`, { frame: 99, text: 'the hum' });
    assert.deepEqual([ok.status, ok.body.timecode], [201, '00:00:03:24']);
    const past = await call('reviewer', 'POST', `/api/assets/${assetId}/comments`, { frame: 100, text: 'x' });
    assert.equal(past.status, 400);
  });

  test('drawings are kept as normalised shapes, within their limits', async () => {
    const { assetId } = await seedAsset(pal);
    const annotation = {
      shapes: [
        {
          kind: 'freehand',
          points: [
            [0.1, 0.2],
            [0.15, 0.25],
            [0.2, 0.2],
          ],
        },
        { kind: 'arrow', from: [0, 0], to: [0.5, 0.5] },
        { kind: 'rect', from: [0.6, 0.6], to: [1, 1] },
      ],
      color: '#ff3300',
    };
    const res = await call('reviewer', 'POST', `/api/assets/${assetId}/comments`, {
      frame: 5,
      text: 'here',
      annotation,
    });
    assert.equal(res.status, 201);
    assert.deepEqual(res.body.annotation, annotation);
    const tooMany = await call('reviewer', 'POST', `/api/assets/${assetId}/comments`, {
      frame: 5,
      text: 'x',
      annotation: { shapes: [{ kind: 'freehand', points: Array(1999).fill([0.5, 0.5]) }, annotation.shapes[1]] },
    });
    assert.deepEqual([tooMany.status, tooMany.body.error.details.field], [400, 'body.annotation']);
  });
});

describe('a drop-frame clip probed by the worker', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mediavault-comments-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  test("its comments carry drop-frame timecode from the clip's own start timecode, inside its duration", async () => {
    const clip = await generateClip(dir, {
      name: 'df.mov',
      width: 64,
      height: 36,
      fps: '30000/1001',
      seconds: 2.002,
      audio: false,
      timecode: '00:00:59;28',
    });
    const bytes = await readFile(clip);
    const sha = createHash('sha256').update(bytes).digest('hex');
    await api.storages.masters.put(masterKey(sha), createReadStream(clip), {
      retainUntil: new Date(Date.now() + 86_400_000),
      checksumSha256: Buffer.from(sha, 'hex').toString('base64'),
    });
    const { rows } = await api.pool.query<{ id: string; asset_id: string }>(
      `WITH m AS (INSERT INTO masters (sha256, size, storage_key, retain_until) VALUES ($1, $2, $3, now() + interval '1 day') RETURNING sha256),
            a AS (INSERT INTO assets (organization_id, project_id, name) VALUES ($4, $5, 'df.mov') RETURNING id)
       INSERT INTO versions (asset_id, number, sha256, size, original_name) SELECT a.id, 1, m.sha256, $2, 'df.mov' FROM a, m
       RETURNING id, asset_id`,
      [sha, bytes.length, masterKey(sha), api.org.organizationId, api.org.projectId],
    );
    const { id: versionId, asset_id: assetId } = rows[0]!;
    const log = { info() {}, warn() {}, error() {} };
    await handleProbe(
      { config: api.config, pool: api.pool, boss: api.boss, storages: api.storages, log },
      { versionId, sha256: sha },
    );
    // 2.002 s at 30000/1001 are 60 frames; 00:00:59;28 + 2 frames skips ;00 and ;01 at minute 1 (not a tenth).
    const post = (frame: number) =>
      call('reviewer', 'POST', `/api/assets/${assetId}/comments`, { frame, text: `frame ${frame}` });
    const atTwo = await post(2);
    assert.deepEqual([atTwo.status, atTwo.body.timecode], [201, '00:01:00;02'], JSON.stringify(atTwo.body));
    assert.equal((await post(1)).body.timecode, '00:00:59;29');
    assert.equal((await post(59)).body.timecode, '00:01:01;29');
    assert.equal((await post(60)).status, 400, 'frame 60 is past the last frame');
  });
});

describe('threads, edits and deletion', () => {
  test('a reply takes its thread’s version and frame; one level only; internal threads stay internal', async () => {
    const { assetId, versionIds } = await seedAsset(pal, dropFrame);
    const thread = await call('reviewer', 'POST', `/api/assets/${assetId}/comments`, {
      versionId: versionIds[0],
      frame: 100,
      endFrame: 120,
      text: 'too dark',
      internal: true,
    });
    const reply = await call('reviewer2', 'POST', `/api/assets/${assetId}/comments`, {
      parentId: thread.body.id,
      frame: 3,
      versionId: versionIds[1],
      text: 'agreed',
    });
    assert.equal(reply.status, 201, JSON.stringify(reply.body));
    assert.deepEqual(
      [reply.body.parentId, reply.body.versionId, reply.body.frame, reply.body.endFrame, reply.body.timecode],
      [thread.body.id, versionIds[0], 100, 120, '10:00:04:00'],
    );
    assert.equal(reply.body.internal, true, 'a reply in an internal thread is internal');
    const nested = await call('reviewer', 'POST', `/api/assets/${assetId}/comments`, {
      parentId: reply.body.id,
      text: 'deeper',
    });
    assert.deepEqual([nested.status, nested.body.error.details.field], [400, 'body.parentId']);
    const elsewhere = await seedAsset(pal);
    const across = await call('reviewer', 'POST', `/api/assets/${elsewhere.assetId}/comments`, {
      parentId: thread.body.id,
      text: 'wrong asset',
    });
    assert.deepEqual([across.status, across.body.error.details.field], [400, 'body.parentId']);
    const unknown = await call('reviewer', 'POST', `/api/assets/${assetId}/comments`, {
      parentId: randomUUID(),
      text: 'nobody',
    });
    assert.equal(unknown.status, 400);
  });

  test('only the author edits; the author or a project admin deletes, leaving an audited tombstone', async () => {
    const { assetId } = await seedAsset(pal);
    const created = await call('reviewer', 'POST', `/api/assets/${assetId}/comments`, { frame: 10, text: 'first' });
    const id = created.body.id as string;
    const edited = await call('reviewer', 'PATCH', `/api/comments/${id}`, {
      text: 'first, edited',
      annotation: { shapes: [{ kind: 'arrow', from: [0, 0], to: [1, 1] }] },
    });
    assert.equal(edited.status, 200);
    assert.equal(edited.body.text, 'first, edited');
    assert.ok(edited.body.editedAt, 'editedAt is set');
    assert.equal(edited.body.annotation.shapes.length, 1);
    const cleared = await call('reviewer', 'PATCH', `/api/comments/${id}`, { annotation: null });
    assert.deepEqual([cleared.body.annotation, cleared.body.text], [null, 'first, edited']);
    assert.equal((await call('reviewer', 'PATCH', `/api/comments/${id}`, {})).status, 400);
    for (const who of ['reviewer2', 'projectAdmin', 'viewer'] as const) {
      assert.equal((await call(who, 'PATCH', `/api/comments/${id}`, { text: 'mine now' })).status, 403, who);
    }
    assert.equal((await call('reviewer2', 'DELETE', `/api/comments/${id}`)).status, 403);
    assert.equal((await call('viewer', 'DELETE', `/api/comments/${id}`)).status, 403);

    const deleted = await call('reviewer', 'DELETE', `/api/comments/${id}`);
    assert.equal(deleted.status, 200);
    assert.deepEqual([deleted.body.deleted, deleted.body.text, deleted.body.annotation], [true, '', null]);
    const { rows } = await api.pool.query('SELECT body, deleted_at FROM comments WHERE id = $1', [id]);
    assert.equal(rows[0].body, '', 'the text is gone from the database, the row stays');
    assert.ok(rows[0].deleted_at);
    assert.equal((await call('reviewer', 'PATCH', `/api/comments/${id}`, { text: 'back' })).status, 409);
    assert.equal((await call('reviewer', 'POST', `/api/comments/${id}/resolve`)).status, 409);
    assert.equal(
      (await call('reviewer', 'DELETE', `/api/comments/${id}`)).status,
      200,
      'deleting again answers the tombstone',
    );
    assert.equal((await call('viewer', 'GET', `/api/comments/${id}`)).body.deleted, true);
    assert.deepEqual(
      (await activities('comment.update', id)).map((a) => a.data.annotation),
      ['set', 'removed'],
    );
    const deletions = await activities('comment.delete', id);
    assert.deepEqual(
      deletions.map((a) => [a.actor_user_id, a.data.by]),
      [[users.reviewer, 'author']],
      'one audited deletion, by its author',
    );

    const another = await call('reviewer2', 'POST', `/api/assets/${assetId}/comments`, { frame: 11, text: 'spam' });
    const moderated = await call('projectAdmin', 'DELETE', `/api/comments/${another.body.id}`);
    assert.equal(moderated.status, 200);
    assert.equal((await activities('comment.delete', another.body.id))[0]?.data.by, 'admin');
  });

  test('threads are resolved and reopened through their first comment; replies report the thread', async () => {
    const { assetId } = await seedAsset(pal);
    const thread = await call('reviewer', 'POST', `/api/assets/${assetId}/comments`, { frame: 1, text: 'fix' });
    const reply = await call('reviewer2', 'POST', `/api/assets/${assetId}/comments`, {
      parentId: thread.body.id,
      text: 'done',
    });
    assert.equal((await call('viewer', 'POST', `/api/comments/${thread.body.id}/resolve`)).status, 403);
    const resolved = await call('reviewer2', 'POST', `/api/comments/${thread.body.id}/resolve`);
    assert.equal(resolved.status, 200);
    assert.equal(resolved.body.resolved, true);
    assert.deepEqual(resolved.body.resolvedBy, { userId: users.reviewer2, name: 'reviewer2@studio.example' });
    const again = await call('reviewer', 'POST', `/api/comments/${thread.body.id}/resolve`);
    assert.deepEqual(
      [again.status, again.body.resolvedBy.userId],
      [200, users.reviewer2],
      'resolving twice keeps the first',
    );
    const replyNow = await call('viewer', 'GET', `/api/comments/${reply.body.id}`);
    assert.deepEqual([replyNow.body.resolved, replyNow.body.resolvedBy?.userId], [true, users.reviewer2]);
    const onReply = await call('reviewer', 'POST', `/api/comments/${reply.body.id}/resolve`);
    assert.deepEqual([onReply.status, onReply.body.error.details.field], [400, 'params.commentId']);
    const reopened = await call('reviewer', 'POST', `/api/comments/${thread.body.id}/reopen`);
    assert.deepEqual([reopened.status, reopened.body.resolved, reopened.body.resolvedBy], [200, false, null]);
    assert.equal((await activities('comment.resolve', thread.body.id)).length, 1);
    assert.equal((await activities('comment.reopen', thread.body.id)).length, 1);
  });
});

describe('listing', () => {
  test('newest version first, then frame, replies after their thread; filters by version and state', async () => {
    const { assetId, versionIds } = await seedAsset(pal, dropFrame);
    const post = async (who: 'reviewer' | 'reviewer2', body: Record<string, unknown>) => {
      const res = await call(who, 'POST', `/api/assets/${assetId}/comments`, body);
      assert.equal(res.status, 201, JSON.stringify(res.body));
      return res.body.id as string;
    };
    const v1late = await post('reviewer', { versionId: versionIds[0], frame: 200, text: 'v1 late' });
    const v2late = await post('reviewer', { frame: 900, text: 'v2 late' });
    const v1early = await post('reviewer', { versionId: versionIds[0], frame: 5, text: 'v1 early' });
    const v2early = await post('reviewer', { frame: 30, text: 'v2 early' });
    const v2earlyReply = await post('reviewer2', { parentId: v2early, text: 'reply' });
    const v2sameFrame = await post('reviewer2', { frame: 30, text: 'same frame, later thread' });
    const v2earlyReply2 = await post('reviewer', { parentId: v2early, text: 'reply 2' });
    // A deleted comment without replies leaves the list; one with replies stays, as a tombstone.
    const gone = await post('reviewer', { frame: 40, text: 'gone' });
    await call('reviewer', 'DELETE', `/api/comments/${gone}`);
    const keptThread = await post('reviewer', { versionId: versionIds[0], frame: 100, text: 'kept' });
    const answer = await post('reviewer2', { parentId: keptThread, text: 'answer' });
    await call('reviewer', 'DELETE', `/api/comments/${keptThread}`);
    await call('reviewer', 'POST', `/api/comments/${v1early}/resolve`);

    const all = await call('viewer', 'GET', `/api/assets/${assetId}/comments`);
    assert.equal(all.status, 200);
    assert.deepEqual(
      all.body.items.map((c: { text: string }) => c.text),
      ['v2 early', 'reply', 'reply 2', 'same frame, later thread', 'v2 late', 'v1 early', '', 'answer', 'v1 late'],
    );
    assert.equal(all.body.nextCursor, null);
    assert.deepEqual(
      all.body.items.slice(0, 3).map((c: { id: string }) => c.id),
      [v2early, v2earlyReply, v2earlyReply2],
    );

    const firstVersion = await call('viewer', 'GET', `/api/assets/${assetId}/comments?versionId=${versionIds[0]}`);
    assert.deepEqual(
      firstVersion.body.items.map((c: { text: string }) => c.text),
      ['v1 early', '', 'answer', 'v1 late'],
    );
    const resolved = await call('viewer', 'GET', `/api/assets/${assetId}/comments?resolved=true`);
    assert.deepEqual(
      resolved.body.items.map((c: { id: string }) => c.id),
      [v1early],
    );
    const open = await call('viewer', 'GET', `/api/assets/${assetId}/comments?resolved=false`);
    assert.deepEqual(
      open.body.items.map((c: { id: string }) => c.id),
      [v2early, v2earlyReply, v2earlyReply2, v2sameFrame, v2late, keptThread, answer, v1late],
    );
  });

  test('pages follow on exactly, however close in time comments were made', async () => {
    const { assetId, versionIds } = await seedAsset(pal);
    // Five threads and replies at one frame, a microsecond apart: a cursor rounded to the
    // millisecond would repeat or skip them.
    const { rows } = await api.pool.query<{ id: string }>(
      `INSERT INTO comments (asset_id, version_id, project_id, organization_id, author_user_id, author_name, body, timecode, created_at)
       SELECT $1, $2, $3, $4, $5, 'seed', 'thread ' || n, 7, '2030-01-01T00:00:00Z'::timestamptz + n * interval '1 microsecond'
         FROM generate_series(1, 5) n ORDER BY n RETURNING id`,
      [assetId, versionIds[0], api.org.projectId, api.org.organizationId, users.reviewer],
    );
    await api.pool.query(
      `INSERT INTO comments (asset_id, version_id, project_id, organization_id, parent_id, author_user_id, author_name, body, timecode, created_at)
       SELECT $1, $2, $3, $4, $6, $5, 'seed', 'reply ' || n, 7, '2030-01-01T00:00:01Z'::timestamptz + n * interval '1 microsecond'
         FROM generate_series(1, 3) n`,
      [assetId, versionIds[0], api.org.projectId, api.org.organizationId, users.reviewer, rows[0]!.id],
    );
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : '';
      const page = await call('viewer', 'GET', `/api/assets/${assetId}/comments?limit=2${query}`);
      assert.equal(page.status, 200);
      seen.push(...page.body.items.map((c: { text: string }) => c.text));
      cursor = page.body.nextCursor;
      pages++;
    } while (cursor && pages < 10);
    assert.deepEqual(seen, [
      'thread 1',
      'reply 1',
      'reply 2',
      'reply 3',
      'thread 2',
      'thread 3',
      'thread 4',
      'thread 5',
    ]);
    assert.equal(pages, 4);
    const bad = await call('viewer', 'GET', `/api/assets/${assetId}/comments?cursor=bm9wZQ`);
    assert.deepEqual([bad.status, bad.body.error.details.field], [400, 'querystring.cursor']);
  });
});

describe('rights', () => {
  test('viewers read, reviewers write; another project or organization finds nothing', async () => {
    const { assetId } = await seedAsset(pal);
    const created = await call('reviewer', 'POST', `/api/assets/${assetId}/comments`, { frame: 1, text: 'x' });
    const id = created.body.id as string;
    assert.equal((await call('viewer', 'GET', `/api/assets/${assetId}/comments`)).status, 200);
    assert.equal((await call('viewer', 'GET', `/api/comments/${id}`)).status, 200);
    assert.equal(
      (await call('viewer', 'POST', `/api/assets/${assetId}/comments`, { frame: 1, text: 'x' })).status,
      403,
    );
    for (const who of ['outsider', 'other'] as const) {
      assert.equal((await call(who, 'GET', `/api/assets/${assetId}/comments`)).status, 404, who);
      assert.equal((await call(who, 'GET', `/api/comments/${id}`)).status, 404, who);
      assert.equal((await call(who, 'POST', `/api/comments/${id}/resolve`)).status, 404, who);
      assert.equal((await call(who, 'DELETE', `/api/comments/${id}`)).status, 404, who);
      const posted = await call(who, 'POST', `/api/assets/${assetId}/comments`, { frame: 1, text: 'x' });
      assert.equal(posted.status, 404, who);
    }
  });
});

describe('approvals', () => {
  test('a decision per version with who and when, in the asset document and the activity log', async () => {
    const { assetId, versionIds } = await seedAsset(pal, dropFrame);
    const path = `/api/assets/${assetId}/versions/${versionIds[1]}/approval`;
    assert.equal((await call('viewer', 'PUT', path, { status: 'approved' })).status, 403);
    assert.equal((await call('outsider', 'PUT', path, { status: 'approved' })).status, 404);
    assert.equal((await call('reviewer', 'PUT', path, { status: 'maybe' })).status, 400);
    const other = await seedAsset(pal);
    const mismatched = `/api/assets/${assetId}/versions/${other.versionIds[0]}/approval`;
    assert.equal((await call('reviewer', 'PUT', mismatched, { status: 'approved' })).status, 404);

    const approved = await call('reviewer', 'PUT', path, { status: 'approved' });
    assert.equal(approved.status, 200);
    assert.equal(approved.body.status, 'approved');
    assert.deepEqual(approved.body.decidedBy, { userId: users.reviewer, name: 'reviewer@studio.example' });
    const again = await call('reviewer2', 'PUT', path, { status: 'approved' });
    assert.deepEqual(again.body, approved.body, 'the same decision again keeps who took it and when');

    const asset = await call('viewer', 'GET', `/api/assets/${assetId}`);
    const byNumber = Object.fromEntries(
      asset.body.versions.map((v: { number: number; approval: unknown }) => [v.number, v.approval]),
    );
    assert.deepEqual(byNumber, { 1: null, 2: approved.body });

    const changes = await call('projectAdmin', 'PUT', path, { status: 'changes_requested' });
    assert.deepEqual([changes.body.status, changes.body.decidedBy.userId], ['changes_requested', users.projectAdmin]);
    const cleared = await call('reviewer', 'PUT', path, { status: 'none' });
    assert.deepEqual(cleared.body, { versionId: versionIds[1], status: 'none', decidedBy: null, decidedAt: null });
    assert.equal((await call('viewer', 'GET', `/api/assets/${assetId}`)).body.versions[0].approval, null);
    assert.deepEqual(
      (await activities('version.approve', versionIds[1]!)).map((a) => [
        a.actor_user_id,
        a.data.status,
        a.data.previous,
      ]),
      [
        [users.reviewer, 'approved', 'none'],
        [users.projectAdmin, 'changes_requested', 'approved'],
        [users.reviewer, 'none', 'changes_requested'],
      ],
    );
  });
});

describe('playback', () => {
  test('gives the version number, its length in frames and the sprite and waveform URLs the preview has', async () => {
    const { assetId } = await seedAsset(pal, dropFrame);
    const { rows } = await api.pool.query<{ sha256: string }>(
      'SELECT sha256 FROM versions WHERE asset_id = $1 AND number = 2',
      [assetId],
    );
    const sha = rows[0]!.sha256;
    const outputs = {
      hls: `hls/${sha}/master.m3u8`,
      sprites: { image: `thumbs/${sha}/sprites.jpg`, vtt: `thumbs/${sha}/sprites.vtt` },
      waveform: `waveform/${sha}.json`,
    };
    await api.pool.query(
      `INSERT INTO previews (sha256, profile, status, outputs) VALUES ($1, 'default', 'ready', $2)`,
      [sha, outputs],
    );
    const playback = await call('viewer', 'GET', `/api/assets/${assetId}/playback`);
    assert.equal(playback.status, 200, JSON.stringify(playback.body));
    assert.equal(playback.body.versionNumber, 2);
    assert.equal(playback.body.durationFrames, 20_979);
    assert.match(playback.body.spritesVttUrl, new RegExp(`^${api.edgeUrl}/v/[^/]+/thumbs/${sha}/sprites\\.vtt$`));
    assert.match(playback.body.waveformUrl, new RegExp(`^${api.edgeUrl}/v/[^/]+/waveform/${sha}\\.json$`));

    await api.pool.query(`UPDATE previews SET outputs = $2 WHERE sha256 = $1`, [
      sha,
      { ...outputs, sprites: null, waveform: null },
    ]);
    const bare = await call('viewer', 'GET', `/api/assets/${assetId}/playback`);
    assert.deepEqual([bare.body.spritesVttUrl, bare.body.waveformUrl], [null, null]);
  });
});
