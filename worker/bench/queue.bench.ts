/**
 * npm run bench:queue [-- --count 50 --seconds 1 --keep]
 *
 * How fast one worker drains a backlog of small previews. Generates --count distinct masters
 * with ffmpeg (--seconds long, 192–290 px wide), queues all their preview builds at once as a
 * bulk promotion does, then starts one worker (WORKER_CONCURRENCY=1) on real PostgreSQL (the
 * embedded one, or DATABASE_URL's server) and pg-boss, and waits until every build is settled.
 * From pg-boss's own started_on/completed_on it prints the drain rate, the gap between one
 * build's end and the next one's start (median, p95, max), the drain's wall time against the
 * sum of the build times, and how many builds dropped outputs under backpressure.
 * Target (issue 12, point 13): median gap under 100 ms. Not a test: nothing fails on a miss.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { loadConfig } from '@mediavault/core/config';
import { findPreview } from '@mediavault/core/catalogue/previews-store';
import { startEmbeddedPostgres } from '@mediavault/core/db/embedded';
import { defaultPreviewProfile } from '@mediavault/core/jobs';
import { openRuntime } from '@mediavault/core/runtime';
import {
  completedPreviewRuns,
  gapsBetweenRuns,
  generatePreviewMasters,
  queuePreviewBuilds,
  runWorkerUntilBuilt,
} from '../test/preview-backlog.ts';

const { values } = parseArgs({
  options: {
    count: { type: 'string', default: '50' },
    seconds: { type: 'string', default: '1' },
    keep: { type: 'boolean', default: false },
  },
});
const count = Number(values.count);
const seconds = Number(values.seconds);
if (!(Number.isInteger(count) && count >= 2 && count <= 500) || !(seconds > 0 && seconds <= 10)) {
  console.error('usage: npm run bench:queue -- [--count 2..500] [--seconds (0, 10]] [--keep]');
  process.exit(2);
}

/** The value below which the given share of the sorted values fall (nearest rank). */
function percentile(sorted: number[], share: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(share * sorted.length) - 1))]!;
}

const work = await mkdtemp(join(tmpdir(), 'mediavault-bench-queue-'));
const cleanups: (() => Promise<unknown>)[] = [];
try {
  let databaseUrl: string;
  if (process.env.DATABASE_URL) {
    // A database of its own on that server, dropped at the end.
    const admin = new pg.Client({ connectionString: process.env.DATABASE_URL });
    await admin.connect();
    const name = `mv_bench_queue_${process.pid}`;
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    const url = new URL(process.env.DATABASE_URL);
    url.pathname = `/${name}`;
    databaseUrl = url.toString();
    cleanups.push(async () => {
      const c = new pg.Client({ connectionString: process.env.DATABASE_URL });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    });
  } else {
    const database = await startEmbeddedPostgres(join(work, 'pg'));
    cleanups.push(() => database.stop());
    databaseUrl = database.url;
  }
  const config = loadConfig({
    MEDIAVAULT_DATA_DIR: work,
    DATABASE_URL: databaseUrl,
    EDGE_SIGNING_KEY: 'bench-edge-signing-key-0123456789abcdef',
    STORAGE_SIGNING_KEY: 'bench-storage-signing-key-0123456789abcdef',
    WORKER_CONCURRENCY: '1',
  });
  console.log(`generating ${count} masters of ${seconds} s with ffmpeg…`);
  await mkdir(join(work, 'masters'));
  const masters = await generatePreviewMasters(join(work, 'masters'), count, { seconds });
  const runtime = await openRuntime(config, { databaseUrl, apiUrl: 'http://127.0.0.1:1' });
  cleanups.unshift(() => runtime.close());
  const shas = await queuePreviewBuilds(runtime, masters);
  console.log(`${shas.length} preview builds queued; one worker drains them…`);

  await runWorkerUntilBuilt(runtime, shas.length);

  const runs = await completedPreviewRuns(runtime.pool, shas);
  const gaps = gapsBetweenRuns(runs).sort((a, b) => a - b);
  const builds = runs.map((r) => r.completedOn.getTime() - r.startedOn.getTime());
  const wallMs = runs.at(-1)!.completedOn.getTime() - runs[0]!.startedOn.getTime();
  const buildMs = builds.reduce((a, b) => a + b, 0);
  let dropping = 0;
  for (const sha of shas) {
    const preview = await findPreview(runtime.pool, sha, defaultPreviewProfile);
    if ((preview?.outputs?.dropped?.length ?? 0) > 0) dropping++;
  }
  const sortedBuilds = [...builds].sort((a, b) => a - b);
  const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  console.log(`
builds settled        ${runs.length} of ${shas.length}
drain rate            ${(runs.length / (wallMs / 1000)).toFixed(2)} jobs/s
gap end → next start  median ${percentile(gaps, 0.5)} ms, p95 ${percentile(gaps, 0.95)} ms, max ${gaps.at(-1)} ms   (target: median < 100 ms)
build time            median ${s(percentile(sortedBuilds, 0.5))}, min ${s(sortedBuilds[0]!)}, max ${s(sortedBuilds.at(-1)!)}
wall time vs builds   ${s(wallMs)} from the first start to the last end, ${s(buildMs)} of builds: ${((1 - buildMs / wallMs) * 100).toFixed(1)} % idle
dropped outputs       ${dropping} of ${shas.length} builds (backpressure, PREVIEW_BACKLOG_SECONDS=${config.previewBacklogSeconds})`);
} finally {
  for (const cleanup of cleanups) await cleanup().catch((err) => console.error(String(err)));
  if (values.keep) console.log(`kept ${work}`);
  else await rm(work, { recursive: true, force: true });
}
