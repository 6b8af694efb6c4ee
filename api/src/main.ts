/**
 * The api as its own process: `node api/src/main.ts`. Needs DATABASE_URL;
 * migrations run at start under a lock, so several api processes may start at once.
 */
import { apiPublicUrl, edgePublicUrl } from '@mediavault/core/config';
import { openRuntime, stopOnSignals } from '@mediavault/core/runtime';
import { buildApi } from './app.ts';
import { EventHub } from './services/events.ts';

const runtime = await openRuntime();
const { config } = runtime;
const urls = { api: apiPublicUrl(config, config.api.port), edge: edgePublicUrl(config, config.edge.port) };
const app = await buildApi({
  config,
  pool: runtime.pool,
  boss: runtime.boss,
  storages: runtime.storages,
  urls,
  events: new EventHub(runtime.databaseUrl),
  logger: { level: config.logLevel },
});
await app.listen({ host: config.api.host, port: config.api.port });
stopOnSignals(async () => {
  await app.close();
  await runtime.close();
});
