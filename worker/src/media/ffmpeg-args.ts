/**
 * Pure builders for every ffmpeg/ffprobe argument list the worker runs. Nothing here touches
 * the file system or spawns a process (run.ts does that), so each list is unit-tested exactly.
 */
import { join } from 'node:path';
import { errors } from '@mediavault/core/errors';
import type { MediaSummary, VideoSummary } from './probe.ts';

// ---------------------------------------------------------------------------------------------
// Encoder choice and settings

export type X264Preset =
  | 'ultrafast'
  | 'superfast'
  | 'veryfast'
  | 'faster'
  | 'fast'
  | 'medium'
  | 'slow'
  | 'slower'
  | 'veryslow';

export type NvencPreset = 'p1' | 'p2' | 'p3' | 'p4' | 'p5' | 'p6' | 'p7';

export interface X264Settings {
  preset: X264Preset;
  /** Constant rate factor; capped per rendition by maxrate/bufsize so HLS can state a BANDWIDTH. */
  crf: number;
  profile: 'high';
}

export interface NvencSettings {
  preset: NvencPreset;
  tune: 'hq';
  rc: 'vbr';
  /** Constant-quality target, NVENC's counterpart of crf. */
  cq: number;
  profile: 'high';
}

export type VideoEncoder = { name: 'libx264'; settings: X264Settings } | { name: 'h264_nvenc'; settings: NvencSettings };

export type VideoEncoderName = VideoEncoder['name'];

/** Previews are cheap and rebuildable: favour speed over the last few percent of bitrate. */
export const defaultX264Settings: Readonly<X264Settings> = { preset: 'veryfast', crf: 21, profile: 'high' };
export const defaultNvencSettings: Readonly<NvencSettings> = { preset: 'p4', tune: 'hq', rc: 'vbr', cq: 23, profile: 'high' };

/** Every preview carries the same audio: stereo AAC-LC at 48 kHz plays everywhere hls.js and Safari do. */
export const previewAudioSettings = { codec: 'aac', bitrateKbps: 128, channels: 2, sampleRate: 48000 } as const;

/** Keyframes (and so HLS segment boundaries) fall every this many seconds unless told otherwise. */
export const defaultSegmentSeconds = 2;

export interface VideoEncoderOverrides {
  /** Only for libx264: tests use 'ultrafast' to stay within a few seconds on two cores. */
  x264Preset?: X264Preset;
}

/**
 * The single place the video encoder is decided. The caller says what this node can do
 * (NVENC present and a probe encode succeeded); the choice is recorded on the preview.
 */
export function chooseVideoEncoder(capabilities: { nvenc: boolean }, overrides: VideoEncoderOverrides = {}): VideoEncoder {
  if (capabilities.nvenc) return { name: 'h264_nvenc', settings: { ...defaultNvencSettings } };
  return { name: 'libx264', settings: { ...defaultX264Settings, preset: overrides.x264Preset ?? defaultX264Settings.preset } };
}

// ---------------------------------------------------------------------------------------------
// Rendition ladder

export interface Rendition {
  /** Also the folder under hls/ and the NAME in the master playlist, e.g. "720p". */
  name: string;
  width: number;
  height: number;
  /** Peak video bitrate; the HLS muxer needs it to write BANDWIDTH into the master playlist. */
  maxrateKbps: number;
  bufsizeKbps: number;
}

const ladder: readonly { height: number; maxrateKbps: number }[] = [
  { height: 1080, maxrateKbps: 6000 },
  { height: 720, maxrateKbps: 3500 },
  { height: 360, maxrateKbps: 900 },
];

const lowestLadderRung = { height: 360, maxrateKbps: 900 };

export interface SourceGeometry {
  width: number;
  height: number;
  /** Clockwise display rotation in degrees; 90 and 270 swap the displayed width and height. */
  rotation?: number;
  /** Non-square pixels (PAL/NTSC SD, anamorphic HDV) widen or narrow the picture on screen. */
  sampleAspectRatio?: { num: number; den: number } | null;
}

