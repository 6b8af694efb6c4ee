/**
 * Fault test: PostgreSQL stops under a running api, worker and edge with a WebSocket client
 * connected, then starts again. Nothing crashes; while it is down the api answers 503 with
 * Retry-After and the edge keeps serving what it has; within seconds of its return the api,
 * the event stream and the worker are back, without a restart. The database runs in a process
 * of its own (stopped and started here on the same port), not the suite's shared one.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { bootstrapOrganization, type BootstrapResult } from '@mediavault/api/bootstrap';
import { createApi } from '@mediavault/api/process';
import { loadConfig } from '@mediavault/core/config';
import { freePort } from '@mediavault/core/free-port';
import { previewKeys } from '@mediavault/core/keys';
import { openRuntime, type Runtime } from '@mediavault/core/runtime';
import { signEdgeToken } from '@mediavault/core/signer';
import { createEdge } from '@mediavault/edge/main';
import { startWorker } from '@mediavault/worker';
import { callApi } from './helpers/api.ts';

const serverScript = fileURLToPath(new URL('./helpers/postgres-server.ts', import.meta.url));
let dir: string;
let pgPort: number;
let database: ChildProcess | null = null;
let runtime: Runtime;
let api: FastifyInstance;
let edge: FastifyInstance;
let worker: { stop(): Promise<void> };
let apiUrl: string;
let edgeUrl: string;
let org: BootstrapResult;
const timeline: string[] = [];
let t0 = 0;
const mark = (what: string) => timeline.push(`${((Date.now() - t0) / 1000).toFixed(2)} s  ${what}`);

/** Starts the database process and resolves with its admin URL once it accepts connections. */
async function startDatabase(): Promise<string> {
  const child = spawn(process.execPath, [serverScript, join(dir, 'pg'), String(pgPort)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  database = child;
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`PostgreSQL exited with ${code} before it was ready`)));
  });
  return (JSON.parse(line) as { adminUrl: string }).adminUrl;
}

async function stopDatabase(): Promise<void> {
  const child = database!;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
  database = null;
}

/** Retries a request until it answers as wanted (the database coming back is outside our control). */
async function until(what: string, probe: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let wait = 50; ; wait = Math.min(500, wait * 2)) {
    if (await probe().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, wait));
  }
}

/** An event-stream client that records what it receives and says how it closed. */
function subscribe(token: string) {
  const messages: Record<string, unknown>[] = [];
  const waiters: { match: (m: Record<string, unknown>) => boolean; resolve: () => void }[] = [];
  const socket = new WebSocket(`${apiUrl.replace('http', 'ws')}/api/events?access_token=${encodeURIComponent(token)}`);
  let closed: number | null = null;
  socket.addEventListener('close', (e) => {
    closed = e.code;
  });
  socket.addEventListener('message', (e) => {
    const message = JSON.parse(String(e.data)) as Record<string, unknown>;
    messages.push(message);
    for (const w of [...waiters])
      if (w.match(message)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
  });
  const next = (match: (m: Record<string, unknown>) => boolean) =>
    new Promise<void>((resolve) => {
      if (messages.some(match)) return resolve();
      waiters.push({ match, resolve });
    });
  return { socket, messages, next, closedWith: () => closed };
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mediavault-db-restart-'));
  pgPort = await freePort();
  const adminUrl = await startDatabase();
  const databaseUrl = adminUrl.replace(/\/postgres$/, '/mediavault');
  const [apiPort, edgePort] = [await freePort(), await freePort()];
  apiUrl = `http://127.0.0.1:${apiPort}`;
  edgeUrl = `http://127.0.0.1:${edgePort}`;
  const config = loadConfig({
    MEDIAVAULT_DATA_DIR: join(dir, 'data'),
    DATABASE_URL: databaseUrl,
    EDGE_SIGNING_KEY: 'e'.repeat(40),
    STORAGE_SIGNING_KEY: 's'.repeat(40),
    API_PORT: String(apiPort),
    EDGE_PORT: String(edgePort),
    LOG_LEVEL: 'silent',
  });
  runtime = await openRuntime(config, { databaseUrl, apiUrl, stopTimeoutMs: 1000 });
  api = await createApi(runtime, { urls: { api: apiUrl, edge: edgeUrl }, logger: false });
  await api.listen({ host: '127.0.0.1', port: apiPort });
  edge = await createEdge(config, { previews: runtime.storages.previews, logger: false });
  await edge.listen({ host: '127.0.0.1', port: edgePort });
  const quiet = { info() {}, warn() {}, error() {} };
  worker = await startWorker({ ...runtime, log: quiet });
  org = await bootstrapOrganization(runtime.pool, {
    organization: 'Restart studio',
    client: 'C',
    project: 'P',
    adminEmail: 'admin@restart.test',
    adminName: 'A',
  });
});

