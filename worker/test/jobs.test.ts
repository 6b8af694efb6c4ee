/**
 * The worker's jobs on real components: PostgreSQL, fs storage, pg-boss, ffmpeg.
 * Handlers are called directly (as pg-boss would, at least once), so the test
 * controls crashes and re-deliveries.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PgBoss } from 'pg-boss';
import { loadConfig, type Config } from '@mediavault/core/config';
import { createPool, type Pool } from '@mediavault/core/db/pool';
import { createBoss, ensureQueues } from '@mediavault/core/queue';
import { claimPreview } from '@mediavault/core/catalogue/previews-store';
import { masterKey, previewKeys } from '@mediavault/core/keys';
import { queues } from '@mediavault/core/jobs';
import { createStoragesFromConfig } from '@mediavault/core/storage/from-config';
import type { Storage, StorageRole } from '@mediavault/core/storage/types';
import { bootstrapOrganization } from '@mediavault/api/bootstrap';
import { handlePreview } from '../src/jobs/preview.ts';
import { handleProbe } from '../src/jobs/probe.ts';
import { handleDeadLetter } from '../src/jobs/dead-letter.ts';
import type { WorkerDeps } from '../src/worker.ts';
import { generateClip, truncatedCopy } from './fixtures.ts';
import { createTestDatabase, type TestDatabase } from '../../test/helpers/database.ts';
import { queuePreviewBacklog } from '../../test/helpers/queue-backlog.ts';

let db: TestDatabase;
let dir: string;
let config: Config;
let pool: Pool;
let boss: PgBoss;
let storages: Record<StorageRole, Storage>;
let projectId: string;
let organizationId: string;
const log = { info() {}, warn() {}, error() {} };
const deps = (overrides: Partial<WorkerDeps> = {}): WorkerDeps => ({ config, pool, boss, storages, log, ...overrides });

before(async () => {
  db = await createTestDatabase();
  dir = await mkdtemp(join(tmpdir(), 'mediavault-jobs-'));
  config = loadConfig({
    MEDIAVAULT_DATA_DIR: dir,
    DATABASE_URL: db.url,
    EDGE_SIGNING_KEY: 'e'.repeat(32),
    STORAGE_SIGNING_KEY: 's'.repeat(32),
    PREVIEW_BACKLOG_SECONDS: '60',
  });
  pool = createPool(db.url);
  boss = createBoss(db.url);
  // after() drops the database while pg-boss may still hold a connection; pg-boss reports that as 'error'.
  boss.on('error', () => {});
  await boss.start();
  await ensureQueues(boss);
  storages = createStoragesFromConfig(config, 'http://127.0.0.1:1');
  const org = await bootstrapOrganization(pool, {
    organization: 'Jobs',
    client: 'C',
    project: 'P',
    adminEmail: 'a@jobs.example',
    adminName: 'A',
  });
  projectId = org.projectId;
  organizationId = org.organizationId;
});
after(async () => {
  await boss?.stop({ graceful: false, timeout: 1000 }).catch(() => {});
  await pool?.end();
  await db?.drop();
  await rm(dir, { recursive: true, force: true });
});

/** Puts a file into masters and the catalogue as a version, like a finished promotion. */
async function promoteFile(path: string, name = path.split('/').pop()!) {
  const bytes = await readFile(path);
  const sha = createHash('sha256').update(bytes).digest('hex');
  await storages.masters.put(masterKey(sha), createReadStream(path), {
    retainUntil: new Date(Date.now() + 86_400_000),
    checksumSha256: Buffer.from(sha, 'hex').toString('base64'),
  });
  const { rows } = await pool.query(
    `WITH m AS (INSERT INTO masters (sha256, size, storage_key, retain_until) VALUES ($1, $2, $3, now() + interval '1 day') RETURNING sha256),
          a AS (INSERT INTO assets (organization_id, project_id, name) VALUES ($4, $5, $6) RETURNING id)
     INSERT INTO versions (asset_id, number, sha256, size, original_name) SELECT a.id, 1, m.sha256, $2, $6 FROM a, m RETURNING id`,
    [sha, bytes.length, masterKey(sha), organizationId, projectId, name],
  );
  return { sha, versionId: rows[0].id as string };
}

