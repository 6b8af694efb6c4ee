/** A worker as its own process: `node worker/src/main.ts`. Any number may run on one database. */
import { apiPublicUrl, loadConfigOrExit, requireDatabaseUrl } from '@mediavault/core/config';
import { createPool } from '@mediavault/core/db/pool';
import { runMigrations } from '@mediavault/core/db/migrate';
import { createBoss, ensureQueues } from '@mediavault/core/queue';
import { createStoragesFromConfig } from '@mediavault/core/storage/from-config';
import { startWorker } from './worker.ts';

const config = loadConfigOrExit();
let databaseUrl: string;
try {
  databaseUrl = requireDatabaseUrl(config);
} catch (err) {
  process.stderr.write(`mediavault: ${(err as Error).message}\n`);
  process.exit(1);
}
await runMigrations(databaseUrl);
const pool = createPool(databaseUrl);
const boss = createBoss(databaseUrl);
boss.on('error', (err) => process.stderr.write(`pg-boss: ${err.message}\n`));
await boss.start();
await ensureQueues(boss);
const log = {
  info: (o: object, m?: string) => process.stdout.write(`${JSON.stringify({ level: 'info', msg: m, ...o })}\n`),
  warn: (o: object, m?: string) => process.stdout.write(`${JSON.stringify({ level: 'warn', msg: m, ...o })}\n`),
  error: (o: object, m?: string) => process.stderr.write(`${JSON.stringify({ level: 'error', msg: m, ...o, err: String((o as { err?: unknown }).err ?? '') })}\n`),
};
const worker = await startWorker({ config, pool, boss, storages: createStoragesFromConfig(config, apiPublicUrl(config, config.api.port)), log });
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, async () => {
    await worker.stop();
    await boss.stop({ graceful: true, timeout: 30_000 });
    await pool.end();
    process.exit(0);
  });
}
