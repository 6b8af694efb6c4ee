/**
 * npm run bench:review [-- --clients 200 --rate 50 --seconds 20 --rounds 3]
 *
 * How fast review comments reach the people watching an asset (issue 13, point 3): --clients
 * WebSocket clients, each a viewer of the project, listen on /api/events?assetId= for one asset
 * while reviewers write --rate comments a second through the api for --seconds. Each comment's
 * `created` event must reach every client (none lost); the time from the comment's commit to
 * each delivery is printed (p50, p99, max), and from the moment the write returned to its author.
 * Target: p99 under 200 ms on this machine. Not a test: nothing fails on a miss.
 *
 * The api runs in its own process (as `npm run start:api` does) on real PostgreSQL: DATABASE_URL's
 * server (a database of its own, dropped at the end) or an embedded one. Commit times are
 * PostgreSQL's own (track_commit_timestamp, switched on in the embedded server; on another server
 * only if it has it, else the comment's created_at, the start of its transaction, is used and
 * said). With two cores or more and `taskset`, the api is pinned to core 1 and this process (the
 * clients and the writers) to core 0 (unless --unpinned); PostgreSQL runs where the system puts it. Each round uses
 * a fresh asset and fresh connections; the summary gives the median of the rounds.
 */
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { bootstrapOrganization, createMemberWithToken } from '@mediavault/api/bootstrap';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '@mediavault/core/db/embedded';
import { runMigrations } from '@mediavault/core/db/migrate';
import { createPool } from '@mediavault/core/db/pool';

const { values } = parseArgs({
  options: {
    clients: { type: 'string', default: '200' },
    rate: { type: 'string', default: '50' },
    seconds: { type: 'string', default: '20' },
    rounds: { type: 'string', default: '3' },
    unpinned: { type: 'boolean', default: false },
  },
});
const clients = Number(values.clients);
const rate = Number(values.rate);
const seconds = Number(values.seconds);
const rounds = Number(values.rounds);
const writers = 10;
if (
  !(Number.isInteger(clients) && clients >= 1 && clients <= 2000) ||
  !(rate > 0 && rate <= 1000) ||
  !(seconds > 0 && seconds <= 600) ||
  !(Number.isInteger(rounds) && rounds >= 1 && rounds <= 20)
) {
  console.error(
    'usage: npm run bench:review -- [--clients 1..2000] [--rate (0,1000]] [--seconds (0,600]] [--rounds 1..20]',
  );
  process.exit(2);
}

/** Wall-clock milliseconds with a fraction, on the same clock as PostgreSQL's timestamps. */
const now = () => performance.timeOrigin + performance.now();

/** The value below which the given share of the sorted values fall (nearest rank). */
function percentile(sorted: number[], share: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(share * sorted.length) - 1))] ?? Number.NaN;
}
const median = (values: number[]) =>
  percentile(
    [...values].sort((a, b) => a - b),
    0.5,
  );
const ms = (value: number) => `${value.toFixed(1)} ms`;

/** CPU seconds a process has used (Linux /proc; null elsewhere): how busy the api was. */
function cpuSeconds(pid: number | undefined): number | null {
  try {
    // Fields after the command name: utime and stime are the 12th and 13th, in clock ticks (100 a second).
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return null;
  }
}
const ownCpuSeconds = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
};

