import { constants, createReadStream } from 'node:fs';
import { access, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AppError, clientErrorRecord, isAppError } from '@mediavault/core/errors';
import type { WatermarkJob } from '@mediavault/core/jobs';
import { masterKey, watermarkKeys } from '@mediavault/core/keys';
import {
  findWatermarkedSet,
  markWatermarkedSetBuilding,
  markWatermarkedSetFailed,
  markWatermarkedSetReady,
  recordWatermarkAttemptError,
} from '@mediavault/core/catalogue/watermarks-store';
import { previewContentType } from '@mediavault/core/media-types';
import { previewLayout } from '../media/ffmpeg-args.ts';
import {
  getEncoderCapabilities,
  NvencSessionLimiter,
  runWithEncoderFallback,
  type EncoderRun,
} from '../media/encoders.ts';
import { buildWatermarkedSet, type WatermarkedSetFiles } from '../media/watermark-build.ts';
import type { WorkerDeps } from '../worker.ts';
import { createWorkspace, localCopy } from './materialize.ts';

/** One per worker process: bounds concurrent NVENC sessions of watermark builds on this node's GPU. */
const nvencLimiter = new NvencSessionLimiter();

/** The font is the worker's configuration: missing, it is the operator's to fix, never the master's fault. */
async function checkFont(fontFile: string): Promise<void> {
  try {
    await access(fontFile, constants.R_OK);
  } catch {
    throw new AppError(
      'unavailable',
      `WATERMARK_FONT_FILE ${fontFile} cannot be read: install fonts-dejavu-core or point it at a TrueType font`,
    );
  }
}

/**
 * Burns a share's watermark into a rendition set of the master and publishes it under the
 * set's own prefix (watermarks/<sha>/<key>/), the clean preview untouched. Readers never see
 * half a set: segments, renditions, MP4 and poster go first, the master playlist last, and the
 * catalogue says "ready" only after that. Idempotent: a ready set is not built again.
 */
export async function handleWatermark(deps: WorkerDeps, job: WatermarkJob): Promise<void> {
  const { pool, storages, config } = deps;
  const set = await findWatermarkedSet(pool, job.key);
  if (!set || set.sha256 !== job.sha256 || set.status === 'ready' || set.status === 'failed') return;
  try {
    await checkFont(config.watermarkFontFile);
  } catch (err) {
    await recordWatermarkAttemptError(pool, job.key, {
      ...clientErrorRecord(err, `watermark ${job.key}`),
      retrying: true,
    });
    throw err;
  }
  if (!(await markWatermarkedSetBuilding(pool, job.key))) return;

  const workspace = await createWorkspace('watermark');
  try {
    const input = await localCopy(storages.masters, masterKey(job.sha256), workspace);
    const outputDirFor = (encoderName: string) => join(workspace.dir, `out-${encoderName}`);
    let run: EncoderRun<WatermarkedSetFiles>;
    try {
      // The preview's encoder rules: NVENC when this node has it, a failed NVENC build retried on libx264.
      run = await runWithEncoderFallback(await getEncoderCapabilities(), nvencLimiter, (encoder) =>
        buildWatermarkedSet(input, outputDirFor(encoder.name), {
          watermark: set.watermark,
          fontFile: config.watermarkFontFile,
          encoder,
        }),
      );
    } catch (err) {
      if (isAppError(err) && err.status < 500) {
        // The master cannot make a watermarked set (no picture, corrupt): final, no retry storm.
        await markWatermarkedSetFailed(pool, job.key, clientErrorRecord(err, `watermark ${job.key}`));
        return;
      }
      throw err;
    }

    const built = run.result;
    const outputDir = outputDirFor(run.encoder.name);
    const masterPlaylist = previewLayout.masterPlaylist;
    for (const file of built.files.filter((f) => f !== masterPlaylist)) {
      await storages.previews.put(
        watermarkKeys.file(job.sha256, job.key, file),
        createReadStream(join(outputDir, file)),
        {
          contentType: previewContentType(file),
        },
      );
    }
    await storages.previews.put(
      watermarkKeys.file(job.sha256, job.key, masterPlaylist),
      await readFile(join(outputDir, masterPlaylist)),
      { contentType: previewContentType(masterPlaylist) },
    );

    await markWatermarkedSetReady(pool, job.key, {
      encoder: {
        ...built.encoder,
        fellBack: run.fellBack,
        ...(run.nvencError ? { nvencError: run.nvencError } : {}),
        burnIn: built.burnIn,
      },
      outputs: {
        hls: watermarkKeys.hlsMaster(job.sha256, job.key),
        mp4: watermarkKeys.mp4(job.sha256, job.key),
        poster: watermarkKeys.poster(job.sha256, job.key),
        renditions: built.renditions,
      },
    });
  } catch (err) {
    deps.log.error({ err, watermark: job.key, sha256: job.sha256 }, 'watermark build failed; pg-boss retries it');
    await recordWatermarkAttemptError(pool, job.key, {
      ...clientErrorRecord(err, `watermark ${job.key}`),
      retrying: true,
    });
    throw err;
  } finally {
    await workspace.dispose();
  }
}
