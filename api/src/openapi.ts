import type { PgBoss } from 'pg-boss';
import { loadConfig } from '@mediavault/core/config';
import { createPool } from '@mediavault/core/db/pool';
import { createStoragesFromConfig } from '@mediavault/core/storage/from-config';
import { buildApi } from './app.ts';
import { EventHub } from './services/events.ts';

/**
 * The OpenAPI document as the api's route schemas describe it. Built from a
 * never-listening app whose pool never connects, so no database is needed.
 */
export async function emitOpenApi(): Promise<Record<string, unknown>> {
  const config = loadConfig({
    EDGE_SIGNING_KEY: 'x'.repeat(32),
    STORAGE_SIGNING_KEY: 'x'.repeat(32),
    MEDIAVAULT_DATA_DIR: '/nonexistent',
  });
  const pool = createPool('postgres://unused@127.0.0.1:1/unused', { max: 1 });
  const urls = { api: 'http://127.0.0.1:8080', edge: 'http://127.0.0.1:8081' };
  const app = await buildApi({
    config,
    pool,
    boss: { send: async () => null } as unknown as PgBoss,
    storages: createStoragesFromConfig(config, urls.api),
    urls,
    events: new EventHub('postgres://unused@127.0.0.1:1/unused'),
  });
  await app.ready();
  const document = app.swagger() as unknown as Record<string, unknown>;
  await app.close();
  await pool.end();
  return document;
}
