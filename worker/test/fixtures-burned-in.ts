/**
 * Clips whose pictures say which frame they are, for the reviewer page's frame-accuracy tests:
 * every frame shows its frame number (0-based, six digits) and its SMPTE timecode, both drawn by
 * ffmpeg's drawtext (`%{eif:n}` and `timecode=`/`rate=`, drop-frame when the start label has ';'),
 * so the timecode on screen is ffmpeg's own, not ours. The page's picture is read back by
 * player/test/burned-in-reader.ts, which matches each character cell against glyphs drawn by the
 * same filter with the same font (`burnedInGlyphs`).
 *
 * The sound is a 440 Hz tone switched on and off four times a second, so a waveform has shape.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runFfmpeg } from '../src/media/run.ts';

/** DejaVu Sans Mono (Debian's fonts-dejavu-core, which chromium pulls in): every glyph one advance wide. */
export const burnedInFont = process.env.BURNED_IN_FONT ?? '/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf';

/** Where the two lines are drawn, in pixels of the 640x360 picture. */
export const burnedInLayout = {
  width: 640,
  height: 360,
  fontSize: 48,
  /** DejaVu Sans Mono advances every glyph by 1233/2048 em: 28.9 px at 48 px. */
  advance: (48 * 1233) / 2048,
  x: 40,
  /** Top of the frame-number line. */
  frameY: 40,
  /** Top of the timecode line. */
  timecodeY: 120,
  frameDigits: 6,
  /** Characters a timecode line has: HH:MM:SS:FF. */
  timecodeChars: 11,
} as const;

/** The characters a burned-in line can hold, in the order burnedInGlyphs draws them. */
export const burnedInCharacters = '0123456789:;';

const quiet = ['-hide_banner', '-nostdin', '-nostats', '-loglevel', 'error', '-y'];

/** drawtext needs ':' escaped inside an option value, and the filter graph needs it again. */
function drawtextValue(text: string): string {
  return text.replaceAll(':', '\\:');
}

function drawtext(options: Record<string, string | number>): string {
  return `drawtext=${Object.entries(options)
    .map(([key, value]) => `${key}=${value}`)
    .join(':')}`;
}

const common = { fontfile: burnedInFont, fontsize: burnedInLayout.fontSize, fontcolor: 'white' };

export interface BurnedInClipOptions {
  /** File name in dir; default burned-in.mov. */
  name?: string;
  /** An ffmpeg rational: '25', '24000/1001', '30000/1001'. */
  fps: string;
  /** Label of frame 0; ';' before the frames makes ffmpeg count drop-frame (29.97, 59.94). */
  startTimecode: string;
  seconds: number;
  /** Background colour (ffmpeg colour syntax): tells two versions apart in compare mode. */
  background?: string;
  /** A word drawn at the bottom (e.g. 'v2'). */
  caption?: string;
}

/**
 * A 640x360 H.264/AAC QuickTime file carrying `startTimecode` as its tmcd track (so the probe
 * records it, as it does for camera files) and drawing frame number and timecode into each frame.
 */
export async function generateBurnedInClip(dir: string, options: BurnedInClipOptions): Promise<string> {
  const { fps, startTimecode, seconds, background = '0x1d2330', caption = '' } = options;
  const path = join(dir, options.name ?? 'burned-in.mov');
  const { width, height, x, frameY, timecodeY, frameDigits } = burnedInLayout;
  const filters = [
    `color=c=${background}:s=${width}x${height}:r=${fps}:d=${seconds}`,
    drawtext({ ...common, x, y: frameY, text: `'%{eif\\:n\\:d\\:${frameDigits}}'` }),
    drawtext({ ...common, x, y: timecodeY, timecode: `'${drawtextValue(startTimecode)}'`, rate: fps }),
    // A bar crossing the picture once a second: motion to see while playing (and in a wipe).
    // (drawtext, not drawbox: ffmpeg 5.1's drawbox cannot move with n.)
    drawtext({ ...common, fontcolor: '0xf2c14e', x: `'mod(n*16\\,${width})'`, y: 240, text: "'█'" }),
    ...(caption ? [drawtext({ ...common, fontsize: 28, x, y: 300, text: `'${drawtextValue(caption)}'` })] : []),
  ];
  await runFfmpeg([
    ...quiet,
    ...['-f', 'lavfi', '-i', filters.join(',')],
    ...['-f', 'lavfi', '-i', `aevalsrc='0.4*sin(2*PI*440*t)*mod(floor(t*8),2)':s=48000:d=${seconds}`],
    ...['-map', '0:v', '-map', '1:a', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p'],
    ...['-c:a', 'aac', '-b:a', '96k', '-timecode', startTimecode, '-shortest', path],
  ]);
  return path;
}

/** One glyph of burnedInCharacters: 8-bit luma of white ink on black, row by row. */
export interface Glyph {
  character: string;
  width: number;
  height: number;
  luma: Uint8Array;
}

/**
 * Each character of burnedInCharacters drawn by the same filter and font, on black, in a cell one
 * advance wide and a little taller than a line. drawtext places a line by its tallest glyph, so
 * each is drawn after a '0' (as tall as any, like the digits of every burned-in line) and the
 * cell cut after it: every glyph sits as it does in a line.
 */
export async function burnedInGlyphs(dir: string): Promise<Glyph[]> {
  const { fontSize, advance } = burnedInLayout;
  const cellWidth = Math.ceil(advance);
  const cellHeight = Math.ceil(fontSize * 1.3);
  const top = Math.round(fontSize * 0.15);
  const pitch = 3 * cellWidth;
  const sheetWidth = pitch * burnedInCharacters.length;
  const filters = [
    `color=c=black:s=${sheetWidth}x${cellHeight}:r=1:d=1`,
    ...[...burnedInCharacters].map((character, index) =>
      drawtext({ ...common, x: index * pitch, y: top, text: `'0${drawtextValue(character)}'` }),
    ),
  ];
  const raw = join(dir, 'glyphs.gray');
  await runFfmpeg([
    ...quiet,
    ...['-f', 'lavfi', '-i', filters.join(','), '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'gray', raw],
  ]);
  const sheet = await readFile(raw);
  return [...burnedInCharacters].map((character, index) => {
    const luma = new Uint8Array(cellWidth * cellHeight);
    const left = index * pitch + Math.round(advance);
    for (let row = 0; row < cellHeight; row++) {
      const from = row * sheetWidth + left;
      luma.set(sheet.subarray(from, from + cellWidth), row * cellWidth);
    }
    return { character, width: cellWidth, height: cellHeight, luma };
  });
}
