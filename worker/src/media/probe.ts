/**
 * What the worker needs to know about a media file, reduced from ffprobe's JSON by a pure
 * function (summarizeProbe) so the rules are tested on recorded output without ffprobe.
 */
import { errors } from '@mediavault/core/errors';
import { MediaToolError, runFfprobe } from './run.ts';

export interface Rational {
  num: number;
  den: number;
}

export interface VideoSummary {
  /** Absolute stream index in the file, as ffmpeg's -map 0:<index> expects. */
  index: number;
  codec: string;
  width: number;
  height: number;
  frameRate: Rational | null;
  /** Pixel shape; null when square or unknown. */
  sampleAspectRatio: Rational | null;
  pixFmt: string | null;
  /** Clockwise display rotation in degrees: 0, 90, 180 or 270. */
  rotation: number;
  interlaced: boolean;
}

export interface AudioSummary {
  index: number;
  codec: string;
  channels: number;
  sampleRate: number;
  channelLayout: string | null;
}

export interface MediaSummary {
  /** ffprobe's format_name, e.g. "mov,mp4,m4a,3gp,3g2,mj2" or "mxf". */
  container: string;
  durationSeconds: number | null;
  sizeBytes: number | null;
  bitRate: number | null;
  /** The first real video stream; cover art (attached pictures) does not count. */
  video: VideoSummary | null;
  audio: AudioSummary[];
  /** SMPTE start timecode from container or stream tags (QuickTime tmcd, MXF), e.g. "01:00:00;00". */
  startTimecode: string | null;
}

interface FfprobeStream {
  index?: number;
  codec_type?: string;
  codec_name?: string;
  width?: number;
  height?: number;
  pix_fmt?: string;
  sample_aspect_ratio?: string;
  field_order?: string;
  r_frame_rate?: string;
  avg_frame_rate?: string;
  sample_rate?: string;
  channels?: number;
  channel_layout?: string;
  disposition?: { attached_pic?: number };
  tags?: Record<string, string>;
  side_data_list?: { side_data_type?: string; rotation?: number }[];
}

interface FfprobeFormat {
  format_name?: string;
  duration?: string;
  size?: string;
  bit_rate?: string;
  tags?: Record<string, string>;
}

export function summarizeProbe(ffprobeJson: unknown): MediaSummary {
  const json = (ffprobeJson ?? {}) as { format?: FfprobeFormat; streams?: FfprobeStream[] };
  if (typeof json !== 'object' || !json.format || !Array.isArray(json.streams)) {
    throw errors.unprocessable('ffprobe output has no format or streams section');
  }
  const { format, streams } = json;
  const videoStream = streams.find(
    (s) => s.codec_type === 'video' && s.disposition?.attached_pic !== 1 && (s.width ?? 0) > 0 && (s.height ?? 0) > 0,
  );
  const audio = streams.filter((s) => s.codec_type === 'audio' && (s.channels ?? 0) > 0).map(summarizeAudio);
  return {
    container: format.format_name ?? 'unknown',
    durationSeconds: positiveNumber(format.duration),
    sizeBytes: positiveNumber(format.size),
    bitRate: positiveNumber(format.bit_rate),
    video: videoStream ? summarizeVideo(videoStream) : null,
    audio,
    startTimecode: findTimecode(format, streams),
  };
}

function summarizeVideo(stream: FfprobeStream): VideoSummary {
  return {
    index: stream.index ?? 0,
    codec: stream.codec_name ?? 'unknown',
    width: stream.width ?? 0,
    height: stream.height ?? 0,
    frameRate: nominalFrameRate(stream),
    sampleAspectRatio: nonSquarePixels(stream.sample_aspect_ratio),
    pixFmt: stream.pix_fmt ?? null,
    rotation: displayRotation(stream),
    interlaced: ['tt', 'bb', 'tb', 'bt'].includes(stream.field_order ?? ''),
  };
}

function summarizeAudio(stream: FfprobeStream): AudioSummary {
  return {
    index: stream.index ?? 0,
    codec: stream.codec_name ?? 'unknown',
    channels: stream.channels ?? 0,
    sampleRate: positiveNumber(stream.sample_rate) ?? 0,
    channelLayout: stream.channel_layout ?? null,
  };
}

/**
 * r_frame_rate is the stream's base rate (what timecode counts in); variable-rate phone clips
 * can report a timebase-like value there (e.g. 90000/1), in which case the average is the
 * better answer.
 */
function nominalFrameRate(stream: FfprobeStream): Rational | null {
  const real = parseRational(stream.r_frame_rate);
  const average = parseRational(stream.avg_frame_rate);
  if (real && real.num / real.den <= 240) return real;
  return average ?? real;
}

function nonSquarePixels(text: string | undefined): Rational | null {
  const sar = parseRational(text);
  return sar && sar.num !== sar.den ? sar : null;
}

/** "30000/1001" or "16:15" reduced to lowest terms; null for ffprobe's "0/0" and "0:1" unknowns. */
export function parseRational(text: string | undefined): Rational | null {
  const match = /^(\d+)[/:](\d+)$/.exec(text ?? '');
  if (!match) return null;
  const num = Number(match[1]);
  const den = Number(match[2]);
  if (num <= 0 || den <= 0) return null;
  const divisor = gcd(num, den);
  return { num: num / divisor, den: den / divisor };
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

/**
 * Old muxers write a "rotate" tag (clockwise degrees); newer ffprobe reports the display
 * matrix as side data whose rotation is counter-clockwise. Both end up clockwise here.
 */
function displayRotation(stream: FfprobeStream): number {
  const tag = stream.tags?.rotate;
  const matrix = stream.side_data_list?.find(
    (d) => d.side_data_type === 'Display Matrix' && typeof d.rotation === 'number',
  );
  const clockwise = tag !== undefined ? Number(tag) : matrix ? -matrix.rotation! : 0;
  if (!Number.isFinite(clockwise)) return 0;
  return (((Math.round(clockwise / 90) * 90) % 360) + 360) % 360;
}

function findTimecode(format: FfprobeFormat, streams: FfprobeStream[]): string | null {
  const candidates = [format.tags, ...streams.map((s) => s.tags)];
  for (const tags of candidates) {
    const timecode = tags?.timecode;
    if (timecode && /^\d{2}:\d{2}:\d{2}[:;.]\d{2,3}$/.test(timecode)) return timecode;
  }
  return null;
}

function positiveNumber(text: string | undefined): number | null {
  if (text === undefined) return null;
  const value = Number(text);
  return Number.isFinite(value) && value > 0 ? value : null;
}

/**
 * Probe a file. Anything ffprobe cannot read (truncated, not media at all) is the input's
 * fault and answers `unprocessable` with ffprobe's own reason; a missing ffprobe binary
 * stays `unavailable`.
 */
export async function probeFile(path: string, options: { signal?: AbortSignal } = {}): Promise<MediaSummary> {
  let json: unknown;
  try {
    json = await runFfprobe(path, options);
  } catch (err) {
    if (err instanceof MediaToolError && err.exitCode !== null) {
      throw errors.unprocessable(`not readable as media: ${err.lastLines(2)}`, { path, stderrTail: err.stderrTail });
    }
    throw err;
  }
  const summary = summarizeProbe(json);
  if (!summary.video && summary.audio.length === 0) {
    throw errors.unprocessable('not readable as media: no video or audio stream found', {
      path,
      container: summary.container,
    });
  }
  return summary;
}
