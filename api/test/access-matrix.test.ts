/**
 * The access matrix, generated from the spec: every operation of openapi/ is called by every
 * kind of caller, and each cell's status is the one expected here. An operation the spec has
 * and this table lacks fails the test, so a new route cannot ship without its rights decided;
 * every status seen must also be one the spec documents for that operation.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { bootstrapOrganization, createMemberWithToken, type BootstrapResult } from '@mediavault/api/bootstrap';
import { promoteUploads } from '@mediavault/worker/jobs/promote';
import { bearer, callApi, startTestApi, type TestApi } from '../../test/helpers/api.ts';

const callers = [
  'none',
  'garbage',
  'orgAdmin',
  'projectAdmin',
  'editor',
  'reviewer',
  'viewer',
  'otherProjectMember',
  'otherOrgAdmin',
] as const;
type CallerName = (typeof callers)[number];

interface Fixture {
  api: TestApi;
  org: BootstrapResult;
  tokens: Record<CallerName, string | null>;
  userIds: Partial<Record<CallerName, string>>;
  assetId: string;
  versionId: string;
  sha: string;
}

interface Cell {
  method: string;
  path: string;
  body?: unknown;
}

interface OperationRights {
  /** Builds the request for one caller; fresh resources where a call changes state. */
  request: (fx: Fixture, caller: CallerName) => Cell | Promise<Cell>;
  expect: Record<CallerName, number>;
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const unauthenticated = { none: 401, garbage: 401 } as const;

/** Authenticated callers all answered the same (self-service routes). */
const everyone = (status: number) => ({
  ...unauthenticated,
  orgAdmin: status,
  projectAdmin: status,
  editor: status,
  reviewer: status,
  viewer: status,
  otherProjectMember: status,
  otherOrgAdmin: status,
});
/** Organization-wide administration: organization admins of any organization, for their own. */
const orgAdmins = (status: number) => ({ ...everyone(403), orgAdmin: status, otherOrgAdmin: status });
/** Reading project P1's content: every role in P1; outsiders get 404. */
const readers = (status: number) => ({
  ...everyone(status),
  otherProjectMember: 404,
  otherOrgAdmin: 404,
});
/** Writing in P1 (upload.create, asset.promote, preview.request): editors and admins; readers 403. */
const writers = (status: number) => ({ ...readers(status), reviewer: 403, viewer: 403 });
/** Commenting and deciding on P1's versions (comment.write, version.approve): reviewers and above. */
const commenters = (status: number) => ({ ...readers(status), viewer: 403 });
/** Managing P1's members: its admins. */
const admins = (status: number) => ({ ...writers(status), editor: 403 });

let counter = 0;
const unique = (prefix: string) => `${prefix}-${++counter}`;

const api$ = (fx: Fixture, method: string, path: string, token: string, body?: unknown) =>
  callApi(fx.api.url, method, path, token, body);

/** A comment of the organization admin's on P1's asset (resolved when asked). */
async function freshComment(fx: Fixture, resolved = false): Promise<string> {
  const created = await api$(fx, 'POST', `/api/assets/${fx.assetId}/comments`, fx.org.token, {
    frame: 0,
    text: unique('note'),
  });
  if (resolved) await api$(fx, 'POST', `/api/comments/${created.body.id}/resolve`, fx.org.token);
  return created.body.id;
}

/** A share of P1's asset made by the organization admin: its id and its link's token. */
async function freshShare(fx: Fixture): Promise<{ id: string; token: string }> {
  const created = await api$(fx, 'POST', '/api/shares', fx.org.token, { assetIds: [fx.assetId], comments: true });
  return { id: created.body.share.id, token: new URL(created.body.url).hash.slice(1) };
}

/** A multipart upload in P1 started by the organization admin, optionally with its one part stored. */
async function freshUpload(fx: Fixture, stored: boolean) {
  const bytes = randomBytes(64);
  const presign = await api$(fx, 'POST', '/api/presign', fx.org.token, {
    name: `${unique('u')}.bin`,
    size: bytes.length,
    projectId: fx.org.projectId,
  });
  let etag = '';
  if (stored) {
    const put = await fetch(presign.body.parts[0].url, { method: 'PUT', body: new Uint8Array(bytes) });
    etag = put.headers.get('etag')!;
  }
  return { uploadId: presign.body.uploadId as string, bytes, etag };
}

