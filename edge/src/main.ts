/**
 * Standalone edge process. All settings come from the shared configuration
 * (EDGE_HOST, EDGE_PORT, EDGE_CACHE_DIR, EDGE_SIGNING_KEY, EDGE_SIGNING_KID, their
 * _PREVIOUS pair while a key is rotated, EDGE_PLAYLIST_REVALIDATE_SECONDS and the
 * storage variables); edgeOptionsFromConfig is the only place that reads it.
 */
import type { FastifyInstance } from 'fastify';
import { apiPublicUrl, loadConfigOrExit, type Config } from '@mediavault/core/config';
import { storageSettingsFromConfig } from '@mediavault/core/storage/from-config';
import { createStorage } from '@mediavault/core/storage/index';
import type { Storage } from '@mediavault/core/storage/types';
import { buildEdge, type EdgeOptions } from './app.ts';

export function edgeOptionsFromConfig(
  config: Config,
  overrides: { previews?: Storage; logger?: boolean } = {},
): EdgeOptions {
  // The edge only reads previews, so it never presigns; the api URL is just what the settings shape asks for.
  const previews =
    overrides.previews ??
    createStorage('previews', storageSettingsFromConfig(config, apiPublicUrl(config, config.api.port)));
  return {
    cacheDir: config.edge.cacheDir,
    previews,
    // The api signs with the current key only; the previous one is accepted until its URLs expire.
    keys: [
      { kid: config.edge.signingKid, secret: config.edge.signingKey },
      ...(config.edge.previousSigningKey ? [config.edge.previousSigningKey] : []),
    ],
    playlistRevalidateSeconds: config.edge.playlistRevalidateSeconds,
    logger: overrides.logger ?? config.logLevel !== 'silent',
  };
}

/**
 * The edge as the configuration describes it (never listens): the one way its own process
 * and `mediavault dev` (which hands it the stack's previews storage) build one.
 */
export function createEdge(config: Config, overrides: { previews?: Storage; logger?: boolean } = {}) {
  return buildEdge(edgeOptionsFromConfig(config, overrides));
}

/** Builds the edge from the configuration and listens on EDGE_HOST:EDGE_PORT. */
export async function startEdge(config: Config): Promise<FastifyInstance> {
  const app = await createEdge(config);
  await app.listen({ port: config.edge.port, host: config.edge.host });
  return app;
}

if (import.meta.main) {
  const app = await startEdge(loadConfigOrExit());
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => void app.close().then(() => process.exit(0)));
  }
}