/** The picture as a viewer sees it: square pixels, after the container's display rotation. */
export function displayDimensions(source: SourceGeometry): { width: number; height: number } {
  const sar = source.sampleAspectRatio;
  const width = sar && sar.num > 0 && sar.den > 0 ? (source.width * sar.num) / sar.den : source.width;
  const quarterTurn = Math.abs(source.rotation ?? 0) % 180 === 90;
  return quarterTurn ? { width: source.height, height: width } : { width, height: source.height };
}

/**
 * Heights 1080/720/360 that do not upscale the source; a source below 360 lines gets one
 * rung at its own height. Dimensions are even (4:2:0 chroma needs it) and keep the aspect ratio.
 */
export function planRenditions(source: SourceGeometry): Rendition[] {
  const display = displayDimensions(source);
  if (!(display.width > 0 && display.height > 0)) {
    throw errors.unprocessable('the video stream has no usable dimensions', { width: source.width, height: source.height });
  }
  const rungs = ladder.filter((rung) => rung.height <= display.height);
  if (rungs.length === 0) {
    const height = floorEven(display.height);
    const maxrateKbps = Math.max(200, Math.round((lowestLadderRung.maxrateKbps * height) / lowestLadderRung.height));
    rungs.push({ height, maxrateKbps });
  }
  return rungs.map((rung) => ({
    name: `${rung.height}p`,
    width: evenWidthFor(display, rung.height),
    height: rung.height,
    maxrateKbps: rung.maxrateKbps,
    bufsizeKbps: rung.maxrateKbps * 2,
  }));
}

function floorEven(value: number): number {
  return Math.max(2, Math.floor(value / 2) * 2);
}

function evenWidthFor(display: { width: number; height: number }, height: number): number {
  return Math.max(2, Math.round((display.width * height) / display.height / 2) * 2);
}

// ---------------------------------------------------------------------------------------------
// Poster

export interface PosterPlan {
  width: number;
  height: number;
  /** Zero-based frame number the poster is taken from. */
  frame: number;
}

export const posterMaxWidth = 1280;

/** A frame ~10% into the clip (1 s when the duration is unknown), at most 1280 pixels wide. */
export function planPoster(video: VideoSummary, durationSeconds: number | null): PosterPlan {
  const display = displayDimensions(video);
  const width = Math.min(floorEven(display.width), posterMaxWidth);
  const height = Math.max(2, Math.round((display.height * width) / display.width / 2) * 2);
  const fps = framesPerSecond(video);
  const atSeconds = durationSeconds !== null && durationSeconds > 0 ? durationSeconds * 0.1 : 1;
  return { width, height, frame: Math.floor(atSeconds * fps) };
}

function framesPerSecond(video: VideoSummary): number {
  const rate = video.frameRate;
  // 25 fps is only a fallback for streams that do not declare a rate; keyframes are still
  // forced by timestamp, so segment alignment does not depend on it.
  return rate && rate.num > 0 && rate.den > 0 ? rate.num / rate.den : 25;
}

// ---------------------------------------------------------------------------------------------
// The one preview command

export interface PreviewArgsInput {
  inputPath: string;
  outputDir: string;
  probe: MediaSummary;
  encoder: VideoEncoder;
  segmentSeconds?: number;
}

/** Where buildPreviewArgs writes, relative to outputDir. */
export const previewLayout = {
  masterPlaylist: 'hls/master.m3u8',
  renditionPlaylist: (rendition: string) => `hls/${rendition}/index.m3u8`,
  audioRendition: 'audio',
  /** ffmpeg numbers it per variant (init_0.mp4, init_1.mp4…) when there are several; playlists name it. */
  initSegment: 'init.mp4',
  progressiveMp4: 'preview.mp4',
  poster: 'poster.jpg',
} as const;

