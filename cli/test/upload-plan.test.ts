import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { collectionPathFor, planUpload } from '../src/upload-plan.ts';

const dir = await mkdtemp(join(tmpdir(), 'mediavault-plan-test-'));
after(() => rm(dir, { recursive: true, force: true }));

test('collection paths: --collection, then the folder, then sub-folders', () => {
  assert.equal(collectionPathFor(undefined, []), undefined);
  assert.equal(collectionPathFor('', ['shoot']), 'shoot');
  assert.equal(collectionPathFor('Ingest/2026/', ['shoot', 'day1']), 'Ingest/2026/shoot/day1');
  assert.equal(collectionPathFor('/Ingest', []), 'Ingest');
});

test('folders are walked in order, dot-files skipped, symlinked files followed, repeats and bad paths reported once', async () => {
  const shoot = join(dir, 'shoot');
  await mkdir(join(shoot, 'b-roll', 'drone'), { recursive: true });
  await mkdir(join(shoot, '.cache'), { recursive: true });
  await writeFile(join(shoot, 'a.mov'), 'aa');
  await writeFile(join(shoot, 'b-roll', 'drone', 'c.mov'), 'ccc');
  await writeFile(join(shoot, '.DS_Store'), 'x');
  await writeFile(join(shoot, '.cache', 'hidden.mov'), 'x');
  await writeFile(join(dir, 'outside.wav'), 'wwww');
  await symlink(join(dir, 'outside.wav'), join(shoot, 'link.wav'));

  const plan = await planUpload([shoot, join(shoot, 'a.mov'), join(dir, 'nope')], 'Ingest');
  assert.deepEqual(plan.files.map((f) => [f.path.slice(dir.length + 1), f.size, f.collectionPath]), [
    ['shoot/a.mov', 2, 'Ingest/shoot'],
    ['shoot/b-roll/drone/c.mov', 3, 'Ingest/shoot/b-roll/drone'],
    ['shoot/link.wav', 4, 'Ingest/shoot'],
  ]);
  assert.deepEqual(plan.problems.map((p) => p.code), ['file_not_found']);

  const single = await planUpload([join(dir, 'outside.wav')], undefined);
  assert.deepEqual(single.files.map((f) => [f.name, f.collectionPath]), [['outside.wav', undefined]]);
});
