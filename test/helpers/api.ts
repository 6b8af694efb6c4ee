import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { PgBoss } from 'pg-boss';
import { loadConfig, type Config } from '@mediavault/core/config';
import { freePort } from '@mediavault/core/free-port';
import type { Storage, StorageRole } from '@mediavault/core/storage/types';
import { bootstrapOrganization, type BootstrapResult } from '@mediavault/api/bootstrap';
import { createApi } from '@mediavault/api/process';
import type { Pool } from '@mediavault/core/db/pool';
import { openRuntime } from '@mediavault/core/runtime';
import { createTestDatabase } from './database.ts';

export interface TestApi {
  app: FastifyInstance;
  url: string;
  edgeUrl: string;
  config: Config;
  pool: Pool;
  boss: PgBoss;
  storages: Record<StorageRole, Storage>;
  databaseUrl: string;
  dataDir: string;
  org: BootstrapResult;
  close(): Promise<void>;
}

/**
 * The real api on a real database and fs storage, listening on 127.0.0.1 (port
 * picked first so presigned fs URLs point at it), with one bootstrapped organization.
 */
export async function startTestApi(
  options: { env?: Record<string, string>; edgeUrl?: string; logStream?: NodeJS.WritableStream } = {},
): Promise<TestApi> {
  const db = await createTestDatabase();
  const dataDir = await mkdtemp(join(tmpdir(), 'mediavault-api-test-'));
  const port = await freePort();
  const config = loadConfig({
    MEDIAVAULT_DATA_DIR: dataDir,
    DATABASE_URL: db.url,
    EDGE_SIGNING_KEY: 'test-edge-signing-key-0123456789abcdef',
    STORAGE_SIGNING_KEY: 'test-storage-signing-key-0123456789abcdef',
    API_PORT: String(port),
    // Test files make requests far faster than people do; the rate-limit tests set their own.
    RATE_LIMIT_READS_PER_MINUTE: '1000000',
    RATE_LIMIT_WRITES_PER_MINUTE: '1000000',
    RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: '1000000',
    ...options.env,
  });
  const url = `http://127.0.0.1:${port}`;
  const edgeUrl = options.edgeUrl ?? 'http://127.0.0.1:1';
  // The database is dropped on close while pg-boss may still hold a connection: not a failure then.
  let closing = false;
  const runtime = await openRuntime(config, {
    databaseUrl: db.url,
    apiUrl: url,
    onError: (line) => {
      if (!closing) process.stderr.write(`${line}\n`);
    },
  });
  const { pool, boss, storages } = runtime;
  // MEDIAVAULT_TEST_LOG=error shows the api's own log of a failing test.
  const logLevel = process.env.MEDIAVAULT_TEST_LOG;
  const app = await createApi(runtime, {
    urls: { api: url, edge: edgeUrl },
    logger: options.logStream ? { level: 'info', stream: options.logStream } : logLevel ? { level: logLevel } : false,
  });
  await app.listen({ host: '127.0.0.1', port });
  const org = await bootstrapOrganization(pool, {
    organization: 'Test studio',
    client: 'Client A',
    project: 'Project A',
    adminEmail: 'admin@test',
    adminName: 'Admin',
  });
  return {
    app,
    url,
    edgeUrl,
    config,
    pool,
    boss,
    storages,
    databaseUrl: db.url,
    dataDir,
    org,
    close: async () => {
      closing = true;
      await app.close();
      await boss.stop({ graceful: false, timeout: 1000 }).catch(() => {});
      await pool.end();
      await db.drop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export function bearer(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}

/** One JSON call to the api as any client makes it: the status, the parsed body and the headers. */
export async function callApi(baseUrl: string, method: string, path: string, token: string | null, body?: unknown) {
  const res = await fetch(`${baseUrl}${path}`, {
    method,
    headers: { ...(token ? bearer(token) : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null, headers: res.headers };
}
