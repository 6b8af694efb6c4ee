import { test } from 'node:test';
import assert from 'node:assert/strict';
import { actions, can, effectiveRole, permissionMatrix, projectRoles } from '@mediavault/core/roles';
import {
  choosePartSize,
  decidePromotionTarget,
  multipartLimits,
  normalizeAssetName,
  normalizeCollectionPath,
  partCount,
  retainUntil,
} from '@mediavault/core/promotion';
import {
  isSha256Hex,
  masterKey,
  previewKeys,
  previewPathBelongsTo,
  stagingFolder,
  stagingKey,
  stagingKeyOrg,
} from '@mediavault/core/keys';
import { AppError } from '@mediavault/core/errors';

const sha = 'ab'.repeat(32);
const other = 'cd'.repeat(32);

test('permission matrix: each role is a superset of the one below', () => {
  const m = permissionMatrix();
  assert.deepEqual(Object.keys(m), [...projectRoles]);
  for (let i = 1; i < projectRoles.length; i++) {
    for (const a of actions)
      if (m[projectRoles[i - 1]!][a])
        assert.ok(m[projectRoles[i]!][a], `${projectRoles[i]} ⊇ ${projectRoles[i - 1]} on ${a}`);
  }
  assert.equal(can('viewer', 'upload.create'), false);
  assert.equal(can('viewer', 'playback'), true);
  assert.equal(can('reviewer', 'comment.write'), true);
  assert.equal(can('reviewer', 'asset.promote'), false);
  assert.equal(can('editor', 'asset.promote'), true);
  assert.equal(can('editor', 'member.manage'), false);
  assert.equal(can('admin', 'member.manage'), true);
  assert.equal(can(null, 'asset.read'), false);
});

test('organization admins are admins of every project; others need a membership', () => {
  assert.equal(effectiveRole({ isOrgAdmin: true }, null), 'admin');
  assert.equal(effectiveRole({ isOrgAdmin: false }, 'viewer'), 'viewer');
  assert.equal(effectiveRole({ isOrgAdmin: false }, null), null);
});

test('key layout: content-addressed masters, previews per sha, org-scoped staging', () => {
  assert.equal(masterKey(sha), `sha256/ab/ab/${sha}`);
  assert.throws(() => masterKey('AB'.repeat(32)));
  assert.throws(() => masterKey('../../etc/passwd'));
  assert.equal(previewKeys.hlsMaster(sha), `hls/${sha}/master.m3u8`);
  assert.equal(previewKeys.mp4(sha), `mp4/${sha}.mp4`);
  assert.equal(previewKeys.poster(sha), `thumbs/${sha}/poster.jpg`);
  assert.equal(previewKeys.waveform(sha), `waveform/${sha}.json`);
  const key = stagingKey('org-1', 'up-1', 'A001 C002/../x.mov');
  assert.equal(key, 'staging/org-1/up-1_A001_C002_.._x.mov');
  assert.equal(stagingKeyOrg(key), 'org-1');
  assert.equal(stagingKeyOrg('staging/org-1/up-1/x.mov'), 'org-1', 'keys of the earlier per-upload folder form');
  assert.equal(stagingKeyOrg('staging/org-1/a/b/x.mov'), null);
  assert.equal(stagingKeyOrg('masters/org-1/x.mov'), null);
  const batched = stagingKey('org-1', 'up-2', 'x.mov', 'batch-1');
  assert.equal(batched, 'staging/org-1/batch-1/up-2_x.mov');
  assert.equal(stagingKeyOrg(batched), 'org-1');
  assert.equal(stagingFolder(batched), 'staging/org-1/batch-1/');
  assert.equal(stagingFolder(key), null, 'a key of its own has no folder to list');
  assert.equal(stagingFolder('staging/org-1/a/b/x.mov'), null);
  assert.equal(stagingFolder('masters/org-1/batch-1/x.mov'), null);
  assert.ok(isSha256Hex(sha));
  assert.ok(!isSha256Hex(sha.slice(1)));
});

test('edge paths must stay inside the signed sha', () => {
  assert.ok(previewPathBelongsTo(`hls/${sha}/720p/seg_001.m4s`, sha));
  assert.ok(previewPathBelongsTo(`mp4/${sha}.mp4`, sha));
  assert.ok(!previewPathBelongsTo(`hls/${other}/master.m3u8`, sha));
  assert.ok(!previewPathBelongsTo(`hls/${sha}/../${other}/master.m3u8`, sha));
  assert.ok(!previewPathBelongsTo(`hls/${sha}//x`, sha));
  assert.ok(!previewPathBelongsTo(`sha256/ab/ab/${sha}`, sha), 'masters are never served by the edge');
});

test('collection paths and asset names are normalized and refuse traversal', () => {
  assert.deepEqual(normalizeCollectionPath('/day01/cam-a/'), ['day01', 'cam-a']);
  assert.deepEqual(normalizeCollectionPath(undefined), []);
  assert.deepEqual(normalizeCollectionPath('Cafe\u0301'), ['Café']);
  assert.throws(() => normalizeCollectionPath('day01/../secret'), AppError);
  assert.throws(() => normalizeCollectionPath('a//b'), AppError);
  assert.equal(normalizeAssetName(' clip.mov '), 'clip.mov');
  assert.throws(() => normalizeAssetName('../x'), AppError);
  assert.throws(() => normalizeAssetName('a/b'), AppError);
  assert.throws(() => normalizeAssetName('..'), AppError);
});

