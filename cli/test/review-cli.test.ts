/**
 * Issue 13 point 4: `mediavault comments list|add|resolve|reopen|export` and `mediavault approve`,
 * through the real bin against the real api, on real media: a 29.97 drop-frame clip whose
 * QuickTime timecode starts at 01:00:00;00 (version 1) and a 25 fps one starting at 10:00:00:00
 * (version 2), uploaded and promoted by the CLI and probed by the worker's own probe job.
 */
import assert from 'node:assert/strict';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { IncomingMessage, Server } from 'node:http';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { createMemberWithToken } from '@mediavault/api/bootstrap';
import { handleProbe } from '@mediavault/worker/jobs/probe';
import { exportComments, versionTimeline } from '@mediavault/sdk';
import { startPromoter, startTestApiWithDir } from '../../sdk/test/helpers/api-server.ts';
import { callApi } from '../../test/helpers/api.ts';
import { generateClip } from '../../worker/test/fixtures.ts';
import { runCli } from './helpers/run-cli.ts';

const { api, dir } = await startTestApiWithDir('mediavault-review-cli-');
await startPromoter(api);
const env = { MEDIAVAULT_CONFIG_DIR: join(dir, 'config'), MEDIAVAULT_URL: api.url, MEDIAVAULT_TOKEN: api.org.token };
const mediavault = (args: string[], extraEnv: Record<string, string> = {}) =>
  runCli(args, { cwd: dir, env: { ...env, ...extraEnv } });

/** The requests the api receives while `body` runs ("METHOD /path"). */
async function requestsDuring(body: () => Promise<void>): Promise<string[]> {
  const seen: string[] = [];
  const server = api.app.server as Server;
  const onRequest = (message: unknown) => {
    const { request, server: from } = message as { request: IncomingMessage; server: Server };
    if (from === server) seen.push(`${request.method} ${request.url?.split('?')[0]}`);
  };
  subscribe('http.server.request.start', onRequest);
  try {
    await body();
  } finally {
    unsubscribe('http.server.request.start', onRequest);
  }
  return seen;
}

/** Uploads and promotes `path` with the CLI, then runs the probe job on it as the worker would. */
async function ingest(path: string, versionOf?: string): Promise<{ assetId: string; versionId: string }> {
  const args = ['upload', path, '--project', api.org.projectId, '--promote', '--json'];
  const run = await mediavault(versionOf ? [...args, '--version-of', versionOf] : args);
  assert.equal(run.code, 0, run.stderr);
  const done = run.lines.find((l) => l.event === 'file-done') as { assetId: string; versionId: string; sha256: string };
  const quiet = { info() {}, warn() {}, error() {} };
  await handleProbe(
    { config: api.config, pool: api.pool, boss: api.boss, storages: api.storages, log: quiet } as never,
    { versionId: done.versionId, sha256: done.sha256 },
  );
  return { assetId: done.assetId, versionId: done.versionId };
}

let assetId: string;
let v1: string;
let v2: string;

before(async () => {
  // 62 s at 29.97: past the first minute, where drop-frame skips ;00 and ;01.
  const ntsc = await generateClip(dir, {
    name: 'Trailer.mov',
    width: 160,
    height: 90,
    fps: '30000/1001',
    seconds: 62,
    audio: false,
    timecode: '01:00:00;00',
  });
  ({ assetId, versionId: v1 } = await ingest(ntsc));
  const pal = await generateClip(dir, {
    name: 'Trailer-v2.mov',
    width: 160,
    height: 90,
    fps: 25,
    seconds: 20,
    audio: false,
    timecode: '10:00:00:00',
  });
  ({ versionId: v2 } = await ingest(pal, assetId));
});

const json = (run: { lines: Record<string, unknown>[] }) => run.lines.at(-1) as Record<string, unknown>;
const addComment = (args: string[], extraEnv: Record<string, string> = {}) =>
  mediavault(['comments', 'add', assetId, ...args], extraEnv);

