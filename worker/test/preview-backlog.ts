/**
 * A backlog of real preview builds, for the drain test and `npm run bench:queue`: small distinct
 * masters generated with ffmpeg, stored and recorded as a promotion leaves them, each with its
 * preview claimed and its job queued in one insert (as a bulk promotion queues them); then
 * pg-boss's own record of when each of those jobs started and ended.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { PgBoss } from 'pg-boss';
import { claimPreview } from '@mediavault/core/catalogue/previews-store';
import { recordMasters } from '@mediavault/core/catalogue/masters-store';
import type { Pool } from '@mediavault/core/db/pool';
import { defaultPreviewProfile, queues, sendJobs } from '@mediavault/core/jobs';
import { masterKey } from '@mediavault/core/keys';
import type { Storage, StorageRole } from '@mediavault/core/storage/types';
import { startWorker, type WorkerDeps } from '../src/worker.ts';
import { generateClip } from './fixtures.ts';

export interface BacklogDeps {
  pool: Pool;
  boss: Pick<PgBoss, 'send' | 'insert'>;
  storages: Record<StorageRole, Storage>;
}

/** The masters of a backlog, ready to be queued: `count` small clips, each a different picture size. */
export async function generatePreviewMasters(
  dir: string,
  count: number,
  clip: { seconds: number } = { seconds: 1 },
): Promise<string[]> {
  const paths: string[] = [];
  // A different width per clip makes every master's bytes (and sha256) its own.
  for (let i = 0; i < count; i++)
    paths.push(await generateClip(dir, { name: `backlog-${i}.mp4`, width: 192 + 2 * i, height: 108, ...clip }));
  return paths;
}

/**
 * Puts each file into masters and the catalogue, claims its preview and queues all the builds at
 * bulk priority in one insert; answers their sha256s in queue order.
 */
export async function queuePreviewBuilds({ pool, boss, storages }: BacklogDeps, paths: string[]): Promise<string[]> {
  const retainUntil = new Date(Date.now() + 86_400_000);
  const shas: string[] = [];
  for (const path of paths) {
    const bytes = await readFile(path);
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    await storages.masters.put(masterKey(sha256), createReadStream(path), {
      retainUntil,
      checksumSha256: Buffer.from(sha256, 'hex').toString('base64'),
    });
    await recordMasters(pool, [{ sha256, size: bytes.length, storageKey: masterKey(sha256), retainUntil }]);
    await claimPreview(pool, sha256, defaultPreviewProfile);
    shas.push(sha256);
  }
  await sendJobs(
    boss,
    'preview',
    shas.map((sha256) => ({ sha256, profile: defaultPreviewProfile })),
    { priority: 'bulk' },
  );
  return shas;
}

/**
 * Runs a worker until it has reported `builds` preview jobs done, waiting on its own reports; a
 * failed build or the deadline (if any) rejects. Stopping it waits for the jobs in hand to be
 * settled, so pg-boss has recorded every completion when this returns.
 */
export async function runWorkerUntilBuilt(
  deps: Omit<WorkerDeps, 'log'>,
  builds: number,
  deadlineMs?: number,
): Promise<void> {
  let done = 0;
  let built: () => void = () => {};
  let failed: (err: Error) => void = () => {};
  const allBuilt = new Promise<void>((resolve, reject) => {
    built = resolve;
    failed = reject;
  });
  const worker = await startWorker({
    ...deps,
    log: {
      info: (o) => {
        if ((o as { queue?: string }).queue === 'preview' && ++done === builds) built();
      },
      warn() {},
      error: (o) => failed(new Error(`a preview build failed: ${String((o as { err?: unknown }).err)}`)),
    },
  });
  const deadline =
    deadlineMs === undefined
      ? undefined
      : setTimeout(() => failed(new Error(`${done} of ${builds} previews built in ${deadlineMs} ms`)), deadlineMs);
  try {
    await allBuilt;
  } finally {
    clearTimeout(deadline);
    await worker.stop();
  }
}

/** One preview job as pg-boss recorded it: when a worker took it and when it was settled. */
export interface PreviewRun {
  sha256: string;
  startedOn: Date;
  completedOn: Date;
}

/** The completed preview jobs of these masters, in the order they started. */
export async function completedPreviewRuns(pool: Pool, shas: string[]): Promise<PreviewRun[]> {
  const { rows } = await pool.query<PreviewRun>(
    `SELECT data->>'sha256' AS "sha256", started_on AS "startedOn", completed_on AS "completedOn"
       FROM pgboss.job WHERE name = $1 AND state = 'completed' AND data->>'sha256' = ANY($2::text[])
      ORDER BY started_on`,
    [queues.preview, shas],
  );
  return rows;
}

/**
 * Milliseconds between one run's end and the start of the run that followed it, for runs that
 * one worker slot took one after another (negative when two overlapped).
 */
export function gapsBetweenRuns(runs: PreviewRun[]): number[] {
  return runs.slice(1).map((run, i) => run.startedOn.getTime() - runs[i]!.completedOn.getTime());
}

/** The most runs in progress at any one moment. */
export function mostAtOnce(runs: PreviewRun[]): number {
  const edges = runs
    .flatMap((r) => [
      { at: r.startedOn.getTime(), step: 1 },
      { at: r.completedOn.getTime(), step: -1 },
    ])
    // An end and a start at the same instant are not an overlap: ends first.
    .sort((a, b) => a.at - b.at || a.step - b.step);
  let running = 0;
  let most = 0;
  for (const edge of edges) {
    running += edge.step;
    most = Math.max(most, running);
  }
  return most;
}
