/**
 * Reads the frame number and timecode that ffmpeg burned into a test clip
 * (worker/test/fixtures-burned-in.ts) back from the picture a page shows: each character cell
 * of a line is matched against the glyphs drawn by the same filter and font, ink against ink,
 * over a few pixels of slack (the filter places a line by its tallest glyph, the encoder blurs
 * edges). Pure: pixels in, text out, with how far the worst cell was from its glyph.
 */
import { burnedInLayout, type Glyph } from '../../worker/test/fixtures-burned-in.ts';

/** 8-bit luma of a band of the picture: rows `top`… of the full picture width. */
export interface LumaBand {
  width: number;
  top: number;
  rows: number;
  luma: Uint8Array;
}

export interface BurnedIn {
  frame: number;
  timecode: string;
  /** The largest share of a cell's pixels that differed from the glyph read there (0 = exact). */
  worstMismatch: number;
}

const INK = 128;
const SLACK_X = 4;
const SLACK_Y = 12;

/** The band of rows a reader needs from the picture: both lines, with the vertical slack. */
export function burnedInBand(): { top: number; rows: number } {
  const top = burnedInLayout.frameY - SLACK_Y;
  return { top, rows: burnedInLayout.timecodeY + Math.ceil(burnedInLayout.fontSize * 1.3) + 2 * SLACK_Y - top };
}

/** 1 where a pixel is ink (bright), else 0. */
function inkOf(luma: Uint8Array): Uint8Array {
  return luma.map((value) => (value > INK ? 1 : 0));
}

/** Pixels of `glyph` (ink mask) placed at (x, y) of the band (ink mask) that disagree about ink. */
function mismatches(band: LumaBand, bandInk: Uint8Array, glyph: Glyph, glyphInk: Uint8Array, x: number, y: number) {
  let count = 0;
  for (let gy = 0; gy < glyph.height; gy++) {
    const row = y + gy - band.top;
    for (let gx = 0; gx < glyph.width; gx++) {
      const bx = x + gx;
      const ink = row >= 0 && row < band.rows && bx >= 0 && bx < band.width ? bandInk[row * band.width + bx]! : 0;
      if (glyphInk[gy * glyph.width + gx] !== ink) count++;
    }
  }
  return count;
}

/**
 * The `length` characters of the line whose top-left is (x, y). The first cell finds where the
 * filter put the line's glyphs vertically (within SLACK_Y); the others are read at that height.
 */
export function readLine(
  band: LumaBand,
  glyphs: readonly Glyph[],
  line: { x: number; y: number; length: number },
): { text: string; worstMismatch: number } {
  const bandInk = inkOf(band.luma);
  const glyphInks = glyphs.map((glyph) => inkOf(glyph.luma));
  let rows = { from: line.y - SLACK_Y, to: line.y + SLACK_Y };
  let text = '';
  let worstMismatch = 0;
  for (let index = 0; index < line.length; index++) {
    const cellX = Math.round(line.x + index * burnedInLayout.advance);
    let best = { character: '?', count: Number.POSITIVE_INFINITY, size: 1, y: line.y };
    glyphs.forEach((glyph, g) => {
      for (let y = rows.from; y <= rows.to; y++) {
        for (let x = cellX - SLACK_X; x <= cellX + SLACK_X; x++) {
          const count = mismatches(band, bandInk, glyph, glyphInks[g]!, x, y);
          if (count < best.count) best = { character: glyph.character, count, size: glyph.width * glyph.height, y };
        }
      }
    });
    if (index === 0) rows = { from: best.y - 1, to: best.y + 1 };
    text += best.character;
    worstMismatch = Math.max(worstMismatch, best.count / best.size);
  }
  return { text, worstMismatch };
}

/** Frame number and timecode burned into the picture whose band this is. */
export function readBurnedIn(band: LumaBand, glyphs: readonly Glyph[]): BurnedIn {
  const { x, frameY, timecodeY, frameDigits, timecodeChars } = burnedInLayout;
  const frame = readLine(band, glyphs, { x, y: frameY, length: frameDigits });
  const timecode = readLine(band, glyphs, { x, y: timecodeY, length: timecodeChars });
  return {
    frame: /^\d+$/.test(frame.text) ? Number(frame.text) : Number.NaN,
    timecode: timecode.text,
    worstMismatch: Math.max(frame.worstMismatch, timecode.worstMismatch),
  };
}
