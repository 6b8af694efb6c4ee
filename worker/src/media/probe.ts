/**
 * What the worker needs to know about a media file, reduced from ffprobe's report by a pure
 * function (summarizeProbe) so the rules are tested on recorded output without ffprobe.
 */
import { errors } from '@mediavault/core/errors';
import {
  audioStreams,
  displayRotation,
  ffprobeStartTimecode,
  nominalFrameRate,
  parseRational,
  pictureStreams,
  positiveNumber,
  type FfprobeReport,
  type FfprobeStream,
  type Rational,
} from './ffprobe-report.ts';
import { MediaToolError, runFfprobe } from './run.ts';

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
  /**
   * SMPTE start timecode (QuickTime tmcd, MXF, or another tag) as core's parseStartTimecode
   * writes it: "01:00:00:00", or "01:00:00;00" for drop-frame. The reviewer page reads it back
   * with the same parser.
   */
  startTimecode: string | null;
}

export function summarizeProbe(report: FfprobeReport): MediaSummary {
  const { format } = report;
  const [videoStream] = pictureStreams(report);
  return {
    container: format.format_name ?? 'unknown',
    durationSeconds: positiveNumber(format.duration),
    sizeBytes: positiveNumber(format.size),
    bitRate: positiveNumber(format.bit_rate),
    video: videoStream ? summarizeVideo(videoStream) : null,
    audio: audioStreams(report).map(summarizeAudio),
    startTimecode: ffprobeStartTimecode(report)?.timecode.startTimecode ?? null,
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

function nonSquarePixels(text: string | undefined): Rational | null {
  const sar = parseRational(text);
  return sar && sar.num !== sar.den ? sar : null;
}

/**
 * Probe a file. Anything ffprobe cannot read (truncated, not media at all) is the input's
 * fault and answers `unprocessable` with ffprobe's own reason; a missing ffprobe binary
 * stays `unavailable`.
 */
export async function probeFile(path: string, options: { signal?: AbortSignal } = {}): Promise<MediaSummary> {
  let report: FfprobeReport;
  try {
    report = await runFfprobe(path, options);
  } catch (err) {
    if (err instanceof MediaToolError && err.exitCode !== null) {
      throw errors.unprocessable(`not readable as media: ${err.lastLines(2)}`, { path, stderrTail: err.stderrTail });
    }
    throw err;
  }
  const summary = summarizeProbe(report);
  if (!summary.video && summary.audio.length === 0) {
    throw errors.unprocessable('not readable as media: no video or audio stream found', {
      path,
      container: summary.container,
    });
  }
  return summary;
}
