/**
 * MediaInfo-grade technical metadata, merged from MediaInfo's JSON and ffprobe's JSON by a
 * pure function so every rule is tested on recorded output.
 *
 * Why both tools: MediaInfo reads what the container and bitstream declare (ProRes profile
 * names, MBAFF, MXF and QuickTime timecode tracks, VFR from the sample table, colour
 * description) and is what broadcasters quote in QC reports; ffprobe is what the preview
 * pipeline acts on (stream indexes for -map, pixel formats, display matrix). MediaInfo wins
 * where it is more precise; ffprobe fills what MediaInfo leaves out (e.g. ProRes bit depth,
 * which MediaInfo 23.04 does not report) and stands alone when MediaInfo has nothing.
 *
 * Shape and names follow EBUCore (EBU Tech 3293) technical attributes, flattened to JSON:
 *   format.container          ← ebucore:containerFormat / formatLabel   (MediaInfo General Format: "MPEG-4", "MXF")
 *   format.containerProfile   ← containerFormat typeLabel               (Format_Profile: "QuickTime", "OP-1a")
 *   format.durationSeconds    ← ebucore:duration (normalPlayTime)
 *   format.overallBitRate     ← ebucore:bitRate (bit/s)
 *   format.sizeBytes          ← ebucore:fileSize
 *   format.startTimecode      ← ebucore:start / timecode                (SMPTE, ";" before frames = drop-frame)
 *   video[].codec             ← videoEncoding / codec name              (MediaInfo Format: "ProRes", "AVC")
 *   video[].codecProfile      ← videoEncoding typeLabel                 ("422 HQ", "High")
 *   video[].bitDepth          ← bitDepth
 *   video[].chroma            ← videoFormat sampling ("4:2:2")
 *   video[].scanType          ← scanningFormat ("interlaced" | "progressive"; "mixed" where MediaInfo says so)
 *   video[].scanOrder         ← scanningOrder ("top" | "bottom" field first)
 *   video[].frameRate         ← frameRate with factorNumerator/factorDenominator, as {num, den}
 *   video[].width/height      ← width/height in pixels
 *   video[].displayAspectRatio / pixelAspectRatio ← aspectRatio (display) / pixel aspect, as {num, den}
 *   audio[].channels          ← channels;  audio[].sampleRate ← samplingRate;  audio[].bitDepth ← sampleSize
 *   audioLayout.description   ← audioTrackConfiguration ("4 × mono", "1 × stereo")
 */
import { parseStartTimecode } from '@mediavault/core/timecode';
import * as ffprobe from '../media/ffprobe-report.ts';
import type {
  FfprobeReport,
  FfprobeStream,
  Rational,
  SourcedTimecode,
  TimecodeSource,
} from '../media/ffprobe-report.ts';

export type { TimecodeSource };

export interface FormatMetadata {
  container: string;
  containerProfile?: string;
  durationSeconds: number | null;
  overallBitRate: number | null;
  sizeBytes: number | null;
  /** "HH:MM:SS:FF", or "HH:MM:SS;FF" for drop-frame. */
  startTimecode: string | null;
  /** QuickTime tmcd track, MXF timecode component (material package), or any other container/stream tag. */
  timecodeSource: TimecodeSource | null;
}

export interface VideoTrackMetadata {
  /** ffprobe's absolute stream index (what -map 0:<n> selects). */
  streamIndex: number;
  codec: string;
  /** Container codec id: "apch", "avc1", or an MXF essence label. */
  codecId: string | null;
  codecProfile: string | null;
  codecLevel: string | null;
  bitDepth: number | null;
  chroma: string | null;
  /** "YUV" or "RGB". */
  colorSpace: string | null;
  colorPrimaries: string | null;
  transferCharacteristics: string | null;
  matrixCoefficients: string | null;
  scanType: 'progressive' | 'interlaced' | 'mixed' | null;
  /** Which field comes first, for interlaced pictures. */
  scanOrder?: 'top' | 'bottom';
  /** How interlaced H.264 is coded, when MediaInfo tells: macroblock- or picture-adaptive. */
  interlaceCoding?: 'mbaff' | 'paff';
  /** Nominal rate for CFR; MediaInfo's average for VFR. */
  frameRate: Rational | null;
  frameRateMode: 'CFR' | 'VFR' | null;
  width: number;
  height: number;
  displayAspectRatio: Rational | null;
  pixelAspectRatio: Rational;
  /** Clockwise display rotation in degrees (0, 90, 180, 270), the same convention as the preview builder. */
  rotation: number;
}