function canPin(): boolean {
  if (availableParallelism() < 2) return false;
  try {
    execFileSync('taskset', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** A database for the bench and how to let it go: DATABASE_URL's server, or an embedded one with commit times on. */
async function openDatabase(work: string): Promise<{ url: string; close: () => Promise<void> }> {
  const serverUrl = process.env.DATABASE_URL;
  if (serverUrl) {
    const name = `mv_bench_review_${process.pid}`;
    const admin = new pg.Client({ connectionString: serverUrl });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    const url = new URL(serverUrl);
    url.pathname = `/${name}`;
    return {
      url: url.toString(),
      close: async () => {
        const c = new pg.Client({ connectionString: serverUrl });
        await c.connect();
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        await c.end();
      },
    };
  }
  const dataDir = join(work, 'pg');
  // track_commit_timestamp takes effect at start: set it, then start the server again.
  let database: EmbeddedDatabase = await startEmbeddedPostgres(dataDir);
  const setup = new pg.Client({ connectionString: database.adminUrl });
  await setup.connect();
  await setup.query('ALTER SYSTEM SET track_commit_timestamp = on');
  await setup.end();
  await database.stop();
  database = await startEmbeddedPostgres(dataDir);
  return { url: database.url, close: () => database.stop() };
}

/** Starts the api in its own process (pinned to core 1 when `pin`); resolves with its base URL. */
function startApiProcess(env: Record<string, string>, pin: boolean) {
  const server = fileURLToPath(new URL('./review-live-server.ts', import.meta.url));
  const node = [process.execPath, '--max-semi-space-size=4', '--initial-old-space-size=256', server];
  const [command, ...args] = pin ? ['taskset', '-c', '1', ...node] : node;
  const child = spawn(command!, args, {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const listening = new Promise<string>((resolve, reject) => {
    child.once('message', (message) => resolve((message as { listening: string }).listening));
    child.once('exit', (code) => reject(new Error(`the api process exited (${code}) before it listened`)));
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    listening,
    pid: child.pid,
    // Closing the IPC channel is the api's cue to close and exit (review-live-server.ts); a kill if it hangs.
    stop: async () => {
      if (child.connected) child.disconnect();
      const hung = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(hung);
    },
  };
}

interface Write {
  id: string;
  sentAt: number;
  returnedAt: number;
}

interface RoundResult {
  written: number;
  expected: number;
  delivered: number;
  writesPerSecond: number;
  fromCommit: number[];
  fromReturn: number[];
  writeTimes: number[];
  /** Share of one core the api and this process (clients and writers) used during the round. */
  apiBusy: number | null;
  clientsBusy: number;
}

const work = await mkdtemp(join(tmpdir(), 'mediavault-bench-review-'));
const cleanups: (() => Promise<unknown> | unknown)[] = [];
try {
  const database = await openDatabase(work);
  cleanups.unshift(database.close);
  await runMigrations(database.url);
  const pool = createPool(database.url);
  cleanups.unshift(() => pool.end());
  const org = await bootstrapOrganization(pool, {
    organization: 'Bench studio',
    client: 'Client',
    project: 'Review',
    adminEmail: 'admin@bench.example',
    adminName: 'Admin',
  });
  const member = (email: string, role: 'viewer' | 'reviewer') =>
    createMemberWithToken(pool, { organizationId: org.organizationId, projectId: org.projectId, email, role });
  const viewerTokens: string[] = [];
  for (let i = 0; i < clients; i++) viewerTokens.push((await member(`viewer${i}@bench.example`, 'viewer')).token);
  const writerTokens: string[] = [];
  for (let i = 0; i < writers; i++) writerTokens.push((await member(`reviewer${i}@bench.example`, 'reviewer')).token);
  const { rows: settings } = await pool.query<{ commits: string; version: string }>(
    `SELECT current_setting('track_commit_timestamp') AS commits, current_setting('server_version') AS version`,
  );
  const commitTimes = settings[0]?.commits === 'on';

  const pin = !values.unpinned && canPin();
  const api = startApiProcess(
    {
      DATABASE_URL: database.url,
      MEDIAVAULT_DATA_DIR: work,
      EDGE_SIGNING_KEY: 'bench-edge-signing-key-0123456789abcdef',
      STORAGE_SIGNING_KEY: 'bench-storage-signing-key-0123456789abcdef',
      // The bench writes faster than people do, from few tokens.
      RATE_LIMIT_READS_PER_MINUTE: '1000000',
      RATE_LIMIT_WRITES_PER_MINUTE: '1000000',
      LOG_LEVEL: 'warn',
    },
    pin,
  );
  cleanups.unshift(api.stop);
  const baseUrl = await api.listening;
  if (pin) execFileSync('taskset', ['-a', '-cp', '0', String(process.pid)], { stdio: 'ignore' });
  console.log(
    `${clients} clients on one asset, ${rate} comments/s for ${seconds} s, ${rounds} rounds; ` +
      `api ${pin ? 'on core 1, clients and writers on core 0' : values.unpinned ? 'not pinned (--unpinned)' : 'not pinned (needs 2 cores and taskset)'}; ` +
      `PostgreSQL ${settings[0]?.version}; latency from ${commitTimes ? 'commit (track_commit_timestamp)' : "created_at (the transaction's start; track_commit_timestamp is off)"}`,
  );

  async function round(n: number): Promise<RoundResult> {
    const { rows } = await pool.query<{ id: string }>(
      `WITH m AS (INSERT INTO masters (sha256, size, storage_key, retain_until)
                  VALUES (encode(sha256($3::bytea), 'hex'), 1, 'k', now() + interval '1 day') RETURNING sha256),
            a AS (INSERT INTO assets (organization_id, project_id, name) VALUES ($1, $2, $3) RETURNING id)
       INSERT INTO versions (asset_id, number, sha256, size, original_name, meta)
       SELECT a.id, 1, m.sha256, 1, $3, '{"video":{"frameRate":{"num":25,"den":1}},"durationSeconds":3600}' FROM a, m
       RETURNING asset_id AS id`,
      [org.organizationId, org.projectId, `round-${n}.mov`],
    );
    const assetId = rows[0]!.id;
    const total = Math.round(rate * seconds);
    const expected = total * clients;
    const arrivals = new Map<string, number[]>();
    let delivered = 0;
    let allDelivered!: () => void;
    const everyDelivery = new Promise<void>((resolve) => (allDelivered = resolve));

    const events = baseUrl.replace(/^http/, 'ws');
    const sockets = await Promise.all(
      viewerTokens.map(
        (token) =>
          new Promise<WebSocket>((resolve, reject) => {
            const socket = new WebSocket(`${events}/api/events?assetId=${assetId}&access_token=${token}`);
            socket.addEventListener('message', (message) => {
              const at = now();
              const event = JSON.parse(String(message.data)) as { type: string; action?: string; id?: string };
              if (event.type === 'ready') return resolve(socket);
              if (event.type !== 'comment' || event.action !== 'created' || !event.id) return;
              const times = arrivals.get(event.id);
              if (times) times.push(at);
              else arrivals.set(event.id, [at]);
              if (++delivered === expected) allDelivered();
            });
            socket.addEventListener('error', () => reject(new Error('a client could not connect')));
          }),
      ),
    );

    const writes: Write[] = [];
    const cpuBefore = { api: cpuSeconds(api.pid), clients: ownCpuSeconds(), at: now() };
    const start = now() + 100;
    await Promise.all(
      Array.from(
        { length: total },
        (_, i) =>
          new Promise<void>((resolve, reject) => {
            setTimeout(
              async () => {
                const sentAt = now();
                try {
                  const res = await fetch(`${baseUrl}/api/assets/${assetId}/comments`, {
                    method: 'POST',
                    headers: {
                      authorization: `Bearer ${writerTokens[i % writers]}`,
                      'content-type': 'application/json',
                    },
                    body: JSON.stringify({ frame: i % 90_000, text: `note ${i}` }),
                  });
                  const body = (await res.json()) as { id?: string };
                  if (res.status !== 201 || !body.id)
                    throw new Error(`write ${i}: ${res.status} ${JSON.stringify(body)}`);
                  writes.push({ id: body.id, sentAt, returnedAt: now() });
                  resolve();
                } catch (err) {
                  reject(err);
                }
              },
              Math.max(0, start + (i * 1000) / rate - now()),
            );
          }),
      ),
    );
    const lastSent = Math.max(...writes.map((w) => w.sentAt));
    // Whatever has not arrived 10 s after the last write is lost.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([everyDelivery, new Promise<void>((resolve) => (timer = setTimeout(resolve, 10_000)))]);
    clearTimeout(timer);
    const cpuAfter = { api: cpuSeconds(api.pid), clients: ownCpuSeconds(), at: now() };
    const roundSeconds = (cpuAfter.at - cpuBefore.at) / 1000;
    for (const socket of sockets) socket.close();

    const { rows: committed } = await pool.query<{ id: string; at: number }>(
      `SELECT id, extract(epoch FROM ${commitTimes ? 'pg_xact_commit_timestamp(xmin)' : 'created_at'}) * 1000 AS at
         FROM comments WHERE asset_id = $1`,
      [assetId],
    );
    const commitAt = new Map(committed.map((r) => [r.id, Number(r.at)]));
    const fromCommit: number[] = [];
    const fromReturn: number[] = [];
    for (const write of writes) {
      for (const at of arrivals.get(write.id) ?? []) {
        fromCommit.push(at - commitAt.get(write.id)!);
        fromReturn.push(at - write.returnedAt);
      }
    }
    const firstSent = Math.min(...writes.map((w) => w.sentAt));
    return {
      written: writes.length,
      expected,
      delivered,
      writesPerSecond: (writes.length - 1) / ((lastSent - firstSent) / 1000),
      fromCommit: fromCommit.sort((a, b) => a - b),
      fromReturn: fromReturn.sort((a, b) => a - b),
      writeTimes: writes.map((w) => w.returnedAt - w.sentAt).sort((a, b) => a - b),
      apiBusy: cpuAfter.api === null || cpuBefore.api === null ? null : (cpuAfter.api - cpuBefore.api) / roundSeconds,
      clientsBusy: (cpuAfter.clients - cpuBefore.clients) / roundSeconds,
    };
  }

  const results: RoundResult[] = [];
  for (let n = 1; n <= rounds; n++) {
    const r = await round(n);
    results.push(r);
    console.log(
      `round ${n}: ${r.written} comments at ${r.writesPerSecond.toFixed(1)}/s, ${r.delivered} of ${r.expected} deliveries (${r.expected - r.delivered} lost); ` +
        `commit → delivery p50 ${ms(percentile(r.fromCommit, 0.5))}, p99 ${ms(percentile(r.fromCommit, 0.99))}, max ${ms(r.fromCommit.at(-1) ?? Number.NaN)}; ` +
        `write returned → delivery p50 ${ms(percentile(r.fromReturn, 0.5))}, p99 ${ms(percentile(r.fromReturn, 0.99))}; ` +
        `write p50 ${ms(percentile(r.writeTimes, 0.5))}, p99 ${ms(percentile(r.writeTimes, 0.99))}; ` +
        `CPU: api ${r.apiBusy === null ? '?' : `${Math.round(r.apiBusy * 100)} %`} of a core, clients and writers ${Math.round(r.clientsBusy * 100)} %`,
    );
  }
  const of = (pick: (r: RoundResult) => number) => median(results.map(pick));
  console.log(`
median of ${rounds} rounds
deliveries lost          ${of((r) => r.expected - r.delivered)} of ${clients * Math.round(rate * seconds)} a round
commit → delivery        p50 ${ms(of((r) => percentile(r.fromCommit, 0.5)))}, p99 ${ms(of((r) => percentile(r.fromCommit, 0.99)))}, max ${ms(of((r) => r.fromCommit.at(-1) ?? Number.NaN))}   (target: p99 < 200 ms)
write returned → delivery p50 ${ms(of((r) => percentile(r.fromReturn, 0.5)))}, p99 ${ms(of((r) => percentile(r.fromReturn, 0.99)))}
write (POST) time        p50 ${ms(of((r) => percentile(r.writeTimes, 0.5)))}, p99 ${ms(of((r) => percentile(r.writeTimes, 0.99)))}
load average (1 min)     ${loadavg()[0]!.toFixed(2)} at the end, on ${cpus().length} cores (other processes share them)`);
} finally {
  for (const cleanup of cleanups) await Promise.resolve(cleanup()).catch((err) => console.error(String(err)));
  await rm(work, { recursive: true, force: true });
}
