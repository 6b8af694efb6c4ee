import { readFile } from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { clientErrorRecord, isAppError } from '@mediavault/core/errors';
import { masterKey, previewKeys } from '@mediavault/core/keys';
import { jobs, sendJob, type PreviewJob } from '@mediavault/core/jobs';
import { previewPressure, type DroppableOutput } from '@mediavault/core/backpressure';
import { queueBacklog, transitionJob } from '@mediavault/core/catalogue/jobs-store';
import {
  findPreview,
  markPreviewBuilding,
  markPreviewFailed,
  markPreviewReady,
  recordPreviewAttemptError,
} from '@mediavault/core/catalogue/previews-store';
import { mergeVersionMeta } from '@mediavault/core/catalogue/versions-store';
import { previewContentType } from '@mediavault/core/media-types';
import { buildPreviewSet, type PreviewSet } from '../media/preview-build.ts';
import { previewLayout } from '../media/ffmpeg-args.ts';
import { getEncoderCapabilities, NvencSessionLimiter, runWithEncoderFallback } from '../media/encoders.ts';
import type { WorkerDeps } from '../worker.ts';
import { createWorkspace, localCopy } from './materialize.ts';

/** Where a file of the local preview set is published in the previews store. */
export function publishedKey(sha: string, relativePath: string): string {
  if (relativePath === previewLayout.progressiveMp4) return previewKeys.mp4(sha);
  if (relativePath === previewLayout.poster) return previewKeys.poster(sha);
  if (relativePath === previewLayout.waveform) return previewKeys.waveform(sha);
  if (relativePath.startsWith('thumbs/'))
    return `${previewKeys.thumbsPrefix(sha)}${relativePath.slice('thumbs/'.length)}`;
  if (relativePath.startsWith('hls/')) return `${previewKeys.hlsPrefix(sha)}${relativePath.slice('hls/'.length)}`;
  throw new Error(`no published location for preview file ${relativePath}`);
}

/** One per worker process: bounds concurrent NVENC sessions on this node's GPU. */
const nvencLimiter = new NvencSessionLimiter();

/**
 * The files of a set that belong to the outputs a build dropped (what a fill job
 * publishes). Rendition folders are named by height and stable across builds, so
 * a fill adds the missing rungs' folders and then a master playlist that lists them.
 */
export function filesOfOutputs(
  files: string[],
  outputs: DroppableOutput[],
  renditions: { name: string; height: number }[],
): string[] {
  const addedRungs = outputs.includes('renditions-above-720')
    ? renditions.filter((r) => r.height > 720).map((r) => `hls/${r.name}/`)
    : [];
  const selected = files.filter(
    (f) =>
      (outputs.includes('mp4') && f === previewLayout.progressiveMp4) ||
      (outputs.includes('waveform') && f === previewLayout.waveform) ||
      (outputs.includes('sprites') && (f === previewLayout.spriteImage || f === previewLayout.spriteVtt)) ||
      addedRungs.some((prefix) => f.startsWith(prefix)),
  );
  return addedRungs.length > 0 ? [...selected, previewLayout.masterPlaylist] : selected;
}

/**
 * Builds the preview set of a master and publishes it. Readers never see half a
 * preview: segments, renditions, MP4 and images are uploaded first, the master
 * playlist last, and the catalogue says "ready" only after that. When the queue
 * is behind, non-critical outputs are dropped and a low-priority fill job adds them later.
 */
