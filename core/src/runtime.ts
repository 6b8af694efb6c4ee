/**
 * What every server process opens at start, built one way for all of them (api, worker,
 * `mediavault dev`, the test helpers): migrations under their lock, a pool, a started
 * pg-boss with every job's queue, and the storages of each role. A configuration problem
 * in a standalone process ends it with a message naming the variable.
 */
import type { PgBoss } from 'pg-boss';
import { apiPublicUrl, ConfigError, loadConfigOrExit, requireDatabaseUrl, type Config } from './config.ts';
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

export interface RuntimeOptions {
  databaseUrl: string;
  /** Where clients reach the api (the fs driver's presigned URLs point there); default from the config. */
  apiUrl?: string;
  /** A connection that fails on its own (idle pool client, pg-boss): one line, and the error. */
  onError?: (line: string, err: Error) => void;
  /** How long close() lets running jobs finish. */
  stopTimeoutMs?: number;
}

export async function openRuntime(config: Config, options: RuntimeOptions): Promise<Runtime> {
  const { databaseUrl } = options;
  await runMigrations(databaseUrl);
  const pool = createPool(databaseUrl, options.onError ? { log: options.onError } : {});
  const boss = createBoss(databaseUrl);
  boss.on('error', (err) => options.onError?.(`pg-boss: ${err.message}`, err));
  try {
    await boss.start();
    await ensureQueues(boss);
  } catch (err) {
    await boss.stop({ graceful: false }).catch(() => {});
    await pool.end();
    throw err;
  }
  const storages = createStoragesFromConfig(config, options.apiUrl ?? apiPublicUrl(config, config.api.port));
  return {
    config,
    databaseUrl,
    pool,
    boss,
    storages,
    close: async () => {
      await boss.stop({ graceful: true, timeout: options.stopTimeoutMs ?? 30_000 });
      await pool.end();
    },
  };
}

/** A standalone process's runtime, from the environment: exits 1 naming the variable on a configuration problem. */
export async function openRuntimeFromEnv(): Promise<Runtime> {
  const config = loadConfigOrExit();
  let databaseUrl: string;
  try {
    databaseUrl = requireDatabaseUrl(config);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`mediavault: ${err.message}\n`);
    process.exit(1);
  }
  return openRuntime(config, { databaseUrl, onError: (line) => process.stderr.write(`${line}\n`) });
}

/** Runs `stop` once on SIGINT or SIGTERM, then exits. */
export function stopOnSignals(stop: () => Promise<void>): void {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      void stop().finally(() => process.exit(0));
    });
  }
}
