/**
 * The SDK's folder ingest as an integrator calls it (ingest(), then Ingest's
 * dry run), against the real api: typed events, live progress, the summary,
 * and a second run resumed from the journal. The CLI's tests run the same
 * scheduler through `mediavault upload`.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { createClient, Ingest, ingest, type IngestEvent, type IngestProgress, planUpload } from '../src/index.ts';
import { startPromoter, startTestApiWithDir } from './helpers/api-server.ts';

const MiB = 1024 * 1024;
const { api, dir } = await startTestApiWithDir('mediavault-sdk-ingest-');
await startPromoter(api);
const client = createClient({ baseUrl: api.url, token: api.org.token });
const journalDir = join(dir, 'journal');

async function writeRandom(path: string, size: number): Promise<string> {
  const bytes = randomBytes(size);
  await mkdir(join(path, '..'), { recursive: true });
  await writeFile(path, bytes);
  return createHash('sha256').update(bytes).digest('hex');
}

test('ingest(): a folder becomes promoted versions, reported as typed events, live progress and a summary', async () => {
  const card = join(dir, 'card01');
  const still = await writeRandom(join(card, 'still.dng'), 40_000);
  const clip = await writeRandom(join(card, 'A001', 'clip.mov'), 6 * MiB); // over one 5 MiB part: parts of its own
  await writeFile(join(card, '.DS_Store'), 'litter');
  const events: IngestEvent[] = [];
  let last: IngestProgress | undefined;
  const summary = await ingest(client, {
    paths: [card],
    projectId: api.org.projectId,
    promote: true,
    partSize: 5 * MiB,
    journalDir,
    onEvent: (event) => events.push(event),
    onProgress: (progress) => {
      last = progress;
    },
  });

  assert.deepEqual(
    summary.files.map((f) => [f.path, f.status, f.sha256]),
    [
      [join(card, 'A001', 'clip.mov'), 'promoted', clip],
      [join(card, 'still.dng'), 'promoted', still],
    ],
  );
  assert.deepEqual([summary.sent, summary.skipped, summary.failed, summary.bytes], [2, 1, 0, 6 * MiB + 40_000]);
  assert.deepEqual(
    events.filter((e) => e.event === 'skip').map((e) => [e.path, e.reason]),
    [[join(card, '.DS_Store'), 'excluded']],
  );
  const done = events.flatMap((e) => (e.event === 'file-done' ? [[e.path, e.collectionPath, e.assetId !== null]] : []));
  assert.deepEqual(done.sort(), [
    [join(card, 'A001', 'clip.mov'), 'card01/A001', true],
    [join(card, 'still.dng'), 'card01', true],
  ]);
  assert.equal(events.filter((e) => e.event === 'part' && e.path.endsWith('clip.mov')).length, 2);
  assert.deepEqual(
    last && { finished: last.finished, bytesDone: last.bytesDone, active: last.active },
    { finished: 2, bytesDone: 6 * MiB + 40_000, active: [] },
    'the last progress: every file done, nothing in flight',
  );

  // Again: the journal says both are promoted, the api confirms; a dry run says so and sends nothing.
  const again = new Ingest(client, {
    projectId: api.org.projectId,
    plan: await planUpload([card]),
    promote: true,
    journalDir,
  });
  const wouldSend: IngestEvent[] = [];
  const dry = await new Ingest(client, {
    projectId: api.org.projectId,
    plan: await planUpload([card]),
    promote: true,
    journalDir,
    onEvent: (event) => wouldSend.push(event),
  }).dryRun();
  assert.deepEqual(dry, { dryRun: true, files: 2, bytes: 0, archived: 0, skipped: 1, failed: 0 });
  assert.deepEqual(
    wouldSend.flatMap((e) => (e.event === 'would-send' ? [e.action] : [])),
    ['already-promoted', 'already-promoted'],
  );
  const rerun = await again.run();
  assert.deepEqual(
    rerun.files.map((f) => f.status),
    ['already-promoted', 'already-promoted'],
  );
  assert.equal(rerun.bytes, 0);
  await client.close();
});
