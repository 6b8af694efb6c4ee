/**
 * Build a full preview set for one source file into a local directory: probe, plan, one
 * ffmpeg run that decodes the source once, a copy-only remux for the progressive MP4, then
 * verify. Uploading, publishing (manifest last) and job state belong to the caller; this only
 * guarantees that what it returns is complete and playable.
 */
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { AppError, errors } from '@mediavault/core/errors';
import type { DroppableOutput } from '@mediavault/core/backpressure';
import {
  buildPreviewArgs,
  buildProgressiveRemuxArgs,
  chooseVideoEncoder,
  defaultSegmentSeconds,
  describeEncoding,
  planPreview,
  previewLayout,
  type EncodingRecord,
  type PreviewPlan,
  type Rendition,
  type VideoEncoder,
} from './ffmpeg-args.ts';
import { parseEbur128Summary, type Loudness } from './loudness.ts';
import { probeFile, summarizeProbe, type MediaSummary } from './probe.ts';
import { MediaToolError, runFfmpeg, runFfprobe, type FfmpegRunOptions } from './run.ts';
import { spriteVtt } from './sprites.ts';
import { peaksFromRawS8 } from './waveform.ts';

export interface PreviewSet {
  summary: MediaSummary;
  encoder: { name: VideoEncoder['name']; settings: EncodingRecord };
  /** HLS video renditions, highest first; empty for audio-only sources and stills. */
  renditions: Rendition[];
  /** Every file written, relative to outputDir, '/'-separated and sorted. */
  files: string[];
  /** The sprite sheet and its WebVTT index (relative paths); absent when not built. */
  sprites?: { image: string; vtt: string };
  /** Relative path of the peaks JSON (audiowaveform/peaks.js format); absent when not built. */
  waveform?: string;
  /** EBU R128 of the preview audio; null when the source has no audio. */
  loudness?: Loudness | null;
  /** Outputs left out because the caller asked to skip them (to be built later). */
  outputsDropped: DroppableOutput[];
}

export interface BuildPreviewOptions {
  /** Defaults to software x264; the job decides NVENC (see chooseVideoEncoder). */
  encoder?: VideoEncoder;
  segmentSeconds?: number;
  signal?: AbortSignal;
  /** Fraction 0..1 of the source duration encoded so far (only when the duration is known). */
  onProgress?: (fraction: number) => void;
  /** Non-critical outputs to leave out under backpressure; HLS, poster and loudness always come. */
  skip?: readonly DroppableOutput[];
}

/**
 * A decode that stops this far short of the probed duration means the source is truncated or
 * corrupt (ffmpeg happily exits 0 after the last readable packet).
 */
const truncationToleranceSeconds = 1;

/** ffmpeg failures that say something about this worker, not about the source. */
const machineFailure = /No space left on device|Cannot allocate memory|Too many open files/;

/** The ebur128 summary comes near the very end of the log; keep a generous tail of it. */
const logKeepChars = 64 * 1024;

