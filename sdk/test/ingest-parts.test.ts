/** The pure pieces of bulk ingest: ASC MHL parsing and checking, the memory budget, the resume journal, the checksum header rule. */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { appendFile, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import {
  ByteBudget,
  createMhlCheck,
  mergeGenerations,
  parseMhl,
  sendsChecksumHeader,
  UploadJournal,
} from '../src/index.ts';

const dir = await mkdtemp(join(tmpdir(), 'mediavault-ingest-parts-'));
after(() => rm(dir, { recursive: true, force: true }));

const mhl = `<?xml version="1.0" encoding="UTF-8"?>
<hashlist version="2.0" xmlns="urn:ASC:MHL:v2.0">
  <hashes>
    <!-- <hash><path>commented/out.mov</path></hash> -->
    <hash>
      <path size="3" lastmodificationdate="2026-01-01T09:00:00+00:00">A001/R&amp;D Cafe\u0301.mov</path>
      <xxh64 action="original" hashdate="2026-01-01T10:00:00+00:00">44BC2CF5AD770999</xxh64>
      <md5 action="original">900150983cd24fb0d6963f7d28e17f72</md5>
      <xxh128 action="original">06b05ab6733a618578af5f94892f3950</xxh128>
    </hash>
    <hash><path size="0">empty</path><sha1>da39a3ee5e6b4b0d3255bfef95601890afd80709</sha1></hash>
    <directoryhash><path>A001</path><content><xxh64>1111111111111111</xxh64></content></directoryhash>
  </hashes>
</hashlist>`;

test('parseMhl reads file entries (entities decoded, NFC, hex lowercased), not directory hashes or comments', () => {
  const entries = parseMhl(mhl);
  assert.deepEqual(entries, [
    {
      path: 'A001/R&D Caf\u00e9.mov',
      size: 3,
      hashes: {
        xxh64: '44bc2cf5ad770999',
        md5: '900150983cd24fb0d6963f7d28e17f72',
        xxh128: '06b05ab6733a618578af5f94892f3950',
      },
    },
    { path: 'empty', size: 0, hashes: { sha1: 'da39a3ee5e6b4b0d3255bfef95601890afd80709' } },
  ]);
  assert.throws(() => parseMhl('<html></html>'), { code: 'mhl_invalid' });
  const later = mergeGenerations([
    entries,
    [{ path: 'empty', size: 0, hashes: { md5: 'd41d8cd98f00b204e9800998ecf8427e' } }],
  ]);
  assert.deepEqual(
    later.get('empty')?.hashes,
    { md5: 'd41d8cd98f00b204e9800998ecf8427e' },
    'a later generation replaces an entry',
  );
});

test('an MHL check verifies xxh64, md5 and sha1 over chunks and names each mismatch', async () => {
  const [entry, empty] = parseMhl(mhl);
  const check = await createMhlCheck(entry!);
  check.update(Buffer.from('a'));
  check.update(Buffer.from('bc'));
  assert.deepEqual(check.outcome(), { verified: ['xxh64', 'md5'], mismatches: [], unverifiable: ['xxh128'] });

  const tampered = await createMhlCheck(entry!);
  tampered.update(Buffer.from('abd'));
  const outcome = tampered.outcome();
  assert.deepEqual(
    outcome.mismatches.map((m) => m.format),
    ['xxh64', 'md5'],
  );
  assert.equal(outcome.mismatches[1]!.actual, createHash('md5').update('abd').digest('hex'));

  const short = await createMhlCheck(empty!);
  short.update(Buffer.from('x'));
  assert.deepEqual(
    short.outcome().mismatches.map((m) => m.format),
    ['size', 'sha1'],
  );
  const nothing = await createMhlCheck(empty!);
  assert.deepEqual(nothing.outcome(), { verified: ['sha1'], mismatches: [], unverifiable: [] });
});

test('the byte budget makes later requests wait, first come first served, and recycles buffers', async () => {
  const budget = new ByteBudget(10);
  const a = await budget.acquire(6);
  const order: string[] = [];
  const granted = (name: string) => (release: () => void) => {
    order.push(name);
    return release;
  };
  const b = budget.acquire(6).then(granted('b'));
  const c = budget.acquire(1).then(granted('c'));
  await Promise.resolve();
  assert.deepEqual(order, [], 'c waits behind b although it would fit');
  a();
  (await b)();
  (await c)();
  assert.deepEqual(order, ['b', 'c']);
  assert.equal(budget.available, 10);
  const huge = await budget.acquire(50);
  assert.equal(budget.available, 0, 'a request over the budget takes all of it');
  huge();

  const first = await budget.buffer(4);
  first.release();
  const second = await budget.buffer(4);
  assert.equal(second.bytes, first.bytes, 'the same memory is handed out again');
  second.release();

  const stop = new AbortController();
  const hold = await budget.acquire(10);
  const waiting = budget.acquire(1, stop.signal);
  stop.abort(new Error('stopped'));
  await assert.rejects(waiting, /stopped/);
  hold();
  assert.equal(budget.available, 10);
});

test('the journal keys files by api, project and absolute path; a damaged entry reads as none', async () => {
  const journal = new UploadJournal(join(dir, 'uploads'));
  const subject = { apiUrl: 'http://127.0.0.1:8080/', projectId: 'p1', path: join(dir, 'a.mov') };
  assert.equal(journal.read(subject), null);
  journal.write({ ...subject, size: 10, mtimeMs: 1.5, uploadId: 'u1', state: 'uploading', parts: { 1: 'c1' } });
  assert.deepEqual(
    { ...journal.read({ ...subject, apiUrl: 'http://127.0.0.1:8080' }), updatedAt: 'x' },
    {
      version: 1,
      ...subject,
      size: 10,
      mtimeMs: 1.5,
      uploadId: 'u1',
      state: 'uploading',
      parts: { 1: 'c1' },
      updatedAt: 'x',
    },
  );
  assert.equal(journal.read({ ...subject, projectId: 'p2' }), null);
  assert.deepEqual(
    await readdir(join(dir, 'uploads')),
    [journal.fileOf(subject).split('/').pop()],
    'no temp files left',
  );
  await writeFile(journal.fileOf(subject), '{"version":1,');
  assert.equal(journal.read(subject), null);
  journal.remove(subject);
  journal.remove(subject);
});

test('settled files go to one log per run, not a file each; a new run reads them back, later lines winning', async () => {
  const uploads = join(dir, 'settled');
  const journal = new UploadJournal(uploads);
  const subjects = Array.from({ length: 50 }, (_, i) => ({
    apiUrl: 'http://127.0.0.1:8080',
    projectId: 'p1',
    path: join(dir, `still-${i}.dng`),
  }));
  const big = { apiUrl: 'http://127.0.0.1:8080', projectId: 'p1', path: join(dir, 'A001.mov') };
  journal.write({ ...big, size: 20, mtimeMs: 1, uploadId: 'u-big', state: 'uploading', parts: { 1: 'c1' } });
  for (const [i, subject] of subjects.entries())
    journal.write({
      ...subject,
      size: i,
      mtimeMs: 2,
      uploadId: `u${i}`,
      state: 'promoted',
      parts: {},
      sha256: `s${i}`,
      assetId: `a${i}`,
      versionId: `v${i}`,
    });
  journal.write({
    ...big,
    size: 20,
    mtimeMs: 1,
    uploadId: 'u-big',
    state: 'promoted',
    parts: {},
    sha256: 'sb',
    assetId: 'ab',
    versionId: 'vb',
  });
  journal.remove(subjects[7]!);
  journal.close();
  const files = await readdir(uploads);
  assert.equal(files.length, 1, `one log and no per-file entries: ${files.join(', ')}`);
  assert.match(files[0]!, /^settled-\d+-\d+\.ndjson$/);

  const again = new UploadJournal(uploads);
  assert.equal(again.read(subjects[3]!)?.versionId, 'v3');
  assert.equal(again.read(subjects[3]!)?.state, 'promoted');
  assert.equal(again.read(subjects[7]!), null, 'a removed entry stays removed');
  assert.equal(again.read(big)?.state, 'promoted', 'settling a file replaces its per-file entry');
  // A file changed since: its new upload's per-file entry is newer than the settled line.
  again.write({ ...big, size: 21, mtimeMs: 3, uploadId: 'u-big-2', state: 'uploading', parts: {} });
  assert.equal(again.read(big)?.uploadId, 'u-big-2');
  again.close();

  // A SIGKILL mid-append leaves a torn last line: ignored, the lines before it count.
  await appendFile(join(uploads, files[0]!), '{"id":"torn","entry":{"vers');
  assert.equal(new UploadJournal(uploads).read(subjects[49]!)?.versionId, 'v49');
});

test('logs of runs that ended are folded into one; a log of a run still going is left alone', async () => {
  const uploads = join(dir, 'fold');
  await mkdir(uploads);
  const ended = spawnSync(process.execPath, ['-e', '']).pid!;
  const entry = (i: number, updatedAt: string) => ({
    version: 1,
    apiUrl: 'http://h',
    projectId: 'p',
    path: join(dir, `f${i}`),
    size: i,
    mtimeMs: 1,
    uploadId: `u${i}`,
    state: 'promoted',
    parts: {},
    updatedAt,
  });
  const idOf = (i: number) =>
    new UploadJournal(uploads).idOf({ apiUrl: 'http://h', projectId: 'p', path: join(dir, `f${i}`) });
  const line = (value: unknown) => `${JSON.stringify(value)}\n`;
  await writeFile(
    join(uploads, `settled-1000-${ended}.ndjson`),
    line({ id: idOf(1), entry: entry(1, '2026-01-01T00:00:00.000Z') }) +
      line({ id: idOf(2), entry: entry(2, '2026-01-01T00:00:00.000Z') }),
  );
  await writeFile(
    join(uploads, `settled-2000-${ended}.ndjson`),
    line({ id: idOf(1), removed: '2026-01-02T00:00:00.000Z' }) +
      line({ id: idOf(3), entry: entry(3, '2026-01-02T00:00:00.000Z') }),
  );
  // A concurrent run (this process's parent is alive) wrote an older line for 2 after the others' newer one.
  await writeFile(
    join(uploads, `settled-500-${process.ppid}.ndjson`),
    line({ id: idOf(2), entry: { ...entry(2, '2025-12-31T00:00:00.000Z'), uploadId: 'stale' } }),
  );

  const journal = new UploadJournal(uploads);
  assert.equal(journal.read({ apiUrl: 'http://h', projectId: 'p', path: join(dir, 'f1') }), null);
  assert.equal(
    journal.read({ apiUrl: 'http://h', projectId: 'p', path: join(dir, 'f2') })?.uploadId,
    'u2',
    'the latest line wins, whichever log holds it',
  );
  assert.equal(journal.read({ apiUrl: 'http://h', projectId: 'p', path: join(dir, 'f3') })?.uploadId, 'u3');
  const files = (await readdir(uploads)).sort();
  assert.equal(files.length, 2, files.join(', '));
  assert.ok(files.includes(`settled-500-${process.ppid}.ndjson`), 'the running log is untouched');
  const reread = new UploadJournal(uploads);
  assert.equal(
    reread.read({ apiUrl: 'http://h', projectId: 'p', path: join(dir, 'f1') }),
    null,
    'the withdrawal survives the fold while another log may need it',
  );
  assert.equal(reread.read({ apiUrl: 'http://h', projectId: 'p', path: join(dir, 'f2') })?.uploadId, 'u2');
});

test('x-amz-checksum-sha256 goes to fs URLs always, to S3 URLs only when signed', () => {
  assert.equal(
    sendsChecksumHeader('http://127.0.0.1/storage/staging/k?uploadId=u&partNumber=1&expires=1&signature=s'),
    true,
  );
  const s3 = 'http://s3.local/b/k?partNumber=1&uploadId=u&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=abc';
  assert.equal(sendsChecksumHeader(`${s3}&X-Amz-SignedHeaders=host`), false);
  assert.equal(sendsChecksumHeader(`${s3}&X-Amz-SignedHeaders=host%3Bx-amz-checksum-sha256`), true);
});
