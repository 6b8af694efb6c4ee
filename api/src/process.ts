/**
 * The api built from a process's runtime: the one way every host (its own process,
 * `mediavault dev`, the tests) gets one, so configuration reaches them all alike.
 */
import type { FastifyInstance } from 'fastify';
import { apiPublicUrl, edgePublicUrl } from '@mediavault/core/config';
import type { Runtime } from '@mediavault/core/runtime';
import { buildApi } from './app.ts';
import { EventHub } from './services/events.ts';

export interface ApiOptions {
  /** Base URLs clients reach the api and edge at; default from the config. */
  urls?: { api: string; edge: string };
  logger?: false | { level: string; stream?: NodeJS.WritableStream };
}

/** Builds the api on the runtime (never listens); closing the app closes its event feed. */
export function createApi(runtime: Runtime, options: ApiOptions = {}): Promise<FastifyInstance> {
  const { config } = runtime;
  return buildApi({
    config,
    pool: runtime.pool,
    boss: runtime.boss,
    storages: runtime.storages,
    events: new EventHub(runtime.databaseUrl),
    urls: options.urls ?? {
      api: apiPublicUrl(config, config.api.port),
      edge: edgePublicUrl(config, config.edge.port),
    },
    logger: options.logger ?? { level: config.logLevel },
  });
}