const operations: Record<string, OperationRights> = {
  getMe: { request: () => ({ method: 'GET', path: '/api/me' }), expect: everyone(200) },
  listUsers: { request: () => ({ method: 'GET', path: '/api/users' }), expect: orgAdmins(200) },
  createUser: {
    request: () => ({ method: 'POST', path: '/api/users', body: { email: `${unique('u')}@x.test`, name: 'N' } }),
    expect: orgAdmins(201),
  },
  createApiToken: {
    request: () => ({ method: 'POST', path: '/api/tokens', body: { name: unique('t') } }),
    expect: everyone(201),
  },
  listApiTokens: { request: () => ({ method: 'GET', path: '/api/tokens' }), expect: everyone(200) },
  revokeApiToken: {
    // A token of the organization admin's: theirs to revoke; to anyone else of the organization it is unknown.
    request: async (fx) => {
      const created = await api$(fx, 'POST', '/api/tokens', fx.org.token, { name: unique('revocable') });
      return { method: 'DELETE', path: `/api/tokens/${created.body.id}` };
    },
    expect: { ...everyone(404), orgAdmin: 200 },
  },
  createClient: {
    request: () => ({ method: 'POST', path: '/api/clients', body: { name: unique('client') } }),
    expect: orgAdmins(201),
  },
  listClients: { request: () => ({ method: 'GET', path: '/api/clients' }), expect: everyone(200) },
  createProject: {
    request: (fx) => ({
      method: 'POST',
      path: '/api/projects',
      body: { clientId: fx.org.clientId, name: unique('p') },
    }),
    // P1's client is unknown to another organization.
    expect: { ...orgAdmins(201), otherOrgAdmin: 404 },
  },
  listProjects: { request: () => ({ method: 'GET', path: '/api/projects' }), expect: everyone(200) },
  getProject: {
    request: (fx) => ({ method: 'GET', path: `/api/projects/${fx.org.projectId}` }),
    expect: readers(200),
  },
  listProjectMembers: {
    request: (fx) => ({ method: 'GET', path: `/api/projects/${fx.org.projectId}/members` }),
    expect: readers(200),
  },
  setProjectMember: {
    request: (fx) => ({
      method: 'PUT',
      path: `/api/projects/${fx.org.projectId}/members/${fx.userIds.viewer}`,
      body: { role: 'viewer' },
    }),
    expect: admins(200),
  },
  presignUpload: {
    request: (fx) => ({
      method: 'POST',
      path: '/api/presign',
      body: { name: `${unique('f')}.mov`, size: 10, projectId: fx.org.projectId },
    }),
    expect: writers(200),
  },
  presignUploadParts: {
    request: async (fx) => ({
      method: 'POST',
      path: `/api/uploads/${(await freshUpload(fx, false)).uploadId}/parts`,
      body: { partNumbers: [1] },
    }),
    expect: writers(200),
  },
  getUpload: {
    request: async (fx) => ({ method: 'GET', path: `/api/uploads/${(await freshUpload(fx, false)).uploadId}` }),
    expect: readers(200),
  },
  completeUpload: {
    request: async (fx) => {
      const { uploadId, etag } = await freshUpload(fx, true);
      return { method: 'POST', path: `/api/uploads/${uploadId}/complete`, body: { parts: [{ partNumber: 1, etag }] } };
    },
    expect: writers(200),
  },
  promote: {
    request: async (fx) => {
      const { uploadId, bytes, etag } = await freshUpload(fx, true);
      await api$(fx, 'POST', `/api/uploads/${uploadId}/complete`, fx.org.token, { parts: [{ partNumber: 1, etag }] });
      return { method: 'POST', path: '/api/promote', body: { uploadId, sha256: sha256(bytes) } };
    },
    expect: writers(202),
  },
  presignUploadBatch: {
    request: (fx) => {
      const bytes = randomBytes(16);
      return {
        method: 'POST',
        path: '/api/uploads/batch',
        body: {
          projectId: fx.org.projectId,
          files: [{ name: `${unique('b')}.wav`, size: bytes.length, sha256: sha256(bytes) }],
        },
      };
    },
    expect: writers(200),
  },
  completeUploadBatch: {
    // Answers per upload inside a 200: another caller's upload reads as not_found there.
    request: async (fx) => ({
      method: 'POST',
      path: '/api/uploads/batch/complete',
      body: { uploads: [{ uploadId: (await freshUpload(fx, false)).uploadId }] },
    }),
    expect: everyone(200),
  },
  requestPreview: {
    request: (fx) => ({ method: 'POST', path: '/api/preview', body: { sha256: fx.sha } }),
    expect: writers(200),
  },
  getPreview: { request: (fx) => ({ method: 'GET', path: `/api/previews/${fx.sha}` }), expect: readers(200) },
  getAsset: { request: (fx) => ({ method: 'GET', path: `/api/assets/${fx.assetId}` }), expect: readers(200) },
  listAssets: {
    request: (fx) => ({ method: 'GET', path: `/api/projects/${fx.org.projectId}/assets` }),
    expect: readers(200),
  },
  getPlayback: {
    request: (fx) => ({ method: 'GET', path: `/api/assets/${fx.assetId}/playback` }),
    expect: readers(200),
  },
  listJobs: { request: () => ({ method: 'GET', path: '/api/jobs' }), expect: orgAdmins(200) },
  matchArchivedContent: {
    // Anyone may ask; each learns only of content in projects they can read (api/test/archive.test.ts).
    request: (fx) => ({
      method: 'POST',
      path: '/api/archive/match',
      body: { files: [{ size: 2048, fingerprint: fx.sha }] },
    }),
    expect: everyone(200),
  },
  createSidecar: {
    request: (fx) => ({
      method: 'POST',
      path: '/api/sidecars',
      body: {
        versionIds: [fx.versionId],
        kind: 'document',
        name: `${unique('notes')}.txt`,
        content: Buffer.from('notes').toString('base64'),
      },
    }),
    expect: writers(201),
  },
  createReviewLink: {
    request: (fx) => ({ method: 'POST', path: `/api/assets/${fx.assetId}/review-links`, body: {} }),
    expect: readers(201),
  },
  startReviewSession: {
    // The link's token is the credential, whoever sends it; a bearer token that is not valid is refused first.
    request: async (fx) => {
      const link = await api$(fx, 'POST', `/api/assets/${fx.assetId}/review-links`, fx.org.token, {});
      return { method: 'POST', path: '/api/review-sessions', body: { token: new URL(link.body.url).hash.slice(1) } };
    },
    expect: { ...everyone(201), none: 201 },
  },
  // Without a review session cookie (every caller here) there is no session to show…
  getReviewSession: { request: () => ({ method: 'GET', path: '/api/review-sessions/current' }), expect: everyone(401) },
  // …and none to end: signing out is idempotent (api/test/review-sessions.test.ts signs out with a cookie).
  endReviewSession: {
    request: () => ({ method: 'DELETE', path: '/api/review-sessions/current' }),
    expect: { ...everyone(204), none: 204 },
  },
  listComments: {
    request: (fx) => ({ method: 'GET', path: `/api/assets/${fx.assetId}/comments` }),
    expect: readers(200),
  },
  createComment: {
    request: (fx) => ({ method: 'POST', path: `/api/assets/${fx.assetId}/comments`, body: { frame: 0, text: 'n' } }),
    expect: commenters(201),
  },
  getComment: {
    request: async (fx) => ({ method: 'GET', path: `/api/comments/${await freshComment(fx)}` }),
    expect: readers(200),
  },
  updateComment: {
    // The organization admin's comment: only its author edits it.
    request: async (fx) => ({ method: 'PATCH', path: `/api/comments/${await freshComment(fx)}`, body: { text: 'e' } }),
    expect: { ...readers(403), orgAdmin: 200 },
  },
  deleteComment: {
    // The organization admin's comment: its author, or a project admin (comment.moderate).
    request: async (fx) => ({ method: 'DELETE', path: `/api/comments/${await freshComment(fx)}` }),
    expect: { ...readers(403), orgAdmin: 200, projectAdmin: 200 },
  },
  resolveComment: {
    request: async (fx) => ({ method: 'POST', path: `/api/comments/${await freshComment(fx)}/resolve` }),
    expect: commenters(200),
  },
  reopenComment: {
    request: async (fx) => ({ method: 'POST', path: `/api/comments/${await freshComment(fx, true)}/reopen` }),
    expect: commenters(200),
  },
  setApproval: {
    request: (fx) => ({
      method: 'PUT',
      path: `/api/assets/${fx.assetId}/versions/${fx.versionId}/approval`,
      body: { status: 'approved' },
    }),
    expect: commenters(200),
  },
  // Share links: managed by whoever may create them in the share's project (share.create: editors, admins).
  createShare: {
    request: (fx) => ({ method: 'POST', path: '/api/shares', body: { assetIds: [fx.assetId] } }),
    expect: writers(201),
  },
  // Lists the shares of the projects where the caller may create them (none: an empty list).
  listShares: { request: () => ({ method: 'GET', path: '/api/shares' }), expect: everyone(200) },
  getShare: {
    request: async (fx) => ({ method: 'GET', path: `/api/shares/${(await freshShare(fx)).id}` }),
    expect: writers(200),
  },
  updateShare: {
    request: async (fx) => ({
      method: 'PATCH',
      path: `/api/shares/${(await freshShare(fx)).id}`,
      body: { name: unique('renamed') },
    }),
    expect: writers(200),
  },
  revokeShare: {
    request: async (fx) => ({ method: 'POST', path: `/api/shares/${(await freshShare(fx)).id}/revoke` }),
    expect: writers(200),
  },
  listShareAudit: {
    request: async (fx) => ({ method: 'GET', path: `/api/shares/${(await freshShare(fx)).id}/audit` }),
    expect: writers(200),
  },
  exportShareAudit: {
    request: async (fx) => ({ method: 'GET', path: `/api/shares/${(await freshShare(fx)).id}/audit.csv` }),
    expect: writers(200),
  },
  startShareSession: {
    // The link's token is the credential, whoever sends it; a bearer token that is not valid is refused first.
    request: async (fx) => ({
      method: 'POST',
      path: '/api/share-sessions',
      body: { token: (await freshShare(fx)).token },
    }),
    expect: { ...everyone(201), none: 201 },
  },
  // The guest routes serve a share session's cookie only: no caller here has one (api/test/shares.test.ts does).
  getShareSession: {
    request: () => ({ method: 'GET', path: '/api/share-sessions/current' }),
    expect: { ...everyone(401), none: 401 },
  },
  endShareSession: {
    request: () => ({ method: 'DELETE', path: '/api/share-sessions/current' }),
    expect: { ...everyone(204), none: 204 },
  },
  setShareGuestName: {
    request: () => ({ method: 'PUT', path: '/api/share-sessions/current/name', body: { name: 'Guest' } }),
    expect: { ...everyone(401), none: 401 },
  },
  getSharePlayback: {
    request: (fx) => ({ method: 'POST', path: `/api/share-sessions/current/assets/${fx.assetId}/playback` }),
    expect: { ...everyone(401), none: 401 },
  },
  downloadShareAsset: {
    request: (fx) => ({ method: 'GET', path: `/api/share-sessions/current/assets/${fx.assetId}/download` }),
    expect: { ...everyone(401), none: 401 },
  },
  listShareComments: {
    request: (fx) => ({ method: 'GET', path: `/api/share-sessions/current/assets/${fx.assetId}/comments` }),
    expect: { ...everyone(401), none: 401 },
  },
  createShareComment: {
    request: (fx) => ({
      method: 'POST',
      path: `/api/share-sessions/current/assets/${fx.assetId}/comments`,
      body: { frame: 0, text: 'n' },
    }),
    expect: { ...everyone(401), none: 401 },
  },
};

