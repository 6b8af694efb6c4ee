/**
 * Issue 12, point 11, through the real CLI against the real api: output into a pipe closed
 * early, NO_COLOR and --quiet, playback of a preview not built yet (--wait on the api's events).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { IncomingMessage, Server } from 'node:http';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { callApi } from '../../test/helpers/api.ts';
import { startPromoter, startTestApiWithDir } from '../../sdk/test/helpers/api-server.ts';
import { runCli } from './helpers/run-cli.ts';

const { api, dir } = await startTestApiWithDir('mediavault-manners-');
await startPromoter(api);
const asAdmin = { MEDIAVAULT_URL: api.url, MEDIAVAULT_TOKEN: api.org.token };
const mediavault = (
  args: string[],
  options: Omit<Parameters<typeof runCli>[1], 'cwd' | 'env'> & { env?: object } = {},
) =>
  runCli(args, {
    ...options,
    cwd: dir,
    env: { MEDIAVAULT_CONFIG_DIR: join(dir, 'config'), ...asAdmin, ...options.env },
  });
const project = ['--project', api.org.projectId];

/** Escape sequences that set colours or text attributes (SGR), as opposed to cursor movement. */
const sgr = /\u001b\[[0-9;]*m/;

describe('a pipe closed early (`| head -1`)', () => {
  test('the command stops quietly: exit 0, no stack trace, whether --json or not', async () => {
    // Two pages of assets (500 a page): the CLI still writes after the reader has gone.
    const created = await callApi(api.url, 'POST', '/api/projects', api.org.token, {
      clientId: api.org.clientId,
      name: 'Paged',
    });
    await api.pool.query(
      `INSERT INTO assets (organization_id, project_id, name)
       SELECT $1, $2, 'still_' || g || '.dng' FROM generate_series(1, 1200) g`,
      [api.org.organizationId, created.body.id],
    );
    for (const args of [
      ['assets', 'list', '--project', 'Paged', '--json'],
      ['assets', 'list', '--project', 'Paged'],
    ]) {
      let chunks = 0;
      const run = await mediavault(args, {
        // What `head -1` does: read the first line, then close its end of the pipe.
        onData: (_chunk, child) => {
          if (++chunks === 1) child.stdout!.destroy();
        },
      });
      assert.deepEqual([run.code, run.signal, run.stderr], [0, null, ''], args.join(' '));
    }
  });
});

describe('NO_COLOR and --quiet', () => {
  const terminal = { TERM: 'xterm-256color', COLUMNS: '100' };

  test('on a terminal the progress is drawn in colour, and without any with NO_COLOR', async () => {
    await writeFile(join(dir, 'colour.bin'), randomBytes(20 * 1024 ** 2));
    await writeFile(join(dir, 'plain.bin'), randomBytes(20 * 1024 ** 2));
    const coloured = await mediavault(['upload', 'colour.bin', ...project], { terminal: true, env: terminal });
    assert.equal(coloured.code, 0, coloured.stdout);
    assert.match(coloured.stdout, / \/ .*ETA/, 'a progress line');
    assert.match(coloured.stdout, sgr, 'colours where the terminal has them');

    const plain = await mediavault(['upload', 'plain.bin', ...project], {
      terminal: true,
      env: { ...terminal, NO_COLOR: '1' },
    });
    assert.equal(plain.code, 0, plain.stdout);
    assert.match(plain.stdout, / \/ .*ETA/, 'the progress is still drawn');
    assert.doesNotMatch(plain.stdout, sgr);
    assert.match(plain.stdout.replace(/\u001b\[[0-9;?]*[A-Za-z]/g, ''), /^uploaded\s+plain\.bin/m);
  });

  test('--quiet: no progress and no per-file lines, errors still; lists still print', async () => {
    await writeFile(join(dir, 'quiet.bin'), randomBytes(20 * 1024 ** 2));
    const quiet = await mediavault(['--quiet', 'upload', 'quiet.bin', ...project, '--promote'], {
      terminal: true,
      env: terminal,
    });
    assert.equal(quiet.code, 0, quiet.stdout);
    assert.equal(quiet.stdout.trim(), '', 'nothing on the terminal');

    const failed = await mediavault(['upload', 'missing.mov', ...project, '-q']);
    assert.equal(failed.code, 1);
    assert.equal(failed.stdout, '');
    assert.match(failed.stderr, /missing\.mov: no such file/);

    const list = await mediavault(['-q', 'assets', 'list', ...project]);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /quiet\.bin/);
  });
});

/** Counts the GET requests for one path that the in-process api serves, until stopped. */
function countReads(server: Server, path: string): { readonly count: number; stop(): void } {
  let count = 0;
  const onRequest = (message: unknown) => {
    const { request, server: from } = message as { request: IncomingMessage; server: Server };
    if (from === server && request.method === 'GET' && request.url?.split('?')[0] === path) count++;
  };
  subscribe('http.server.request.start', onRequest);
  return {
    get count() {
      return count;
    },
    stop: () => unsubscribe('http.server.request.start', onRequest),
  };
}

describe('mediavault playback on a preview not built yet', () => {
  test('says it is being built, requests one nobody requested, and --wait prints the URLs once the api says it is ready', async () => {
    // An MP4 signature: promotion takes it for media and queues its preview (no worker builds it here).
    const bytes = Buffer.concat([Buffer.from('\0\0\0\x18ftypmp42'), randomBytes(4000)]);
    await writeFile(join(dir, 'take1.mp4'), bytes);
    const upload = await mediavault(['upload', 'take1.mp4', ...project, '--promote', '--json']);
    assert.equal(upload.code, 0, upload.stderr);
    const { assetId, sha256 } = (upload.lines.at(-1) as { files: { assetId: string; sha256: string }[] }).files[0]!;

    const building = await mediavault(['playback', assetId]);
    assert.equal(building.code, 1);
    assert.match(building.stdout, /the preview of take1\.mp4 \(version 1\) is being built \(queued\)/);
    assert.match(building.stderr, new RegExp(`mediavault playback ${assetId} --wait`));
    assert.doesNotMatch(building.stderr, /POST \/api\/preview/);

    // A version whose preview nobody requested (promoted before promotion requested them).
    await api.pool.query('DELETE FROM previews WHERE sha256 = $1', [sha256]);
    const requested = await mediavault(['playback', assetId, '--json']);
    assert.equal(requested.code, 1);
    assert.deepEqual(requested.lines[0], { event: 'preview-state', sha256, status: 'queued', requested: true });
    assert.equal(requested.lines.at(-1)!.code, 'preview_not_ready');
    const row = await api.pool.query('SELECT status FROM previews WHERE sha256 = $1', [sha256]);
    assert.deepEqual(row.rows, [{ status: 'queued' }], 'the CLI requested the preview');

    const reads = countReads(api.app.server, `/api/previews/${sha256}`);
    let readsWhileNothingChanged = -1;
    const waited = await mediavault(['playback', assetId, '--wait', '--json'], {
      onLine: async (line) => {
        if (line.event !== 'preview-state' || 'requested' in line || line.status !== 'queued') return;
        // The wait has read the state with the event stream live. While another command runs (a
        // second at least), nothing changes: a wait on events reads nothing more, a polling one would.
        assert.equal((await mediavault(['assets', 'list', ...project])).code, 0);
        readsWhileNothingChanged = reads.count;
        // What the worker records when the build is published reaches the wait as an event.
        await api.pool.query(`UPDATE previews SET status = 'ready' WHERE sha256 = $1`, [sha256]);
      },
    });
    reads.stop();
    assert.equal(waited.code, 0, waited.stderr);
    const urls = waited.lines.at(-1) as { event: string; manifestUrl: string; playerUrl: string };
    assert.equal(urls.event, 'summary');
    assert.match(urls.manifestUrl, new RegExp(`/hls/${sha256}/master\\.m3u8$`));
    assert.deepEqual(
      [readsWhileNothingChanged, reads.count],
      [1, 2],
      'the state was read once the stream was live and once on its event, not polled',
    );
  });

  test('content that is not audio or video has no preview to wait for', async () => {
    await writeFile(join(dir, 'notes.bin'), randomBytes(3000));
    const upload = await mediavault(['upload', 'notes.bin', ...project, '--promote', '--json']);
    const { assetId } = (upload.lines.at(-1) as { files: { assetId: string }[] }).files[0]!;
    const run = await mediavault(['playback', assetId, '--wait']);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /notes\.bin \(version 1\) is not audio or video: it has no preview to play/);
  });
});
