/**
 * What every standalone process (api, worker) opens at start: validated config,
 * migrations under their lock, a pool, a started pg-boss with its queues, and
 * storages. A configuration problem ends the process with a message naming the variable.
 */
import type { PgBoss } from 'pg-boss';
import { apiPublicUrl, loadConfigOrExit, requireDatabaseUrl, type Config } from './config.ts';
import { createPool, type Pool } from './db/pool.ts';
import { runMigrations } from './db/migrate.ts';
import { createBoss, ensureQueues } from './queue.ts';
import { createStoragesFromConfig } from './storage/from-config.ts';
import type { Storage, StorageRole } from './storage/types.ts';

export interface Runtime {
  config: Config;
  databaseUrl: string;
  pool: Pool;
  boss: PgBoss;
  storages: Record<StorageRole, Storage>;
  close(): Promise<void>;
}

export async function openRuntime(): Promise<Runtime> {
  const config = loadConfigOrExit();
  let databaseUrl: string;
  try {
    databaseUrl = requireDatabaseUrl(config);
  } catch (err) {
    process.stderr.write(`mediavault: ${(err as Error).message}\n`);
    process.exit(1);
  }
  await runMigrations(databaseUrl);
  const pool = createPool(databaseUrl, { log: (line) => process.stderr.write(`${line}\n`) });
  const boss = createBoss(databaseUrl);
  boss.on('error', (err) => process.stderr.write(`pg-boss: ${err.message}\n`));
  await boss.start();
  await ensureQueues(boss);
  const storages = createStoragesFromConfig(config, apiPublicUrl(config, config.api.port));
  return {
    config,
    databaseUrl,
    pool,
    boss,
    storages,
    close: async () => {
      await boss.stop({ graceful: true, timeout: 30_000 });
      await pool.end();
    },
  };
}

/** Runs `stop` once on SIGINT or SIGTERM, then exits. */
export function stopOnSignals(stop: () => Promise<void>): void {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      void stop().finally(() => process.exit(0));
    });
  }
}
