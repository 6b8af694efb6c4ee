/**
 * Two `mediavault upload` runs of the same file at once, as when a rerun starts
 * while an earlier run (orphaned, say, by a closed terminal) still finishes:
 * the second takes up the first's upload from the resume journal, and both
 * send parts of it. Whichever meets the upload completed or promoted by the
 * other reports the file as done and sends nothing more.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { startPromoter, startTestApiWithDir } from '../../sdk/test/helpers/api-server.ts';
import { type CliRun, runCli } from './helpers/run-cli.ts';

const MiB = 1024 * 1024;
const { api, dir } = await startTestApiWithDir('mediavault-concurrent-upload-');
await startPromoter(api);
// One user, one resume journal: the second run finds the first's upload there.
const env = { MEDIAVAULT_URL: api.url, MEDIAVAULT_TOKEN: api.org.token, MEDIAVAULT_CONFIG_DIR: join(dir, 'config') };

test('two runs of the same large file at once: both exit 0, neither reports an error, one version', async () => {
  const path = join(dir, 'card', 'A003_C001.mov');
  const bytes = randomBytes(61 * MiB); // 13 parts of 5 MiB
  await mkdir(join(dir, 'card'), { recursive: true });
  await writeFile(path, bytes);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const args = ['upload', path, '--project', api.org.projectId, '--promote', '--part-size', '5', '--json'];

  let second: Promise<CliRun> | undefined;
  let secondStarted!: () => void;
  const secondStarts = new Promise<void>((resolve) => {
    secondStarted = resolve;
  });
  // One part in flight: the first run is still sending when the second takes its upload up.
  const first = runCli([...args, '--concurrency', '1'], {
    cwd: dir,
    env,
    onLine: (line) => {
      if (line.event === 'part' && !second) {
        second = runCli(args, { cwd: dir, env });
        secondStarted();
      }
    },
  });
  await secondStarts;
  const runs = await Promise.all([first, second!]);

  for (const [i, run] of runs.entries()) {
    const which = i === 0 ? 'first run' : 'second run';
    assert.equal(run.code, 0, `${which}: ${run.stderr}${JSON.stringify(run.lines.filter((l) => l.event !== 'part'))}`);
    assert.deepEqual(
      run.lines.filter((l) => l.event === 'error'),
      [],
      `${which} reports no error`,
    );
    const summary = run.lines.at(-1) as { event: string; files: { status: string; sha256: string }[] };
    assert.equal(summary.event, 'summary');
    assert.deepEqual(
      summary.files.map((f) => [f.sha256, ['promoted', 'already-promoted'].includes(f.status)]),
      [[sha256, true]],
      `${which}: ${JSON.stringify(summary.files)}`,
    );
  }
  assert.ok(
    runs[1].lines.find((l) => l.event === 'file-start')?.resume,
    'the second run took up the upload of the first (its journal entry)',
  );
  const uploads = await api.pool.query(`SELECT id, status FROM uploads WHERE name = 'A003_C001.mov'`);
  assert.deepEqual(
    uploads.rows.map((r) => r.status),
    ['promoted'],
    'one upload, promoted',
  );
  const versions = await api.pool.query('SELECT count(*)::int AS n FROM versions WHERE sha256 = $1', [sha256]);
  assert.equal(versions.rows[0].n, 1, 'promoted once');
});
