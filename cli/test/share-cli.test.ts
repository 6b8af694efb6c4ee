/**
 * Issue 14 point 5: `mediavault share create|list|revoke|audit` through the real bin against the
 * real api (PostgreSQL, fs storage): links printed once, policies as asked, a password read from
 * standard input, and bad input refused with a usage error before anything is created.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { text } from 'node:stream/consumers';
import { fileURLToPath } from 'node:url';
import { before, test } from 'node:test';
import { startPromoter, startTestApiWithDir } from '../../sdk/test/helpers/api-server.ts';
import { callApi } from '../../test/helpers/api.ts';
import { runCli } from './helpers/run-cli.ts';

const { api, dir } = await startTestApiWithDir('mediavault-share-cli-');
await startPromoter(api);
const env = { MEDIAVAULT_CONFIG_DIR: join(dir, 'config'), MEDIAVAULT_URL: api.url, MEDIAVAULT_TOKEN: api.org.token };
const mediavault = (args: string[]) => runCli(args, { cwd: dir, env });
const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));

/** The bin with `input` on its standard input (runCli gives none), as `printf %s "$PW" | mediavault …` runs it. */
async function mediavaultWithStdin(args: string[], input: string) {
  const child = spawn(
    join(root, 'node_modules/.bin/node'),
    ['--conditions=mediavault-source', join(root, 'cli/src/bin.ts'), ...args],
    { cwd: dir, env: { PATH: process.env.PATH, ...env }, stdio: ['pipe', 'pipe', 'pipe'] },
  );
  child.stdin.end(input);
  const [stdout, stderr, code] = await Promise.all([
    text(child.stdout),
    text(child.stderr),
    new Promise<number | null>((done) => child.on('close', done)),
  ]);
  return { code, stdout, stderr };
}

const shareCount = async () => (await api.pool.query('SELECT count(*)::int AS n FROM shares')).rows[0].n as number;
const getShare = async (id: string) => (await callApi(api.url, 'GET', `/api/shares/${id}`, api.org.token)).body;

let assetId: string;

before(async () => {
  // A file promoted into the collection "Client cut" by the CLI itself.
  const file = join(dir, 'Reel 1.mov');
  await writeFile(file, randomBytes(4096));
  const run = await mediavault([
    'upload',
    file,
    '--project',
    api.org.projectId,
    '--promote',
    '--collection',
    'Client cut',
    '--json',
  ]);
  assert.equal(run.code, 0, run.stderr);
  assetId = (run.lines.find((l) => l.event === 'file-done') as { assetId: string }).assetId;
});

test('share create prints the link once; --json answers {"id","url"}; the policy is as asked', async () => {
  const human = await mediavault(['share', 'create', assetId]);
  assert.equal(human.code, 0, human.stderr);
  const link = human.stdout.split('\n')[0]!;
  assert.match(link, new RegExp(`^${api.url}/s/#mvs_[A-Za-z0-9_-]{43}$`));
  assert.match(human.stdout, /shown this once/);

  const before = Date.now();
  const run = await mediavault([
    'share',
    'create',
    assetId,
    '--expires',
    '7d',
    '--download',
    'proxy',
    '--comments',
    '--watermark',
    '{share} for {viewer}',
    '--name',
    'Reel for Acme',
    '--json',
  ]);
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.lines.length, 1);
  assert.deepEqual(Object.keys(run.lines[0]!), ['id', 'url']);
  const { id, url } = run.lines[0] as { id: string; url: string };
  assert.match(url, /\/s\/#mvs_/);
  const share = await getShare(id);
  assert.deepEqual(
    [share.name, share.kind, share.download, share.comments, share.hasPassword, share.watermark.template],
    ['Reel for Acme', 'asset', 'proxy', true, false, '{share} for {viewer}'],
  );
  const days = (new Date(share.expiresAt).getTime() - before) / 86_400_000;
  assert.ok(days > 6.99 && days < 7.01, `expires in ${days} days`);
});