export async function buildPreviewSet(
  inputPath: string,
  outputDir: string,
  options: BuildPreviewOptions = {},
): Promise<PreviewSet> {
  const summary = await probeFile(inputPath, { signal: options.signal });
  const encoder = options.encoder ?? chooseVideoEncoder({ nvenc: false });
  const segmentSeconds = options.segmentSeconds ?? defaultSegmentSeconds;
  // Plans (and refuses a source without streams) before anything is written.
  const plan = planPreview(summary, { skip: options.skip, segmentSeconds });
  const args = buildPreviewArgs({ inputPath, outputDir, probe: summary, encoder, segmentSeconds, skip: options.skip });

  await mkdir(outputDir, { recursive: true });
  if (plan.sprites) await mkdir(join(outputDir, dirname(previewLayout.spriteImage)), { recursive: true });
  const duration = summary.durationSeconds;
  const log = await runPreviewCommand(args, inputPath, encoder, {
    signal: options.signal,
    onProgress:
      options.onProgress && duration
        ? (p) => options.onProgress!(p.done ? 1 : Math.min(1, p.outTimeSeconds / duration))
        : undefined,
  });

  const files: string[] = [];
  const built: Partial<PreviewSet> = {};
  if (plan.poster) {
    await verifyNonEmpty(join(outputDir, previewLayout.poster), 'poster');
    files.push(previewLayout.poster);
  }
  if (plan.kind !== 'still') {
    const hls = await verifyHls(outputDir, plan, summary.durationSeconds);
    files.push(...hls);
  }
  if (plan.loudness) {
    const loudness = parseEbur128Summary(log);
    // The filter ran, so a missing summary means this ffmpeg logs differently: not the input's fault.
    if (!loudness)
      throw new AppError('internal', 'ffmpeg ran ebur128 but its loudness summary was not found in the log');
    built.loudness = loudness;
  } else {
    built.loudness = null;
  }
  if (plan.waveform) {
    const raw = join(outputDir, previewLayout.waveformPcm);
    await verifyNonEmpty(raw, 'waveform samples');
    const peaks = await peaksFromRawS8(raw);
    await writeFile(join(outputDir, previewLayout.waveform), JSON.stringify(peaks));
    await rm(raw, { force: true });
    files.push(previewLayout.waveform);
    built.waveform = previewLayout.waveform;
  }
  if (plan.sprites) {
    await verifyNonEmpty(join(outputDir, previewLayout.spriteImage), 'sprite sheet');
    await writeFile(
      join(outputDir, previewLayout.spriteVtt),
      spriteVtt(plan.sprites, previewLayout.spriteImageFromVtt),
    );
    files.push(previewLayout.spriteImage, previewLayout.spriteVtt);
    built.sprites = { image: previewLayout.spriteImage, vtt: previewLayout.spriteVtt };
  }
  if (plan.mp4) {
    // Copies packets only; a failure here is about the files just written, not the source.
    await runFfmpeg(buildProgressiveRemuxArgs(outputDir, plan), { signal: options.signal });
    await verifyProgressive(outputDir, plan);
    files.push(previewLayout.progressiveMp4);
  }

  return {
    summary,
    encoder: { name: encoder.name, settings: describeEncoding(encoder, summary, segmentSeconds) },
    renditions: plan.renditions,
    // Listed from the plan and the playlists rather than the directory, so leftovers of an
    // earlier attempt in the same directory are never published.
    files: files.sort(),
    ...built,
    outputsDropped: plan.dropped,
  };
}

/** Runs the one preview command and returns the tail of its log (where ebur128 reports). */
async function runPreviewCommand(
  args: string[],
  inputPath: string,
  encoder: VideoEncoder,
  runOptions: Omit<FfmpegRunOptions, 'onStderr'>,
): Promise<string> {
  let log = '';
  try {
    await runFfmpeg(args, {
      ...runOptions,
      onStderr: (chunk) => {
        log = (log + chunk).slice(-logKeepChars);
      },
    });
    return log;
  } catch (err) {
    // With software encoding a failed run is the input's fault, unless the machine ran out of
    // room. An NVENC failure may be the GPU's, so it stays a MediaToolError for the job to
    // retry on libx264, which then decides. A kill (exitCode null) is never the input's fault.
    // The whole log tail is searched: at info level the cause sits above the encoders' statistics.
    const machineTrouble =
      err instanceof MediaToolError && (machineFailure.test(err.stderrTail) || machineFailure.test(log));
    if (err instanceof MediaToolError && err.exitCode !== null && encoder.name === 'libx264' && !machineTrouble) {
      throw errors.unprocessable(`could not build previews from ${inputPath}: ${failureReason(log, err)}`, {
        encoder: encoder.name,
        stderrTail: err.stderrTail,
      });
    }
    throw err;
  }
}

/**
 * What went wrong, in one line. With an info-level log (needed for the loudness summary) the
 * last lines are encoder statistics; the level tags point at the actual errors.
 */
export function failureReason(log: string, err: MediaToolError): string {
  const tagged = log
    .split(/\r?\n/)
    .filter((line) => /\[(error|fatal)\] /.test(line))
    .map((line) =>
      line
        .replace(/\[([^\]@]+?) @ 0x[0-9a-f]+\] /g, '$1: ')
        .replace(/\[(error|fatal)\] /, '')
        .trim(),
    );
  return tagged.length > 0 ? tagged.slice(-2).join('; ') : err.lastLines(2);
}