describe('mediavault comments add', () => {
  test('a timecode on the version clock or a frame number; ranges; the api labels them the same', async () => {
    const dropFrame = await addComment(['--version', '1', '--at', '01:01:00;02', '--text', 'Logo too small', '--json']);
    assert.equal(dropFrame.code, 0, dropFrame.stderr);
    assert.deepEqual(
      [json(dropFrame).event, json(dropFrame).versionId, json(dropFrame).frame, json(dropFrame).timecode],
      ['summary', v1, 1800, '01:01:00;02'],
      'the first label of minute 1 is ;02 in drop-frame: frame 1800',
    );
    const byFrame = await addComment(['--version', '1', '--at', '1799', '--text', 'Cut a frame earlier', '--json']);
    assert.equal(json(byFrame).timecode, '01:00:59;29');

    const range = await addComment([
      '--at',
      '10:00:01:00',
      '--to',
      '10:00:02:24',
      '--text',
      'Grade: warmer',
      '--internal',
    ]);
    assert.equal(range.code, 0, range.stderr);
    assert.match(
      range.stdout,
      /^[0-9a-f-]{36} {2}comment at 10:00:01:00–10:00:02:24 \(frame 25\) on version 2, internal$/m,
      'the latest version by default',
    );
  });

  test('a bad or out-of-range position is a usage error (exit 2) and sends nothing', async () => {
    const cases: [string[], RegExp][] = [
      [['--version', '1', '--at', '01:01:00;00'], /--at: timecode 01:01:00;00 does not exist in drop-frame/],
      // testsrc2 makes 1859 frames of 62 s at 29.97 (the api says the same: frames 0–1858).
      [
        ['--version', '1', '--at', '99999'],
        /--at: 99999 is outside the version: its frames are 0 to 1858 \(01:00:00;00 to 01:01:02;00\)/,
      ],
      [
        ['--at', '09:59:59:24'],
        /--at: 09:59:59:24 is outside the version: its frames are 0 to 499 \(10:00:00:00 to 10:00:19:24\)/,
      ],
      [['--at', '10:00:00:25'], /--at: timecode 10:00:00:25 is out of range at 25\/1/],
      [['--at', 'soon'], /--at: "soon" is neither a frame number nor a timecode/],
      [['--at', '20', '--to', '10'], /--to 10 is before --at 20/],
      [['--at', '20', '--to', '500'], /--to: 500 is outside the version/],
      [['--to', '20'], /--at <timecode\|frame> is required/],
      [['--at', '20', '--reply-to', '00000000-0000-4000-8000-000000000000'], /leave out --at, --to and --version/],
    ];
    const requests = await requestsDuring(async () => {
      for (const [args, message] of cases) {
        const run = await addComment([...args, '--text', 'never sent']);
        assert.equal(run.code, 2, `${args.join(' ')}: ${run.stderr}`);
        assert.match(run.stderr, message);
      }
    });
    assert.ok(requests.includes(`GET /api/assets/${assetId}`), 'the versions were read (the recorder hears requests)');
    assert.deepEqual(
      requests.filter((r) => !r.startsWith('GET')),
      [],
      `no comment was posted (requests: ${requests.join(', ')})`,
    );
    const empty = await addComment(['--at', '0', '--text', '   ']);
    assert.equal(empty.code, 2);
    assert.match(empty.stderr, /--text is empty/);
  });

  test('a reply sits on its note; viewers may read but not comment', async () => {
    const list = await mediavault(['comments', 'list', assetId, '--version', '1', '--json']);
    const logo = list.lines.find((l) => l.text === 'Logo too small')!;
    const reply = await addComment(['--reply-to', String(logo.id), '--text', 'Fixed in v2', '--json']);
    assert.equal(reply.code, 0, reply.stderr);
    assert.deepEqual([json(reply).parentId, json(reply).versionId, json(reply).frame], [logo.id, v1, 1800]);

    const viewer = await createMemberWithToken(api.pool, {
      organizationId: api.org.organizationId,
      projectId: api.org.projectId,
      email: 'viewer@review-cli.test',
      role: 'viewer',
    });
    const asViewer = { MEDIAVAULT_TOKEN: viewer.token };
    const refused = await addComment(['--at', '0', '--text', 'hi'], asViewer);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /^mediavault: .+/);
    assert.equal((await mediavault(['comments', 'list', assetId], asViewer)).code, 0);
  });
});

