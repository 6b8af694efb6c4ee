import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { startPromoter, startTestApi, type TestApi } from '../../sdk/test/helpers/api-server.ts';
import { runCli } from './helpers/run-cli.ts';

const dir = await mkdtemp(join(tmpdir(), 'mediavault-cli-test-'));
const started: { api?: TestApi } = {};
// Registered first: the helper's own database cleanup must run after the api is closed.
after(async () => {
  await started.api?.close();
  await rm(dir, { recursive: true, force: true });
});
const api = await startTestApi();
started.api = api;
await startPromoter(api);

/** The real bin in a child process (helpers/run-cli.ts); never sees the developer's own profiles. */
const mediavault = (args: string[], env: Record<string, string> = {}, options: { terminal?: boolean } = {}) =>
  runCli(args, {
    cwd: dir,
    env: { MEDIAVAULT_CONFIG_DIR: join(dir, 'config-unused'), ...env },
    terminal: options.terminal,
  });

const asAdmin = () => ({ MEDIAVAULT_URL: api.url, MEDIAVAULT_TOKEN: api.org.token });

async function writeRandom(path: string, size: number): Promise<string> {
  const bytes = randomBytes(size);
  await mkdir(join(path, '..'), { recursive: true });
  await writeFile(path, bytes);
  return createHash('sha256').update(bytes).digest('hex');
}

interface Summary {
  event: 'summary';
  files: { path: string; sha256: string | null; assetId: string | null; versionId: string | null; status: string }[];
  sent: number;
  deduplicated: number;
  failed: number;
  bytes: number;
}

