/**
 * The api as its own process: `node api/src/main.ts`. Needs DATABASE_URL;
 * migrations run at start under a lock, so several api processes may start at once.
 */
import { openRuntimeFromEnv, stopOnSignals } from '@mediavault/core/runtime';
import { createApi } from './process.ts';

const runtime = await openRuntimeFromEnv();
const app = await createApi(runtime);
await app.listen({ host: runtime.config.api.host, port: runtime.config.api.port });
stopOnSignals(async () => {
  await app.close();
  await runtime.close();
});
