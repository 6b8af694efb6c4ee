/**
 * Generated media that broadcast QC cares about, each a second or less at a small size so a
 * test file stays within a few seconds. Everything is made by ffmpeg through run.ts.
 */
import { join } from 'node:path';
import { runFfmpeg } from '../src/media/run.ts';

const quiet = ['-hide_banner', '-nostdin', '-nostats', '-loglevel', 'error', '-y'];

function picture(size: string, rate: string, seconds: number): string[] {
  return ['-f', 'lavfi', '-i', `testsrc2=size=${size}:rate=${rate}:duration=${seconds}`];
}

function tone(frequency: number, seconds: number): string[] {
  return ['-f', 'lavfi', '-i', `sine=frequency=${frequency}:sample_rate=48000:duration=${seconds}`];
}

const x264 = ['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p'];

/** What each clip is, and the ffmpeg arguments (without output) that make it. */
export const qcClips = {
  /** ProRes 422 HQ (apch), 10-bit 4:2:2, 24-bit PCM, QuickTime tmcd starting at 01:00:00:00. */
  'prores-hq.mov': [
    ...picture('320x180', '25', 1),
    ...tone(1000, 1),
    '-c:v',
    'prores_ks',
    '-profile:v',
    '3',
    '-pix_fmt',
    'yuv422p10le',
    '-c:a',
    'pcm_s24le',
    '-timecode',
    '01:00:00:00',
  ],
  /** H.264 1080i29.97 as cameras flag it: interlaced coding (x264 picks MBAFF), top field first. */
  'interlaced-1080i.mp4': [
    ...picture('1920x1080', '30000/1001', 0.2),
    ...x264,
    '-flags',
    '+ildct+ilme',
    '-field_order',
    'tt',
  ],
  /** 29.97 with a drop-frame tmcd start of 01:00:00;00. */
  'ntsc-drop-frame.mov': [...picture('320x180', '30000/1001', 1), ...x264, '-timecode', '01:00:00;00'],
  /** 25 fps with frames 10–30 removed and timestamps kept: a real gap, so variable frame rate. */
  'variable-rate.mp4': [
    ...picture('320x180', '25', 2),
    '-vf',
    'select=not(between(n\\,10\\,30))',
    '-fps_mode',
    'vfr',
    ...x264,
  ],
  /** Four mono 24-bit PCM tracks beside the picture, as MOV deliveries carry discrete channels. */
  'four-mono.mov': [
    ...picture('320x180', '25', 1),
    ...tone(440, 1),
    ...tone(550, 1),
    ...tone(660, 1),
    ...tone(770, 1),
    '-map',
    '0',
    '-map',
    '1',
    '-map',
    '2',
    '-map',
    '3',
    '-map',
    '4',
    ...x264,
    '-c:a',
    'pcm_s24le',
  ],
  /** MXF OP-1a: MPEG-2 4:2:2, two mono PCM tracks, material-package timecode 10:00:00:00. */
  'two-mono.mxf': [
    ...picture('320x180', '25', 1),
    ...tone(440, 1),
    ...tone(550, 1),
    '-map',
    '0',
    '-map',
    '1',
    '-map',
    '2',
    '-c:v',
    'mpeg2video',
    '-pix_fmt',
    'yuv422p',
    '-c:a',
    'pcm_s24le',
    '-timecode',
    '10:00:00:00',
  ],
} satisfies Record<string, string[]>;

export type QcClipName = keyof typeof qcClips;

export async function generateQcClip(dir: string, name: QcClipName): Promise<string> {
  const path = join(dir, name);
  await runFfmpeg([...quiet, ...qcClips[name], path]);
  return path;
}
