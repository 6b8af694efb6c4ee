import { readFile } from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { isAppError } from '@mediavault/core/errors';
import { masterKey, previewKeys } from '@mediavault/core/keys';
import type { PreviewJob } from '@mediavault/core/jobs';
import { buildPreviewSet } from '../media/preview-build.ts';
import { chooseVideoEncoder, previewLayout } from '../media/ffmpeg-args.ts';
import type { WorkerDeps } from '../worker.ts';
import { createWorkspace, localCopy } from './materialize.ts';
import { setJobState } from './job-state.ts';

/** Where a file of the local preview set is published in the previews store. */
export function publishedKey(sha: string, relativePath: string): string {
  if (relativePath === previewLayout.progressiveMp4) return previewKeys.mp4(sha);
  if (relativePath === previewLayout.poster) return previewKeys.poster(sha);
  if (relativePath.startsWith('hls/')) return `${previewKeys.hlsPrefix(sha)}${relativePath.slice('hls/'.length)}`;
  throw new Error(`no published location for preview file ${relativePath}`);
}

const contentTypes: Record<string, string> = {
  '.m3u8': 'application/vnd.apple.mpegurl',
  '.m4s': 'video/iso.segment',
  '.mp4': 'video/mp4',
  '.jpg': 'image/jpeg',
};

function contentType(path: string): string | undefined {
  const dot = path.lastIndexOf('.');
  return dot >= 0 ? contentTypes[path.slice(dot)] : undefined;
}

/**
 * Builds the preview set of a master and publishes it. Readers never see half a
 * preview: segments, renditions, MP4 and poster are uploaded first, the master
 * playlist last, and the catalogue says "ready" only after that.
 */
export async function handlePreview(deps: WorkerDeps, job: PreviewJob): Promise<void> {
  const { pool, storages } = deps;
  const { rows } = await pool.query('SELECT status FROM previews WHERE sha256 = $1 AND profile = $2', [job.sha256, job.profile]);
  if (rows.length === 0 || rows[0].status === 'ready') return;
  await pool.query(`UPDATE previews SET status = 'building', updated_at = now() WHERE sha256 = $1 AND profile = $2`, [job.sha256, job.profile]);
  await setJobState(pool, 'preview', `${job.sha256}:${job.profile}`, 'active');

  const workspace = await createWorkspace('preview');
  try {
    const input = await localCopy(storages.masters, masterKey(job.sha256), workspace);
    const outputDir = join(workspace.dir, 'out');
    const encoder = chooseVideoEncoder({ nvenc: false });
    let built;
    try {
      built = await buildPreviewSet(input, outputDir, { encoder });
    } catch (err) {
      if (isAppError(err) && err.status < 500) {
        // The input cannot make a preview (corrupt, truncated, not media): final, no retry storm.
        const error = { code: err.code, message: err.message, details: err.details ?? null };
        await pool.query(`UPDATE previews SET status = 'failed', error = $3, updated_at = now() WHERE sha256 = $1 AND profile = $2`, [job.sha256, job.profile, error]);
        await setJobState(pool, 'preview', `${job.sha256}:${job.profile}`, 'failed', error);
        return;
      }
      throw err;
    }

    const masterPlaylist = previewLayout.masterPlaylist;
    for (const file of built.files.filter((f) => f !== masterPlaylist)) {
      await storages.previews.put(publishedKey(job.sha256, file), createReadStream(join(outputDir, file)), { contentType: contentType(file) });
    }
    await storages.previews.put(publishedKey(job.sha256, masterPlaylist), await readFile(join(outputDir, masterPlaylist)), { contentType: contentType(masterPlaylist) });

    const outputs = {
      hls: previewKeys.hlsMaster(job.sha256),
      mp4: previewKeys.mp4(job.sha256),
      poster: previewKeys.poster(job.sha256),
      renditions: built.renditions,
      files: built.files.length,
    };
    await pool.query(
      `UPDATE previews SET status = 'ready', encoder = $3, outputs = $4, error = NULL, updated_at = now() WHERE sha256 = $1 AND profile = $2`,
      [job.sha256, job.profile, built.encoder, outputs],
    );
    await pool.query(`UPDATE versions SET meta = $2::jsonb || meta WHERE sha256 = $1`, [job.sha256, JSON.stringify(built.summary)]);
    await setJobState(pool, 'preview', `${job.sha256}:${job.profile}`, 'completed');
  } catch (err) {
    await pool.query(`UPDATE previews SET error = $3, updated_at = now() WHERE sha256 = $1 AND profile = $2`, [job.sha256, job.profile, { code: 'internal', message: (err as Error).message, retrying: true }]);
    throw err;
  } finally {
    await workspace.dispose();
  }
}
