import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ConfigError, loadConfig } from '@mediavault/core/config';

const valid = { EDGE_SIGNING_KEY: 'e'.repeat(32), STORAGE_SIGNING_KEY: 's'.repeat(32) };

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    return err.problems.map((p) => p.variable);
  }
  return [];
}

test('defaults give the embedded single-node setup', () => {
  const config = loadConfig(valid);
  assert.equal(config.storage.driver, 'fs');
  assert.equal(config.api.port, 8080);
  assert.equal(config.edge.port, 8081);
  assert.equal(config.previewTtlSeconds, 3600);
  assert.equal(config.objectLockDefaultDays, 365);
  assert.ok(config.storage.fs.root.endsWith('.mediavault/storage'));
  assert.equal(config.databaseUrl, undefined);
});

test('a missing signing key is named', () => {
  assert.deepEqual(problems({ STORAGE_SIGNING_KEY: 's'.repeat(32) }), ['EDGE_SIGNING_KEY']);
  assert.deepEqual(problems({ EDGE_SIGNING_KEY: 'short', STORAGE_SIGNING_KEY: 's'.repeat(32) }), ['EDGE_SIGNING_KEY']);
});

test('bad values are named, all at once', () => {
  const named = problems({
    ...valid,
    API_PORT: 'eighty',
    PREVIEW_TTL: '5',
    OBJECT_LOCK_DEFAULT_DAYS: '0',
    STORAGE_DRIVER: 'ftp',
    DATABASE_URL: 'mysql://x',
  });
  assert.deepEqual(named.sort(), [
    'API_PORT',
    'DATABASE_URL',
    'OBJECT_LOCK_DEFAULT_DAYS',
    'PREVIEW_TTL',
    'STORAGE_DRIVER',
  ]);
});

test('the s3 driver needs a bucket and credentials per role', () => {
  const named = problems({ EDGE_SIGNING_KEY: 'e'.repeat(32), STORAGE_DRIVER: 's3', S3_BUCKET_STAGING: 'stage' });
  for (const v of [
    'S3_BUCKET_MASTERS',
    'S3_BUCKET_PREVIEWS',
    'S3_BUCKET_DOCS',
    'S3_BUCKET_BACKUPS',
    'S3_ACCESS_KEY_ID_STAGING',
  ])
    assert.ok(named.includes(v), v);
  assert.ok(!named.includes('STORAGE_SIGNING_KEY'), 'fs signing key is not needed with s3');
  const ok = loadConfig({
    EDGE_SIGNING_KEY: 'e'.repeat(32),
    STORAGE_DRIVER: 's3',
    S3_ENDPOINT: 'http://127.0.0.1:9000',
    S3_FORCE_PATH_STYLE: 'true',
    S3_BUCKET_STAGING: 'stg',
    S3_BUCKET_MASTERS: 'mst',
    S3_BUCKET_PREVIEWS: 'prv',
    S3_BUCKET_DOCS: 'doc',
    S3_BUCKET_BACKUPS: 'bak',
    S3_ACCESS_KEY_ID: 'AK',
    S3_SECRET_ACCESS_KEY: 'SK',
    S3_ACCESS_KEY_ID_MASTERS: 'AKM',
    S3_SECRET_ACCESS_KEY_MASTERS: 'SKM',
  });
  assert.equal(ok.storage.s3.credentials.masters.accessKeyId, 'AKM', 'a role has its own credentials');
  assert.equal(ok.storage.s3.credentials.staging.accessKeyId, 'AK');
  assert.equal(ok.storage.s3.forcePathStyle, true);
});

test('a process with bad configuration stops with a message naming the variable', () => {
  const main = fileURLToPath(new URL('../../api/src/main.ts', import.meta.url));
  const result = spawnSync(process.execPath, [main], {
    env: { PATH: process.env.PATH, STORAGE_SIGNING_KEY: 's'.repeat(32), API_PORT: '99999' },
    encoding: 'utf8',
    timeout: 20_000,
  });
  assert.equal(result.status, 1);
  assert.match(result.stderr, /EDGE_SIGNING_KEY/);
  assert.match(result.stderr, /API_PORT/);
  assert.doesNotMatch(result.stderr, /at .*\.ts:\d+/, 'no stack trace');
});
