/**
 * npm run bench:watermark [-- --seconds 30 --rounds 3 --keep]
 *
 * How long the first viewer of a watermarked share waits: from the request (the api's
 * requestWatermarkedSet) to the set's master playlist published (its "ready" event, sent once
 * the playlist is written), against the same wait for the clean preview set of the same master
 * (claimed as a rebuild and queued at interactive priority, as a viewer's request does). One
 * worker (WORKER_CONCURRENCY=1) on an embedded PostgreSQL and pg-boss, fs storage; a 1080p25
 * ProRes 422 HQ master with stereo PCM. Rounds are interleaved (preview, corner watermark,
 * tiled watermark) so machine noise spreads evenly; each watermark round names another viewer,
 * so each is a new set. Prints medians. Not a test: nothing fails on a miss.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '@mediavault/core/config';
import { claimPreview } from '@mediavault/core/catalogue/previews-store';
import { EventHub } from '@mediavault/core/catalogue/event-feed';
import { startEmbeddedPostgres } from '@mediavault/core/db/embedded';
import { defaultPreviewProfile, sendJob } from '@mediavault/core/jobs';
import { openRuntime } from '@mediavault/core/runtime';
import { renderWatermark, watermarkKey, type WatermarkSpec } from '@mediavault/core/watermark';
import { requestWatermarkedSet } from '@mediavault/api/services/watermarks';
import { getEncoderCapabilities } from '../src/media/encoders.ts';
import { startWorker } from '../src/worker.ts';
import { generateClip } from '../test/fixtures.ts';
import { queuePreviewBuilds } from '../test/preview-backlog.ts';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '30' },
    rounds: { type: 'string', default: '3' },
    keep: { type: 'boolean', default: false },
  },
});
const seconds = Number(values.seconds);
const rounds = Number(values.rounds);
if (!(seconds > 0 && seconds <= 600) || !(Number.isInteger(rounds) && rounds > 0)) {
  console.error('usage: npm run bench:watermark -- [--seconds (0, 600]] [--rounds N] [--keep]');
  process.exit(2);
}

function median(list: number[]): number {
  const sorted = [...list].sort((x, y) => x - y);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * CPU seconds of this process and of the children it has reaped, the worker's ffmpeg runs
 * (Linux: cutime and cstime of /proc/self/stat, in ticks of 1/100 s). On a machine shared with
 * other work, the wait grows with the load; the CPU a build costs does not.
 */
async function cpuSeconds(): Promise<number> {
  const own = process.cpuUsage();
  const afterName = (await readFile('/proc/self/stat', 'utf8')).split(') ').at(-1)!.split(' ');
  return (own.user + own.system) / 1e6 + (Number(afterName[13]) + Number(afterName[14])) / 100;
}

interface Wait {
  seconds: number;
  cpuSeconds: number;
}

/** What the catalogue publishes that this bench waits on (a 'watermark' event comes from migration 0011). */
type ReadyEvent = { type: string; sha256?: string; profile?: string; key?: string; status?: string; error?: string };

