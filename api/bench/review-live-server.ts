/**
 * The api as the review benchmark runs it (api/bench/review-live.bench.ts): a process of its own,
 * configured from the environment like `npm run start:api`, that tells the bench its address over
 * IPC once it listens, and stops when the bench goes away.
 */
import { openRuntimeFromEnv } from '@mediavault/core/runtime';
import { createApi } from '../src/process.ts';

const runtime = await openRuntimeFromEnv();
const app = await createApi(runtime, { logger: false });
const address = await app.listen({ host: '127.0.0.1', port: 0 });
process.send?.({ listening: address });
process.once('disconnect', () => {
  void app
    .close()
    .then(() => runtime.close())
    .finally(() => process.exit(0));
});