/** What to record on the preview so it can be reproduced and compared across encoders. */
export interface EncodingRecord {
  video: VideoEncoder['settings'] & { encoder: VideoEncoderName; gopFrames: number; keyframeIntervalSeconds: number; pixFmt: 'yuv420p' };
  audio: typeof previewAudioSettings | null;
}

export function describeEncoding(encoder: VideoEncoder, probe: MediaSummary, segmentSeconds = defaultSegmentSeconds): EncodingRecord {
  const video = requirePreviewableVideo(probe);
  return {
    video: {
      encoder: encoder.name,
      ...encoder.settings,
      gopFrames: gopFrames(video, segmentSeconds),
      keyframeIntervalSeconds: segmentSeconds,
      pixFmt: 'yuv420p',
    },
    audio: probe.audio.length > 0 ? previewAudioSettings : null,
  };
}

/**
 * One ffmpeg invocation, one decode: filter_complex splits the decoded picture into every
 * HLS rung, the progressive MP4 (same size as the top rung) and the poster. Keyframes are
 * forced on a fixed time grid with scene-cut detection off, so every rung cuts its fMP4
 * segments at the same instants and players can switch rungs at any boundary.
 */
export function buildPreviewArgs(input: PreviewArgsInput): string[] {
  const segmentSeconds = input.segmentSeconds ?? defaultSegmentSeconds;
  if (!(segmentSeconds > 0)) throw errors.badRequest('segmentSeconds must be positive', { segmentSeconds });
  const { probe, encoder, outputDir } = input;
  const video = requirePreviewableVideo(probe);
  const audio = probe.audio[0];
  const renditions = planRenditions(video);
  const top = renditions[0]!;
  const poster = planPoster(video, probe.durationSeconds);
  const gop = gopFrames(video, segmentSeconds);
  const videoCodecArgs = videoEncoderArgs(encoder, gop, segmentSeconds);
  const audioCodecArgs = audio
    ? ['-c:a', 'aac', '-b:a', `${previewAudioSettings.bitrateKbps}k`, '-ac', String(previewAudioSettings.channels), '-ar', String(previewAudioSettings.sampleRate)]
    : [];
  const audioMap = audio ? ['-map', `0:${audio.index}`] : [];
  const dropMetadata = ['-map_metadata', '-1', '-map_chapters', '-1'];

  const hlsStreamMap = [
    ...(audio ? [`a:0,agroup:audio,name:${previewLayout.audioRendition}`] : []),
    ...renditions.map((r, i) => (audio ? `v:${i},agroup:audio,name:${r.name}` : `v:${i},name:${r.name}`)),
  ].join(' ');

  return [
    '-hide_banner',
    '-nostdin',
    '-nostats',
    '-loglevel',
    'warning',
    '-y',
    '-i',
    `file:${input.inputPath}`,
    '-filter_complex',
    previewFilterGraph(video, renditions, poster),

    // HLS ladder: fMP4 segments, one folder per rendition, audio as its own group.
    ...renditions.flatMap((_, i) => ['-map', `[hls${i}]`]),
    ...audioMap,
    ...videoCodecArgs,
    ...renditions.flatMap((r, i) => [`-maxrate:v:${i}`, `${r.maxrateKbps}k`, `-bufsize:v:${i}`, `${r.bufsizeKbps}k`]),
    ...audioCodecArgs,
    ...dropMetadata,
    '-f',
    'hls',
    '-hls_time',
    String(segmentSeconds),
    '-hls_playlist_type',
    'vod',
    '-hls_segment_type',
    'fmp4',
    '-hls_flags',
    'independent_segments',
    '-hls_fmp4_init_filename',
    previewLayout.initSegment,
    '-hls_segment_filename',
    join(outputDir, 'hls', '%v', 'seg_%05d.m4s'),
    '-master_pl_name',
    'master.m3u8',
    '-var_stream_map',
    hlsStreamMap,
    join(outputDir, 'hls', '%v', 'index.m3u8'),

    // Progressive MP4 for download and simple players; moov first so it starts before it ends.
    '-map',
    '[mp4]',
    ...audioMap,
    ...videoCodecArgs,
    '-maxrate',
    `${top.maxrateKbps}k`,
    '-bufsize',
    `${top.bufsizeKbps}k`,
    ...audioCodecArgs,
    ...dropMetadata,
    '-movflags',
    '+faststart',
    '-f',
    'mp4',
    join(outputDir, previewLayout.progressiveMp4),

    // Poster: a single JPEG frame.
    '-map',
    '[poster]',
    '-frames:v',
    '1',
    '-q:v',
    '3',
    ...dropMetadata,
    '-f',
    'image2',
    '-update',
    '1',
    join(outputDir, previewLayout.poster),
  ];
}

