/**
 * Build a watermarked rendition set of one master into a local directory: probe, plan, one
 * ffmpeg run that decodes the master once and burns the watermark in before the ladder is
 * split off, the copy-only remux of the progressive MP4, then verify. Publishing (master
 * playlist last) and the set's status belong to the caller (worker/src/jobs/watermark.ts).
 */
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { errors } from '@mediavault/core/errors';
import type { RenderedWatermark } from '@mediavault/core/watermark';
import {
  buildProgressiveRemuxArgs,
  chooseVideoEncoder,
  defaultSegmentSeconds,
  describeEncoding,
  previewLayout,
  type EncodingRecord,
  type Rendition,
  type VideoEncoder,
} from './ffmpeg-args.ts';
import { failureReason, playlistSeconds, playlistUris } from './preview-build.ts';
import { probeFile, type MediaSummary } from './probe.ts';
import { MediaToolError, runFfmpeg } from './run.ts';
import { buildWatermarkArgs, planWatermarkedSet, watermarkTextFile, type BurnInPlan } from './watermark-args.ts';

export interface WatermarkedSetFiles {
  summary: MediaSummary;
  encoder: { name: VideoEncoder['name']; settings: EncodingRecord };
  /** HLS video renditions, highest first. */
  renditions: Rendition[];
  /** Every file of the set, relative to outputDir, '/'-separated and sorted. */
  files: string[];
  burnIn: BurnInPlan;
}

export interface BuildWatermarkedSetOptions {
  watermark: RenderedWatermark;
  fontFile: string;
  /** Defaults to software x264; the job decides NVENC. */
  encoder?: VideoEncoder;
  segmentSeconds?: number;
  signal?: AbortSignal;
}

/** Beside the outputs, never listed in `files`, so never published. */
const textFileName = 'watermark.txt';
/** ffmpeg failures that say something about this worker, not about the master. */
const machineFailure = /No space left on device|Cannot allocate memory|Too many open files/;
const truncationToleranceSeconds = 1;

export async function buildWatermarkedSet(
  inputPath: string,
  outputDir: string,
  options: BuildWatermarkedSetOptions,
): Promise<WatermarkedSetFiles> {
  const summary = await probeFile(inputPath, { signal: options.signal });
  const encoder = options.encoder ?? chooseVideoEncoder({ nvenc: false });
  const segmentSeconds = options.segmentSeconds ?? defaultSegmentSeconds;
  // Plans (and refuses a master without a picture) before anything is written.
  const { preview, burnIn } = planWatermarkedSet(summary, options.watermark, segmentSeconds);
  await mkdir(outputDir, { recursive: true });
  const textFile = join(outputDir, textFileName);
  await writeFile(textFile, watermarkTextFile(options.watermark.text, burnIn));
  const args = buildWatermarkArgs({
    inputPath,
    outputDir,
    probe: summary,
    encoder,
    watermark: options.watermark,
    segmentSeconds,
    textFile,
    fontFile: options.fontFile,
  });

  let log = '';
  try {
    await runFfmpeg(args, {
      signal: options.signal,
      onStderr: (chunk) => {
        log = (log + chunk).slice(-64 * 1024);
      },
    });
  } catch (err) {
    // As for previews: a software encode that fails is the master's fault unless the machine
    // ran out of room; an NVENC failure stays a MediaToolError, for the job to retry on libx264.
    const machine = err instanceof MediaToolError && (machineFailure.test(err.stderrTail) || machineFailure.test(log));
    if (err instanceof MediaToolError && err.exitCode !== null && encoder.name === 'libx264' && !machine) {
      throw errors.unprocessable(`could not build a watermarked set: ${failureReason(log, err)}`, {
        encoder: encoder.name,
        stderrTail: err.stderrTail,
      });
    }
    throw err;
  }

  await verifyNonEmpty(join(outputDir, previewLayout.poster), 'poster');
  const hls = await listHls(outputDir, [
    ...preview.renditions.map((r) => r.name),
    ...(preview.audio ? [previewLayout.audioRendition] : []),
  ]);
  if (summary.durationSeconds !== null && hls.seconds < summary.durationSeconds - truncationToleranceSeconds) {
    throw errors.unprocessable(
      `the master looks truncated or corrupt: only ${hls.seconds.toFixed(2)} s of ${summary.durationSeconds.toFixed(2)} s could be decoded`,
    );
  }
  await runFfmpeg(buildProgressiveRemuxArgs(outputDir, preview), { signal: options.signal });
  await verifyNonEmpty(join(outputDir, previewLayout.progressiveMp4), 'progressive MP4');

  return {
    summary,
    encoder: { name: encoder.name, settings: describeEncoding(encoder, summary, segmentSeconds) },
    renditions: preview.renditions,
    files: [previewLayout.poster, previewLayout.progressiveMp4, ...hls.files].sort(),
    burnIn,
  };
}

/**
 * The master playlist, each rendition's playlist and every file they point at, relative to
 * outputDir (read from the playlists, so leftovers of an earlier attempt are never listed);
 * and how many seconds the first rendition plays.
 */
async function listHls(outputDir: string, renditions: string[]): Promise<{ files: string[]; seconds: number }> {
  const files: string[] = [previewLayout.masterPlaylist];
  await verifyNonEmpty(join(outputDir, previewLayout.masterPlaylist), 'HLS master playlist');
  let seconds: number | null = null;
  for (const name of renditions) {
    const playlistPath = previewLayout.renditionPlaylist(name);
    const playlist = await readText(join(outputDir, playlistPath), `HLS playlist for ${name}`);
    const uris = playlistUris(playlist);
    if (!uris.some((uri) => uri.endsWith('.m4s'))) throw incomplete(`HLS rendition ${name} has no segments`);
    seconds ??= playlistSeconds(playlist);
    files.push(playlistPath);
    for (const uri of uris) {
      if (uri.includes('/') || uri.includes('\\')) throw incomplete(`HLS ${name} refers outside its folder: ${uri}`);
      await verifyNonEmpty(join(outputDir, 'hls', name, uri), `HLS ${name} ${uri}`);
      files.push(`hls/${name}/${uri}`);
    }
  }
  return { files, seconds: seconds ?? 0 };
}

async function readText(path: string, what: string): Promise<string> {
  return readFile(path, 'utf8').catch(() => {
    throw incomplete(`ffmpeg did not write the ${what}`);
  });
}

async function verifyNonEmpty(path: string, what: string): Promise<void> {
  const size = await stat(path).then(
    (s) => s.size,
    () => -1,
  );
  if (size <= 0) throw incomplete(size < 0 ? `ffmpeg did not write the ${what}` : `the ${what} is empty`);
}

function incomplete(message: string) {
  // ffmpeg exited 0 yet an output is missing: the master decodes too little to make the set.
  return errors.unprocessable(`watermarked set incomplete: ${message}`);
}