export interface AudioTrackMetadata {
  /** Zero-based position among the audio tracks. */
  trackIndex: number;
  /** ffprobe's absolute stream index (what -map 0:<n> selects, e.g. to join mono tracks). */
  streamIndex: number;
  codec: string;
  codecId: string | null;
  channels: number;
  /** ffprobe's layout name ("mono", "stereo", "5.1(side)"), else MediaInfo's ("L R"). */
  channelLayout: string | null;
  sampleRate: number | null;
  bitDepth: number | null;
}

export interface AudioLayout {
  tracks: number;
  totalChannels: number;
  /** Tracks grouped by shape in order of appearance: "8 × mono", "1 × stereo + 2 × mono", "none". */
  description: string;
}

export interface TechnicalMetadata {
  format: FormatMetadata;
  video: VideoTrackMetadata[];
  audio: AudioTrackMetadata[];
  audioLayout: AudioLayout;
}

// ---------------------------------------------------------------------------------------------
// Input shapes (only the fields read here)

type MediainfoTrack = Record<string, unknown> & { '@type'?: string };

/** MediaInfo's tracks, or [] when its output is missing or not a MediaInfo report. */
export function mediainfoTracks(mediainfoJson: unknown): MediainfoTrack[] {
  const media = (mediainfoJson as { media?: { track?: unknown } } | null)?.media;
  const track = media?.track;
  if (Array.isArray(track)) return track.filter((t): t is MediainfoTrack => typeof t === 'object' && t !== null);
  return typeof track === 'object' && track !== null ? [track as MediainfoTrack] : [];
}

// ---------------------------------------------------------------------------------------------

export function technicalMetadata(mediainfoJson: unknown, probe: FfprobeReport): TechnicalMetadata {
  const tracks = mediainfoTracks(mediainfoJson);
  const general = tracks.find((t) => t['@type'] === 'General');
  const match = trackMatcher(tracks);

  const video = ffprobe
    .pictureStreams(probe)
    .map((stream, nth) => videoTrack(stream, match(stream, 'Video', nth), nth));
  const audio = ffprobe.audioStreams(probe).map((stream, nth) => audioTrack(stream, match(stream, 'Audio', nth), nth));
  const timecode = startTimecode(tracks, probe);

  const format: FormatMetadata = {
    container: text(general?.Format) ?? probe.format.format_name ?? 'unknown',
    durationSeconds: positive(general?.Duration) ?? positive(probe.format.duration),
    overallBitRate: positive(general?.OverallBitRate) ?? positive(probe.format.bit_rate),
    sizeBytes: positive(general?.FileSize) ?? positive(probe.format.size),
    startTimecode: timecode?.timecode.startTimecode ?? null,
    timecodeSource: timecode?.source ?? null,
  };
  const containerProfile = text(general?.Format_Profile);
  if (containerProfile) format.containerProfile = containerProfile;

  return { format, video, audio, audioLayout: describeAudioLayout(audio) };
}

/**
 * MediaInfo's StreamOrder is the container's stream order, which equals ffprobe's index for
 * MOV/MP4/MXF/Matroska; where it does not (MPEG-TS "0-1"), the nth track of the kind is used.
 */
function trackMatcher(tracks: MediainfoTrack[]) {
  return (stream: FfprobeStream, kind: 'Video' | 'Audio', nth: number): MediainfoTrack | undefined => {
    const ofKind = tracks.filter((t) => t['@type'] === kind);
    const byOrder = ofKind.find((t) => text(t.StreamOrder) === String(stream.index));
    return byOrder ?? ofKind[nth];
  };
}

