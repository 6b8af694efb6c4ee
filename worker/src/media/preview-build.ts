/**
 * Build a full preview set for one source file into a local directory: probe, plan, one
 * ffmpeg run, then verify. Uploading, publishing (manifest last) and job state belong to
 * the caller; this only guarantees that what it returns is complete and playable.
 */
import { mkdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { errors } from '@mediavault/core/errors';
import {
  buildPreviewArgs,
  chooseVideoEncoder,
  defaultSegmentSeconds,
  describeEncoding,
  planRenditions,
  previewLayout,
  type EncodingRecord,
  type Rendition,
  type VideoEncoder,
} from './ffmpeg-args.ts';
import { probeFile, summarizeProbe, type MediaSummary } from './probe.ts';
import { MediaToolError, runFfmpeg, runFfprobe } from './run.ts';

export interface PreviewSet {
  summary: MediaSummary;
  encoder: { name: VideoEncoder['name']; settings: EncodingRecord };
  renditions: Rendition[];
  /** Every file written, relative to outputDir, '/'-separated and sorted. */
  files: string[];
}

export interface BuildPreviewOptions {
  /** Defaults to software x264; the job decides NVENC (see chooseVideoEncoder). */
  encoder?: VideoEncoder;
  segmentSeconds?: number;
  signal?: AbortSignal;
  /** Fraction 0..1 of the source duration encoded so far (only when the duration is known). */
  onProgress?: (fraction: number) => void;
}

/**
 * A decode that stops this far short of the probed duration means the source is truncated or
 * corrupt (ffmpeg happily exits 0 after the last readable packet).
 */
const truncationToleranceSeconds = 1;

/** ffmpeg failures that say something about this worker, not about the source. */
const machineFailure = /No space left on device|Cannot allocate memory|Too many open files/;

export async function buildPreviewSet(inputPath: string, outputDir: string, options: BuildPreviewOptions = {}): Promise<PreviewSet> {
  const summary = await probeFile(inputPath, { signal: options.signal });
  const encoder = options.encoder ?? chooseVideoEncoder({ nvenc: false });
  const segmentSeconds = options.segmentSeconds ?? defaultSegmentSeconds;
  // Throws the clear "audio-only previews are not built yet" error before anything is written.
  const args = buildPreviewArgs({ inputPath, outputDir, probe: summary, encoder, segmentSeconds });
  const renditions = planRenditions(summary.video!);

  await mkdir(outputDir, { recursive: true });
  const duration = summary.durationSeconds;
  try {
    await runFfmpeg(args, {
      signal: options.signal,
      onProgress:
        options.onProgress && duration
          ? (p) => options.onProgress!(p.done ? 1 : Math.min(1, p.outTimeSeconds / duration))
          : undefined,
    });
  } catch (err) {
    // With software encoding a failed run is the input's fault, unless the machine ran out of
    // room. An NVENC failure may be the GPU's, so it stays a MediaToolError for the job to
    // retry on libx264, which then decides. A kill (exitCode null) is never the input's fault.
    const machineTrouble = err instanceof MediaToolError && machineFailure.test(err.stderrTail);
    if (err instanceof MediaToolError && err.exitCode !== null && encoder.name === 'libx264' && !machineTrouble) {
      throw errors.unprocessable(`could not build previews from ${inputPath}: ${err.lastLines(2)}`, {
        encoder: encoder.name,
        stderrTail: err.stderrTail,
      });
    }
    throw err;
  }

  const hasAudio = summary.audio.length > 0;
  const hlsFiles = await verifyHls(outputDir, renditions, hasAudio);
  await verifyProgressive(outputDir, summary, hasAudio);
  await verifyNonEmpty(join(outputDir, previewLayout.poster), 'poster');

  return {
    summary,
    encoder: { name: encoder.name, settings: describeEncoding(encoder, summary, segmentSeconds) },
    renditions,
    // Listed from the playlists rather than the directory, so leftovers of an earlier attempt
    // in the same directory are never published.
    files: [...hlsFiles, previewLayout.progressiveMp4, previewLayout.poster].sort(),
  };
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

/** Checks every playlist and the files it references; returns them all, relative to outputDir. */
async function verifyHls(outputDir: string, renditions: Rendition[], hasAudio: boolean): Promise<string[]> {
  const masterPath = join(outputDir, previewLayout.masterPlaylist);
  const master = await readOutput(masterPath, 'HLS master playlist');
  const files: string[] = [previewLayout.masterPlaylist];
  const expected = [...renditions.map((r) => r.name), ...(hasAudio ? [previewLayout.audioRendition] : [])];
  for (const name of expected) {
    const playlistRelative = previewLayout.renditionPlaylist(name);
    if (!master.includes(`${name}/index.m3u8`)) {
      throw incomplete(`the HLS master playlist does not list rendition ${name}`);
    }
    const playlistPath = join(outputDir, playlistRelative);
    const uris = playlistUris(await readOutput(playlistPath, `HLS playlist for ${name}`));
    const segments = uris.filter((uri) => uri.endsWith('.m4s'));
    if (segments.length === 0) throw incomplete(`HLS rendition ${name} has no segments`);
    files.push(playlistRelative);
    for (const uri of uris) {
      if (uri.includes('/') || uri.includes('\\')) throw incomplete(`HLS ${name} refers outside its folder: ${uri}`);
      await verifyNonEmpty(join(outputDir, 'hls', name, uri), `HLS ${name} ${uri}`);
      files.push(`hls/${name}/${uri}`);
    }
  }
  return files;
}

async function verifyProgressive(outputDir: string, source: MediaSummary, hasAudio: boolean): Promise<void> {
  const path = join(outputDir, previewLayout.progressiveMp4);
  await verifyNonEmpty(path, 'progressive MP4');
  const output = summarizeProbe(await runFfprobe(path));
  if (!output.video || (hasAudio && output.audio.length === 0)) {
    throw incomplete('the progressive MP4 is missing a stream', { video: Boolean(output.video), audio: output.audio.length });
  }
  const expected = source.durationSeconds;
  const actual = output.durationSeconds ?? 0;
  if (expected !== null && actual < expected - truncationToleranceSeconds) {
    throw errors.unprocessable(
      `the source looks truncated or corrupt: only ${actual.toFixed(2)} s of ${expected.toFixed(2)} s could be decoded`,
      { expectedSeconds: expected, decodedSeconds: actual },
    );
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