const work = await mkdtemp(join(tmpdir(), 'mediavault-bench-watermark-'));
const cleanups: (() => Promise<unknown>)[] = [];
try {
  // Its own embedded PostgreSQL: the bench measures a worker, not a shared server's load.
  const database = await startEmbeddedPostgres(join(work, 'pg'));
  cleanups.push(() => database.stop());
  const databaseUrl = database.url;
  const config = loadConfig({
    MEDIAVAULT_DATA_DIR: work,
    DATABASE_URL: databaseUrl,
    EDGE_SIGNING_KEY: 'bench-edge-signing-key-0123456789abcdef',
    STORAGE_SIGNING_KEY: 'bench-storage-signing-key-0123456789abcdef',
    WORKER_CONCURRENCY: '1',
  });
  console.log(`generating a ${seconds} s 1080p25 ProRes 422 HQ master with stereo PCM…`);
  const master = await generateClip(work, {
    name: 'master.mov',
    width: 1920,
    height: 1080,
    seconds,
    videoCodec: 'prores',
    audioCodec: 'pcm',
    audioChannels: 2,
  });
  const runtime = await openRuntime(config, { databaseUrl, apiUrl: 'http://127.0.0.1:1' });
  cleanups.unshift(() => runtime.close());
  const events = new EventHub(databaseUrl);
  cleanups.unshift(() => events.close());

  /** Resolves with the milliseconds from now until `done` sees its event; rejects on a failure event. */
  const waitFor = (done: (event: ReadyEvent) => 'ready' | 'failed' | null) => {
    const start = performance.now();
    let unsubscribe = () => {};
    const settled = new Promise<number>((resolve, reject) => {
      unsubscribe = events.subscribe((event) => {
        const outcome = done(event as ReadyEvent);
        if (outcome === 'ready') resolve(performance.now() - start);
        if (outcome === 'failed') reject(new Error(`build failed: ${(event as ReadyEvent).error}`));
      });
    });
    return { settled: settled.finally(() => unsubscribe()) };
  };

  // The first build happens before the rounds, as ingest leaves it; rounds rebuild it.
  const [sha256] = await queuePreviewBuilds(runtime, [master]);
  await events.ready();
  const firstPreview = waitFor((e) =>
    e.type === 'preview' && e.sha256 === sha256 && (e.status === 'ready' || e.status === 'failed')
      ? (e.status as 'ready')
      : null,
  );
  const worker = await startWorker({
    ...runtime,
    log: { info() {}, warn() {}, error: (o) => console.error('worker:', String((o as { err?: unknown }).err)) },
  });
  cleanups.unshift(() => worker.stop());
  await firstPreview.settled;
  const encoders = await getEncoderCapabilities();
  console.log(
    `encoder: ${encoders.nvenc ? 'h264_nvenc' : 'libx264'} (${encoders.reason}); ${rounds} rounds, interleaved\n`,
  );

  const previewWait = async () => {
    const wait = waitFor((e) =>
      e.type === 'preview' &&
      e.sha256 === sha256 &&
      e.profile === defaultPreviewProfile &&
      e.status !== 'building' &&
      e.status !== 'queued'
        ? (e.status as 'ready' | 'failed')
        : null,
    );
    const { enqueue } = await claimPreview(runtime.pool, sha256!, defaultPreviewProfile, true);
    if (!enqueue) throw new Error('the preview could not be claimed for a rebuild');
    await sendJob(
      runtime.boss,
      'preview',
      { sha256: sha256!, profile: defaultPreviewProfile },
      { priority: 'interactive' },
    );
    return wait.settled;
  };
  const watermarkWait = async (spec: WatermarkSpec, round: number) => {
    const viewer = { share: 'Trailer v3 — client review', viewer: `viewer-${round}@client.example`, date: new Date() };
    const key = watermarkKey(sha256!, renderWatermark(spec, viewer));
    const wait = waitFor((e) =>
      e.type === 'watermark' && e.key === key && (e.status === 'ready' || e.status === 'failed') ? e.status : null,
    );
    const answer = await requestWatermarkedSet(runtime, sha256!, spec, viewer);
    if (answer.status !== 'queued') throw new Error(`a new viewer's set should be queued, not ${answer.status}`);
    return wait.settled;
  };

  const measure = async (wait: () => Promise<number>): Promise<Wait> => {
    const cpuBefore = await cpuSeconds();
    const ms = await wait();
    return { seconds: ms / 1000, cpuSeconds: (await cpuSeconds()) - cpuBefore };
  };
  const template = '{share} · {viewer} · {date}';
  const kinds = [
    { name: 'clean preview set (rebuild)', wait: () => previewWait() },
    {
      name: 'watermarked set, bottom-right',
      wait: (round: number) =>
        watermarkWait({ template, position: 'bottom-right', opacity: 0.5, size: 'medium' }, round),
    },
    {
      name: 'watermarked set, diagonal-tiled',
      wait: (round: number) =>
        watermarkWait({ template, position: 'diagonal-tiled', opacity: 0.3, size: 'medium' }, rounds + round),
    },
  ];
  const waits: Wait[][] = kinds.map(() => []);
  const s = (w: Wait) => `${w.seconds.toFixed(1)} s (CPU ${w.cpuSeconds.toFixed(1)} s)`;
  for (let round = 1; round <= rounds; round++) {
    for (const [i, kind] of kinds.entries()) waits[i]!.push(await measure(() => kind.wait(round)));
    console.log(`round ${round}: ${kinds.map((k, i) => `${k.name} ${s(waits[i]!.at(-1)!)}`).join(', ')}`);
  }
  const medians = waits.map((list) => ({
    seconds: median(list.map((w) => w.seconds)),
    cpuSeconds: median(list.map((w) => w.cpuSeconds)),
  }));
  const clean = medians[0]!;
  console.log(`
first viewer's wait, request → master playlist published (median of ${rounds}, ${seconds} s 1080p25 master, one worker)
${'set'.padEnd(34)} ${'wait'.padStart(8)} ${'vs preview'.padStart(11)} ${'CPU'.padStart(9)} ${'vs preview'.padStart(11)}
${kinds
  .map(
    (kind, i) =>
      `${kind.name.padEnd(34)} ${`${medians[i]!.seconds.toFixed(1)} s`.padStart(8)} ${`${(medians[i]!.seconds / clean.seconds).toFixed(2)}×`.padStart(11)} ${`${medians[i]!.cpuSeconds.toFixed(1)} s`.padStart(9)} ${`${(medians[i]!.cpuSeconds / clean.cpuSeconds).toFixed(2)}×`.padStart(11)}`,
  )
  .join('\n')}`);
} finally {
  for (const cleanup of cleanups) await cleanup().catch((err) => console.error(String(err)));
  if (values.keep) console.log(`kept ${work}`);
  else await rm(work, { recursive: true, force: true });
}