describe('mediavault comments list, resolve and reopen', () => {
  test('every version, newest first and by frame, replies under their note; --version, --open, NDJSON', async () => {
    const all = await mediavault(['comments', 'list', assetId]);
    assert.equal(all.code, 0, all.stderr);
    const rows = all.stdout.trim().split('\n');
    assert.deepEqual(
      rows.map((r) => r.replace(/^[0-9a-f-]{36} {2}/, '').replace(/\s+/g, ' ')),
      [
        'v2 10:00:01:00–10:00:02:24 Admin: Grade: warmer [internal]',
        'v1 01:00:59;29 Admin: Cut a frame earlier',
        'v1 01:01:00;02 Admin: Logo too small',
        'v1 01:01:00;02 ↳ Admin: Fixed in v2',
      ],
    );
    const v1Only = await mediavault(['comments', 'list', assetId, '--version', '1', '--json']);
    assert.deepEqual(
      v1Only.lines.map((l) => [l.event, l.frame ?? l.count]),
      [
        ['comment', 1799],
        ['comment', 1800],
        ['comment', 1800],
        ['summary', 3],
      ],
    );
    assert.deepEqual(json(v1Only), { event: 'summary', assetId, versionNumber: 1, count: 3 });
  });

  test('resolve and reopen a thread; --open leaves resolved ones out', async () => {
    const list = await mediavault(['comments', 'list', assetId, '--version', '1', '--json']);
    const logo = list.lines.find((l) => l.text === 'Logo too small')!;
    const resolved = await mediavault(['comments', 'resolve', String(logo.id), '--json']);
    assert.equal(resolved.code, 0, resolved.stderr);
    assert.equal(json(resolved).resolved, true);
    const open = await mediavault(['comments', 'list', assetId, '--version', '1', '--open', '--json']);
    assert.deepEqual(
      open.lines.filter((l) => l.event === 'comment').map((l) => l.text),
      ['Cut a frame earlier'],
    );
    const reopened = await mediavault(['comments', 'reopen', String(logo.id)]);
    assert.equal(reopened.code, 0, reopened.stderr);
    assert.match(reopened.stdout, new RegExp(`^reopened comment ${logo.id} \\(01:01:00;02, version 1\\)$`, 'm'));
    const bad = await mediavault(['comments', 'resolve', 'not-an-id']);
    assert.equal(bad.code, 2);
    const missing = await mediavault(['comments', 'resolve', '00000000-0000-4000-8000-000000000000']);
    assert.equal(missing.code, 1);
  });
});

describe('mediavault approve', () => {
  test('a decision on a version (latest by default), in the asset document; none withdraws it', async () => {
    const changes = await mediavault(['approve', assetId, '--version', '1', '--status', 'changes-requested']);
    assert.equal(changes.code, 0, changes.stderr);
    assert.match(changes.stdout, /^version 1 of Trailer\.mov: changes requested by .+ at \d{4}-/m);
    const approved = await mediavault(['approve', assetId, '--status', 'approved', '--json']);
    assert.equal(approved.code, 0, approved.stderr);
    assert.deepEqual([json(approved).versionNumber, json(approved).status], [2, 'approved']);
    const asset = await callApi(api.url, 'GET', `/api/assets/${assetId}`, api.org.token);
    assert.deepEqual(
      asset.body.versions.map((v: { number: number; approval: { status: string } | null }) => [
        v.number,
        v.approval?.status ?? 'none',
      ]),
      [
        [2, 'approved'],
        [1, 'changes_requested'],
      ],
    );
    const withdrawn = await mediavault(['approve', assetId, '--version', '1', '--status', 'none']);
    assert.match(withdrawn.stdout, /^version 1 of Trailer\.mov: no decision$/m);
    const usage = await mediavault(['approve', assetId, '--status', 'changes_requested']);
    assert.equal(usage.code, 2);
    const noSuchVersion = await mediavault(['approve', assetId, '--version', '7', '--status', 'approved']);
    assert.equal(noSuchVersion.code, 1);
    assert.match(noSuchVersion.stderr, /has no version 7 \(its versions: 1, 2\)/);
  });
});

