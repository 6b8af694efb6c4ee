/**
 * Issue 12, point 12, through the real CLI against the real api (fs storage): bytes already
 * archived are not sent, by default, with one read of each file. A file larger than one part is
 * fingerprinted (first and last MiB) and the archive asked; only on a match is it hashed whole.
 * The bytes sent are counted where they arrive: the PUTs the api's storage endpoints receive.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { IncomingMessage, Server } from 'node:http';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { createMemberWithToken } from '@mediavault/api/bootstrap';
import { callApi } from '../../test/helpers/api.ts';
import { startPromoter, startTestApiWithDir } from '../../sdk/test/helpers/api-server.ts';
import { runCli } from './helpers/run-cli.ts';

const MiB = 1024 * 1024;
const { api, dir } = await startTestApiWithDir('mediavault-dedup-');
await startPromoter(api);
const env = { MEDIAVAULT_URL: api.url, MEDIAVAULT_TOKEN: api.org.token, MEDIAVAULT_CONFIG_DIR: join(dir, 'config') };
const project = ['--project', api.org.projectId];

interface Summary {
  files: { path: string; status: string; sha256: string | null; assetId: string | null; versionId: string | null }[];
  sent: number;
  deduplicated: number;
  skipped: number;
  bytes: number;
}

/** The CLI's run, and the bytes of the PUTs (parts, whole objects) the api received meanwhile. */
async function mediavault(args: string[], extraEnv: Record<string, string> = {}) {
  let received = 0;
  const onRequest = (message: unknown) => {
    const { request, server } = message as { request: IncomingMessage; server: Server };
    if (server === api.app.server && request.method === 'PUT') received += Number(request.headers['content-length']);
  };
  subscribe('http.server.request.start', onRequest);
  try {
    const run = await runCli(args, { cwd: dir, env: { ...env, ...extraEnv } });
    const summary = run.lines.at(-1) as unknown as Summary & { event: string };
    return { ...run, summary, received };
  } finally {
    unsubscribe('http.server.request.start', onRequest);
  }
}

async function write(path: string, bytes: Buffer): Promise<string> {
  await mkdir(join(path, '..'), { recursive: true });
  await writeFile(path, bytes);
  return createHash('sha256').update(bytes).digest('hex');
}

const events = (lines: Record<string, unknown>[], event: string) => lines.filter((l) => l.event === event);

// Archived once at the start: a 40 MiB master (three parts of 16 MiB).
const original = randomBytes(40 * MiB);
const originalSha = await write(join(dir, 'card1', 'A001_C001.mov'), original);
const first = await mediavault(['upload', join(dir, 'card1'), ...project, '--promote', '--json']);
assert.equal(first.code, 0, first.stderr);
assert.equal(first.received, 40 * MiB);

describe('dedup by default', () => {
  test('a copy of an archived file under another name sends no part and becomes a version of the same master', async () => {
    await write(join(dir, 'card2', 'renamed_copy.mov'), original);
    const run = await mediavault(['upload', join(dir, 'card2'), ...project, '--promote', '--json']);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.received, 0, 'no byte reached the api');
    assert.deepEqual(events(run.lines, 'part'), []);
    assert.deepEqual(
      run.summary.files.map((f) => [f.status, f.sha256]),
      [['deduplicated', originalSha]],
    );
    assert.deepEqual([run.summary.bytes, run.summary.deduplicated, run.summary.sent], [0, 1, 0]);
    const versions = await api.pool.query(
      `SELECT a.name, v.number FROM versions v JOIN assets a ON a.id = v.asset_id WHERE v.sha256 = $1 ORDER BY a.name`,
      [originalSha],
    );
    assert.deepEqual(
      versions.rows.map((r) => [r.name, r.number]),
      [
        ['A001_C001.mov', 1],
        ['renamed_copy.mov', 1],
      ],
    );
    const uploads = await api.pool.query(`SELECT count(*)::int AS n FROM uploads WHERE name = 'renamed_copy.mov'`);
    assert.equal(uploads.rows[0].n, 0, 'no upload was even started');
  });

  test('the same size, head and tail with another middle is sent in full and promoted as what it is', async () => {
    const changed = Buffer.from(original);
    changed.fill(0x5a, 20 * MiB, 21 * MiB);
    const sha = await write(join(dir, 'card3', 'regraded.mov'), changed);
    const run = await mediavault(['upload', join(dir, 'card3'), ...project, '--promote', '--json']);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.received, 40 * MiB);
    assert.equal(events(run.lines, 'part').length, 3);
    assert.deepEqual(
      run.summary.files.map((f) => [f.status, f.sha256]),
      [['promoted', sha]],
    );
    const master = await api.pool.query('SELECT size FROM masters WHERE sha256 = $1', [sha]);
    assert.deepEqual(master.rows, [{ size: 40 * MiB }]);
  });

  test('--no-dedup sends a copy without asking', async () => {
    await write(join(dir, 'card4', 'sent_anyway.mov'), original);
    const run = await mediavault(['upload', join(dir, 'card4'), ...project, '--promote', '--no-dedup', '--json']);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.received, 40 * MiB);
    assert.deepEqual(
      run.summary.files.map((f) => [f.status, f.sha256]),
      [['promoted', originalSha]],
    );
  });

  test('a member of another project only gets no match for it: the copy is sent in full', async () => {
    const p2 = await callApi(api.url, 'POST', '/api/projects', api.org.token, {
      clientId: api.org.clientId,
      name: 'P2',
    });
    const outsider = await createMemberWithToken(api.pool, {
      organizationId: api.org.organizationId,
      projectId: p2.body.id,
      email: 'outsider@dedup.test',
      role: 'editor',
    });
    await write(join(dir, 'card5', 'their_copy.mov'), original);
    const run = await mediavault(['upload', join(dir, 'card5'), '--project', p2.body.id, '--promote', '--json'], {
      MEDIAVAULT_TOKEN: outsider.token,
      MEDIAVAULT_CONFIG_DIR: join(dir, 'config-outsider'),
    });
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.received, 40 * MiB, 'they proved possession by sending the bytes');
    assert.deepEqual(
      run.summary.files.map((f) => [f.status, f.sha256]),
      [['promoted', originalSha]],
    );
  });
});