/** `nth` counts the picture streams: the first (nth 0) is the one the previews are built from. */
function videoTrack(stream: FfprobeStream, mi: MediainfoTrack | undefined, nth: number): VideoTrackMetadata {
  const width = positive(mi?.Width) ?? stream.width ?? 0;
  const height = positive(mi?.Height) ?? stream.height ?? 0;
  const pixelAspectRatio = ffprobe.parseRational(stream.sample_aspect_ratio) ?? { num: 1, den: 1 };
  const frameRateMode = videoFrameRateMode(stream, mi);
  const scan = scanning(stream, mi);
  const track: VideoTrackMetadata = {
    streamIndex: stream.index ?? 0,
    codec: text(mi?.Format) ?? stream.codec_name ?? 'unknown',
    codecId: text(mi?.CodecID) ?? nonEmptyTag(stream.codec_tag_string),
    codecProfile: text(mi?.Format_Profile) ?? stream.profile ?? null,
    codecLevel: text(mi?.Format_Level) ?? null,
    bitDepth: positive(mi?.BitDepth) ?? positive(stream.bits_per_raw_sample) ?? bitDepthOfPixFmt(stream.pix_fmt),
    chroma: text(mi?.ChromaSubsampling) ?? chromaOfPixFmt(stream.pix_fmt),
    colorSpace: text(mi?.ColorSpace) ?? colorModelOfPixFmt(stream.pix_fmt),
    colorPrimaries: text(mi?.colour_primaries) ?? known(stream.color_primaries),
    transferCharacteristics: text(mi?.transfer_characteristics) ?? known(stream.color_transfer),
    matrixCoefficients: text(mi?.matrix_coefficients) ?? known(stream.color_space),
    scanType: scan.scanType,
    frameRate: videoFrameRate(stream, mi, frameRateMode),
    frameRateMode,
    width,
    height,
    displayAspectRatio:
      width > 0 && height > 0 ? reduce(width * pixelAspectRatio.num, height * pixelAspectRatio.den) : null,
    pixelAspectRatio,
    // The previews' own reading for the stream they are built from, so both say the same.
    rotation: nth === 0 ? ffprobe.displayRotation(stream) : quarterTurns(positiveOrZero(mi?.Rotation)),
  };
  if (scan.scanOrder) track.scanOrder = scan.scanOrder;
  if (scan.interlaceCoding) track.interlaceCoding = scan.interlaceCoding;
  return track;
}

function scanning(
  stream: FfprobeStream,
  mi: MediainfoTrack | undefined,
): Pick<VideoTrackMetadata, 'scanType' | 'scanOrder' | 'interlaceCoding'> {
  const declared = text(mi?.ScanType)?.toLowerCase();
  const order = text(mi?.ScanOrder)?.toUpperCase();
  const fieldOrder = stream.field_order ?? '';
  const scanOrder =
    order?.startsWith('TFF') || ['tt', 'tb'].includes(fieldOrder)
      ? 'top'
      : order?.startsWith('BFF') || ['bb', 'bt'].includes(fieldOrder)
        ? 'bottom'
        : undefined;
  if (declared === 'mbaff') return { scanType: 'interlaced', scanOrder, interlaceCoding: 'mbaff' };
  if (declared === 'paff') return { scanType: 'interlaced', scanOrder, interlaceCoding: 'paff' };
  if (declared === 'interlaced') return { scanType: 'interlaced', scanOrder };
  if (declared === 'mixed') return { scanType: 'mixed', scanOrder };
  if (declared === 'progressive') return { scanType: 'progressive' };
  if (['tt', 'bb', 'tb', 'bt'].includes(fieldOrder)) return { scanType: 'interlaced', scanOrder };
  if (fieldOrder === 'progressive') return { scanType: 'progressive' };
  return { scanType: null };
}

/**
 * MediaInfo reads VFR from the sample table. Its FrameRate_Mode_Original ("VFR" on many
 * ffmpeg-written MP4s whose last sample is shorter) is deliberately ignored: the picture rate
 * is constant there. Without MediaInfo, ffprobe's base and average rates are compared.
 */
function videoFrameRateMode(stream: FfprobeStream, mi: MediainfoTrack | undefined): 'CFR' | 'VFR' | null {
  const declared = text(mi?.FrameRate_Mode)?.toUpperCase();
  if (declared === 'CFR' || declared === 'VFR') return declared;
  const base = ffprobe.parseRational(stream.r_frame_rate);
  const average = ffprobe.parseRational(stream.avg_frame_rate);
  if (!base || !average) return base || average ? 'CFR' : null;
  const ratio = base.num / base.den / (average.num / average.den);
  return Math.abs(ratio - 1) > 0.001 ? 'VFR' : 'CFR';
}

