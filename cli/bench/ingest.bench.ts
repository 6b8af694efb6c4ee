/**
 * `npm run bench:ingest [-- --scale 0.25 --runs 3 --parallel 4 --concurrency 4 --keep]`
 *
 * Bulk ingest throughput, side by side in one run, each side run `--runs`
 * times interleaved, medians printed (MB = 10^6 bytes):
 *  (i)  `mediavault upload --promote` into an embedded stack (fs driver, data
 *       dir on the same disk as the dataset) vs the local limit measured in
 *       the same run: `sha256sum` of the files, then `cp -r` of them (their
 *       times added: the upload both hashes and writes every byte);
 *  (ii) `mediavault upload` (no promotion) to s3rver through a stack with
 *       STORAGE_DRIVER=s3 vs Debian's `aws s3 cp --recursive` to the same s3rver,
 *       which runs in a process of its own (not on the event loop of the api).
 * Dataset: 4 × 512 MiB + 2,000 × 256 KiB random files (× --scale). Before
 * each round the first bytes of every file are rewritten with new random
 * bytes, so no round is deduplicated against an earlier one. Every side starts after an untimed
 * `sync`, and `cp`'s copies are removed only when the bench ends (the disk needs room for one
 * copy of the dataset per round), so no side pays for the writeback or the freed inodes another
 * side left behind: ext4 without a journal skips inodes freed in the last minute (several while
 * their inode table block is dirty) when it allocates, scanning past each one.
 * Then the memory check: one sparse `--rss-gib` GiB file (default 4; 0 skips)
 * uploaded to the fs stack, the CLI's peak RSS printed (target < 300 MB).
 * Not a test: it prints figures; targets are ≥ 0.7 of the local limit and
 * ≥ 1.0 × the AWS CLI.
 */
import { spawn } from 'node:child_process';
import { randomBytes, randomFillSync } from 'node:crypto';
import { mkdir, mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { bucketFor, type RunningS3rver } from '../../core/test/helpers/s3rver.ts';
import { storageRoles } from '@mediavault/core/storage/types';
import { startEmbeddedPostgres } from '@mediavault/core/db/embedded';
import pg from 'pg';
import { startStack, type RunningStack } from '../src/dev/stack.ts';

const MiB = 1024 * 1024;
const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const node = join(root, 'node_modules/.bin/node');
const bin = join(root, 'cli/src/bin.ts');

const { values: args } = parseArgs({
  options: {
    scale: { type: 'string', default: '1' },
    runs: { type: 'string', default: '3' },
    parallel: { type: 'string', default: '4' },
    concurrency: { type: 'string', default: '4' },
    keep: { type: 'boolean', default: false },
    'rss-gib': { type: 'string', default: '4' },
  },
});
const scale = Number(args.scale);
const runs = Math.max(1, Number(args.runs));
if (!(scale > 0 && scale <= 4)) throw new Error('--scale must be a number in (0, 4]');

interface Timed {
  seconds: number;
  peakRssMb?: number;
}

function run(
  command: string,
  argv: string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ seconds: number; stdout: string }> {
  const started = process.hrtime.bigint();
  const child = spawn(command, argv, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c));
  child.stderr.on('data', (c: Buffer) => (stderr += c));
  return new Promise((resolvePromise, reject) => {
    child.once('error', reject);
    child.once('close', (code) => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const firstError = stdout.split('\n').find((line) => line.startsWith('{"event":"error"')) ?? stdout.slice(-1000);
      if (code !== 0)
        reject(
          new Error(`${command} ${argv.slice(0, 3).join(' ')}… exited ${code}: ${stderr.slice(-1500)} ${firstError}`),
        );
      else resolvePromise({ seconds, stdout });
    });
  });
}

async function generate(dir: string): Promise<{ files: string[]; bytes: number }> {
  const files: string[] = [];
  let bytes = 0;
  const write = async (path: string, size: number) => {
    const handle = await open(path, 'w');
    const chunk = Buffer.allocUnsafe(Math.min(size, 8 * MiB));
    for (let at = 0; at < size; at += chunk.length) {
      const n = Math.min(chunk.length, size - at);
      randomFillSync(chunk, 0, n);
      await handle.write(chunk, 0, n, at);
    }
    await handle.close();
    files.push(path);
    bytes += size;
  };
  await mkdir(join(dir, 'camera'), { recursive: true });
  await mkdir(join(dir, 'stills'), { recursive: true });
  for (let i = 1; i <= 4; i++) await write(join(dir, 'camera', `A001C00${i}.mov`), Math.round(512 * MiB * scale));
  const small = Math.round(2000 * scale);
  for (let i = 1; i <= small; i++) {
    const sub = join(dir, 'stills', `roll${String(Math.ceil(i / 250)).padStart(2, '0')}`);
    if (i % 250 === 1) await mkdir(sub, { recursive: true });
    await write(join(sub, `IMG_${String(i).padStart(5, '0')}.dng`), 256 * 1024);
  }
  return { files, bytes };
}