describe('mediavault upload', () => {
  const shoot = join(dir, 'shoot');
  const shas: Record<string, string> = {};

  test('--json --promote: NDJSON events, folders become collections, summary last', async () => {
    shas.a = await writeRandom(join(shoot, 'day1', 'a.mov'), 300_000);
    shas.b = await writeRandom(join(shoot, 'day2', 'b.wav'), 6 * 1024 * 1024);
    shas.c = await writeRandom(join(shoot, 'notes.txt'), 1000);
    await writeFile(join(shoot, '.DS_Store'), 'finder junk');

    const run = await mediavault(
      ['upload', 'shoot', '--project', api.org.projectId, '--promote', '--collection', 'Ingest', '--json'],
      asAdmin(),
    );
    assert.equal(run.code, 0, run.stderr);
    const summary = run.lines.at(-1) as unknown as Summary;
    assert.equal(summary.event, 'summary');
    assert.ok(
      run.lines.slice(0, -1).every((l) => ['file-start', 'part', 'file-done', 'skip'].includes(l.event as string)),
    );
    assert.deepEqual(
      run.lines.filter((l) => l.event === 'skip').map((l) => [l.path, l.reason]),
      [[join('shoot', '.DS_Store'), 'excluded']],
    );
    assert.equal(run.lines.filter((l) => l.event === 'part').length, 3, 'one part each');
    assert.equal(run.lines.filter((l) => l.event === 'file-start').length, 3);
    assert.equal(run.lines.filter((l) => l.event === 'file-done').length, 3);
    assert.deepEqual(
      summary.files.map((f) => [f.path, f.status, f.sha256]),
      [
        [join('shoot', 'day1', 'a.mov'), 'promoted', shas.a],
        [join('shoot', 'day2', 'b.wav'), 'promoted', shas.b],
        [join('shoot', 'notes.txt'), 'promoted', shas.c],
      ],
    );
    assert.equal(summary.sent, 3);
    assert.equal(summary.deduplicated, 0);
    assert.equal(summary.failed, 0);
    assert.equal(summary.bytes, 300_000 + 6 * 1024 * 1024 + 1000);
    assert.ok(summary.files.every((f) => f.assetId && f.versionId));

    const list = await mediavault(['assets', 'list', '--project', 'Project A', '--json'], asAdmin());
    assert.equal(list.code, 0, list.stderr);
    const assets = list.lines.filter((l) => l.event === 'asset');
    assert.deepEqual(assets.map((a) => `${a.collectionPath}/${a.name}`).sort(), [
      'Ingest/shoot/day1/a.mov',
      'Ingest/shoot/day2/b.wav',
      'Ingest/shoot/notes.txt',
    ]);
    assert.deepEqual(list.lines.at(-1), { event: 'summary', projectId: api.org.projectId, count: 3 });

    const show = await mediavault(['assets', 'show', summary.files[0]!.assetId!], asAdmin());
    assert.equal(show.code, 0, show.stderr);
    const asset = JSON.parse(show.stdout) as { versions: { sha256: string; meta: unknown }[] };
    assert.equal(asset.versions[0]?.sha256, shas.a);
    assert.ok('meta' in asset.versions[0]!);
  });

  test('--dedup: bytes already stored are not sent again', async () => {
    // --no-resume: the journal would skip the file as already promoted (see the resume tests).
    const run = await mediavault(
      ['upload', join(shoot, 'day1'), '--project', api.org.projectId, '--promote', '--dedup', '--no-resume', '--json'],
      asAdmin(),
    );
    assert.equal(run.code, 0, run.stderr);
    const dedup = run.lines.filter((l) => l.event === 'dedup');
    assert.equal(dedup.length, 1);
    assert.equal(dedup[0]?.sha256, shas.a);
    const summary = run.lines.at(-1) as unknown as Summary;
    assert.equal(summary.sent, 0);
    assert.equal(summary.deduplicated, 1);
    assert.equal(summary.bytes, 0);
    assert.equal(summary.files[0]?.status, 'deduplicated');
  });

  test('a missing path fails alone: exit 3 (partly failed), the rest is uploaded', async () => {
    await writeRandom(join(dir, 'fresh1.txt'), 1000);
    const run = await mediavault(
      ['upload', 'fresh1.txt', 'missing.mov', '--project', api.org.projectId, '--json'],
      asAdmin(),
    );
    assert.equal(run.code, 3, run.stderr);
    const error = run.lines.find((l) => l.event === 'error');
    assert.equal(error?.path, 'missing.mov');
    assert.equal(error?.code, 'file_not_found');
    const summary = run.lines.at(-1) as unknown as Summary;
    assert.equal(summary.failed, 1);
    assert.deepEqual(
      summary.files.map((f) => f.status),
      ['failed', 'uploaded'],
    );
  });

  test('plain output off a TTY: one line per file and a summary, no escape codes', async () => {
    await writeRandom(join(dir, 'fresh2.txt'), 1000);
    const run = await mediavault(['upload', 'fresh2.txt', '--project', api.org.projectId], asAdmin());
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^uploaded\s+fresh2\.txt\s+1000 B\s+sha256:[0-9a-f]{12}$/m);
    assert.match(run.stdout, /1 file: 1 sent, 0 deduplicated, 0 skipped, 0 failed/);
    assert.doesNotMatch(run.stdout, /\u001b\[/);
  });

  test('the human summary adds up: files skipped by the plan are among the files it counts', async () => {
    await writeRandom(join(dir, 'card', 'fresh3.txt'), 1000);
    await writeRandom(join(dir, 'card', '.DS_Store'), 10);
    const run = await mediavault(['upload', 'card', '--project', api.org.projectId], asAdmin());
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^2 files: 1 sent, 0 deduplicated, 1 skipped, 0 failed/m);
  });

  test('on a terminal: the ink view counts every file done, a deduplicated one included, and ends full', async () => {
    const bytes = randomBytes(3000);
    await mkdir(join(dir, 'tty'), { recursive: true });
    await writeFile(join(dir, 'tty-first.bin'), bytes);
    const first = await mediavault(['upload', 'tty-first.bin', '--project', api.org.projectId, '--promote'], asAdmin());
    assert.equal(first.code, 0, first.stderr);
    await writeFile(join(dir, 'tty', 'copy.bin'), bytes);
    await writeRandom(join(dir, 'tty', 'new.bin'), 5000);
    // More files than the view once kept lines for, and MiB figures as wide as real ones.
    for (let i = 1; i <= 6; i++) await writeRandom(join(dir, 'tty', `still${i}.dng`), 1000 + i);
    await writeRandom(join(dir, 'tty', 'clip.mov'), 20 * 1024 * 1024);
    const run = await mediavault(['upload', 'tty', '--project', api.org.projectId, '--promote'], asAdmin(), {
      terminal: true,
    });
    assert.equal(run.code, 0, run.stdout);
    // The frames as drawn: escape sequences out, carriage returns as line ends.
    const drawn = run.stdout.replace(/\u001b\[[0-9;?]*[A-Za-z]/g, '').split(/\r?\n|\r/);
    const progress = drawn.filter((line) => / \/ .*ETA/.test(line));
    assert.ok(progress.length > 0, `a progress line in\n${drawn.join('\n')}`);
    assert.match(
      progress.at(-1)!,
      /^█{10,30} 20\.0 MiB \/ 20\.0 MiB .*ETA 0s {2}9\/9 files$/,
      'the last frame: all bytes and every file done',
    );
    assert.ok(
      drawn.some((line) => /^deduplicated\s+tty\/copy\.bin/.test(line)),
      drawn.join('\n'),
    );
    for (const name of ['new.bin', 'clip.mov', ...[1, 2, 3, 4, 5, 6].map((i) => `still${i}.dng`)]) {
      assert.ok(
        drawn.some((line) => new RegExp(`^promoted\\s+tty/${name.replace('.', '\\.')}`).test(line)),
        `${name} keeps its line`,
      );
    }
    assert.deepEqual(
      progress.filter((line) => line.length >= 80),
      [],
      'progress lines fit the 80-column terminal',
    );
    assert.ok(
      drawn.some((line) => /^9 files: 8 sent, 1 deduplicated, 0 skipped, 0 failed/.test(line)),
      drawn.join('\n'),
    );
  });

  test('usage errors exit 2', async () => {
    assert.equal((await mediavault(['upload'], asAdmin())).code, 2);
    const bad = await mediavault(['upload', 'x', '--concurrency', '0'], asAdmin());
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--concurrency must be an integer/);
    assert.equal((await mediavault(['frobnicate'])).code, 2);
    const notLoggedIn = await mediavault(['upload', 'x', '--project', api.org.projectId]);
    assert.equal(notLoggedIn.code, 2);
    assert.match(notLoggedIn.stderr, /not logged in/);
  });

  test('an unknown project exits 1 with a clear message and sends nothing', async () => {
    const byId = await mediavault(
      ['upload', join(shoot, 'notes.txt'), '--project', '00000000-0000-4000-8000-00000000abcd'],
      asAdmin(),
    );
    assert.equal(byId.code, 1);
    assert.match(byId.stderr, /project 00000000-0000-4000-8000-00000000abcd not found/);
    const byName = await mediavault(['upload', join(shoot, 'notes.txt'), '--project', 'Nope', '--json'], asAdmin());
    assert.equal(byName.code, 1);
    assert.deepEqual(byName.lines.at(-1), {
      event: 'error',
      code: 'project_not_found',
      message: 'no project named "Nope" among the projects you can access ("Project A")',
    });
  });
});