after(async () => {
  await worker?.stop().catch(() => {});
  await edge?.close();
  await api?.close();
  await runtime?.close().catch(() => {});
  if (database) await stopDatabase();
  await rm(dir, { recursive: true, force: true });
  if (timeline.length > 0) process.stdout.write(`database restart timeline:\n  ${timeline.join('\n  ')}\n`);
});

/** One small file uploaded and promoted through the batch routes; the worker promotes it. */
async function ingestSmallFile(name: string): Promise<string> {
  const bytes = randomBytes(1024);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const presign = await callApi(apiUrl, 'POST', '/api/uploads/batch', org.token, {
    projectId: org.projectId,
    files: [{ name, size: bytes.length, sha256 }],
  });
  assert.equal(presign.status, 200, JSON.stringify(presign.body));
  const file = presign.body.files[0];
  const put = await fetch(file.url, {
    method: 'PUT',
    body: new Uint8Array(bytes),
    headers: { 'x-amz-checksum-sha256': createHash('sha256').update(bytes).digest('base64') },
  });
  assert.equal(put.status, 200);
  const done = await callApi(apiUrl, 'POST', '/api/uploads/batch/complete', org.token, {
    uploads: [{ uploadId: file.uploadId, promote: { projectId: org.projectId } }],
  });
  assert.equal(done.body.uploads[0].status, 'promoting');
  return file.uploadId;
}

test('the api, the worker and the edge ride out a database restart', async () => {
  // Before: a cached preview at the edge, a live event stream, a promotion done by the worker.
  const sha = 'c'.repeat(64);
  await runtime.storages.previews.put(previewKeys.hlsMaster(sha), Buffer.from('#EXTM3U\n'));
  const token = signEdgeToken(
    { sha, exp: Math.floor(Date.now() / 1000) + 3600, scope: 'preview' },
    {
      kid: runtime.config.edge.signingKid,
      secret: runtime.config.edge.signingKey,
    },
  );
  const playlistUrl = `${edgeUrl}/v/${token}/${previewKeys.hlsMaster(sha)}`;
  assert.equal((await fetch(playlistUrl)).status, 200, 'cached at the edge');
  const stream = subscribe(org.token);
  await stream.next((m) => m.type === 'ready');
  const first = await ingestSmallFile('before.wav');
  await stream.next((m) => m.type === 'upload' && m.id === first && m.status === 'promoted');

  t0 = Date.now();
  await stopDatabase();
  mark('database stopped');
  const down = await callApi(apiUrl, 'GET', '/api/me', org.token);
  mark(`api answers ${down.status} (${down.body?.error?.code}), Retry-After ${down.headers.get('retry-after')}`);
  assert.deepEqual([down.status, down.body.error.code], [503, 'unavailable']);
  assert.ok(Number(down.headers.get('retry-after')) > 0);
  assert.equal((await fetch(`${apiUrl}/healthz`)).status, 503);
  assert.equal((await fetch(playlistUrl)).status, 200, 'the edge keeps serving what it has');
  mark('edge serves its cached playlist');
  assert.equal(stream.closedWith(), null, 'the event stream stays open');
  // A stream opened while the database is away is closed at once with "try again later" (1013).
  const late = subscribe(org.token);
  await new Promise<void>((resolve) => late.socket.addEventListener('close', () => resolve()));
  assert.equal(late.closedWith(), 1013);
  mark('a stream opened during the outage is closed with 1013 (try again later)');
  // The outage lasts: the feed's attempts to listen again (after 0.5 s, then 1 s) fail while it does.
  // This is the length of the fault, not a wait for something to happen.
  await sleep(2000);
  assert.equal((await callApi(apiUrl, 'GET', '/api/me', org.token)).status, 503, 'still 503, still running');
  mark('2 s into the outage: still 503, nothing crashed');

  await startDatabase();
  mark('database started');
  await until('the api answers again', async () => (await callApi(apiUrl, 'GET', '/api/me', org.token)).status === 200);
  mark('api answers 200');
  await stream.next((m) => m.type === 'ready' && m.resumed === true);
  mark('event stream resumed (ready, resumed: true)');
  const second = await ingestSmallFile('after.wav');
  await stream.next((m) => m.type === 'upload' && m.id === second && m.status === 'promoted');
  mark('worker promoted a new upload; its events arrived on the same stream');
  stream.socket.close();
});