async function previewRow(sha: string) {
  const { rows } = await pool.query(`SELECT * FROM previews WHERE sha256 = $1 AND profile = 'default'`, [sha]);
  return rows[0];
}

describe('preview job', () => {
  test('builds and publishes the whole set; a re-delivery does nothing', async () => {
    const clip = await generateClip(dir, { name: 'whole.mp4', width: 640, height: 360, seconds: 2 });
    const { sha } = await promoteFile(clip);
    await claimPreview(pool, sha, 'default');
    await handlePreview(deps(), { sha256: sha, profile: 'default' });
    const row = await previewRow(sha);
    assert.equal(row.status, 'ready');
    assert.equal(row.encoder.name, 'libx264');
    assert.equal(row.encoder.fellBack, false);
    assert.deepEqual(row.outputs.dropped, []);
    for (const key of [
      previewKeys.hlsMaster(sha),
      previewKeys.mp4(sha),
      previewKeys.poster(sha),
      previewKeys.waveform(sha),
      row.outputs.sprites.vtt,
    ]) {
      assert.ok(await storages.previews.head(key), `${key} published`);
    }
    const published = await stat(join(config.storage.fs.root, 'previews', previewKeys.hlsMaster(sha)));
    await handlePreview(deps(), { sha256: sha, profile: 'default' });
    const again = await stat(join(config.storage.fs.root, 'previews', previewKeys.hlsMaster(sha)));
    assert.equal(again.mtimeMs, published.mtimeMs, 'a ready preview is not built again');
    const { rows } = await pool.query('SELECT meta FROM versions WHERE sha256 = $1', [sha]);
    assert.ok(typeof rows[0].meta.loudness.integrated === 'number', 'loudness recorded on the version');
  });

  test('a worker dying mid-publish leaves no visible preview, and the retry completes it', async () => {
    const clip = await generateClip(dir, { name: 'crash.mp4', width: 640, height: 360, seconds: 3 });
    const { sha } = await promoteFile(clip);
    await claimPreview(pool, sha, 'default');
    let puts = 0;
    const dying: Storage = Object.create(storages.previews, {
      put: {
        value: async (...args: Parameters<Storage['put']>) => {
          if (++puts === 4) throw new Error('worker killed');
          return storages.previews.put(...args);
        },
      },
    });
    await assert.rejects(
      handlePreview(deps({ storages: { ...storages, previews: dying } }), { sha256: sha, profile: 'default' }),
      /worker killed/,
    );
    assert.equal(
      await storages.previews.head(previewKeys.hlsMaster(sha)),
      null,
      'no master playlist: players see no preview',
    );
    assert.notEqual((await previewRow(sha)).status, 'ready');
    await handlePreview(deps(), { sha256: sha, profile: 'default' });
    assert.equal((await previewRow(sha)).status, 'ready');
    assert.ok(await storages.previews.head(previewKeys.hlsMaster(sha)));
  });

  test('a corrupt master fails once with a clear error and is not retried', async () => {
    const clip = await generateClip(dir, { name: 'good.mov', width: 320, height: 240, seconds: 2 });
    const broken = await truncatedCopy(clip, join(dir, 'broken.mov'), 0.3);
    const { sha } = await promoteFile(broken);
    await claimPreview(pool, sha, 'default');
    await handlePreview(deps(), { sha256: sha, profile: 'default' }); // resolves: no throw, so pg-boss does not retry
    const row = await previewRow(sha);
    assert.equal(row.status, 'failed');
    assert.match(row.error.message, /truncated|corrupt|not readable|moov/i);
    const job = await pool.query(`SELECT state FROM jobs WHERE kind = 'preview' AND subject = $1`, [`${sha}:default`]);
    assert.equal(job.rows[0].state, 'failed');
  });

  test('when the queue is behind, non-critical outputs are dropped, recorded, and filled in later', async () => {
    const clip = await generateClip(dir, { name: 'busy.mp4', width: 480, height: 270, seconds: 2 });
    const { sha } = await promoteFile(clip);
    await claimPreview(pool, sha, 'default');
    // A backlog: 200 builds waiting at 2 s each (measured on 20 that ran) is 400 s of work for one worker.
    await queuePreviewBacklog(boss, pool, { label: 'busy', waiting: 200, done: 20, buildSeconds: 2 });
    await handlePreview(deps(), { sha256: sha, profile: 'default' });
    const row = await previewRow(sha);
    assert.equal(row.status, 'ready');
    // 400 s is past 3× the threshold: sprites, waveform and the MP4 go (a 270p source has no rungs above 720p to drop).
    assert.deepEqual([...row.outputs.dropped].sort(), ['mp4', 'sprites', 'waveform']);
    assert.equal(await storages.previews.head(previewKeys.waveform(sha)), null);
    assert.ok(await storages.previews.head(previewKeys.hlsMaster(sha)), 'the HLS preview is there');
    const fill = await pool.query(
      `SELECT data FROM pgboss.job WHERE name = 'preview' AND data->>'sha256' = $1 AND (data->>'fill')::boolean`,
      [sha],
    );
    assert.equal(fill.rows.length, 1, 'a fill job is queued');
    await pool.query(`DELETE FROM pgboss.job WHERE name = 'preview' AND NOT (data->>'fill')::boolean IS TRUE`);
    const master = await storages.previews.head(previewKeys.hlsMaster(sha));
    await handlePreview(deps(), fill.rows[0].data);
    assert.ok(await storages.previews.head(previewKeys.waveform(sha)), 'the waveform is filled in');
    assert.ok(await storages.previews.head(previewKeys.mp4(sha)), 'the MP4 is filled in');
    assert.equal(
      (await storages.previews.head(previewKeys.hlsMaster(sha)))!.lastModified?.getTime(),
      master!.lastModified?.getTime(),
      'the published HLS is left alone',
    );
    await boss.deleteAllJobs(queues.preview);
  });

  test('retries exhausted: the dead letter fails the preview and marks the job dead', async () => {
    const sha = createHash('sha256').update('never').digest('hex');
    await pool.query(`INSERT INTO masters (sha256, size, storage_key, retain_until) VALUES ($1, 1, 'k', now())`, [sha]);
    await claimPreview(pool, sha, 'default');
    await pool.query(
      `INSERT INTO jobs (kind, subject, state, error) VALUES ('preview', $1, 'queued', '{"message":"GPU on fire"}')`,
      [`${sha}:default`],
    );
    await handleDeadLetter(deps(), { sha256: sha, profile: 'default' });
    const row = await previewRow(sha);
    assert.equal(row.status, 'failed');
    assert.match(row.error.message, /GPU on fire/);
    const job = await pool.query(`SELECT state FROM jobs WHERE subject = $1`, [`${sha}:default`]);
    assert.equal(job.rows[0].state, 'dead');
  });
});

