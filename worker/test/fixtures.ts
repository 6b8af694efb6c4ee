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
}

/**
 * A testsrc2 picture (H.264, ultrafast) and/or a 1 kHz sine (AAC) of the given size and
 * length. Dimensions must be even: x264 refuses odd 4:2:0 sizes.
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
  } = options;
  if (!video && !audio) throw new Error('generateClip needs video, audio or both');
  const path = join(dir, name);
  const args = ['-hide_banner', '-nostdin', '-nostats', '-loglevel', 'error', '-y'];
  if (video) args.push('-f', 'lavfi', '-i', `testsrc2=size=${width}x${height}:rate=${fps}:duration=${seconds}`);
  if (audio) args.push('-f', 'lavfi', '-i', `sine=frequency=1000:sample_rate=48000:duration=${seconds}`);
  if (video) args.push('-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p');
  if (audio) args.push('-c:a', 'aac', '-b:a', '96k');
  if (faststart) args.push('-movflags', '+faststart');
  if (timecode) args.push('-timecode', timecode);
  args.push(path);
  await runFfmpeg(args);
  return path;
}

/** A copy of `source` cut to the first `keepFraction` of its bytes, like an interrupted upload. */
export async function truncatedCopy(source: string, dest: string, keepFraction = 0.5): Promise<string> {
  const bytes = await readFile(source);
  await writeFile(dest, bytes.subarray(0, Math.floor(bytes.length * keepFraction)));
  return dest;
}