test('promotion target: idempotent on same bytes, version stack on same name, new asset otherwise', () => {
  const base = { mapping: { projectId: 'p' }, fileName: 'clip.mov', sha256: sha };
  assert.deepEqual(decidePromotionTarget({ ...base, explicitAsset: null, sameNameAsset: null }), {
    kind: 'new-asset',
    name: 'clip.mov',
  });
  assert.deepEqual(
    decidePromotionTarget({ ...base, explicitAsset: null, sameNameAsset: { id: 'a1', versionShas: { v1: other } } }),
    { kind: 'new-version', assetId: 'a1' },
  );
  assert.deepEqual(
    decidePromotionTarget({
      ...base,
      explicitAsset: null,
      sameNameAsset: { id: 'a1', versionShas: { v1: other, v2: sha } },
    }),
    { kind: 'existing-version', assetId: 'a1', versionId: 'v2' },
  );
  assert.deepEqual(
    decidePromotionTarget({
      ...base,
      mapping: { projectId: 'p', assetId: 'a9' },
      explicitAsset: { id: 'a9', versionShas: {} },
      sameNameAsset: null,
    }),
    { kind: 'new-version', assetId: 'a9' },
  );
  assert.throws(
    () =>
      decidePromotionTarget({
        ...base,
        mapping: { projectId: 'p', assetId: 'a9' },
        explicitAsset: null,
        sameNameAsset: null,
      }),
    /not found/,
  );
  assert.throws(
    () => decidePromotionTarget({ ...base, sha256: 'nothex', explicitAsset: null, sameNameAsset: null }),
    /sha256/,
  );
  assert.deepEqual(
    decidePromotionTarget({
      ...base,
      mapping: { projectId: 'p', assetName: 'Hero shot' },
      explicitAsset: null,
      sameNameAsset: null,
    }),
    { kind: 'new-asset', name: 'Hero shot' },
  );
});

test('part size fits S3 limits: 5 MiB–5 GiB and at most 10,000 parts', () => {
  assert.equal(choosePartSize(0), 16 * 1024 ** 2);
  assert.equal(partCount(0, 16 * 1024 ** 2), 1, 'a zero-byte file is one empty part');
  assert.equal(choosePartSize(100 * 1024 ** 3), 16 * 1024 ** 2);
  const large = 1024 ** 4; // 1 TiB
  const size = choosePartSize(large);
  assert.ok(partCount(large, size) <= multipartLimits.maxParts);
  const max = choosePartSize(multipartLimits.maxObjectSize);
  assert.ok(
    max <= multipartLimits.maxPartSize && partCount(multipartLimits.maxObjectSize, max) <= multipartLimits.maxParts,
  );
  assert.throws(() => choosePartSize(multipartLimits.maxObjectSize + 1), /exceeds/);
  assert.throws(() => choosePartSize(-1), /non-negative/);
  assert.equal(choosePartSize(10, 1024), multipartLimits.minPartSize, 'never below 5 MiB');
});

test('retention is now + days', () => {
  assert.equal(retainUntil(new Date('2026-01-01T00:00:00Z'), 30).toISOString(), '2026-01-31T00:00:00.000Z');
});

test('client-facing errors carry no server paths and no raw exception text', async () => {
  const { AppError, clientErrorRecord, withoutServerPaths } = await import('../src/errors.ts');
  assert.equal(
    withoutServerPaths('/tmp/mediavault-preview-Xy12/source: Invalid data found when processing input'),
    '<path>: Invalid data found when processing input',
  );
  assert.equal(
    withoutServerPaths('ffprobe not found at "/usr/local/bin/ffprobe"; key sha256/ab/cd/x and 24/1001 stay'),
    'ffprobe not found at "<path>"; key sha256/ab/cd/x and 24/1001 stay',
  );
  assert.deepEqual(
    clientErrorRecord(
      new AppError('unprocessable', 'cannot read /srv/mv/masters/sha256/ab/cd/f: moov atom not found'),
      'job 7',
    ),
    { code: 'unprocessable', message: 'cannot read <path>: moov atom not found' },
  );
  const raw = clientErrorRecord(new Error('connect ECONNREFUSED 127.0.0.1:5432'), 'job 7');
  assert.equal(raw.code, 'internal');
  assert.doesNotMatch(raw.message, /ECONNREFUSED/);
  assert.match(raw.message, /job 7/);
});

test('request URLs in logs carry no token, signature or signed edge path', async () => {
  const { redactUrl } = await import('../src/redaction.ts');
  assert.equal(
    redactUrl('/api/events?access_token=mvt_secret123&sha256=ab'),
    '/api/events?access_token=%5Bredacted%5D&sha256=ab',
  );
  assert.equal(
    redactUrl('/storage/staging/o/1/a.mov?uploadId=u1&partNumber=2&expires=99&signature=deadbeef'),
    '/storage/staging/o/1/a.mov?uploadId=u1&partNumber=2&expires=99&signature=%5Bredacted%5D',
  );
  assert.equal(redactUrl('/v/eyJzaGEi.sig/hls/ab/master.m3u8'), '/v/[redacted]/hls/ab/master.m3u8');
  const player = redactUrl(`/player/?src=${encodeURIComponent('http://edge:8081/v/tok.en/hls/ab/master.m3u8')}&tc=01`);
  assert.doesNotMatch(player, /tok\.en/);
  assert.match(player, /tc=01$/);
  assert.equal(redactUrl('/player/?labels=eyJhbGciOi.x.y&t=1'), '/player/?labels=%5Bredacted%5D&t=1');
  assert.equal(redactUrl('/api/assets/1?limit=5'), '/api/assets/1?limit=5');
});
