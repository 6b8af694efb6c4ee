/**
 * Scrubbing thumbnails: one JPEG sheet of small frames taken every N seconds (ffmpeg's fps +
 * tile filters, inside the preview command) and a WebVTT index whose cues point at each tile
 * with a media fragment (`sprite.jpg#xywh=x,y,w,h`), the form video.js, Plyr and Vidstack read.
 * Pure: planning and the index are computed from the probe alone.
 */

export interface SpritePlan {
  /** Seconds between two tiles; tile i shows the frame nearest to i * intervalSeconds. */
  intervalSeconds: number;
  tileWidth: number;
  tileHeight: number;
  columns: number;
  rows: number;
  /** Tiles that carry a frame (the last row may be partly empty). */
  count: number;
  durationSeconds: number;
}

/** One sheet keeps the index to one image request; 100 tiles of 160 px stay under 2 MP. */
export const spriteMaxTiles = 100;
export const spriteTileWidth = 160;
export const spriteMaxColumns = 10;
/** Denser than one a second adds nothing a scrubbing thumbnail can show. */
export const spriteMinIntervalSeconds = 1;

/**
 * Tiles every second for clips up to 100 s, then sparser so the whole duration fits one sheet.
 * Null when the duration is unknown: the cue times could not be written.
 */
export function planSprites(
  display: { width: number; height: number },
  durationSeconds: number | null,
): SpritePlan | null {
  if (durationSeconds === null || !(durationSeconds > 0)) return null;
  if (!(display.width > 0 && display.height > 0)) return null;
  const intervalSeconds = Math.max(spriteMinIntervalSeconds, Math.ceil(durationSeconds / spriteMaxTiles));
  // A tile at every whole interval strictly before the end (a 3.0 s clip: 0, 1, 2).
  const count = Math.max(1, Math.min(spriteMaxTiles, Math.ceil(durationSeconds / intervalSeconds - 1e-6)));
  const tileWidth = Math.min(spriteTileWidth, evenFloor(display.width));
  const tileHeight = Math.max(2, Math.round((display.height * tileWidth) / display.width / 2) * 2);
  const columns = Math.min(spriteMaxColumns, count);
  return { intervalSeconds, tileWidth, tileHeight, columns, rows: Math.ceil(count / columns), count, durationSeconds };
}

/** The WebVTT index; `imageUri` is relative to the VTT file (both are published side by side). */
export function spriteVtt(plan: SpritePlan, imageUri: string): string {
  const lines = ['WEBVTT', ''];
  for (let i = 0; i < plan.count; i++) {
    const start = i * plan.intervalSeconds;
    const end = Math.min((i + 1) * plan.intervalSeconds, plan.durationSeconds);
    const x = (i % plan.columns) * plan.tileWidth;
    const y = Math.floor(i / plan.columns) * plan.tileHeight;
    lines.push(`${vttTime(start)} --> ${vttTime(Math.max(end, start + 0.001))}`);
    lines.push(`${imageUri}#xywh=${x},${y},${plan.tileWidth},${plan.tileHeight}`);
    lines.push('');
  }
  return lines.join('\n');
}

/** HH:MM:SS.mmm, as WebVTT requires (hours always present so long films parse everywhere). */
export function vttTime(seconds: number): string {
  const totalMs = Math.round(seconds * 1000);
  const ms = totalMs % 1000;
  const totalSeconds = (totalMs - ms) / 1000;
  const s = totalSeconds % 60;
  const m = Math.floor(totalSeconds / 60) % 60;
  const h = Math.floor(totalSeconds / 3600);
  return `${pad(h, 2)}:${pad(m, 2)}:${pad(s, 2)}.${pad(ms, 3)}`;
}

function pad(value: number, width: number): string {
  return String(value).padStart(width, '0');
}

function evenFloor(value: number): number {
  return Math.max(2, Math.floor(value / 2) * 2);
}