function videoFrameRate(
  stream: FfprobeStream,
  mi: MediainfoTrack | undefined,
  mode: 'CFR' | 'VFR' | null,
): Rational | null {
  const num = positive(mi?.FrameRate_Num);
  const den = positive(mi?.FrameRate_Den);
  if (num && den) return reduce(num, den);
  // Variable rate: the average says how fast pictures come; otherwise the rate the previews use.
  const fromProbe =
    mode === 'VFR'
      ? (ffprobe.parseRational(stream.avg_frame_rate) ?? ffprobe.parseRational(stream.r_frame_rate))
      : ffprobe.nominalFrameRate(stream);
  if (fromProbe) return fromProbe;
  const decimal = positive(mi?.FrameRate);
  return decimal ? rationalOfDecimalRate(decimal) : null;
}

/** MediaInfo prints NTSC-family rates rounded ("29.970"); they are exact /1001 rationals. */
export function rationalOfDecimalRate(rate: number): Rational {
  for (const base of [24, 30, 48, 60, 120]) {
    if (Math.abs(rate - (base * 1000) / 1001) < 0.005) return { num: base * 1000, den: 1001 };
  }
  if (Math.abs(rate - Math.round(rate)) < 0.0005) return { num: Math.round(rate), den: 1 };
  return reduce(Math.round(rate * 1000), 1000);
}

function audioTrack(stream: FfprobeStream, mi: MediainfoTrack | undefined, trackIndex: number): AudioTrackMetadata {
  const channels = positive(mi?.Channels) ?? stream.channels ?? 0;
  return {
    trackIndex,
    streamIndex: stream.index ?? 0,
    codec: text(mi?.Format) ?? stream.codec_name ?? 'unknown',
    codecId: text(mi?.CodecID) ?? nonEmptyTag(stream.codec_tag_string),
    channels,
    channelLayout:
      known(stream.channel_layout) ??
      text(mi?.ChannelLayout) ??
      (channels === 1 ? 'mono' : channels === 2 ? 'stereo' : null),
    sampleRate: positive(mi?.SamplingRate) ?? positive(stream.sample_rate),
    bitDepth: positive(mi?.BitDepth) ?? positive(stream.bits_per_raw_sample) ?? (stream.bits_per_sample || null),
  };
}

export function describeAudioLayout(
  audio: readonly Pick<AudioTrackMetadata, 'channels' | 'channelLayout'>[],
): AudioLayout {
  const groups: { shape: string; count: number }[] = [];
  for (const track of audio) {
    const shape = trackShape(track);
    const group = groups.find((g) => g.shape === shape);
    if (group) group.count += 1;
    else groups.push({ shape, count: 1 });
  }
  return {
    tracks: audio.length,
    totalChannels: audio.reduce((sum, t) => sum + t.channels, 0),
    description: groups.length === 0 ? 'none' : groups.map((g) => `${g.count} × ${g.shape}`).join(' + '),
  };
}

function trackShape(track: Pick<AudioTrackMetadata, 'channels' | 'channelLayout'>): string {
  if (track.channels === 1) return 'mono';
  if (track.channels === 2) return 'stereo';
  // "5.1(side)" and "5.1" are the same shape for a delivery spec.
  const named = /^(\d+\.\d+)/.exec(track.channelLayout ?? '');
  return named ? named[1]! : `${track.channels}-channel`;
}

// ---------------------------------------------------------------------------------------------
// Start timecode

/**
 * Where a start timecode comes from, best first: the QuickTime tmcd track (ffprobe's data
 * stream tagged tmcd, MediaInfo's "QuickTime TC"), the MXF timecode component of the
 * material package (MediaInfo's, then ffprobe's container tag), then any timecode tag
 * (MXF GOP/SDTI timecode, stream tags). ffprobe's candidates are ranked by
 * ffprobeStartTimecode, the same reading the probe summary stores for the reviewer page.
 */
