import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError, loadConfig } from '@mediavault/core/config';
import { signEdgeToken } from '@mediavault/core/signer';
import { buildEdge } from '../src/app.ts';
import { edgeOptionsFromConfig, startEdge } from '../src/main.ts';

const currentKey = { kid: 'k2', secret: 'n'.repeat(40) };
const previousKey = { kid: 'k1', secret: 'o'.repeat(40) };
const baseEnv = { STORAGE_SIGNING_KEY: 's'.repeat(40), LOG_LEVEL: 'silent' };
const rotatingEnv = {
  ...baseEnv,
  EDGE_SIGNING_KEY: currentKey.secret,
  EDGE_SIGNING_KID: currentKey.kid,
  EDGE_SIGNING_KEY_PREVIOUS: previousKey.secret,
  EDGE_SIGNING_KID_PREVIOUS: previousKey.kid,
};

function problems(env: Record<string, string>): { variable: string; message: string }[] {
  try {
    loadConfig(env);
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    return err.problems;
  }
  return [];
}

test('the entry point builds the edge from the shared configuration and listens where told', async (t) => {
  const dataDir = await mkdtemp(join(tmpdir(), 'mediavault-edge-main-'));
  t.after(() => rm(dataDir, { recursive: true, force: true }));
  const config = loadConfig({
    ...baseEnv,
    MEDIAVAULT_DATA_DIR: dataDir,
    EDGE_HOST: '127.0.0.1',
    EDGE_PORT: '0',
    EDGE_SIGNING_KEY: 'e'.repeat(40),
    EDGE_SIGNING_KID: 'k7',
    EDGE_PLAYLIST_REVALIDATE_SECONDS: '30',
  });

  const options = edgeOptionsFromConfig(config);
  assert.equal(options.cacheDir, join(dataDir, 'edge-cache'));
  assert.deepEqual(options.keys, [{ kid: 'k7', secret: 'e'.repeat(40) }]);
  assert.equal(options.playlistRevalidateSeconds, 30);
  assert.equal(options.previews.role, 'previews');
  assert.equal(options.previews.driver, 'fs');

  const app = await startEdge(config);
  t.after(() => app.close());
  const { address, port } = app.server.address() as { address: string; port: number };
  assert.equal(address, '127.0.0.1');
  const health = await fetch(`http://127.0.0.1:${port}/healthz`);
  assert.deepEqual(await health.json(), { ok: true, hits: 0, misses: 0, revalidations: 0, stale: 0 });
});

test('rotation: URLs signed with the previous key play beside the current one; an unknown kid is 403', async (t) => {
  const dataDir = await mkdtemp(join(tmpdir(), 'mediavault-edge-keys-'));
  t.after(() => rm(dataDir, { recursive: true, force: true }));
  const config = loadConfig({ ...rotatingEnv, MEDIAVAULT_DATA_DIR: dataDir });
  assert.deepEqual(config.edge.previousSigningKey, previousKey);
  const app = await buildEdge(edgeOptionsFromConfig(config, { logger: false }));
  t.after(() => app.close());
  const sha = 'c3'.repeat(32);
  const poster = join(config.storage.fs.root, 'previews', 'thumbs', sha, 'poster.jpg');
  await mkdir(dirname(poster), { recursive: true });
  await writeFile(poster, 'jpeg bytes');
  const claims = { sha, exp: Math.floor(Date.now() / 1000) + 600, scope: 'preview' as const };
  const get = (signingKey: { kid: string; secret: string }) =>
    app.inject({ url: `/v/${signEdgeToken(claims, signingKey)}/thumbs/${sha}/poster.jpg` });

  const handedOutBeforeRotation = await get(previousKey);
  assert.equal(handedOutBeforeRotation.statusCode, 200);
  assert.equal(handedOutBeforeRotation.body, 'jpeg bytes');
  assert.equal((await get(currentKey)).statusCode, 200);

  const unknown = await get({ kid: 'k0', secret: 'u'.repeat(40) });
  assert.equal(unknown.statusCode, 403);
  assert.match(unknown.json<{ error: { message: string } }>().error.message, /key this edge does not accept/);
  // The previous kid with another secret is a forgery, not a rotation.
  assert.equal((await get({ kid: previousKey.kid, secret: currentKey.secret })).statusCode, 403);
});

test('a previous key is refused at start unless it has its own kid, distinct from the current one', () => {
  const current = { ...baseEnv, EDGE_SIGNING_KEY: currentKey.secret, EDGE_SIGNING_KID: currentKey.kid };
  const named = (env: Record<string, string>) => problems(env).map((p) => p.variable);

  assert.deepEqual(named({ ...current, EDGE_SIGNING_KEY_PREVIOUS: previousKey.secret }), ['EDGE_SIGNING_KID_PREVIOUS']);
  assert.deepEqual(named({ ...current, EDGE_SIGNING_KID_PREVIOUS: previousKey.kid }), ['EDGE_SIGNING_KEY_PREVIOUS']);
  const sameKid = problems({ ...rotatingEnv, EDGE_SIGNING_KID_PREVIOUS: currentKey.kid });
  assert.deepEqual(
    sameKid.map((p) => p.variable),
    ['EDGE_SIGNING_KID_PREVIOUS'],
  );
  assert.match(sameKid[0]!.message, /same as EDGE_SIGNING_KID/);
  assert.deepEqual(named({ ...rotatingEnv, EDGE_SIGNING_KEY_PREVIOUS: currentKey.secret }), [
    'EDGE_SIGNING_KEY_PREVIOUS',
  ]);
  assert.deepEqual(named({ ...rotatingEnv, EDGE_SIGNING_KEY_PREVIOUS: 'short' }), ['EDGE_SIGNING_KEY_PREVIOUS']);
  assert.deepEqual(named({ ...rotatingEnv, EDGE_SIGNING_KID_PREVIOUS: 'no spaces' }), ['EDGE_SIGNING_KID_PREVIOUS']);
  assert.deepEqual(named(rotatingEnv), []);
  assert.equal(loadConfig(current).edge.previousSigningKey, undefined);
});

test('the edge process stops at start, naming the variable, on a previous key without a kid', () => {
  const main = fileURLToPath(new URL('../src/main.ts', import.meta.url));
  const { EDGE_SIGNING_KID_PREVIOUS: _omitted, ...withoutPreviousKid } = rotatingEnv;
  const result = spawnSync(process.execPath, [main], {
    env: { PATH: process.env.PATH, ...withoutPreviousKid, EDGE_PORT: '0' },
    encoding: 'utf8',
    timeout: 30_000,
  });
  assert.equal(result.status, 1, result.stderr);
  assert.match(result.stderr, /EDGE_SIGNING_KID_PREVIOUS: is required with EDGE_SIGNING_KEY_PREVIOUS/);
});

test('buildEdge refuses two keys under one kid', async () => {
  await assert.rejects(
    buildEdge({
      cacheDir: tmpdir(),
      previews: edgeOptionsFromConfig(loadConfig({ ...rotatingEnv })).previews,
      keys: [currentKey, { kid: currentKey.kid, secret: previousKey.secret }],
    }),
    /two edge signing keys share the kid "k2"/,
  );
});