describe('login, whoami and profiles', () => {
  test('login verifies the token, saves a 0600 profile that whoami and upload then use', async () => {
    const configDir = join(dir, 'config');
    const env = { MEDIAVAULT_CONFIG_DIR: configDir };
    const refused = await mediavault(['login', '--url', api.url, '--token', 'mvt_wrong'], env);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /refused the token/);
    await assert.rejects(stat(join(configDir, 'profiles.json')), { code: 'ENOENT' });

    const login = await mediavault(['login', '--url', `${api.url}/`, '--token', api.org.token], env);
    assert.equal(login.code, 0, login.stderr);
    const file = join(configDir, 'profiles.json');
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    assert.deepEqual(JSON.parse(await readFile(file, 'utf8')), {
      profiles: { default: { url: api.url, token: api.org.token, project: api.org.projectId } },
    });

    const whoami = await mediavault(['whoami', '--json'], env);
    assert.equal(whoami.code, 0, whoami.stderr);
    const me = whoami.lines.at(-1) as { user: { email: string }; defaultProject: string; profile: string };
    assert.equal(me.user.email, 'admin@test');
    assert.equal(me.defaultProject, api.org.projectId);
    assert.equal(me.profile, 'default');

    // The profile's project is the default for upload.
    await writeRandom(join(dir, 'single.bin'), 100);
    const upload = await mediavault(['upload', 'single.bin', '--json'], env);
    assert.equal(upload.code, 0, upload.stderr);
    assert.equal((upload.lines.at(-1) as unknown as Summary).sent, 1);

    // Another profile name via MEDIAVAULT_PROFILE does not exist yet.
    const other = await mediavault(['whoami'], { ...env, MEDIAVAULT_PROFILE: 'staging' });
    assert.equal(other.code, 2);
    assert.match(other.stderr, /profile "staging"/);
  });
});

describe('preview and playback', () => {
  test('preview requests the build; playback explains that it is not ready yet', async () => {
    const sha = await writeRandom(join(dir, 'clip.mov'), 2000);
    const upload = await mediavault(
      ['upload', 'clip.mov', '--project', api.org.projectId, '--promote', '--json'],
      asAdmin(),
    );
    assert.equal(upload.code, 0, upload.stderr);
    const assetId = (upload.lines.at(-1) as unknown as Summary).files[0]!.assetId!;

    const preview = await mediavault(['preview', sha, '--json'], asAdmin());
    assert.equal(preview.code, 0, preview.stderr);
    assert.equal((preview.lines.at(-1) as { status: string }).status, 'queued');

    const playback = await mediavault(['playback', assetId], asAdmin());
    assert.equal(playback.code, 1);
    assert.match(playback.stderr, /the preview of clip\.mov \(version 1\) is queued: not ready yet/);

    // What a worker would record when the build is published.
    await api.pool.query(`UPDATE previews SET status = 'ready' WHERE sha256 = $1`, [sha]);
    const ready = await mediavault(['playback', assetId, '--json'], asAdmin());
    assert.equal(ready.code, 0, ready.stderr);
    const urls = ready.lines.at(-1) as { playerUrl: string; manifestUrl: string };
    assert.match(urls.manifestUrl, new RegExp(`/v/[^/]+/hls/${sha}/master\\.m3u8$`));
    assert.ok(urls.playerUrl.startsWith(`${api.url}/player/`));
    const waited = await mediavault(['preview', sha, '--wait', '--json'], asAdmin());
    assert.equal(waited.code, 0);

    assert.equal((await mediavault(['preview', 'not-a-sha'], asAdmin())).code, 2);
  });
});
