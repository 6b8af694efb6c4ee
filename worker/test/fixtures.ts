/**
 * Small real media for tests, generated with ffmpeg's lavfi sources into a temp dir that is
 * removed when the test ends. Everything goes through worker/src/media/run.ts, the one
 * module allowed to spawn ffmpeg.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runFfmpeg } from '../src/media/run.ts';

/** The part of node:test's TestContext (or suite context) this helper needs. */
export interface CleanupContext {
  after(fn: () => unknown): void;
}

/** A fresh directory under the OS temp dir, deleted after the test (or suite) it belongs to. */
export async function makeTempDir(t: CleanupContext, prefix = 'mediavault-media-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

export interface ClipOptions {
  /** File name inside dir; its extension picks the container. Default "clip.mp4". */
  name?: string;
  width?: number;
  height?: number;
  /** A number or an ffmpeg rational such as "30000/1001". */
  fps?: number | string;
  seconds?: number;
  /** testsrc2 picture; false makes an audio-only file. */
  video?: boolean;
  /** 1 kHz sine; false makes a video-only file. */
  audio?: boolean;
  /** Write the moov atom first (MP4/MOV). Default false, as most cameras and encoders do. */
  faststart?: boolean;
  /** Written as the QuickTime/MXF start timecode, e.g. "01:00:00:00". */
  timecode?: string;
  /**
   * h264: 4:2:0 8-bit, even sizes only (default); prores: prores_ks HQ (profile 3) 10-bit 4:2:2,
   * as masters arrive; ffv1: 4:4:4, which takes odd sizes; mpeg2: for MXF.
   */
  videoCodec?: 'h264' | 'prores' | 'ffv1' | 'mpeg2';
  /** Clockwise display rotation written into the container (QuickTime display matrix). */
  rotation?: number;
  /** Drop 3 frames in every 10 and keep the gaps in the timestamps: a variable-frame-rate file. */
  variableFrameRate?: boolean;
  /** aac (default) or 24-bit PCM, as broadcast masters carry it. */
  audioCodec?: 'aac' | 'pcm';
  /** Separate mono audio tracks (as MXF carries them) instead of one stream. Default 1. */
  audioTracks?: number;
  /** Channels of the (single) audio stream. Default 1. */
  audioChannels?: number;
  /** Peak level of the 1 kHz sine in dBFS. Default about -18 (ffmpeg's sine source). */
  toneDbfs?: number;
}

/**
 * A testsrc2 picture and/or a 1 kHz sine of the given size and length, tuned by the options
 * above to reproduce the sources that break naive pipelines.
 */
export async function generateClip(dir: string, options: ClipOptions = {}): Promise<string> {
  const {
    name = 'clip.mp4',
    width = 1280,
    height = 720,
    fps = 25,
    seconds = 3,
    video = true,
    audio = true,
    faststart = false,
    timecode,
    videoCodec = 'h264',
    rotation,
    variableFrameRate = false,
    audioCodec = 'aac',
    audioTracks = 1,
    audioChannels = 1,
    toneDbfs = 20 * Math.log10(1 / 8),
  } = options;
  if (!video && !audio) throw new Error('generateClip needs video, audio or both');
  const path = join(dir, name);
  const args = ['-hide_banner', '-nostdin', '-nostats', '-loglevel', 'error', '-y'];
  const maps: string[] = [];
  if (video) {
    args.push('-f', 'lavfi', '-i', `testsrc2=size=${width}x${height}:rate=${fps}:duration=${seconds}`);
    maps.push('-map', '0:v');
  }
  if (audio) {
    const amplitude = 10 ** (toneDbfs / 20);
    const sine = `${amplitude}*sin(2*PI*1000*t)`;
    for (let track = 0; track < audioTracks; track++) {
      args.push('-f', 'lavfi', '-i', `aevalsrc=${Array(audioChannels).fill(sine).join('|')}:s=48000:d=${seconds}`);
      maps.push('-map', `${(video ? 1 : 0) + track}:a`);
    }
  }
  args.push(...maps);
  if (video) {
    const codecs = {
      h264: ['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p'],
      prores: ['-c:v', 'prores_ks', '-profile:v', '3', '-pix_fmt', 'yuv422p10le'],
      ffv1: ['-c:v', 'ffv1', '-pix_fmt', 'yuv444p'],
      mpeg2: ['-c:v', 'mpeg2video', '-pix_fmt', 'yuv420p'],
    } as const;
    args.push(...codecs[videoCodec]);
    if (variableFrameRate) args.push('-vf', 'select=lt(mod(n\\,10)\\,7)', '-fps_mode', 'vfr');
  }
  if (audio) args.push(...(audioCodec === 'aac' ? ['-c:a', 'aac', '-b:a', '96k'] : ['-c:a', 'pcm_s24le']));
  if (faststart) args.push('-movflags', '+faststart');
  if (timecode) args.push('-timecode', timecode);
  // ffmpeg 5.1 writes a display matrix from the rotate tag only when stream-copying.
  const encodedPath = rotation === undefined ? path : join(dir, `unrotated-${name}`);
  args.push(encodedPath);
  await runFfmpeg(args);
  if (rotation !== undefined) {
    await runFfmpeg([
      '-hide_banner',
      '-nostdin',
      '-loglevel',
      'error',
      '-y',
      '-i',
      encodedPath,
      '-map',
      '0',
      '-c',
      'copy',
      '-metadata:s:v:0',
      `rotate=${rotation}`,
      path,
    ]);
    await rm(encodedPath);
  }
  return path;
}

/** A stereo (or n-channel) 1 kHz sine at an exact peak level in dBFS, as 24-bit WAV: EBU Tech 3341 style. */
export async function generateTone(
  dir: string,
  options: { name?: string; dbfs: number; seconds?: number; channels?: number },
): Promise<string> {
  return generateClip(dir, {
    name: options.name ?? 'tone.wav',
    video: false,
    audioCodec: 'pcm',
    audioChannels: options.channels ?? 2,
    toneDbfs: options.dbfs,
    seconds: options.seconds ?? 3,
  });
}

/** One testsrc2 frame as a picture file; the extension picks the format (png, jpg, tif). */
export async function generateStill(dir: string, name: string, width = 320, height = 240): Promise<string> {
  const path = join(dir, name);
  const pixFmt = name.endsWith('.jpg') ? ['-pix_fmt', 'yuvj420p'] : [];
  await runFfmpeg([
    '-hide_banner',
    '-nostdin',
    '-nostats',
    '-loglevel',
    'error',
    '-y',
    '-f',
    'lavfi',
    '-i',
    `testsrc2=size=${width}x${height}:rate=1`,
    '-frames:v',
    '1',
    ...pixFmt,
    '-update',
    '1',
    path,
  ]);
  return path;
}

/** A copy of `source` cut to the first `keepFraction` of its bytes, like an interrupted upload. */
export async function truncatedCopy(source: string, dest: string, keepFraction = 0.5): Promise<string> {
  const bytes = await readFile(source);
  await writeFile(dest, bytes.subarray(0, Math.floor(bytes.length * keepFraction)));
  return dest;
}
