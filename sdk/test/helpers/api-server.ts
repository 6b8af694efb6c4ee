/**
 * The real api for SDK and CLI tests: test/helpers/api.ts builds it in-process
 * (real PostgreSQL, fs storage, a listening Fastify on 127.0.0.1 with one
 * bootstrapped organization). startPromoter adds the worker's promotion
 * handler on the same pg-boss, so promotions complete without the full worker.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { queues, type PromoteJob } from '@mediavault/core/jobs';
import { handlePromote } from '@mediavault/worker/jobs/promote';
import { startTestApi, type TestApi } from '../../../test/helpers/api.ts';

export { startTestApi, type TestApi };

export async function startPromoter(api: TestApi): Promise<{ stop(): Promise<void> }> {
  const quiet = { info() {}, warn() {}, error() {} };
  const deps = { config: api.config, pool: api.pool, boss: api.boss, storages: api.storages, log: quiet };
  // A batch per fetch, handled together: folder uploads promote many small files at once.
  await api.boss.work<PromoteJob>(queues.promote, { pollingIntervalSeconds: 0.5, batchSize: 16 }, async (jobs) => {
    await Promise.all(jobs.map((job) => handlePromote(deps, job.data)));
  });
  return { stop: () => api.boss.offWork(queues.promote) };
}

/**
 * A temporary folder and the real api for one test file, both gone after it. The cleanup is
 * registered before the api starts, so a failed start still cleans up.
 */
export async function startTestApiWithDir(prefix: string): Promise<{ api: TestApi; dir: string }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  const stops: (() => Promise<void>)[] = [];
  after(async () => {
    for (const stop of stops) await stop();
    await rm(dir, { recursive: true, force: true });
  });
  const api = await startTestApi();
  stops.push(() => api.close());
  return { api, dir };
}
