/**
 * ffprobe's JSON report (`-show_format -show_streams -of json`), read in one place: the
 * only module that knows ffprobe's field names and conventions. runFfprobe answers a
 * report checked by parseFfprobeReport; the probe summary (what the previews act on), the
 * QC metadata and the preview checks read it through the functions here, so they pick the
 * same video stream, the same frame rate and the same start timecode.
 */
import { errors } from '@mediavault/core/errors';
import { parseStartTimecode, type StartTimecode } from '@mediavault/core/timecode';

export interface Rational {
  num: number;
  den: number;
}

/** The stream fields the worker reads; ffprobe writes many more. */
export interface FfprobeStream {
  index?: number;
  codec_type?: string;
  codec_name?: string;
  /** Container codec tag: "avc1", "apch", "tmcd" for a QuickTime timecode track. */
  codec_tag_string?: string;
  profile?: string;
  level?: number;
  width?: number;
  height?: number;
  pix_fmt?: string;
  bits_per_raw_sample?: string;
  bits_per_sample?: number;
  field_order?: string;
  r_frame_rate?: string;
  avg_frame_rate?: string;
  sample_aspect_ratio?: string;
  display_aspect_ratio?: string;
  color_space?: string;
  color_primaries?: string;
  color_transfer?: string;
  sample_rate?: string;
  channels?: number;
  channel_layout?: string;
  disposition?: { attached_pic?: number };
  tags?: Record<string, string>;
  side_data_list?: { side_data_type?: string; rotation?: number }[];
}

export interface FfprobeFormat {
  /** e.g. "mov,mp4,m4a,3gp,3g2,mj2" or "mxf". */
  format_name?: string;
  duration?: string;
  size?: string;
  bit_rate?: string;
  tags?: Record<string, string>;
}

export interface FfprobeReport {
  format: FfprobeFormat;
  streams: FfprobeStream[];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A format section and a list of stream objects: the shape every reader here relies on. */
export function isFfprobeReport(json: unknown): json is FfprobeReport {
  return isRecord(json) && isRecord(json.format) && Array.isArray(json.streams) && json.streams.every(isRecord);
}

/** The report, or `unprocessable` when the JSON is not an ffprobe report (a tool that misbehaved). */
export function parseFfprobeReport(json: unknown): FfprobeReport {
  if (!isFfprobeReport(json)) throw errors.unprocessable('ffprobe output has no format or streams section');
  return json;
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

/** Video streams with a picture; cover art (attached pictures) does not count. */
export function pictureStreams(report: FfprobeReport): FfprobeStream[] {
  return report.streams.filter(
    (s) => s.codec_type === 'video' && s.disposition?.attached_pic !== 1 && (s.width ?? 0) > 0 && (s.height ?? 0) > 0,
  );
}

/** Audio streams that carry at least one channel. */
export function audioStreams(report: FfprobeReport): FfprobeStream[] {
  return report.streams.filter((s) => s.codec_type === 'audio' && (s.channels ?? 0) > 0);
}

/**
 * r_frame_rate is the stream's base rate (what timecode counts in); variable-rate phone clips
 * can report a timebase-like value there (e.g. 90000/1), in which case the average is the
 * better answer.
 */
export function nominalFrameRate(stream: FfprobeStream): Rational | null {
  const base = parseRational(stream.r_frame_rate);
  const average = parseRational(stream.avg_frame_rate);
  if (base && base.num / base.den <= 240) return base;
  return average ?? base;
}

/**
 * Clockwise display rotation in degrees (0, 90, 180 or 270). Old muxers write a "rotate"
 * tag (clockwise); newer ffprobe reports the display matrix as side data whose rotation is
 * counter-clockwise.
 */
export function displayRotation(stream: FfprobeStream): number {
  const tag = stream.tags?.rotate;
  const matrix = stream.side_data_list?.find(
    (d) => d.side_data_type === 'Display Matrix' && typeof d.rotation === 'number',
  );
  const clockwise = tag !== undefined ? Number(tag) : matrix ? -matrix.rotation! : 0;
  if (!Number.isFinite(clockwise)) return 0;
  return (((Math.round(clockwise / 90) * 90) % 360) + 360) % 360;
}

/** Where a start timecode was read: a QuickTime tmcd track, an MXF timecode, any other tag. */
export type TimecodeSource = 'tmcd' | 'mxf' | 'tag';

export interface SourcedTimecode {
  timecode: StartTimecode;
  source: TimecodeSource;
}

/**
 * The start timecode ffprobe reports, best first: the QuickTime tmcd track, the MXF
 * container's (material package) timecode, then the first timecode tag of the container or
 * a stream. Tags that are not timecode labels are passed over.
 */
export function ffprobeStartTimecode(report: FfprobeReport): SourcedTimecode | null {
  for (const stream of report.streams.filter((s) => s.codec_tag_string === 'tmcd')) {
    const timecode = parseStartTimecode(stream.tags?.timecode);
    if (timecode) return { timecode, source: 'tmcd' };
  }
  const isMxf = (report.format.format_name ?? '').split(',').includes('mxf');
  for (const tags of [report.format.tags, ...report.streams.map((s) => s.tags)]) {
    const timecode = parseStartTimecode(tags?.timecode);
    if (timecode) return { timecode, source: isMxf && tags === report.format.tags ? 'mxf' : 'tag' };
  }
  return null;
}

/** ffprobe writes numbers as strings; a missing, unknown ("N/A") or zero value is null. */
export function positiveNumber(text: string | undefined): number | null {
  if (text === undefined) return null;
  const value = Number(text);
  return Number.isFinite(value) && value > 0 ? value : null;
}