describe('mediavault comments export', () => {
  test('EDL: a marker per note at its source timecode, as the SDK exporter writes it', async () => {
    const run = await mediavault(['comments', 'export', assetId, '--version', '1', '--format', 'edl']);
    assert.equal(run.code, 0, run.stderr);
    const listed = await callApi(api.url, 'GET', `/api/assets/${assetId}/comments?versionId=${v1}`, api.org.token);
    const asset = await callApi(api.url, 'GET', `/api/assets/${assetId}`, api.org.token);
    const version = asset.body.versions.find((v: { id: string }) => v.id === v1);
    assert.equal(
      run.stdout,
      exportComments('edl', listed.body.items, {
        assetId,
        assetName: 'Trailer.mov',
        versionId: v1,
        versionNumber: 1,
        timeline: versionTimeline(version.meta),
      }),
    );
    assert.match(run.stdout, /^TITLE: Trailer\.mov v1\r\nFCM: DROP FRAME\r\n/);
    assert.match(run.stdout, /^001 {2}AX {7}V {5}C {8}01:00:59;29 01:01:00;02 01:00:59;29 01:01:00;02\r$/m);
    assert.match(run.stdout, /^002 {2}AX {7}V {5}C {8}01:01:00;02 01:01:00;03 01:01:00;02 01:01:00;03\r$/m);
    assert.match(run.stdout, /^ \|C:ResolveColorBlue \|M:.+: Logo too small \/\/ .+: Fixed in v2 \|D:1\r$/m);
  });

  test('CSV to a file, JSON in the NDJSON summary; the latest version by default', async () => {
    const file = join(dir, 'notes.csv');
    const csv = await mediavault(['comments', 'export', assetId, '--format', 'csv', '--output', file, '--json']);
    assert.equal(csv.code, 0, csv.stderr);
    assert.deepEqual(json(csv), { event: 'summary', assetId, versionNumber: 2, format: 'csv', count: 1, output: file });
    const rows = (await readFile(file, 'utf8')).split('\r\n');
    assert.equal(
      rows[0],
      '\uFEFFcomment_id,parent_id,version,frame,end_frame,timecode,end_timecode,author,internal,resolved,created_at,text',
    );
    assert.match(rows[1]!, /^[0-9a-f-]{36},,2,25,74,10:00:01:00,10:00:02:24,.+,true,false,.+,Grade: warmer$/);

    const asJson = await mediavault(['comments', 'export', assetId, '--format', 'json', '--json']);
    const document = JSON.parse(String(json(asJson).content));
    assert.deepEqual(document.version, {
      id: v2,
      number: 2,
      frameRate: '25/1',
      startTimecode: '10:00:00:00',
      dropFrame: false,
      durationFrames: 500,
    });
    assert.deepEqual(
      document.comments.map((c: { frame: number; endFrame: number }) => [c.frame, c.endFrame]),
      [[25, 74]],
    );
    const format = await mediavault(['comments', 'export', assetId, '--format', 'xml']);
    assert.equal(format.code, 2);
    assert.match(format.stderr, /Allowed choices are csv, edl, json/);
  });
});