/** New leading bytes in every file: each round's content is new to the stores. */
async function salt(files: string[]): Promise<void> {
  for (const file of files) {
    const handle = await open(file, 'r+');
    await handle.write(randomBytes(16), 0, 16, 0);
    await handle.close();
  }
}

async function mediavaultUpload(
  stack: RunningStack,
  data: string,
  configDir: string,
  promote: boolean,
): Promise<Timed> {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('MEDIAVAULT_')));
  const { seconds, stdout } = await run(
    node,
    [
      // The CLI's sources with the SDK's sources (not a build of them).
      '--conditions=mediavault-source',
      bin,
      'upload',
      data,
      '--project',
      stack.projectId,
      '--json',
      '--parallel',
      args.parallel!,
      '--concurrency',
      args.concurrency!,
      ...(promote ? ['--promote'] : []),
    ],
    { ...clean, MEDIAVAULT_URL: stack.apiUrl, MEDIAVAULT_TOKEN: stack.token, MEDIAVAULT_CONFIG_DIR: configDir },
  );
  const summary = JSON.parse(stdout.trim().split('\n').at(-1)!) as {
    failed: number;
    sent: number;
    deduplicated: number;
    peakRssBytes: number;
  };
  if (summary.failed > 0 || summary.deduplicated > 0)
    throw new Error(
      `mediavault upload: ${summary.failed} failed, ${summary.deduplicated} deduplicated (expected none)`,
    );
  return { seconds, peakRssMb: Math.round(summary.peakRssBytes / 1e6) };
}

