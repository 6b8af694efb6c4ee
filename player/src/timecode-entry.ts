/**
 * What a reviewer types to jump: a timecode (`01:00:10:05`, `01:00:10;05`, or the short forms
 * `10:05` and `1000105`, filled from the right as editing systems do), `+12` / `-12` frames from
 * here, or `#250` for a frame number. Pure.
 */
import { timecodeToFrame } from '@mediavault/core/timecode';
import type { FrameLabels } from './frame-video.ts';

export type Jump = { frame: number } | { error: string };

/** The frame `typed` names, within [0, frameCount), or why it names none. */
export function parseJump(typed: string, labels: FrameLabels, currentFrame: number, frameCount: number): Jump {
  const text = typed.trim();
  const within = (frame: number, what: string): Jump =>
    frame >= 0 && frame < frameCount ? { frame } : { error: `${what} is outside this version (${frameCount} frames).` };
  const relative = /^([+-])\s*(\d{1,7})$/.exec(text);
  if (relative) {
    const frames = Number(relative[2]) * (relative[1] === '-' ? -1 : 1);
    return within(currentFrame + frames, `${text} frames from here`);
  }
  const absolute = /^#\s*(\d{1,9})$/.exec(text);
  if (absolute) return within(Number(absolute[1]), `Frame ${absolute[1]}`);
  const groups = /^\d{1,2}([:;.]\d{1,2}){0,3}$/.test(text)
    ? text.split(/[:;.]/)
    : /^\d{1,8}$/.test(text)
      ? (text.padStart(8, '0').match(/\d\d/g) ?? [])
      : null;
  if (!groups || groups.length === 0) {
    return { error: `“${typed}” is not a timecode: type HH:MM:SS:FF, +frames, -frames or #frame.` };
  }
  const [hours, minutes, seconds, frames] = [...Array(4 - groups.length).fill('0'), ...groups].map((part) =>
    part.padStart(2, '0'),
  );
  const separator = labels.dropFrame ? ';' : ':';
  const timecode = `${hours}:${minutes}:${seconds}${separator}${frames}`;
  let frame: number;
  try {
    frame = timecodeToFrame(timecode, labels.rate, labels);
  } catch (err) {
    return { error: `${timecode}: ${(err as Error).message}` };
  }
  return within(frame, timecode);
}
