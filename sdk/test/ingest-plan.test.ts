import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { collectionPathFor, planUpload, safeName } from '../src/ingest-plan.ts';

const dir = await mkdtemp(join(tmpdir(), 'mediavault-plan-test-'));
after(() => rm(dir, { recursive: true, force: true }));

const rel = (path: string) => path.slice(dir.length + 1);

test('collection paths: --collection, then the folder, then sub-folders; unsafe names refused', () => {
  assert.equal(collectionPathFor(undefined, []), undefined);
  assert.equal(collectionPathFor('', ['shoot']), 'shoot');
  assert.equal(collectionPathFor('Ingest/2026/', ['shoot', 'day1']), 'Ingest/2026/shoot/day1');
  assert.equal(collectionPathFor('/Ingest', []), 'Ingest');
  assert.throws(() => collectionPathFor('Ingest/../../etc', []), { code: 'unsafe_name' });
  assert.equal(safeName('Cafe\u0301.mov'), 'Caf\u00e9.mov', 'NFD becomes NFC');
  for (const bad of ['..', '.', 'a\\..\\b', 'tab\there', ''])
    assert.throws(() => safeName(bad), { code: 'unsafe_name' }, bad);
});

test('folders are walked in order; NAS litter, symlinks and ascmhl skipped and reported; repeats and bad paths reported once', async () => {
  const shoot = join(dir, 'shoot');
  await mkdir(join(shoot, 'b-roll', 'drone'), { recursive: true });
  await mkdir(join(shoot, '@eaDir', 'a.mov'), { recursive: true });
  await mkdir(join(shoot, '.snapshot'), { recursive: true });
  await mkdir(join(shoot, '.Trashes'), { recursive: true });
  await mkdir(join(shoot, '.cache'), { recursive: true });
  await writeFile(join(shoot, 'a.mov'), 'aa');
  await writeFile(join(shoot, 'b-roll', 'drone', 'c.mov'), 'ccc');
  await writeFile(join(shoot, 'b-roll', 'empty.txt'), '');
  await writeFile(join(shoot, '.DS_Store'), 'x');
  await writeFile(join(shoot, '._a.mov'), 'x');
  await writeFile(join(shoot, 'b-roll', 'Thumbs.db'), 'x');
  await writeFile(join(shoot, '@eaDir', 'a.mov', 'SYNOFILE_THUMB_XL.jpg'), 'x');
  await writeFile(join(shoot, '.snapshot', 'old.mov'), 'x');
  await writeFile(join(shoot, '.Trashes', 'gone.mov'), 'x');
  await writeFile(join(shoot, '.cache', 'kept.mov'), 'k');
  await writeFile(join(shoot, 'Cafe\u0301.wav'), 'nfd');
  await writeFile(join(dir, 'outside.wav'), 'wwww');
  await symlink(join(dir, 'outside.wav'), join(shoot, 'link.wav'));

  const plan = await planUpload([shoot, join(shoot, 'a.mov'), join(dir, 'nope')], { collection: 'Ingest' });
  assert.deepEqual(
    plan.files.map((f) => [rel(f.path), f.size, f.collectionPath]),
    [
      ['shoot/.cache/kept.mov', 1, 'Ingest/shoot/.cache'],
      ['shoot/Cafe\u0301.wav', 3, 'Ingest/shoot'],
      ['shoot/a.mov', 2, 'Ingest/shoot'],
      ['shoot/b-roll/drone/c.mov', 3, 'Ingest/shoot/b-roll/drone'],
      ['shoot/b-roll/empty.txt', 0, 'Ingest/shoot/b-roll'],
    ],
  );
  assert.equal(plan.files[1]!.name, 'Caf\u00e9.wav', 'asset names are NFC');
  assert.deepEqual(plan.skipped.map((s) => [rel(s.path), s.reason]).sort(), [
    ['shoot/.DS_Store', 'excluded'],
    ['shoot/.Trashes', 'excluded'],
    ['shoot/._a.mov', 'excluded'],
    ['shoot/.snapshot', 'excluded'],
    ['shoot/@eaDir', 'excluded'],
    ['shoot/b-roll/Thumbs.db', 'excluded'],
    ['shoot/link.wav', 'symlink'],
  ]);
  assert.deepEqual(
    plan.problems.map((p) => p.code),
    ['file_not_found'],
  );

  const followed = await planUpload([shoot], { followSymlinks: true, include: ['*.wav'], exclude: ['b-roll'] });
  assert.deepEqual(
    followed.files.map((f) => rel(f.path)),
    ['shoot/Cafe\u0301.wav', 'shoot/link.wav'],
  );
  assert.ok(followed.skipped.some((s) => rel(s.path) === 'shoot/b-roll' && s.detail === 'b-roll'));
  assert.ok(followed.skipped.some((s) => rel(s.path) === 'shoot/a.mov' && s.reason === 'not-included'));

  const everything = await planUpload([shoot], { defaultExcludes: false });
  assert.ok(everything.files.some((f) => f.name === '.DS_Store'));

  const single = await planUpload([join(dir, 'outside.wav')]);
  assert.deepEqual(
    single.files.map((f) => [f.name, f.collectionPath]),
    [['outside.wav', undefined]],
  );
});

test('a symlink loop is walked once; an unsafe file name is a problem for that file only', async () => {
  const loop = join(dir, 'loop');
  await mkdir(join(loop, 'sub'), { recursive: true });
  await writeFile(join(loop, 'sub', 'x.mov'), 'x');
  await symlink(loop, join(loop, 'sub', 'back'));
  await writeFile(join(loop, 'bad\\..\\name.mov'), 'x');
  const plan = await planUpload([loop], { followSymlinks: true });
  assert.deepEqual(
    plan.files.map((f) => rel(f.path)),
    ['loop/sub/x.mov'],
  );
  assert.deepEqual(
    plan.problems.map((p) => [rel(p.path), p.code]),
    [['loop/bad\\..\\name.mov', 'unsafe_name']],
  );
});