/** s3rver in its own process (s3rver-process.ts), with Node's default flags. */
async function startS3rverProcess(): Promise<Pick<RunningS3rver, 'endpoint' | 'settings' | 'close'>> {
  const child = spawn(node, [join(root, 'cli/bench/s3rver-process.ts')], { stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolvePromise) => child.once('exit', () => resolvePromise()));
  let buffered = '';
  const started = await new Promise<Pick<RunningS3rver, 'endpoint' | 'settings'>>((resolvePromise, reject) => {
    child.once('error', reject);
    void exited.then(() => reject(new Error('s3rver exited before it listened')));
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk;
      if (buffered.includes('\n')) resolvePromise(JSON.parse(buffered.slice(0, buffered.indexOf('\n'))));
    });
  });
  return {
    ...started,
    close: async () => {
      child.stdin.end();
      await exited;
    },
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

const work = await mkdtemp(join(tmpdir(), 'mediavault-bench-ingest-'));
const stopping: (() => Promise<unknown>)[] = [];
try {
  const data = join(work, 'data');
  process.stdout.write(
    `generating ${4} × ${Math.round(512 * scale)} MiB + ${Math.round(2000 * scale)} × 256 KiB under ${data} …\n`,
  );
  const dataset = await generate(data);
  const mb = dataset.bytes / 1e6;

  const baseEnv = Object.fromEntries(
    Object.entries(process.env).filter(
      ([k]) => !k.startsWith('MEDIAVAULT_') && !k.startsWith('S3_') && k !== 'DATABASE_URL' && k !== 'STORAGE_DRIVER',
    ),
  );
  // One PostgreSQL server, a database per stack (two embedded servers in one process do not get along).
  const database = await startEmbeddedPostgres(join(work, 'pg'));
  stopping.push(() => database.stop());
  const admin = new pg.Client({ connectionString: database.adminUrl });
  await admin.connect();
  await admin.query('CREATE DATABASE bench_fs');
  await admin.query('CREATE DATABASE bench_s3');
  await admin.end();
  const databaseUrl = (name: string) => database.adminUrl.replace(/\/postgres$/, `/${name}`);
  const fsStack = await startStack({
    dataDir: join(work, 'fs-stack'),
    apiPort: 0,
    edgePort: 0,
    env: { ...baseEnv, STORAGE_DRIVER: 'fs', DATABASE_URL: databaseUrl('bench_fs') },
  });
  stopping.push(() => fsStack.stop());
  const s3 = await startS3rverProcess();
  stopping.push(() => s3.close());
  const s3Env: Record<string, string> = {
    STORAGE_DRIVER: 's3',
    S3_ENDPOINT: s3.endpoint,
    S3_REGION: 'us-east-1',
    S3_FORCE_PATH_STYLE: 'true',
  };
  for (const role of storageRoles) {
    const upper = role.toUpperCase();
    s3Env[`S3_BUCKET_${upper}`] = bucketFor(role);
    s3Env[`S3_ACCESS_KEY_ID_${upper}`] = s3.settings.s3.credentials[role].accessKeyId;
    s3Env[`S3_SECRET_ACCESS_KEY_${upper}`] = s3.settings.s3.credentials[role].secretAccessKey;
  }
  const s3Stack = await startStack({
    dataDir: join(work, 's3-stack'),
    apiPort: 0,
    edgePort: 0,
    env: { ...baseEnv, ...s3Env, DATABASE_URL: databaseUrl('bench_s3') },
  });
  stopping.push(() => s3Stack.stop());
  const awsEnv = {
    ...baseEnv,
    AWS_ACCESS_KEY_ID: s3.settings.s3.credentials.staging.accessKeyId,
    AWS_SECRET_ACCESS_KEY: s3.settings.s3.credentials.staging.secretAccessKey,
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_EC2_METADATA_DISABLED: 'true',
  };

  const results: Record<'local' | 'sha256sum' | 'cp' | 'fs' | 's3' | 'aws', Timed[]> = {
    local: [],
    sha256sum: [],
    cp: [],
    fs: [],
    s3: [],
    aws: [],
  };
  // Each side starts once the page cache holds no dirty data: otherwise the writeback of what the
  // side before wrote (cp's copy never waits for the disk) runs during, and is charged to, the next.
  const settle = () => run('sync', []);
  for (let round = 1; round <= runs; round++) {
    await salt(dataset.files);
    await settle();
    const sums = await run('sha256sum', dataset.files);
    const copy = join(work, `cp-${round}`);
    await settle();
    const copied = await run('cp', ['-r', data, copy]);
    results.sha256sum.push({ seconds: sums.seconds });
    results.cp.push({ seconds: copied.seconds });
    results.local.push({ seconds: sums.seconds + copied.seconds });

    await settle();
    results.fs.push(await mediavaultUpload(fsStack, data, join(work, 'config'), true));
    await settle();
    results.s3.push(await mediavaultUpload(s3Stack, data, join(work, 'config'), false));
    await settle();
    const aws = await run(
      'aws',
      [
        's3',
        'cp',
        '--recursive',
        '--only-show-errors',
        '--endpoint-url',
        s3.endpoint,
        data,
        `s3://${bucketFor('staging')}/aws-cli-round-${round}/`,
      ],
      awsEnv,
    );
    results.aws.push({ seconds: aws.seconds });

    const rate = (t: Timed) => (mb / t.seconds).toFixed(0).padStart(5);
    process.stdout.write(
      `round ${round}: local limit ${rate(results.local.at(-1)!)} MB/s (sha256sum ${results.sha256sum.at(-1)!.seconds.toFixed(1)} s + cp -r ${results.cp.at(-1)!.seconds.toFixed(1)} s)` +
        ` | mediavault fs+promote ${rate(results.fs.at(-1)!)} MB/s | mediavault s3 ${rate(results.s3.at(-1)!)} MB/s | aws s3 cp ${rate(results.aws.at(-1)!)} MB/s\n`,
    );
  }

  const mbps = (side: keyof typeof results) => mb / median(results[side].map((t) => t.seconds));
  const rss = (side: 'fs' | 's3') => Math.max(...results[side].map((t) => t.peakRssMb ?? 0));
  const lines = [
    '',
    `dataset: ${dataset.files.length} files, ${(mb / 1000).toFixed(2)} GB; ${runs} round${runs === 1 ? '' : 's'} interleaved, medians; --parallel ${args.parallel} --concurrency ${args.concurrency}`,
    `(i)  local limit (sha256sum + cp -r)          ${mbps('local').toFixed(0).padStart(6)} MB/s   (sha256sum alone ${mbps('sha256sum').toFixed(0)} MB/s, cp -r alone ${mbps('cp').toFixed(0)} MB/s)`,
    `     mediavault upload --promote (fs)         ${mbps('fs').toFixed(0).padStart(6)} MB/s   peak RSS ${rss('fs')} MB`,
    `     ratio                                    ${(mbps('fs') / mbps('local')).toFixed(2).padStart(6)}        target ≥ 0.70`,
    `(ii) aws s3 cp --recursive (s3rver)           ${mbps('aws').toFixed(0).padStart(6)} MB/s`,
    `     mediavault upload (s3rver, hashing)      ${mbps('s3').toFixed(0).padStart(6)} MB/s   peak RSS ${rss('s3')} MB`,
    `     ratio                                    ${(mbps('s3') / mbps('aws')).toFixed(2).padStart(6)}        target ≥ 1.00`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);

  const rssGib = Number(args['rss-gib']);
  if (rssGib > 0) {
    const bigDir = join(work, 'big');
    await mkdir(bigDir);
    const handle = await open(join(bigDir, 'sparse.mov'), 'w');
    await handle.truncate(rssGib * 1024 * MiB);
    await handle.close();
    const big = await mediavaultUpload(fsStack, bigDir, join(work, 'config'), false);
    process.stdout.write(
      `memory: one ${rssGib} GiB file to the fs stack: peak RSS ${big.peakRssMb} MB (target < 300), ${((rssGib * 1024 * MiB) / 1e6 / big.seconds).toFixed(0)} MB/s\n`,
    );
  }
} finally {
  for (const stop of stopping.reverse()) await stop().catch(() => {});
  if (args.keep) process.stdout.write(`kept ${work}\n`);
  else {
    await rm(work, { recursive: true, force: true });
    // Written out now: ext4 skips the freed inodes for a minute once their table is on disk, for six while it is dirty.
    await run('sync', []);
  }
}
