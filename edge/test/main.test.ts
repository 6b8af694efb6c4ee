import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '@mediavault/core/config';
import { edgeOptionsFromConfig, startEdge } from '../src/main.ts';

test('the entry point builds the edge from the shared configuration and listens where told', async (t) => {
  const dataDir = await mkdtemp(join(tmpdir(), 'mediavault-edge-main-'));
  t.after(() => rm(dataDir, { recursive: true, force: true }));
  const config = loadConfig({
    MEDIAVAULT_DATA_DIR: dataDir,
    EDGE_HOST: '127.0.0.1',
    EDGE_PORT: '0',
    EDGE_SIGNING_KEY: 'e'.repeat(40),
    EDGE_SIGNING_KID: 'k7',
    STORAGE_SIGNING_KEY: 's'.repeat(40),
    LOG_LEVEL: 'silent',
  });

  const options = edgeOptionsFromConfig(config);
  assert.equal(options.cacheDir, join(dataDir, 'edge-cache'));
  assert.deepEqual(options.keys, [{ kid: 'k7', secret: 'e'.repeat(40) }]);
  assert.equal(options.previews.role, 'previews');
  assert.equal(options.previews.driver, 'fs');

  const app = await startEdge(config);
  t.after(() => app.close());
  const { address, port } = app.server.address() as { address: string; port: number };
  assert.equal(address, '127.0.0.1');
  const health = await fetch(`http://127.0.0.1:${port}/healthz`);
  assert.deepEqual(await health.json(), { ok: true, hits: 0, misses: 0 });
});
