/**
 * The api as its own process: `node api/src/main.ts`. Needs DATABASE_URL;
 * migrations run at start under a lock, so several api processes may start at once.
 */
import { apiPublicUrl, edgePublicUrl, loadConfigOrExit, requireDatabaseUrl } from '@mediavault/core/config';
import { createPool } from '@mediavault/core/db/pool';
import { runMigrations } from '@mediavault/core/db/migrate';
import { createBoss, ensureQueues } from '@mediavault/core/queue';
import { createStoragesFromConfig } from '@mediavault/core/storage/from-config';
import { buildApi } from './app.ts';
import { EventHub } from './services/events.ts';

const config = loadConfigOrExit();
const databaseUrl = (() => {
  try {
    return requireDatabaseUrl(config);
  } catch (err) {
    process.stderr.write(`mediavault: ${(err as Error).message}\n`);
    process.exit(1);
  }
})();

await runMigrations(databaseUrl);
const pool = createPool(databaseUrl);
const boss = createBoss(databaseUrl);
boss.on('error', (err) => process.stderr.write(`pg-boss: ${err.message}\n`));
await boss.start();
await ensureQueues(boss);
const urls = { api: apiPublicUrl(config, config.api.port), edge: edgePublicUrl(config, config.edge.port) };
const app = await buildApi({ config, pool, boss, storages: createStoragesFromConfig(config, urls.api), urls, events: new EventHub(databaseUrl), logger: { level: config.logLevel } });
await app.listen({ host: config.api.host, port: config.api.port });

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, async () => {
    await app.close();
    await boss.stop({ graceful: true, timeout: 10_000 });
    await pool.end();
    process.exit(0);
  });
}
