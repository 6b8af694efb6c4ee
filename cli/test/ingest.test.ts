/**
 * Issue 3 through the real CLI against the real api (fs storage): resume after
 * SIGKILL and Ctrl-C, ASC MHL verification and sidecars, dry runs, memory bound,
 * promotion as a version of a given asset.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, open, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { after, describe, test } from 'node:test';
import xxhash from 'xxhash-wasm';
import { startPromoter, startTestApi, type TestApi } from '../../sdk/test/helpers/api-server.ts';
import { runCli } from './helpers/run-cli.ts';
import { watchServer } from './helpers/server-activity.ts';

const MiB = 1024 * 1024;
const dir = await mkdtemp(join(tmpdir(), 'mediavault-ingest-test-'));
const started: { api?: TestApi } = {};
after(async () => {
  await started.api?.close();
  await rm(dir, { recursive: true, force: true });
});
const api = await startTestApi();
started.api = api;
await startPromoter(api);
const configDir = join(dir, 'config');
const env = { MEDIAVAULT_URL: api.url, MEDIAVAULT_TOKEN: api.org.token, MEDIAVAULT_CONFIG_DIR: configDir };
const mediavault = (args: string[], onLine?: Parameters<typeof runCli>[1]['onLine']) =>
  runCli(args, { cwd: dir, env, onLine });
const project = ['--project', api.org.projectId];

async function writeRandom(path: string, size: number): Promise<{ bytes: Buffer; sha256: string }> {
  const bytes = randomBytes(size);
  await mkdir(join(path, '..'), { recursive: true });
  await writeFile(path, bytes);
  return { bytes, sha256: createHash('sha256').update(bytes).digest('hex') };
}

const events = (lines: Record<string, unknown>[], event: string) => lines.filter((l) => l.event === event);
interface Summary {
  files: { path: string; status: string; sha256: string | null; versionId: string | null; assetId: string | null }[];
  sent: number;
  deduplicated: number;
  skipped: number;
  failed: number;
  bytes: number;
  peakRssBytes: number;
}
const summaryOf = (lines: Record<string, unknown>[]) => lines.at(-1) as unknown as Summary & { event: string };

describe('resume after SIGKILL', () => {
  test('mid large file: the same command again sends only the parts the server does not hold', async () => {
    const path = join(dir, 'big', 'A001_C001.mov');
    const file = await writeRandom(path, 38 * MiB); // 8 parts of 5 MiB
    const args = ['upload', path, ...project, '--promote', '--part-size', '5', '--concurrency', '1', '--json'];
    let sent = 0;
    // A part the killed CLI had sent in full may still be being written: count once the api is done with that run.
    const activity = watchServer(api.app.server);
    const killed = await mediavault(args, (line, child) => {
      if (line.event === 'part' && line.status === 'sent' && ++sent === 3) child.kill('SIGKILL');
    });
    assert.equal(killed.signal, 'SIGKILL');
    await activity.idle();
    activity.stop();
    const journalFiles = await readdir(join(configDir, 'uploads'));
    const journal = JSON.parse(
      await readFile(join(configDir, 'uploads', journalFiles.find((f) => f.endsWith('.json'))!), 'utf8'),
    ) as { uploadId: string; state: string };
    assert.equal(journal.state, 'uploading');
    // The server is the truth: a part in flight at the kill may or may not have landed.
    const held = (await api.pool.query('SELECT storage_upload_id FROM uploads WHERE id = $1', [journal.uploadId]))
      .rows[0].storage_upload_id as string;
    const stored = (
      await readdir(join((api.storages.staging as unknown as { roleRoot: string }).roleRoot, '.multipart', held))
    ).filter((n) => /^\d+\.[0-9a-f]{64}$/.test(n)).length;
    // At least the three reported; more if this process (which also hosts the api) read the event late.
    assert.ok(stored >= 3 && stored < 8, `3 to 7 parts stored, found ${stored}`);

    const again = await mediavault(args);
    assert.equal(again.code, 0, again.stderr);
    const parts = events(again.lines, 'part');
    assert.equal(parts.filter((p) => p.status === 'already-stored').length, stored);
    assert.equal(parts.filter((p) => p.status === 'sent').length, 8 - stored, 'exactly the missing parts are sent');
    const summary = summaryOf(again.lines);
    assert.equal(summary.bytes, 38 * MiB - stored * 5 * MiB);
    assert.deepEqual(
      summary.files.map((f) => [f.status, f.sha256]),
      [['promoted', file.sha256]],
      'promotion verified the sha256 of the whole file',
    );
    const uploads = await api.pool.query(`SELECT id FROM uploads WHERE name = 'A001_C001.mov'`);
    assert.deepEqual(
      uploads.rows.map((r) => r.id),
      [journal.uploadId],
      'the same upload was resumed, not a new one started',
    );

    // Once more: the file is already promoted (the journal says so and the server confirms), nothing is read or sent.
    const third = await mediavault(args);
    assert.equal(third.code, 0, third.stderr);
    assert.deepEqual(
      events(third.lines, 'skip').map((s) => s.reason),
      ['already-promoted'],
    );
    assert.equal(events(third.lines, 'part').length, 0);
  });

  test('Ctrl-C (SIGINT) mid large file: exit 130 saying how to go on; the same command again sends the rest', async () => {
    const path = join(dir, 'interrupted', 'A001_C002.mov');
    // 13 parts of 5 MiB: most are still to send when the signal lands, however late this process reads the event.
    const file = await writeRandom(path, 61 * MiB);
    const args = ['upload', path, ...project, '--promote', '--part-size', '5', '--concurrency', '1', '--json'];
    let sent = 0;
    const interrupted = await mediavault(args, (line, child) => {
      if (line.event === 'part' && line.status === 'sent' && ++sent === 2) child.kill('SIGINT');
    });
    assert.equal(interrupted.code, 130, interrupted.stderr);
    assert.deepEqual(interrupted.lines.at(-2), { event: 'interrupted', signal: 'SIGINT', files: 1, done: 0 });
    // The last line is a summary still, as scripts expect: of no file done, and marked interrupted.
    const cut = summaryOf(interrupted.lines) as Summary & { event: string; interrupted?: string };
    assert.deepEqual([cut.event, cut.interrupted, cut.files, cut.sent], ['summary', 'SIGINT', [], 0]);
    assert.ok(cut.bytes >= 2 * 5 * MiB, `the bytes of the parts sent count, though the file is not done: ${cut.bytes}`);
    const again = await mediavault(args);
    assert.equal(again.code, 0, again.stderr);
    const parts = events(again.lines, 'part');
    const stored = parts.filter((p) => p.status === 'already-stored').length;
    assert.ok(stored >= 2, `the parts stored before Ctrl-C are not sent again (${stored} already stored)`);
    assert.equal(parts.filter((p) => p.status === 'sent').length, 13 - stored);
    assert.deepEqual(
      summaryOf(again.lines).files.map((f) => [f.status, f.sha256]),
      [['promoted', file.sha256]],
    );
  });

  test('mid folder: files already stored are not sent again, the rest is', async () => {
    const folder = join(dir, 'card07');
    const shas: string[] = [];
    for (let i = 1; i <= 10; i++)
      shas.push((await writeRandom(join(folder, `clip${String(i).padStart(2, '0')}.mov`), 3 * MiB + i)).sha256);
    // One PUT in flight per batch: the kill lands while most files are still to send, however
    // late this process (which also hosts the api) reads the event that triggers it.
    const args = ['upload', folder, ...project, '--promote', '--parallel', '1', '--concurrency', '1', '--json'];
    let sent = 0;
    // The server may still be finishing a request the killed CLI had sent in full (writing and
    // fsyncing a PUT, a completion): count once every connection of that run is closed and every
    // request it made is done.
    const activity = watchServer(api.app.server);
    const killed = await mediavault(args, (line, child) => {
      if (line.event === 'part' && ++sent === 2) child.kill('SIGKILL');
    });
    assert.equal(killed.signal, 'SIGKILL');
    await activity.idle();
    activity.stop();
    // Stored = the server holds the file's bytes: its upload is complete, or its one part is there.
    const uploads = await api.pool.query(`SELECT id, name FROM uploads WHERE name LIKE 'clip%' ORDER BY name`);
    const completedBeforeKill = new Set<string>();
    let stored = 0;
    for (const upload of uploads.rows) {
      // In process (no connection of its own): the state the api reports, with the parts the store holds.
      const now = (
        await api.app.inject({
          method: 'GET',
          url: `/api/uploads/${upload.id}`,
          headers: { authorization: `Bearer ${api.org.token}` },
        })
      ).json() as { status: string; uploadedParts?: unknown[] };
      if (now.status !== 'uploading') completedBeforeKill.add(upload.name);
      if (now.status !== 'uploading' || (now.uploadedParts?.length ?? 0) > 0) stored++;
    }
    assert.ok(stored >= 2 && stored < 10, `${stored} files stored before the kill`);

    const again = await mediavault(args);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(
      events(again.lines, 'part').filter((p) => p.status === 'sent').length,
      10 - stored,
      'one part per file not yet stored, none for the others',
    );
    const summary = summaryOf(again.lines);
    assert.deepEqual(
      summary.files.map((f) => f.sha256),
      shas,
    );
    // A batch the killed run had completed may have been promoted before the kill landed: its bytes
    // are then in masters and this run links them without sending anything (deduplicated).
    const settled = (f: Summary['files'][number]) =>
      ['promoted', 'already-promoted'].includes(f.status) ||
      (f.status === 'deduplicated' && completedBeforeKill.has(basename(f.path)));
    assert.ok(
      summary.files.every(settled),
      JSON.stringify({
        completedBeforeKill: [...completedBeforeKill],
        files: summary.files,
        errors: events(again.lines, 'error'),
      }),
    );
    const perName = await api.pool.query(
      `SELECT name, count(*)::int AS n FROM uploads WHERE name LIKE 'clip%' GROUP BY name`,
    );
    assert.ok(
      perName.rows.every((r) => r.n === 1),
      'no file was uploaded twice',
    );
    const versions = await api.pool.query(`SELECT count(*)::int AS n FROM versions WHERE sha256 = ANY($1)`, [shas]);
    assert.equal(versions.rows[0].n, 10);
  });
});

function mhlDocument(entries: { path: string; size: number; hashes: Record<string, string> }[]): string {
  const escapeXml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  return `<?xml version="1.0" encoding="UTF-8"?>
<hashlist version="2.0" xmlns="urn:ASC:MHL:v2.0">
  <creatorinfo><creationdate>2026-01-01T10:00:00+00:00</creationdate><hostname>dit-cart</hostname><tool version="1.0">test</tool></creatorinfo>
  <processinfo><process>in-place</process></processinfo>
  <hashes>
${entries
  .map(
    (e) => `    <hash>
      <path size="${e.size}" lastmodificationdate="2026-01-01T09:00:00+00:00">${escapeXml(e.path)}</path>
${Object.entries(e.hashes)
  .map(
    ([format, value]) => `      <${format} action="original" hashdate="2026-01-01T10:00:00+00:00">${value}</${format}>`,
  )
  .join('\n')}
    </hash>`,
  )
  .join('\n')}
    <directoryhash><path>A001</path><content><xxh64>0000000000000000</xxh64></content></directoryhash>
  </hashes>
</hashlist>
`;
}

async function hashesOf(bytes: Buffer) {
  const { h64Raw } = await xxhash();
  return {
    xxh64: h64Raw(bytes).toString(16).padStart(16, '0'),
    md5: createHash('md5').update(bytes).digest('hex'),
    sha1: createHash('sha1').update(bytes).digest('hex'),
  };
}

describe('uploaded first, promoted later', () => {
  test('the same folder again with --promote sends no byte twice, and the summary counts the files it promoted', async () => {
    const folder = join(dir, 'later');
    const still = await writeRandom(join(folder, 'still.dng'), 50_000);
    const clip = await writeRandom(join(folder, 'clip.mov'), 6 * MiB); // over one 5 MiB part: an upload of its own
    const first = await mediavault(['upload', folder, ...project, '--part-size', '5', '--json']);
    assert.equal(first.code, 0, first.stderr);
    assert.deepEqual([summaryOf(first.lines).sent, summaryOf(first.lines).bytes], [2, 6 * MiB + 50_000]);
    const second = await mediavault(['upload', folder, ...project, '--promote', '--part-size', '5', '--json']);
    assert.equal(second.code, 0, second.stderr);
    const summary = summaryOf(second.lines);
    assert.deepEqual(
      summary.files.map((f) => [f.status, f.sha256]).sort(),
      [
        ['promoted', clip.sha256],
        ['promoted', still.sha256],
      ].sort(),
    );
    assert.deepEqual(
      { sent: summary.sent, skipped: summary.skipped, bytes: summary.bytes },
      { sent: 2, skipped: 0, bytes: 0 },
    );
  });
});

describe('ASC MHL', () => {
  test('files are verified against the ascmhl/ history while read; the MHL becomes a sidecar of their versions', async () => {
    const card = join(dir, 'A001R2EC');
    const clip = await writeRandom(join(card, 'A001', 'A001C001 & take.mov'), 7 * MiB);
    const audio = await writeRandom(join(card, 'A001', 'A001C001.wav'), 200_000);
    const empty = await writeRandom(join(card, 'A001', 'empty.xml'), 0);
    const { xxh64, md5 } = await hashesOf(clip.bytes);
    const { sha1 } = await hashesOf(audio.bytes);
    await mkdir(join(card, 'ascmhl'));
    await writeFile(
      join(card, 'ascmhl', '0001_A001R2EC_2026-01-01_100000.mhl'),
      mhlDocument([
        { path: 'A001/A001C001 & take.mov', size: 7 * MiB, hashes: { xxh64, md5 } },
        { path: 'A001/A001C001.wav', size: 200_000, hashes: { sha1, xxh128: 'ffffffffffffffffffffffffffffffff' } },
        { path: 'A001/empty.xml', size: 0, hashes: { xxh64: 'ef46db3751d8e999' } },
      ]),
    );
    const run = await mediavault(['upload', card, ...project, '--promote', '--part-size', '5', '--json']);
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(
      events(run.lines, 'skip').map((s) => s.reason),
      ['ascmhl'],
    );
    const done = events(run.lines, 'file-done');
    assert.deepEqual(done.map((d) => [d.path, d.mhl]).sort(), [
      [join(card, 'A001', 'A001C001 & take.mov'), 'verified xxh64, md5'],
      [join(card, 'A001', 'A001C001.wav'), 'verified sha1'],
      [join(card, 'A001', 'empty.xml'), 'verified xxh64'],
    ]);
    assert.equal(
      summaryOf(run.lines).files.find((f) => f.path.endsWith('empty.xml'))?.sha256,
      empty.sha256,
      'a zero-byte file is uploaded',
    );
    const sidecars = events(run.lines, 'sidecar');
    assert.equal(sidecars.length, 1);
    assert.equal(sidecars[0]!.versions, 3);
    const asset = (await (
      await fetch(`${api.url}/api/assets/${done[0]!.assetId}`, {
        headers: { authorization: `Bearer ${api.org.token}` },
      })
    ).json()) as { versions: { sidecars: { kind: string; name: string }[] }[] };
    assert.deepEqual(
      asset.versions[0]!.sidecars.map((s) => [s.kind, s.name]),
      [['ascmhl', '0001_A001R2EC_2026-01-01_100000.mhl']],
    );
  });

  test('a file that does not match its MHL hash is reported and never promoted; the others are (exit 3)', async () => {
    const card = join(dir, 'A002');
    const good = await writeRandom(join(card, 'good.mov'), 100_000);
    const bad = await writeRandom(join(card, 'bad.mov'), 6 * MiB);
    const mhlPath = join(dir, 'A002.mhl');
    await writeFile(
      mhlPath,
      mhlDocument([
        { path: 'good.mov', size: 100_000, hashes: await hashesOf(good.bytes) },
        { path: 'bad.mov', size: 6 * MiB, hashes: { ...(await hashesOf(bad.bytes)), xxh64: '0123456789abcdef' } },
      ]),
    );
    // --mhl outside an ascmhl/ folder: paths are relative to the MHL file's own folder.
    await rm(mhlPath);
    await writeFile(
      join(card, 'A002.mhl'),
      mhlDocument([
        { path: 'good.mov', size: 100_000, hashes: await hashesOf(good.bytes) },
        { path: 'bad.mov', size: 6 * MiB, hashes: { ...(await hashesOf(bad.bytes)), xxh64: '0123456789abcdef' } },
      ]),
    );
    const run = await mediavault([
      'upload',
      join(card, 'good.mov'),
      join(card, 'bad.mov'),
      ...project,
      '--promote',
      '--mhl',
      join(card, 'A002.mhl'),
      '--json',
    ]);
    assert.equal(run.code, 3, run.stderr);
    const mismatch = events(run.lines, 'mhl-mismatch');
    assert.equal(mismatch.length, 1);
    assert.equal(mismatch[0]!.path, join(card, 'bad.mov'));
    assert.deepEqual(
      (mismatch[0]!.mismatches as { format: string; expected: string }[]).map((m) => [m.format, m.expected]),
      [['xxh64', '0123456789abcdef']],
    );
    assert.equal(events(run.lines, 'error').find((e) => e.path === join(card, 'bad.mov'))?.code, 'mhl_mismatch');
    const summary = summaryOf(run.lines);
    assert.deepEqual(
      summary.files.map((f) => f.status),
      ['promoted', 'failed'],
    );
    const versions = await api.pool.query('SELECT count(*)::int AS n FROM versions WHERE sha256 = $1', [bad.sha256]);
    assert.equal(versions.rows[0].n, 0, 'nothing with the mismatching bytes is in the catalogue');
  });
});

describe('dry run and memory', () => {
  test('--dry-run lists what would be sent and skipped and sends nothing', async () => {
    const folder = join(dir, 'dry');
    await writeRandom(join(folder, 'a.mov'), 1000);
    await writeRandom(join(folder, 'sub', 'b.mov'), 2000);
    await writeFile(join(folder, '.DS_Store'), 'x');
    await writeFile(join(folder, '._a.mov'), 'x');
    const before = (await api.pool.query('SELECT count(*)::int AS n FROM uploads')).rows[0].n;
    const run = await mediavault(['upload', folder, ...project, '--promote', '--dry-run', '--json']);
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(
      events(run.lines, 'would-send').map((w) => [w.path, w.action, w.collectionPath]),
      [
        [join(folder, 'a.mov'), 'send', 'dry'],
        [join(folder, 'sub', 'b.mov'), 'send', 'dry/sub'],
      ],
    );
    assert.deepEqual(
      events(run.lines, 'skip').map((s) => s.path),
      [join(folder, '.DS_Store'), join(folder, '._a.mov')],
    );
    assert.deepEqual(run.lines.at(-1), {
      event: 'summary',
      dryRun: true,
      files: 2,
      bytes: 3000,
      archived: 0,
      skipped: 2,
      failed: 0,
    });
    assert.equal((await api.pool.query('SELECT count(*)::int AS n FROM uploads')).rows[0].n, before);

    const human = await mediavault(['upload', folder, ...project, '--dry-run']);
    assert.match(human.stdout, /^send\s+.*a\.mov\s+1000 B$/m);
    assert.match(human.stdout, /dry run: 2 files \(2\.9 KiB to send\), 2 skipped, 0 problems; nothing was sent/);
  });

  test('a 512 MiB file is uploaded with the CLI under 300 MB peak RSS', async () => {
    const path = join(dir, 'large.bin');
    const handle = await open(path, 'w');
    await handle.truncate(512 * MiB); // sparse: the disk holds nothing, the reader still gets 512 MiB
    await handle.close();
    const run = await mediavault(['upload', path, ...project, '--concurrency', '8', '--json']);
    assert.equal(run.code, 0, run.stderr);
    const summary = summaryOf(run.lines);
    assert.equal(summary.bytes, 512 * MiB);
    assert.ok(summary.peakRssBytes < 300 * 1e6, `peak RSS ${Math.round(summary.peakRssBytes / 1e6)} MB`);
    assert.ok(summary.peakRssBytes > 30 * 1e6, 'the figure is real');
  });
});

describe('--version-of', () => {
  test('stacks a file on an asset whatever its name; a file already in the archive becomes a version without its bytes sent', async () => {
    const folder = join(dir, 'grades');
    const first = await writeRandom(join(folder, 'grade_v1.mov'), 7 * MiB); // more than one 5 MiB part
    const made = await mediavault([
      'upload',
      join(folder, 'grade_v1.mov'),
      ...project,
      '--promote',
      '--part-size',
      '5',
      '--json',
    ]);
    assert.equal(made.code, 0, made.stderr);
    const assetId = summaryOf(made.lines).files[0]!.assetId!;

    const second = await writeRandom(join(folder, 'grade_v2_final.mov'), 6 * MiB);
    const stacked = await mediavault([
      'upload',
      join(folder, 'grade_v2_final.mov'),
      '--version-of',
      assetId.toUpperCase(),
      '--part-size',
      '5',
      '--json',
    ]);
    assert.equal(stacked.code, 0, stacked.stderr);
    assert.deepEqual(
      summaryOf(stacked.lines).files.map((f) => [f.status, f.assetId]),
      [['promoted', assetId]],
      'promoted without --promote, into the asset given',
    );

    // The first file again: it is that asset's version 1 already (the journal says so, the api confirms).
    const same = await mediavault(['upload', join(folder, 'grade_v1.mov'), '--version-of', assetId, '--json']);
    assert.equal(same.code, 0, same.stderr);
    assert.deepEqual(
      summaryOf(same.lines).files.map((f) => [f.status, f.assetId]),
      [['already-promoted', assetId]],
    );

    // A file the journal knows as promoted into another asset: that is not what is asked now. Its
    // bytes are in the archive, so it becomes version 3 with nothing sent.
    const other = await writeRandom(join(folder, 'alt_grade.mov'), 6 * MiB);
    const elsewhere = await mediavault([
      'upload',
      join(folder, 'alt_grade.mov'),
      ...project,
      '--promote',
      '--part-size',
      '5',
      '--json',
    ]);
    assert.equal(elsewhere.code, 0, elsewhere.stderr);
    assert.notEqual(summaryOf(elsewhere.lines).files[0]!.assetId, assetId);
    const moved = await mediavault([
      'upload',
      join(folder, 'alt_grade.mov'),
      '--version-of',
      assetId,
      '--dedup',
      '--part-size',
      '5',
      '--json',
    ]);
    assert.equal(moved.code, 0, moved.stderr);
    assert.deepEqual(
      summaryOf(moved.lines).files.map((f) => [f.status, f.assetId]),
      [['deduplicated', assetId]],
    );
    assert.equal(summaryOf(moved.lines).bytes, 0);

    const versions = await api.pool.query('SELECT number, sha256 FROM versions WHERE asset_id = $1 ORDER BY number', [
      assetId,
    ]);
    assert.deepEqual(
      versions.rows.map((r) => [r.number, r.sha256]),
      [
        [1, first.sha256],
        [2, second.sha256],
        [3, other.sha256],
      ],
    );
  });

  test('bad input is a usage error or a clear failure, and nothing is sent', async () => {
    const folder = join(dir, 'stack-bad');
    await writeRandom(join(folder, 'a.mov'), 1000);
    await writeRandom(join(folder, 'b.mov'), 1000);
    const uploadsBefore = (await api.pool.query('SELECT count(*)::int AS n FROM uploads')).rows[0].n;
    const asset = (await api.pool.query('SELECT id FROM assets LIMIT 1')).rows[0].id as string;
    const cases: [string[], number, RegExp][] = [
      [[folder, '--version-of', asset], 2, /--version-of stacks one file on an asset; 2 files were given/],
      [
        [join(folder, 'a.mov'), '--version-of', 'grade_v1'],
        2,
        /--version-of takes an asset id \(a UUID\), not "grade_v1"/,
      ],
      [[join(folder, 'a.mov'), '--version-of', asset, '--collection', 'x'], 2, /leave --collection out/],
      [
        [join(folder, 'a.mov'), '--version-of', '00000000-0000-4000-8000-000000000000'],
        1,
        /asset 00000000-0000-4000-8000-000000000000 not found/,
      ],
    ];
    for (const [args, code, message] of cases) {
      const run = await mediavault(['upload', ...args]);
      assert.equal(run.code, code, `${args.join(' ')}: ${run.stderr}`);
      assert.match(run.stderr, message);
    }
    assert.equal(
      (await api.pool.query('SELECT count(*)::int AS n FROM uploads')).rows[0].n,
      uploadsBefore,
      'no upload was started',
    );
  });
});