describe('probe job', () => {
  test('stores EBUCore-shaped technical metadata and the ffprobe summary on the version', async () => {
    const clip = await generateClip(dir, {
      name: 'probe.mov',
      width: 320,
      height: 240,
      seconds: 1,
      timecode: '01:00:00:00',
    } as never);
    const { sha, versionId } = await promoteFile(clip);
    await handleProbe(deps(), { versionId, sha256: sha });
    const { rows } = await pool.query('SELECT meta FROM versions WHERE id = $1', [versionId]);
    const meta = rows[0].meta;
    assert.equal(meta.video.width, 320);
    assert.equal(meta.technical.video[0].width, 320);
    assert.deepEqual(meta.technical.video[0].frameRate, { num: 25, den: 1 });
    assert.equal(meta.technical.format.startTimecode, '01:00:00:00');
  });

  test('a document that is not media is recorded, not retried', async () => {
    const path = join(dir, 'notes.txt');
    await (await import('node:fs/promises')).writeFile(path, 'not media at all');
    const { sha, versionId } = await promoteFile(path);
    await handleProbe(deps(), { versionId, sha256: sha });
    const { rows } = await pool.query('SELECT meta FROM versions WHERE id = $1', [versionId]);
    assert.ok(rows[0].meta.probeError);
  });
});