describe('--dry-run asks the archive too', () => {
  test('copies of archived files are listed as already archived and not counted as bytes to send', async () => {
    const folder = join(dir, 'card6');
    await write(join(folder, 'copy.mov'), original);
    await write(join(folder, 'new.mov'), randomBytes(18 * MiB));
    await write(join(folder, 'small_new.wav'), randomBytes(5000));
    const run = await mediavault(['upload', folder, ...project, '--promote', '--dry-run', '--json']);
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(
      events(run.lines, 'would-send').map((w) => [w.name, w.action]),
      [
        ['copy.mov', 'already-archived'],
        ['new.mov', 'send'],
        ['small_new.wav', 'send'],
      ],
    );
    assert.deepEqual(run.lines.at(-1), {
      event: 'summary',
      dryRun: true,
      files: 3,
      bytes: 18 * MiB + 5000,
      archived: 1,
      skipped: 0,
      failed: 0,
    });
    assert.equal(run.received, 0);

    const human = await mediavault(['upload', folder, ...project, '--promote', '--dry-run']);
    assert.match(human.stdout, /^already-archived\s+.*copy\.mov\s+40\.0 MiB/m);
    assert.match(human.stdout, /dry run: 3 files \(18\.0 MiB to send, 1 already archived\)/);
    const withoutDedup = await mediavault(['upload', folder, ...project, '--promote', '--dry-run', '--no-dedup']);
    assert.doesNotMatch(withoutDedup.stdout, /already-archived/);
  });
});

describe('the resume journal is keyed by the target', () => {
  test('the same folder into another collection is not skipped as already promoted; into the same one it is', async () => {
    const folder = join(dir, 'day1');
    const shas = [
      await write(join(folder, 'clip.mov'), randomBytes(20 * MiB)),
      await write(join(folder, 'still.dng'), randomBytes(40_000)),
    ];
    const into = (collection: string) =>
      mediavault(['upload', folder, ...project, '--promote', '--collection', collection, '--json']);
    const a = await into('Dailies');
    assert.equal(a.code, 0, a.stderr);
    assert.deepEqual(a.summary.files.map((f) => f.status).sort(), ['promoted', 'promoted']);

    const again = await into('Dailies');
    assert.deepEqual(
      events(again.lines, 'skip').map((s) => s.reason),
      ['already-promoted', 'already-promoted'],
    );
    assert.equal(again.received, 0);

    const elsewhere = await into('Selects');
    assert.equal(elsewhere.code, 0, elsewhere.stderr);
    assert.deepEqual(events(elsewhere.lines, 'skip'), [], 'nothing skipped as already promoted');
    assert.deepEqual(
      elsewhere.summary.files.map((f) => [f.status, f.sha256]).sort(),
      shas.map((sha) => ['deduplicated', sha]).sort(),
    );
    assert.equal(elsewhere.received, 0, 'and nothing sent: the bytes are archived');
    const inSelects = await api.pool.query(
      `SELECT a.name FROM assets a JOIN collections c ON c.id = a.collection_id WHERE c.path = 'Selects/day1' ORDER BY a.name`,
    );
    assert.deepEqual(
      inSelects.rows.map((r) => r.name),
      ['clip.mov', 'still.dng'],
    );

    const back = await into('Dailies');
    assert.deepEqual(
      events(back.lines, 'skip').map((s) => s.reason),
      ['already-promoted', 'already-promoted'],
      'the first collection still knows its files',
    );
  });
});