let fx: Fixture;

before(async () => {
  const api = await startTestApi();
  const org = api.org;
  const member = (email: string, role: 'admin' | 'editor' | 'reviewer' | 'viewer', projectId = org.projectId) =>
    createMemberWithToken(api.pool, { organizationId: org.organizationId, projectId, email, role });
  const partial = { api, org } as Fixture;
  const p2 = await api$(partial, 'POST', '/api/projects', org.token, { clientId: org.clientId, name: 'P2' });
  const [projectAdmin, editor, reviewer, viewer, outsider] = await Promise.all([
    member('padmin@m.test', 'admin'),
    member('editor@m.test', 'editor'),
    member('reviewer@m.test', 'reviewer'),
    member('viewer@m.test', 'viewer'),
    member('outsider@m.test', 'editor', p2.body.id),
  ]);
  const other = await bootstrapOrganization(api.pool, {
    organization: 'Other',
    client: 'C',
    project: 'P',
    adminEmail: 'admin@other.test',
    adminName: 'O',
  });
  // One asset in P1 with a ready preview.
  const bytes = randomBytes(2048);
  const sha = sha256(bytes);
  const presign = await api$(partial, 'POST', '/api/presign', org.token, {
    name: 'matrix.mov',
    size: bytes.length,
    projectId: org.projectId,
  });
  const put = await fetch(presign.body.parts[0].url, { method: 'PUT', body: new Uint8Array(bytes) });
  await api$(partial, 'POST', `/api/uploads/${presign.body.uploadId}/complete`, org.token, {
    parts: [{ partNumber: 1, etag: put.headers.get('etag') }],
  });
  await api$(partial, 'POST', '/api/promote', org.token, { uploadId: presign.body.uploadId, sha256: sha });
  const log = { info() {}, warn() {}, error() {} };
  await promoteUploads({ config: api.config, pool: api.pool, boss: api.boss, storages: api.storages, log }, [
    { uploadId: presign.body.uploadId },
  ]);
  const upload = await api$(partial, 'GET', `/api/uploads/${presign.body.uploadId}`, org.token);
  await api.pool.query(
    `INSERT INTO previews (sha256, profile, status) VALUES ($1, 'default', 'ready')
     ON CONFLICT (sha256, profile) DO UPDATE SET status = 'ready'`,
    [sha],
  );
  fx = {
    api,
    org,
    sha,
    assetId: upload.body.assetId,
    versionId: upload.body.versionId,
    tokens: {
      none: null,
      garbage: 'mvt_not-a-real-token',
      orgAdmin: org.token,
      projectAdmin: projectAdmin.token,
      editor: editor.token,
      reviewer: reviewer.token,
      viewer: viewer.token,
      otherProjectMember: outsider.token,
      otherOrgAdmin: other.token,
    },
    userIds: { viewer: viewer.userId },
  };
});
after(() => fx?.api.close());

