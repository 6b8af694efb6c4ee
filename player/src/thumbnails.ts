/**
 * Scrubbing thumbnails from the preview's sprite sheet: the worker's WebVTT index names, for each
 * stretch of time, a tile of the sheet (`sprite.jpg#xywh=x,y,w,h`, worker/src/media/sprites.ts).
 * Parsing and lookup are pure.
 */

export interface SpriteCue {
  start: number;
  end: number;
  /** The sheet, absolute (resolved against the index's own URL, which carries the edge token). */
  image: string;
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Seconds of a WebVTT timestamp: `HH:MM:SS.mmm` or `MM:SS.mmm`. */
function vttSeconds(text: string): number {
  const parts = text.trim().split(':').map(Number);
  return parts.reduce((total, part) => total * 60 + part, 0);
}

const cueTiming = /^((?:\d+:)?\d{2}:\d{2}\.\d{3})\s+-->\s+((?:\d+:)?\d{2}:\d{2}\.\d{3})/;
const tileFragment = /#xywh=(\d+),(\d+),(\d+),(\d+)$/;

/** The cues of a sprite index; cues that are not a tile reference are passed over. */
export function parseSpriteVtt(text: string, indexUrl: string): SpriteCue[] {
  const cues: SpriteCue[] = [];
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  for (let i = 0; i < lines.length; i++) {
    const timing = cueTiming.exec(lines[i]!.trim());
    if (!timing) continue;
    const payload = (lines[i + 1] ?? '').trim();
    const tile = tileFragment.exec(payload);
    if (!tile) continue;
    const [, x, y, width, height] = tile.map(Number) as [number, number, number, number, number];
    cues.push({
      start: vttSeconds(timing[1]!),
      end: vttSeconds(timing[2]!),
      image: new URL(payload.slice(0, tile.index), indexUrl).href,
      x,
      y,
      width,
      height,
    });
  }
  return cues;
}

/** The cue showing `seconds` (the last one for a time past the end), or null without cues. */
export function cueAt(cues: readonly SpriteCue[], seconds: number): SpriteCue | null {
  if (cues.length === 0) return null;
  let low = 0;
  let high = cues.length - 1;
  while (low < high) {
    const middle = (low + high + 1) >> 1;
    if (cues[middle]!.start <= seconds) low = middle;
    else high = middle - 1;
  }
  return cues[low]!;
}

export interface Thumbnails {
  /** Draws the tile for `seconds` into `into`; false when there is none. */
  draw(seconds: number, into: HTMLElement): boolean;
}

/** The sprite index at `vttUrl` (null: the preview has none), loaded once; missing thumbnails are not an error. */
export async function loadThumbnails(vttUrl: string | null): Promise<Thumbnails> {
  let cues: SpriteCue[] = [];
  if (vttUrl) {
    try {
      const response = await fetch(vttUrl, { credentials: 'omit', referrerPolicy: 'no-referrer' });
      if (response.ok) cues = parseSpriteVtt(await response.text(), vttUrl);
    } catch {
      // No thumbnails: the timeline still scrubs.
    }
  }
  return {
    draw(seconds, into) {
      const cue = cueAt(cues, seconds);
      if (!cue) return false;
      into.style.width = `${cue.width}px`;
      into.style.height = `${cue.height}px`;
      into.style.backgroundImage = `url("${cue.image}")`;
      into.style.backgroundPosition = `-${cue.x}px -${cue.y}px`;
      return true;
    },
  };
}