function startTimecode(tracks: MediainfoTrack[], probe: FfprobeReport): SourcedTimecode | null {
  const probed = ffprobe.ffprobeStartTimecode(probe);
  if (probed?.source === 'tmcd') return probed;
  const others = tracks.flatMap((track) => {
    const timecode = track['@type'] === 'Other' ? parseStartTimecode(text(track.TimeCode_FirstFrame)) : null;
    return timecode ? [{ track, timecode }] : [];
  });
  const quicktime = others.find((o) => text(o.track.Format) === 'QuickTime TC');
  if (quicktime) return { timecode: quicktime.timecode, source: 'tmcd' };
  const mxfMaterial =
    others.find((o) => text(o.track.Format) === 'MXF TC' && /material/i.test(text(o.track.TimeCode_Settings) ?? '')) ??
    others.find((o) => text(o.track.Format) === 'MXF TC');
  if (mxfMaterial) return { timecode: mxfMaterial.timecode, source: 'mxf' };
  if (probed) return probed;
  const anyOther = others[0];
  return anyOther ? { timecode: anyOther.timecode, source: 'tag' } : null;
}

// ---------------------------------------------------------------------------------------------
// Pixel formats, for what MediaInfo leaves out

export function chromaOfPixFmt(pixFmt: string | undefined): string | null {
  if (!pixFmt) return null;
  if (/^(yuv|yuva|yuvj)420|^nv12|^nv21|^p0[1-9]0|^p016/.test(pixFmt)) return '4:2:0';
  if (/^(yuv|yuva|yuvj)422|^nv16|^nv20|^y210|^uyvy|^yuyv/.test(pixFmt)) return '4:2:2';
  if (/^(yuv|yuva|yuvj)444|^gbr|^rgb|^bgr|^argb|^abgr|^x2rgb|^x2bgr|^nv24/.test(pixFmt)) return '4:4:4';
  if (/^(yuv|yuvj)411/.test(pixFmt)) return '4:1:1';
  if (/^(yuv|yuvj)410/.test(pixFmt)) return '4:1:0';
  if (/^(yuv|yuvj)440/.test(pixFmt)) return '4:4:0';
  if (/^gray/.test(pixFmt)) return '4:0:0';
  return null;
}

export function bitDepthOfPixFmt(pixFmt: string | undefined): number | null {
  if (!pixFmt) return null;
  const explicit =
    /p(\d{1,2})(le|be)?$/.exec(pixFmt) ??
    /^gray(\d{1,2})(le|be)?$/.exec(pixFmt) ??
    /^[px]0?(\d{2})(le|be)?$/.exec(pixFmt);
  if (explicit) return Number(explicit[1]);
  if (/^(yuv|yuvj|yuva)\d{3}p$|^nv\d{2}$|^gray$|^rgb24$|^bgr24$|^[argb]{4}$/.test(pixFmt)) return 8;
  return null;
}

function colorModelOfPixFmt(pixFmt: string | undefined): string | null {
  if (!pixFmt) return null;
  if (/^(yuv|nv|p0|y2|uyvy|yuyv)/.test(pixFmt)) return 'YUV';
  if (/^(rgb|bgr|gbr|argb|abgr|x2rgb|x2bgr)/.test(pixFmt)) return 'RGB';
  if (/^gray/.test(pixFmt)) return 'Y';
  return null;
}

// ---------------------------------------------------------------------------------------------
// Small readers: MediaInfo writes every value as a string

function text(value: unknown): string | null {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : null;
}

function positive(value: unknown): number | null {
  const number = typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : Number.NaN;
  return Number.isFinite(number) && number > 0 ? number : null;
}

function positiveOrZero(value: unknown): number {
  return positive(value) ?? 0;
}

function quarterTurns(degrees: number): number {
  return (((Math.round(degrees / 90) * 90) % 360) + 360) % 360;
}

/** ffprobe says "unknown"/"unspecified" (or "[0][0][0][0]" for tags) when nothing is declared. */
function known(value: string | undefined): string | null {
  return value && !/^(unknown|unspecified|reserved)$/i.test(value) ? value : null;
}

function nonEmptyTag(tag: string | undefined): string | null {
  return tag && !/^(\[0\])+$/.test(tag) ? tag : null;
}

function reduce(num: number, den: number): Rational {
  const a = Math.round(num);
  const b = Math.round(den);
  const divisor = gcd(a, b);
  return { num: a / divisor, den: b / divisor };
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}
