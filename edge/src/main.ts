/**
 * Standalone edge process. All settings come from the shared configuration
 * (EDGE_HOST, EDGE_PORT, EDGE_CACHE_DIR, EDGE_SIGNING_KEY, EDGE_SIGNING_KID and
 * the storage variables); edgeOptionsFromConfig is the only place that reads it.
 */
import type { FastifyInstance } from 'fastify';
import { apiPublicUrl, loadConfigOrExit, type Config } from '@mediavault/core/config';
import { storageSettingsFromConfig } from '@mediavault/core/storage/from-config';
import { createStorage } from '@mediavault/core/storage/index';
import { buildEdge, type EdgeOptions } from './app.ts';

export function edgeOptionsFromConfig(config: Config): EdgeOptions {
  // The edge only reads previews, so it never presigns; the api URL is just what the settings shape asks for.
  const storage = storageSettingsFromConfig(config, apiPublicUrl(config, config.api.port));
  return {
    cacheDir: config.edge.cacheDir,
    previews: createStorage('previews', storage),
    keys: [{ kid: config.edge.signingKid, secret: config.edge.signingKey }],
    logger: config.logLevel !== 'silent',
  };
}

/** Builds the edge from the configuration and listens on EDGE_HOST:EDGE_PORT; `mediavault dev` can call this in-process. */
export async function startEdge(config: Config): Promise<FastifyInstance> {
  const app = await buildEdge(edgeOptionsFromConfig(config));
  await app.listen({ port: config.edge.port, host: config.edge.host });
  return app;
}

if (import.meta.main) {
  const app = await startEdge(loadConfigOrExit());
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => void app.close().then(() => process.exit(0)));
  }
}