function requirePreviewableVideo(probe: MediaSummary): VideoSummary {
  if (probe.video) return probe.video;
  if (probe.audio.length > 0) {
    throw errors.unprocessable('audio-only previews are not built yet: the source has audio but no video stream');
  }
  throw errors.unprocessable('the source has neither a video nor an audio stream');
}

function gopFrames(video: VideoSummary, segmentSeconds: number): number {
  return Math.max(1, Math.round(framesPerSecond(video) * segmentSeconds));
}

/**
 * Labels: [hlsN] per rung, [mp4] for the progressive file, [poster] for the JPEG.
 * Interlaced sources (common in broadcast masters) are deinterlaced once, before the split.
 */
function previewFilterGraph(video: VideoSummary, renditions: Rendition[], poster: PosterPlan): string {
  const decoded = `[0:${video.index}]${video.interlaced ? 'bwdif=mode=send_frame,' : ''}`;
  const branches = renditions.map((_, i) => `[src${i}]`).join('');
  const chains = [`${decoded}split=${renditions.length + 1}${branches}[srcposter]`];
  renditions.forEach((r, i) => {
    const scaled = `[src${i}]scale=${r.width}:${r.height}:flags=bicubic,setsar=1,format=yuv420p`;
    // The progressive MP4 is the top rung's picture: split after scaling instead of scaling twice.
    chains.push(i === 0 ? `${scaled},split=2[hls0][mp4]` : `${scaled}[hls${i}]`);
  });
  chains.push(
    `[srcposter]trim=start_frame=${poster.frame},scale=${poster.width}:${poster.height}:flags=bicubic:out_range=full,setsar=1,format=yuvj420p[poster]`,
  );
  return chains.join(';');
}

function videoEncoderArgs(encoder: VideoEncoder, gop: number, segmentSeconds: number): string[] {
  const keyframeGrid = ['-force_key_frames', `expr:gte(t,n_forced*${segmentSeconds})`];
  if (encoder.name === 'libx264') {
    const s = encoder.settings;
    return [
      '-c:v',
      'libx264',
      '-preset',
      s.preset,
      '-crf',
      String(s.crf),
      '-profile:v',
      s.profile,
      '-g',
      String(gop),
      '-keyint_min',
      String(gop),
      '-sc_threshold',
      '0',
      ...keyframeGrid,
    ];
  }
  const s = encoder.settings;
  return [
    '-c:v',
    'h264_nvenc',
    '-preset',
    s.preset,
    '-tune',
    s.tune,
    '-rc',
    s.rc,
    '-cq',
    String(s.cq),
    '-b:v',
    '0',
    '-profile:v',
    s.profile,
    '-g',
    String(gop),
    // NVENC ignores -sc_threshold; these are its own switches for a fixed, IDR-aligned grid.
    '-no-scenecut',
    '1',
    '-forced-idr',
    '1',
    ...keyframeGrid,
  ];
}

// ---------------------------------------------------------------------------------------------
// ffprobe

export function buildProbeArgs(path: string): string[] {
  return ['-v', 'error', '-show_format', '-show_streams', '-of', 'json', `file:${path}`];
}
