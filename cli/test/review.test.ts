/** Issue 13 point 5 from the command line: `mediavault review <assetId> [--version N] [--open] [--json]`. */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { type FSWatcher, watch } from 'node:fs';
import { access, chmod, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { startTestApiWithDir } from '../../sdk/test/helpers/api-server.ts';
import { runCli } from './helpers/run-cli.ts';

const { api, dir } = await startTestApiWithDir('mediavault-review-');
const mediavault = (args: string[], env: Record<string, string> = {}) =>
  runCli(args, {
    cwd: dir,
    env: {
      MEDIAVAULT_CONFIG_DIR: join(dir, 'config'),
      MEDIAVAULT_URL: api.url,
      MEDIAVAULT_TOKEN: api.org.token,
      ...env,
    },
  });

/** An asset with two versions (catalogue rows: the link needs them to name, not their media). */
async function assetWithTwoVersions(): Promise<{ assetId: string; versionIds: [string, string] }> {
  const { rows } = await api.pool.query<{ id: string }>(
    `INSERT INTO assets (organization_id, project_id, name) VALUES ($1, $2, 'cut.mov') RETURNING id`,
    [api.org.organizationId, api.org.projectId],
  );
  const assetId = rows[0]!.id;
  const versionIds: string[] = [];
  for (const number of [1, 2]) {
    const sha = randomBytes(32).toString('hex');
    await api.pool.query(
      `INSERT INTO masters (sha256, size, storage_key, retain_until) VALUES ($1, 1, $2, now() + interval '1 day')`,
      [sha, `sha256/${sha}`],
    );
    const version = await api.pool.query<{ id: string }>(
      `INSERT INTO versions (asset_id, number, sha256, size, original_name) VALUES ($1, $2, $3, 1, 'cut.mov') RETURNING id`,
      [assetId, number, sha],
    );
    versionIds.push(version.rows[0]!.id);
  }
  return { assetId, versionIds: versionIds as [string, string] };
}

/** Exchanges a review link as the page does: the session it opens. */
async function exchange(url: string) {
  const res = await fetch(`${api.url}/api/review-sessions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: api.url },
    body: JSON.stringify({ token: new URL(url).hash.slice(1) }),
  });
  assert.equal(res.status, 201, await res.clone().text());
  return (await res.json()) as { assetId: string; versionId: string | null; user: { id: string } };
}

const { assetId, versionIds } = await assetWithTwoVersions();

describe('mediavault review', () => {
  test('prints a single-use link that opens the asset as the caller', async () => {
    const run = await mediavault(['review', assetId]);
    assert.equal(run.code, 0, run.stderr);
    const [url, note] = run.stdout.trim().split('\n');
    assert.match(url!, new RegExp(`^${api.url}/review/#mvr_[A-Za-z0-9_-]{43}$`));
    assert.match(note!, /^opens the review page as you, once, until /);
    const session = await exchange(url!);
    assert.deepEqual([session.assetId, session.versionId, session.user.id], [assetId, null, api.org.userId]);
  });

  test('--version N names that version; --json prints one summary', async () => {
    const run = await mediavault(['review', assetId, '--version', '1', '--json']);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.lines.length, 1);
    const summary = run.lines[0] as { event: string; url: string; versionId: string; expiresAt: string };
    assert.deepEqual([summary.event, summary.versionId], ['summary', versionIds[0]]);
    assert.ok(Date.parse(summary.expiresAt) > Date.now());
    assert.equal((await exchange(summary.url)).versionId, versionIds[0]);
    // Options of the program still work after the command.
    const quiet = await mediavault(['review', assetId, '--version', '2', '-q']);
    assert.equal(quiet.code, 0, quiet.stderr);
    assert.equal(quiet.stdout.trim().split('\n').length, 1, 'only the link');
    assert.equal((await exchange(quiet.stdout.trim())).versionId, versionIds[1]);
  });

  test('a missing version or asset fails; a malformed one is a usage error', async () => {
    const noVersion = await mediavault(['review', assetId, '--version', '9']);
    assert.equal(noVersion.code, 1);
    assert.match(noVersion.stderr, /has no version 9 \(its versions: 2, 1\)/);
    const unknown = await mediavault(['review', '00000000-0000-4000-8000-000000000000']);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /not found \(or you have no role in its project\)/);
    assert.equal((await mediavault(['review', 'cut.mov'])).code, 2);
    assert.equal((await mediavault(['review', assetId, '--version', 'two'])).code, 2);
    assert.equal((await mediavault(['--version'])).stdout.trim(), '0.1.0', 'the program still has --version');
  });

  test('--open hands the link to the desktop browser (xdg-open, $BROWSER)', { timeout: 30_000 }, async (t) => {
    const opened = join(dir, 'opened-url');
    const browser = join(dir, 'browser.sh');
    await writeFile(browser, `#!/bin/sh\nprintf '%s' "$1" > "${opened}.part" && mv "${opened}.part" "${opened}"\n`);
    await chmod(browser, 0o755);
    // The file appears when the detached launcher has run the browser: wait for it, not for a time.
    let watcher: FSWatcher | undefined;
    t.after(() => watcher?.close());
    const appeared = new Promise<void>((resolve) => {
      watcher = watch(dir, () => access(opened).then(resolve, () => {}));
    });
    // No desktop here: xdg-open falls back to $BROWSER.
    const run = await mediavault(['review', assetId, '--open'], {
      BROWSER: browser,
      DISPLAY: '',
      WAYLAND_DISPLAY: '',
      XDG_CURRENT_DESKTOP: '',
    });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /opened in your browser/);
    await appeared;
    const url = await readFile(opened, 'utf8');
    assert.equal(url, run.stdout.split('\n')[0]);
    assert.equal((await exchange(url)).assetId, assetId, 'the browser got a live link');
  });
});