/** URIs a media playlist points at: its init segment (EXT-X-MAP) and its media segments. */
export function playlistUris(playlist: string): string[] {
  const uris: string[] = [];
  for (const raw of playlist.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '') continue;
    if (line.startsWith('#')) {
      const map = /^#EXT-X-MAP:.*URI="([^"]+)"/.exec(line);
      if (map) uris.push(map[1]!);
      continue;
    }
    uris.push(line);
  }
  return uris;
}

/** Seconds a media playlist plays: the sum of its #EXTINF durations. */
export function playlistSeconds(playlist: string): number {
  let total = 0;
  for (const match of playlist.matchAll(/^#EXTINF:([\d.]+)/gm)) total += Number(match[1]);
  return total;
}

/**
 * Checks every playlist and the files it references; returns them all, relative to outputDir.
 * A ladder much shorter than the probed duration means the source stopped decoding early.
 */
async function verifyHls(outputDir: string, plan: PreviewPlan, expectedSeconds: number | null): Promise<string[]> {
  const masterPath = join(outputDir, previewLayout.masterPlaylist);
  const master = await readOutput(masterPath, 'HLS master playlist');
  const files: string[] = [previewLayout.masterPlaylist];
  const expected = [...plan.renditions.map((r) => r.name), ...(plan.audio ? [previewLayout.audioRendition] : [])];
  let decodedSeconds: number | null = null;
  for (const name of expected) {
    const playlistRelative = previewLayout.renditionPlaylist(name);
    if (!master.includes(`${name}/index.m3u8`)) {
      throw incomplete(`the HLS master playlist does not list rendition ${name}`);
    }
    const playlistPath = join(outputDir, playlistRelative);
    const playlist = await readOutput(playlistPath, `HLS playlist for ${name}`);
    const uris = playlistUris(playlist);
    const segments = uris.filter((uri) => uri.endsWith('.m4s'));
    if (segments.length === 0) throw incomplete(`HLS rendition ${name} has no segments`);
    decodedSeconds ??= playlistSeconds(playlist);
    files.push(playlistRelative);
    for (const uri of uris) {
      if (uri.includes('/') || uri.includes('\\')) throw incomplete(`HLS ${name} refers outside its folder: ${uri}`);
      await verifyNonEmpty(join(outputDir, 'hls', name, uri), `HLS ${name} ${uri}`);
      files.push(`hls/${name}/${uri}`);
    }
  }
  if (
    expectedSeconds !== null &&
    decodedSeconds !== null &&
    decodedSeconds < expectedSeconds - truncationToleranceSeconds
  ) {
    throw errors.unprocessable(
      `the source looks truncated or corrupt: only ${decodedSeconds.toFixed(2)} s of ${expectedSeconds.toFixed(2)} s could be decoded`,
      { expectedSeconds, decodedSeconds },
    );
  }
  return files;
}

async function verifyProgressive(outputDir: string, plan: PreviewPlan): Promise<void> {
  const path = join(outputDir, previewLayout.progressiveMp4);
  await verifyNonEmpty(path, 'progressive MP4');
  const output = summarizeProbe(await runFfprobe(path));
  const wantsVideo = plan.renditions.length > 0;
  const wantsAudio = plan.audio !== null;
  if ((wantsVideo && !output.video) || (wantsAudio && output.audio.length === 0)) {
    throw incomplete('the progressive MP4 is missing a stream', {
      video: Boolean(output.video),
      audio: output.audio.length,
    });
  }
}

async function readOutput(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    throw incomplete(`ffmpeg did not write the ${what}`, { path });
  }
}

async function verifyNonEmpty(path: string, what: string): Promise<void> {
  const size = await stat(path).then(
    (s) => s.size,
    () => -1,
  );
  if (size <= 0) throw incomplete(size < 0 ? `ffmpeg did not write the ${what}` : `the ${what} is empty`, { path });
}

function incomplete(message: string, details?: Record<string, unknown>) {
  // ffmpeg exited 0 yet an output is missing: almost always an input that decodes too little
  // (e.g. a poster frame past the real end), so it is the input's problem, not a retryable one.
  return errors.unprocessable(`preview build incomplete: ${message}`, details);
}