export async function handlePreview(deps: WorkerDeps, job: PreviewJob): Promise<void> {
  const { pool, storages, boss, config } = deps;
  const subject = `${job.sha256}:${job.profile}`;
  const current = await findPreview(pool, job.sha256, job.profile);
  if (!current) return;
  const fillOutputs: DroppableOutput[] = job.fill ? (current.outputs?.dropped ?? []) : [];
  if (job.fill ? current.status !== 'ready' || fillOutputs.length === 0 : current.status === 'ready') return;

  const drop = job.fill
    ? []
    : previewPressure(await queueBacklog(pool, jobs.preview.queue), config.previewBacklogSeconds).drop;
  if (!job.fill && !(await markPreviewBuilding(pool, job.sha256, job.profile))) return;
  await transitionJob(pool, 'preview', subject, 'start');

  const workspace = await createWorkspace('preview');
  try {
    const input = await localCopy(storages.masters, masterKey(job.sha256), workspace);
    const outputDirFor = (encoderName: string) => join(workspace.dir, `out-${encoderName}`);
    let built: PreviewSet;
    let outputDir: string;
    let encoderRecord: Record<string, unknown>;
    try {
      // NVENC when this node has it; a failed NVENC build is retried on libx264 for this job only.
      const run = await runWithEncoderFallback(await getEncoderCapabilities(), nvencLimiter, (encoder) =>
        buildPreviewSet(input, outputDirFor(encoder.name), { encoder, skip: drop }),
      );
      built = run.result;
      outputDir = outputDirFor(run.encoder.name);
      encoderRecord = {
        ...built.encoder,
        fellBack: run.fellBack,
        ...(run.nvencError ? { nvencError: run.nvencError } : {}),
      };
    } catch (err) {
      if (isAppError(err) && err.status < 500) {
        // The input cannot make a preview (corrupt, truncated, not media): final, no retry storm.
        const error = clientErrorRecord(err, `preview ${subject}`);
        if (!job.fill) await markPreviewFailed(pool, job.sha256, job.profile, error);
        await transitionJob(pool, 'preview', subject, 'fail', error);
        return;
      }
      throw err;
    }

    const publish = async (file: string) => {
      await storages.previews.put(publishedKey(job.sha256, file), createReadStream(join(outputDir, file)), {
        contentType: previewContentType(file),
      });
    };
    if (job.fill) {
      // The published HLS stays as it is, except for rungs that were dropped: the master playlist comes last.
      for (const file of filesOfOutputs(built.files, fillOutputs, built.renditions)) await publish(file);
    } else {
      const masterPlaylist = previewLayout.masterPlaylist;
      for (const file of built.files.filter((f) => f !== masterPlaylist)) await publish(file);
      await storages.previews.put(
        publishedKey(job.sha256, masterPlaylist),
        await readFile(join(outputDir, masterPlaylist)),
        { contentType: previewContentType(masterPlaylist) },
      );
    }

    const dropped = job.fill ? [] : built.outputsDropped;
    const outputs = {
      hls: previewKeys.hlsMaster(job.sha256),
      mp4: built.files.includes(previewLayout.progressiveMp4) ? previewKeys.mp4(job.sha256) : null,
      poster: built.files.includes(previewLayout.poster) ? previewKeys.poster(job.sha256) : null,
      sprites: built.sprites
        ? { image: publishedKey(job.sha256, built.sprites.image), vtt: publishedKey(job.sha256, built.sprites.vtt) }
        : null,
      waveform: built.waveform ? publishedKey(job.sha256, built.waveform) : null,
      renditions: built.renditions,
      dropped,
    };
    await markPreviewReady(pool, job.sha256, job.profile, { encoder: encoderRecord, outputs, fill: job.fill === true });
    const meta: Record<string, unknown> = { ...built.summary };
    if (built.loudness !== undefined) meta.loudness = built.loudness;
    await mergeVersionMeta(pool, job.sha256, meta);
    await transitionJob(pool, 'preview', subject, 'complete');
    if (dropped.length > 0) {
      await sendJob(boss, 'preview', { sha256: job.sha256, profile: job.profile, fill: true }, { priority: 'bulk' });
    }
  } catch (err) {
    deps.log.error({ err, preview: subject }, 'preview build failed; pg-boss retries it');
    await recordPreviewAttemptError(pool, job.sha256, job.profile, {
      ...clientErrorRecord(err, `preview ${subject}`),
      retrying: true,
    });
    throw err;
  } finally {
    await workspace.dispose();
  }
}