describe('IMF packages', () => {
  test('a CPL promoted with its PKL, ASSETMAP and track files is parsed and linked to them as a sidecar', async () => {
    const fixtures = join(import.meta.dirname, 'fixtures', 'imf');
    const folder = await mkdtemp(join(dir, 'imf-'));
    const { copyFile, writeFile, readdir } = await import('node:fs/promises');
    // The PKL lists the track files by name, size and SHA-1 of these stand-in bytes.
    const standIn = (line: string, size: number) =>
      Buffer.from(line.repeat(Math.ceil(size / line.length))).subarray(0, size);
    await writeFile(join(folder, 'VIDEO_a1b2c3d4.mxf'), standIn('image track file stand-in\n', 26000));
    await writeFile(join(folder, 'AUDIO_b2c3d4e5.mxf'), standIn('audio track file stand-in\n', 13000));
    for (const name of await readdir(fixtures)) await copyFile(join(fixtures, name), join(folder, name));
    const versions: Record<string, { sha: string; versionId: string }> = {};
    for (const name of [
      'PKL_c3d4e5f6-a7b8-4c9d-8e0f-1a2b3c4d5e6f.xml',
      'ASSETMAP.xml',
      'VIDEO_a1b2c3d4.mxf',
      'AUDIO_b2c3d4e5.mxf',
      'CPL_8e5b0f2a-6c1d-4b7e-9a3f-2d4c6e8f0a1b.xml',
    ]) {
      versions[name] = await promoteFile(join(folder, name));
    }
    const cpl = versions['CPL_8e5b0f2a-6c1d-4b7e-9a3f-2d4c6e8f0a1b.xml']!;
    await handleProbe(deps(), { versionId: cpl.versionId, sha256: cpl.sha });
    const { rows } = await pool.query('SELECT meta FROM versions WHERE id = $1', [cpl.versionId]);
    const imf = rows[0].meta.imf;
    assert.equal(imf.kind, 'imf-cpl');
    assert.ok(imf.title.length > 0);
    assert.ok(imf.editRate.num > 0 && imf.durationFrames > 0);
    assert.equal(imf.trackFileIds.length, 2);
    assert.equal(imf.linked.length, 2, JSON.stringify(imf));
    const sidecars = await pool.query(`SELECT version_id, kind FROM sidecars WHERE sha256 = $1 ORDER BY version_id`, [
      cpl.sha,
    ]);
    assert.deepEqual(
      sidecars.rows.map((r) => r.version_id).sort(),
      [versions['VIDEO_a1b2c3d4.mxf']!.versionId, versions['AUDIO_b2c3d4e5.mxf']!.versionId].sort(),
    );
    await handleProbe(deps(), { versionId: cpl.versionId, sha256: cpl.sha });
    const again = await pool.query(`SELECT count(*)::int AS n FROM sidecars WHERE sha256 = $1`, [cpl.sha]);
    assert.equal(again.rows[0].n, 2, 're-probing does not duplicate links');

    // A track file probed later asks the collection's CPLs to link again.
    const video = versions['VIDEO_a1b2c3d4.mxf']!;
    await handleProbe(deps(), { versionId: video.versionId, sha256: video.sha });
    const queued = await pool.query(
      `SELECT count(*)::int AS n FROM pgboss.job WHERE name = 'probe' AND data->>'versionId' = $1`,
      [cpl.versionId],
    );
    assert.equal(queued.rows[0].n, 1);
  });
});