test('every operation of the spec has its rights decided, and every caller gets the expected status', async () => {
  const spec = JSON.parse(await readFile(new URL('../../openapi/openapi.json', import.meta.url), 'utf8')) as {
    paths: Record<string, Record<string, { operationId: string; responses: Record<string, unknown> }>>;
  };
  const specOperations = Object.values(spec.paths).flatMap((methods) => Object.values(methods));
  const undecided = specOperations.map((o) => o.operationId).filter((id) => !(id in operations));
  assert.deepEqual(undecided, [], 'operations without expectations in the access matrix');

  const wrong: string[] = [];
  let cells = 0;
  for (const operation of specOperations) {
    const rights = operations[operation.operationId]!;
    for (const caller of callers) {
      const cell = await rights.request(fx, caller);
      const token = fx.tokens[caller];
      const res = await fetch(`${fx.api.url}${cell.path}`, {
        method: cell.method,
        headers: {
          ...(token ? bearer(token) : {}),
          ...(cell.body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        body: cell.body === undefined ? undefined : JSON.stringify(cell.body),
      });
      const text = await res.text();
      cells++;
      const expected = rights.expect[caller];
      if (res.status !== expected)
        wrong.push(`${operation.operationId} as ${caller}: ${res.status}, expected ${expected} ${text.slice(0, 160)}`);
      else if (!(String(res.status) in operation.responses))
        wrong.push(`${operation.operationId} as ${caller}: ${res.status} is not documented in the spec`);
      if (res.status >= 400) {
        const body = JSON.parse(text) as { error?: { code?: string } };
        assert.ok(body.error?.code, `${operation.operationId} as ${caller}: error shape`);
      }
    }
  }
  assert.deepEqual(wrong, [], `${wrong.length} of ${cells} cells differ`);
  assert.equal(cells, specOperations.length * callers.length);
});