test('share create --password-stdin: guests must give that password', async () => {
  const run = await mediavaultWithStdin(['share', 'create', assetId, '--password-stdin', '--json'], 'open sesame 42\n');
  assert.equal(run.code, 0, run.stderr);
  const { id, url } = JSON.parse(run.stdout) as { id: string; url: string };
  assert.equal((await getShare(id)).hasPassword, true);
  const token = new URL(url).hash.slice(1);
  const exchange = (password?: string) =>
    fetch(`${api.url}/api/share-sessions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: api.url },
      body: JSON.stringify({ token, ...(password ? { password } : {}) }),
    });
  assert.equal((await exchange()).status, 401);
  assert.equal((await exchange('open sesame 42')).status, 201, 'the newline ends the password');
});

test('share create --collection: a playlist of the collection; list, revoke and audit', async () => {
  const created = await mediavault([
    'share',
    'create',
    '--collection',
    'Client cut',
    '--project',
    api.org.projectId,
    '--json',
  ]);
  assert.equal(created.code, 0, created.stderr);
  const { id } = created.lines[0] as { id: string };
  const share = await getShare(id);
  assert.deepEqual([share.kind, share.collectionPath, share.items.length], ['collection', 'Client cut', 1]);

  const listed = await mediavault(['share', 'list', '--project', api.org.projectId, '--json']);
  assert.equal(listed.code, 0, listed.stderr);
  const ids = listed.lines.filter((l) => l.event === 'share').map((l) => l.id);
  assert.ok(ids.includes(id));
  assert.deepEqual(listed.lines.at(-1), { event: 'summary', projectId: api.org.projectId, count: ids.length });
  const human = await mediavault(['share', 'list']);
  assert.match(human.stdout, new RegExp(`^${id}  active +Client cut`, 'm'));

  const revoked = await mediavault(['share', 'revoke', id]);
  assert.equal(revoked.code, 0, revoked.stderr);
  assert.match(revoked.stdout, new RegExp(`^revoked share ${id}`));
  assert.equal((await getShare(id)).state, 'revoked');

  const audit = await mediavault(['share', 'audit', id, '--json']);
  assert.equal(audit.code, 0, audit.stderr);
  assert.deepEqual(
    audit.lines.map((l) => [l.event, l.action ?? null]),
    [
      ['audit', 'create'],
      ['audit', 'revoke'],
      ['summary', null],
    ],
  );
  const humanAudit = await mediavault(['share', 'audit', id]);
  assert.match(humanAudit.stdout, /^\S+Z {2}create +\S/m);
  const csv = await mediavault(['share', 'audit', id, '--csv']);
  assert.equal(csv.code, 0, csv.stderr);
  const rows = csv.stdout.trimEnd().split('\r\n');
  assert.match(rows[0]!, /^time,event,share,asset/);
  assert.deepEqual(
    rows.slice(1).map((r) => r.split(',')[1]),
    ['create', 'revoke'],
  );
});

test('bad input: a clear error, a usage exit code, and nothing created', async () => {
  const before = await shareCount();
  const refused = async (args: string[], code: number, message: RegExp) => {
    const run = await mediavault(['share', 'create', ...args]);
    assert.equal(run.code, code, `${args.join(' ')}: ${run.stderr}`);
    assert.match(run.stderr, message);
    assert.equal(run.stdout, '');
  };
  await refused([], 2, /needs asset ids or --collection/);
  await refused([assetId, '--collection', 'Client cut'], 2, /not both/);
  await refused(['not-an-id'], 2, /asset ids \(UUIDs/);
  await refused([assetId, '--expires', 'soon'], 2, /--expires takes a duration/);
  await refused([assetId, '--expires', '2001-01-01'], 2, /not in the future/);
  await refused([assetId, '--download', 'everything'], 2, /Allowed choices are none, proxy, master/);
  await refused([assetId, '--watermark', ' '], 2, /--watermark takes the text/);
  await refused(['00000000-0000-4000-8000-000000000000'], 1, /asset 00000000-0000-4000-8000-000000000000 not found/);
  const short = await mediavaultWithStdin(['share', 'create', assetId, '--password-stdin'], 'short\n');
  assert.equal(short.code, 2);
  assert.match(short.stderr, /at least 8 characters/);
  assert.equal(await shareCount(), before);

  const unknown = await mediavault(['share', 'revoke', '00000000-0000-4000-8000-000000000000']);
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /share 00000000-0000-4000-8000-000000000000 not found/);
  assert.equal((await mediavault(['share', 'audit', 'nope'])).code, 2);
});
