/**
 * Pure builders for every ffmpeg/ffprobe argument list the worker runs. Nothing here touches
 * the file system or spawns a process (run.ts does that), so each list is unit-tested exactly.
 */
import { join } from 'node:path';
import { errors } from '@mediavault/core/errors';
import { droppableOutputs, type DroppableOutput } from '@mediavault/core/backpressure';
import { loudnessLogLevel } from './loudness.ts';
import type { AudioSummary, MediaSummary, VideoSummary } from './probe.ts';
import { planSprites, type SpritePlan } from './sprites.ts';
import { waveformSampleRate } from './waveform.ts';

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

export type VideoEncoder =
  | { name: 'libx264'; settings: X264Settings }
  | { name: 'h264_nvenc'; settings: NvencSettings };

export type VideoEncoderName = VideoEncoder['name'];

/** Previews are cheap and rebuildable: favour speed over the last few percent of bitrate. */
export const defaultX264Settings: Readonly<X264Settings> = { preset: 'veryfast', crf: 21, profile: 'high' };
export const defaultNvencSettings: Readonly<NvencSettings> = {
  preset: 'p4',
  tune: 'hq',
  rc: 'vbr',
  cq: 23,
  profile: 'high',
};

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
export function chooseVideoEncoder(
  capabilities: { nvenc: boolean },
  overrides: VideoEncoderOverrides = {},
): VideoEncoder {
  if (capabilities.nvenc) return { name: 'h264_nvenc', settings: { ...defaultNvencSettings } };
  return {
    name: 'libx264',
    settings: { ...defaultX264Settings, preset: overrides.x264Preset ?? defaultX264Settings.preset },
  };
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
    throw errors.unprocessable('the video stream has no usable dimensions', {
      width: source.width,
      height: source.height,
    });
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
// What a preview set holds

/** 'renditions-above-720' keeps the rungs at or below this height. */
const backpressureMaxHeight = 720;

export interface PreviewAudioPlan {
  /** Absolute stream indexes that make the preview audio: one stream, or mono tracks to join. */
  streams: number[];
  /** Layout the mono tracks are joined into; null when one stream is used as it is. */
  joinedLayout: 'stereo' | '5.1' | null;
}

const joinedChannels = { stereo: ['FL', 'FR'], '5.1': ['FL', 'FR', 'FC', 'LFE', 'BL', 'BR'] } as const;

/**
 * MXF and broadcast MOV masters carry one mono track per channel. Loudness must be measured on
 * the programme as heard, so the mono tracks are joined first: six leading mono tracks are 5.1
 * in SMPTE order (L R C LFE Ls Rs), otherwise the first two are the stereo programme (AS-11 DPP
 * and EBU R123 both put the main stereo pair on tracks 1–2). A multichannel first stream is
 * used as it is.
 */
export function planPreviewAudio(audio: readonly AudioSummary[]): PreviewAudioPlan | null {
  const first = audio[0];
  if (!first) return null;
  if (first.channels > 1) return { streams: [first.index], joinedLayout: null };
  const monos: AudioSummary[] = [];
  for (const stream of audio) {
    // join needs one sample rate; a track at another rate is not part of the same programme.
    if (stream.channels !== 1 || stream.sampleRate !== first.sampleRate) break;
    monos.push(stream);
  }
  if (monos.length === 6) return { streams: monos.map((s) => s.index), joinedLayout: '5.1' };
  if (monos.length >= 2) return { streams: monos.slice(0, 2).map((s) => s.index), joinedLayout: 'stereo' };
  return { streams: [first.index], joinedLayout: null };
}

/**
 * A picture file (PNG, JPEG, TIFF, …): ffmpeg reads those through its image demuxers, whose
 * names end in _pipe (or image2 for numbered sequences). It gets a poster and nothing else.
 */
export function isStillImage(probe: MediaSummary): boolean {
  return probe.audio.length === 0 && /(^|,)(image2|[a-z0-9]+_pipe)(,|$)/.test(probe.container);
}

/** video: HLS ladder (+ audio) and images; audio: audio-only HLS, waveform, loudness; still: poster only. */
export type PreviewKind = 'video' | 'audio' | 'still';

export interface PreviewPlan {
  kind: PreviewKind;
  video: VideoSummary | null;
  /** HLS video renditions, highest first; empty for audio-only sources and stills. */
  renditions: Rendition[];
  poster: PosterPlan | null;
  sprites: SpritePlan | null;
  audio: PreviewAudioPlan | null;
  /** Peaks of the preview audio, in waveform.json. */
  waveform: boolean;
  /** EBU R128 is measured whenever there is audio: it is metadata, never dropped. */
  loudness: boolean;
  /** preview.mp4, a remux of the top HLS rendition and the audio rendition. */
  mp4: boolean;
  /** The requested skips that actually left something out, in a stable order. */
  dropped: DroppableOutput[];
  segmentSeconds: number;
}

export interface PreviewPlanOptions {
  skip?: readonly DroppableOutput[];
  segmentSeconds?: number;
}

export function planPreview(probe: MediaSummary, options: PreviewPlanOptions = {}): PreviewPlan {
  const segmentSeconds = options.segmentSeconds ?? defaultSegmentSeconds;
  if (!(segmentSeconds > 0)) throw errors.badRequest('segmentSeconds must be positive', { segmentSeconds });
  const { video } = probe;
  if (!video && probe.audio.length === 0)
    throw errors.unprocessable('the source has neither a video nor an audio stream');
  if (video && isStillImage(probe)) {
    return {
      kind: 'still',
      video,
      renditions: [],
      poster: { ...planPoster(video, null), frame: 0 },
      sprites: null,
      audio: null,
      waveform: false,
      loudness: false,
      mp4: false,
      dropped: [],
      segmentSeconds,
    };
  }

  const skip = new Set(options.skip ?? []);
  const dropped = new Set<DroppableOutput>();
  /** Whether an available output is built; a skipped one is recorded so it can be filled in later. */
  const keep = (output: DroppableOutput, available: boolean): boolean => {
    if (!available) return false;
    if (!skip.has(output)) return true;
    dropped.add(output);
    return false;
  };

  const audio = planPreviewAudio(probe.audio);
  let renditions: Rendition[] = [];
  let sprites: SpritePlan | null = null;
  if (video) {
    const ladder = planRenditions(video);
    const hasTallRungs = ladder.some((r) => r.height > backpressureMaxHeight);
    const dropTallRungs = hasTallRungs && !keep('renditions-above-720', true);
    renditions = dropTallRungs ? ladder.filter((r) => r.height <= backpressureMaxHeight) : ladder;
    const spritePlan = planSprites(displayDimensions(video), probe.durationSeconds);
    sprites = keep('sprites', spritePlan !== null) ? spritePlan : null;
  }
  return {
    kind: video ? 'video' : 'audio',
    video,
    renditions,
    poster: video ? planPoster(video, probe.durationSeconds) : null,
    sprites,
    audio,
    waveform: keep('waveform', audio !== null),
    loudness: audio !== null,
    mp4: keep('mp4', true),
    dropped: droppableOutputs.filter((s) => dropped.has(s)),
    segmentSeconds,
  };
}

// ---------------------------------------------------------------------------------------------
// The one preview command

export interface PreviewArgsInput {
  inputPath: string;
  outputDir: string;
  probe: MediaSummary;
  encoder: VideoEncoder;
  segmentSeconds?: number;
  skip?: readonly DroppableOutput[];
}

/** Where the preview commands write, relative to outputDir. */
export const previewLayout = {
  masterPlaylist: 'hls/master.m3u8',
  renditionPlaylist: (rendition: string) => `hls/${rendition}/index.m3u8`,
  audioRendition: 'audio',
  /** ffmpeg numbers it per variant (init_0.mp4, init_1.mp4…) when there are several; playlists name it. */
  initSegment: 'init.mp4',
  progressiveMp4: 'preview.mp4',
  poster: 'poster.jpg',
  spriteImage: 'thumbs/sprite.jpg',
  spriteVtt: 'thumbs/sprite.vtt',
  /** The VTT cues name the sheet relative to themselves: both are published side by side. */
  spriteImageFromVtt: 'sprite.jpg',
  waveform: 'waveform.json',
  /** Scratch: the raw low-rate audio the peaks are folded from; deleted, never published. */
  waveformPcm: 'waveform.s8',
} as const;

/** What to record on the preview so it can be reproduced and compared across encoders. */
export interface EncodingRecord {
  /** Null when no video was encoded (audio-only sources, stills). */
  video:
    | (VideoEncoder['settings'] & {
        encoder: VideoEncoderName;
        gopFrames: number;
        keyframeIntervalSeconds: number;
        pixFmt: 'yuv420p';
      })
    | null;
  audio: typeof previewAudioSettings | null;
}

export function describeEncoding(
  encoder: VideoEncoder,
  probe: MediaSummary,
  segmentSeconds = defaultSegmentSeconds,
): EncodingRecord {
  const still = probe.video !== null && isStillImage(probe);
  return {
    video:
      probe.video && !still
        ? {
            encoder: encoder.name,
            ...encoder.settings,
            gopFrames: gopFrames(probe.video, segmentSeconds),
            keyframeIntervalSeconds: segmentSeconds,
            pixFmt: 'yuv420p',
          }
        : null,
    audio: probe.audio.length > 0 && !still ? previewAudioSettings : null,
  };
}

const dropMetadata = ['-map_metadata', '-1', '-map_chapters', '-1'];

/**
 * One ffmpeg invocation, one decode of picture and sound. filter_complex splits the decoded
 * picture into every HLS rung, the poster and the sprite sheet; the sound is joined (mono
 * tracks), measured by ebur128 on its way to the AAC encoder and, mixed down to a low-rate
 * mono copy, written raw for the waveform peaks. Keyframes are forced on a fixed time grid with
 * scene-cut detection off, so every rung cuts its fMP4 segments at the same instants.
 * The progressive MP4 is not encoded here: buildProgressiveRemuxArgs copies it from the top rung.
 */
export function buildPreviewArgs(input: PreviewArgsInput): string[] {
  const plan = planPreview(input.probe, { skip: input.skip, segmentSeconds: input.segmentSeconds });
  const { outputDir } = input;
  const head = [
    '-hide_banner',
    '-nostdin',
    '-nostats',
    '-loglevel',
    // ebur128 logs its summary at info level; the level tags let failures be told from chatter.
    plan.loudness ? loudnessLogLevel : 'warning',
    '-y',
    '-i',
    `file:${input.inputPath}`,
    '-filter_complex',
    previewFilterGraph(plan),
  ];
  if (plan.kind === 'still') return [...head, ...posterOutput(outputDir)];

  const video = plan.video;
  const audioCodecArgs = [
    '-c:a',
    'aac',
    '-b:a',
    `${previewAudioSettings.bitrateKbps}k`,
    '-ac',
    String(previewAudioSettings.channels),
    '-ar',
    String(previewAudioSettings.sampleRate),
  ];
  return [
    ...head,

    // HLS ladder: fMP4 segments, one folder per rendition, audio as its own group.
    ...plan.renditions.flatMap((_, i) => ['-map', `[hls${i}]`]),
    ...(plan.audio ? ['-map', '[aenc]'] : []),
    ...(video && plan.renditions.length > 0
      ? videoEncoderArgs(input.encoder, gopFrames(video, plan.segmentSeconds), plan.segmentSeconds)
      : []),
    ...plan.renditions.flatMap((r, i) => [
      `-maxrate:v:${i}`,
      `${r.maxrateKbps}k`,
      `-bufsize:v:${i}`,
      `${r.bufsizeKbps}k`,
    ]),
    ...(plan.audio ? audioCodecArgs : []),
    ...dropMetadata,
    '-f',
    'hls',
    '-hls_time',
    String(plan.segmentSeconds),
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
    hlsVariantStreamMap(plan),
    join(outputDir, 'hls', '%v', 'index.m3u8'),

    ...(plan.poster ? posterOutput(outputDir) : []),

    // Sprite sheet: the tile filter emits one sheet when the grid is full (or at the end).
    ...(plan.sprites
      ? [
          '-map',
          '[sprites]',
          '-frames:v',
          '1',
          '-q:v',
          '5',
          ...dropMetadata,
          '-f',
          'image2',
          '-update',
          '1',
          join(outputDir, previewLayout.spriteImage),
        ]
      : []),

    // Waveform: raw signed 8-bit mono at a low rate, folded into peaks by waveform.ts.
    ...(plan.waveform
      ? ['-map', '[wave]', '-c:a', 'pcm_s8', '-f', 's8', join(outputDir, previewLayout.waveformPcm)]
      : []),
  ];
}

/**
 * ffmpeg's -var_stream_map, which also sets the order of the variants in master.m3u8: the
 * video renditions first, highest first, then the audio-only variant. Apple's HLS authoring
 * specification has playback start with the first variant listed, and Safari and AVPlayer do:
 * listed first, the audio variant started them with no picture. The audio stays a variant of
 * its own (last, for a player on a link too slow for any picture) and the AUDIO group every
 * video variant plays its sound from.
 */
export function hlsVariantStreamMap(plan: Pick<PreviewPlan, 'renditions' | 'audio'>): string {
  const audioName = previewLayout.audioRendition;
  if (plan.renditions.length === 0) return `a:0,name:${audioName}`;
  const group = plan.audio ? ',agroup:audio' : '';
  return [
    ...plan.renditions.map((r, i) => `v:${i}${group},name:${r.name}`),
    ...(plan.audio ? [`a:0${group},name:${audioName}`] : []),
  ].join(' ');
}

/**
 * preview.mp4 without a second encode: the top rung's fMP4 segments and the audio rendition,
 * read back through their playlists and copied into one faststart MP4 (moov first, so it starts
 * playing before it has downloaded). Costs a read of the top rung, no decode.
 */
export function buildProgressiveRemuxArgs(outputDir: string, plan: PreviewPlan): string[] {
  const top = plan.renditions[0];
  const inputs = [
    ...(top ? [{ playlist: previewLayout.renditionPlaylist(top.name), map: 'v:0' }] : []),
    ...(plan.audio ? [{ playlist: previewLayout.renditionPlaylist(previewLayout.audioRendition), map: 'a:0' }] : []),
  ];
  if (inputs.length === 0) throw errors.badRequest('nothing to remux into a progressive MP4');
  return [
    '-hide_banner',
    '-nostdin',
    '-nostats',
    '-loglevel',
    'warning',
    '-y',
    ...inputs.flatMap((input) => ['-i', `file:${join(outputDir, input.playlist)}`]),
    ...inputs.flatMap((input, i) => ['-map', `${i}:${input.map}`]),
    '-c',
    'copy',
    ...dropMetadata,
    '-movflags',
    '+faststart',
    '-f',
    'mp4',
    join(outputDir, previewLayout.progressiveMp4),
  ];
}

function posterOutput(outputDir: string): string[] {
  return [
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

function gopFrames(video: VideoSummary, segmentSeconds: number): number {
  return Math.max(1, Math.round(framesPerSecond(video) * segmentSeconds));
}

/**
 * Labels: [hlsN] per rung, [poster], [sprites]; [aenc] for the AAC encoder, [wave] for the
 * waveform samples. Interlaced sources (common in broadcast masters) are deinterlaced once,
 * before the split. Display rotation is applied by ffmpeg's autorotate before the graph.
 */
function previewFilterGraph(plan: PreviewPlan): string {
  const chains: string[] = [];
  const { video, poster } = plan;
  if (video && poster) {
    const posterChain = `scale=${poster.width}:${poster.height}:flags=bicubic:out_range=full,setsar=1,format=yuvj420p`;
    const decoded = `[0:${video.index}]${video.interlaced ? 'bwdif=mode=send_frame,' : ''}`;
    if (plan.kind === 'still') return `${decoded}${posterChain}[poster]`;
    const branches = [
      ...plan.renditions.map((_, i) => `[src${i}]`),
      '[srcposter]',
      ...(plan.sprites ? ['[srcsprites]'] : []),
    ];
    chains.push(`${decoded}split=${branches.length}${branches.join('')}`);
    for (const [i, r] of plan.renditions.entries()) {
      chains.push(`[src${i}]scale=${r.width}:${r.height}:flags=bicubic,setsar=1,format=yuv420p[hls${i}]`);
    }
    // end_frame ends the branch after its one frame: the rest of the clip is never scaled for it.
    chains.push(`[srcposter]trim=start_frame=${poster.frame}:end_frame=${poster.frame + 1},${posterChain}[poster]`);
    if (plan.sprites) {
      const s = plan.sprites;
      chains.push(
        `[srcsprites]fps=fps=1/${s.intervalSeconds},scale=${s.tileWidth}:${s.tileHeight}:flags=bicubic:out_range=full,setsar=1,format=yuvj420p,tile=${s.columns}x${s.rows}[sprites]`,
      );
    }
  }
  if (plan.audio) {
    const { streams, joinedLayout } = plan.audio;
    const inputs = streams.map((index) => `[0:${index}]`).join('');
    const joined = joinedLayout
      ? `join=inputs=${streams.length}:channel_layout=${joinedLayout}:map=${joinedChannels[joinedLayout].map((channel, i) => `${i}.0-${channel}`).join('|')},`
      : '';
    // ebur128 passes the samples through untouched; framelog=verbose keeps its 10-a-second
    // meter lines out of an info-level log, leaving only the summary.
    const measured = `${inputs}${joined}ebur128=peak=true:framelog=verbose`;
    if (plan.waveform) {
      chains.push(`${measured},asplit=2[aenc][awave]`);
      chains.push(`[awave]aresample=${waveformSampleRate},aformat=sample_fmts=u8:channel_layouts=mono[wave]`);
    } else {
      chains.push(`${measured}[aenc]`);
    }
  }
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
