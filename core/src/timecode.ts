/**
 * SMPTE timecode math (SMPTE ST 12-1), pure and frame-accurate.
 *
 * Frame rates are rational ({ num, den } frames per { den } seconds) because the
 * NTSC-family rates (24000/1001, 30000/1001, 60000/1001) are not representable as
 * floats; every frame computation stays in integers and only the conversion from
 * a media time in seconds touches floating point.
 *
 * Frames are 0-based counts from the start of the media. A timecode label is the
 * frame plus an optional start timecode (the source's first-frame label, e.g.
 * 01:00:00:00), counted with the nominal (rounded) rate, wrapping at 24 hours.
 * Drop-frame labels (29.97 and 59.94 only) skip frame numbers 0–1 (resp. 0–3) at
 * the start of every minute except every tenth, so the label tracks wall-clock time.
 *
 * This module is also bundled into the reviewer page: no Node APIs here.
 */
import { errors } from './errors.ts';

export interface FrameRate {
  readonly num: number;
  readonly den: number;
}

export const frameRates = {
  '23.976': { num: 24000, den: 1001 },
  '24': { num: 24, den: 1 },
  '25': { num: 25, den: 1 },
  '29.97': { num: 30000, den: 1001 },
  '30': { num: 30, den: 1 },
  '50': { num: 50, den: 1 },
  '59.94': { num: 60000, den: 1001 },
  '60': { num: 60, den: 1 },
} as const satisfies Record<string, FrameRate>;

export interface TimecodeOptions {
  /** Drop-frame labels (';' before the frames). Only valid for 30000/1001 and 60000/1001. Default false. */
  readonly dropFrame?: boolean;
  /** Label of frame 0, e.g. '01:00:00:00'. Its own separator does not matter: it is read with `dropFrame`. */
  readonly startTimecode?: string;
}

/**
 * How close (in frames) a time may fall before a frame boundary and still count as
 * that frame. Media times arrive as floats, often rounded to microseconds by the
 * browser: frame 1 at 29.97 starts at 0.0333666… s, which may come back as
 * 0.033366 s = 0.99998 frames. A thousandth of a frame (17 µs at 60 fps) absorbs
 * that rounding while never moving a real time by a visible amount.
 */
const FRAME_BOUNDARY_TOLERANCE = 1e-3;

const SECONDS_PER_DAY = 24 * 60 * 60;

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

function isPositiveSafeInteger(value: number): boolean {
  return Number.isSafeInteger(value) && value > 0;
}

/** Throws unless `rate` is a positive rational with integer terms. */
export function assertFrameRate(rate: FrameRate): FrameRate {
  if (
    rate === null ||
    typeof rate !== 'object' ||
    !isPositiveSafeInteger(rate.num) ||
    !isPositiveSafeInteger(rate.den)
  ) {
    throw errors.badRequest('a frame rate must be { num, den } with positive integers, e.g. 30000/1001', {
      rate: rate as unknown,
    });
  }
  if (rate.num / rate.den < 1 || rate.num / rate.den > 1000) {
    throw errors.badRequest(`frame rate ${rate.num}/${rate.den} is outside 1–1000 fps`, {
      rate: `${rate.num}/${rate.den}`,
    });
  }
  return rate;
}

/**
 * Reads '30000/1001', '25/1', '25', or the usual decimal names '29.97', '23.976', '59.94'
 * (a decimal within 0.01 of N×1000/1001 means that NTSC-family rate). The result is reduced.
 */
export function parseRate(text: string): FrameRate {
  const input = typeof text === 'string' ? text.trim() : '';
  const fraction = /^(\d+)\s*\/\s*(\d+)$/.exec(input);
  if (fraction) {
    const num = Number(fraction[1]);
    const den = Number(fraction[2]);
    if (den === 0) throw errors.badRequest(`frame rate ${JSON.stringify(text)} divides by zero`);
    const divisor = gcd(num, den) || 1;
    return assertFrameRate({ num: num / divisor, den: den / divisor });
  }
  if (/^\d+$/.test(input)) return assertFrameRate({ num: Number(input), den: 1 });
  if (/^\d+\.\d+$/.test(input)) {
    const decimal = Number(input);
    const ntscNominal = Math.round(decimal * 1.001);
    if (Math.abs((ntscNominal * 1000) / 1001 - decimal) < 0.01)
      return assertFrameRate({ num: ntscNominal * 1000, den: 1001 });
    if (Number.isInteger(decimal)) return assertFrameRate({ num: decimal, den: 1 });
  }
  throw errors.badRequest(
    `not a frame rate: ${JSON.stringify(text)} (expected e.g. '25/1', '30000/1001', '25' or '29.97')`,
  );
}

export function formatRate(rate: FrameRate): string {
  return `${rate.num}/${rate.den}`;
}

/** Frames per timecode second: 30 for 29.97, 24 for 23.976, 25 for 25. */
export function nominalFps(rate: FrameRate): number {
  assertFrameRate(rate);
  return Math.round(rate.num / rate.den);
}

/** Drop-frame counting is defined for 30000/1001 and 60000/1001 only. */
export function isDropFrameRate(rate: FrameRate): boolean {
  assertFrameRate(rate);
  return rate.den === 1001 && (rate.num === 30000 || rate.num === 60000);
}

/** Frame numbers skipped at each non-tenth minute: 2 at 29.97, 4 at 59.94. */
function droppedPerMinute(rate: FrameRate): number {
  return nominalFps(rate) / 15;
}

function assertFrame(frame: number, what = 'frame'): number {
  if (!Number.isSafeInteger(frame) || frame < 0) {
    throw errors.badRequest(`${what} must be a non-negative integer, got ${String(frame)}`);
  }
  return frame;
}

function assertDropFrameAllowed(rate: FrameRate): void {
  if (!isDropFrameRate(rate)) {
    throw errors.badRequest(`drop-frame timecode exists only at 30000/1001 and 60000/1001, not ${formatRate(rate)}`, {
      rate: formatRate(rate),
    });
  }
}

/** The frame displayed at `seconds` of media time (the frame whose interval contains it). */
export function secondsToFrame(seconds: number, rate: FrameRate): number {
  assertFrameRate(rate);
  if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds < 0) {
    throw errors.badRequest(`a media time must be a finite number of seconds ≥ 0, got ${String(seconds)}`);
  }
  const exact = (seconds * rate.num) / rate.den;
  const nearest = Math.round(exact);
  return Math.abs(exact - nearest) < FRAME_BOUNDARY_TOLERANCE ? nearest : Math.floor(exact);
}

/** The media time at which `frame` starts. */
export function frameToSeconds(frame: number, rate: FrameRate): number {
  assertFrameRate(rate);
  assertFrame(frame);
  return (frame * rate.den) / rate.num;
}

/** The frame count a timecode label stands for (no wrap, no start offset). */
function labelToCount(hh: number, mm: number, ss: number, ff: number, rate: FrameRate, dropFrame: boolean): number {
  const fps = nominalFps(rate);
  const count = ((hh * 60 + mm) * 60 + ss) * fps + ff;
  if (!dropFrame) return count;
  const totalMinutes = hh * 60 + mm;
  return count - droppedPerMinute(rate) * (totalMinutes - Math.floor(totalMinutes / 10));
}

/** Frames in one 24-hour timecode day, after which labels wrap to 00:00:00:00. */
function framesPerDay(rate: FrameRate, dropFrame: boolean): number {
  return dropFrame ? labelToCount(24, 0, 0, 0, rate, true) : SECONDS_PER_DAY * nominalFps(rate);
}

function resolveDropFrame(rate: FrameRate, options: TimecodeOptions): boolean {
  const dropFrame = options.dropFrame ?? false;
  if (dropFrame) assertDropFrameAllowed(rate);
  return dropFrame;
}

/**
 * 'HH:MM:SS:FF' (non-drop) or 'HH:MM:SS;FF' (drop-frame) for `frame`, offset by
 * `startTimecode`, wrapping at 24 hours like a tape deck.
 */
export function frameToTimecode(frame: number, rate: FrameRate, options: TimecodeOptions = {}): string {
  assertFrameRate(rate);
  assertFrame(frame);
  const dropFrame = resolveDropFrame(rate, options);
  const fps = nominalFps(rate);
  const start = options.startTimecode === undefined ? 0 : parseLabel(options.startTimecode, rate, dropFrame);
  let count = (frame + start) % framesPerDay(rate, dropFrame);

  if (dropFrame) {
    // Turn the real frame count into the label count by adding back the skipped numbers.
    const drop = droppedPerMinute(rate);
    const framesPerMinute = fps * 60 - drop;
    const framesPerTenMinutes = framesPerMinute * 10 + drop;
    const tens = Math.floor(count / framesPerTenMinutes);
    const rest = count % framesPerTenMinutes;
    count += 9 * drop * tens + (rest > drop ? drop * Math.floor((rest - drop) / framesPerMinute) : 0);
  }

  const ff = count % fps;
  const totalSeconds = Math.floor(count / fps);
  const ss = totalSeconds % 60;
  const mm = Math.floor(totalSeconds / 60) % 60;
  const hh = Math.floor(totalSeconds / 3600);
  const two = (n: number) => String(n).padStart(2, '0');
  const frameDigits = String(fps - 1).length;
  return `${two(hh)}:${two(mm)}:${two(ss)}${dropFrame ? ';' : ':'}${String(ff).padStart(Math.max(2, frameDigits), '0')}`;
}

/**
 * A timecode label as tools write it: ':' between the fields, or ';' ('.' or ',' where a
 * font or format lacks it) before the frames for drop-frame. Frames have 3 digits above 100 fps.
 */
const TIMECODE = /^(\d{2})[:;.](\d{2})[:;.](\d{2})([:;.,])(\d{2,3})$/;

interface LabelFields {
  readonly hh: number;
  readonly mm: number;
  readonly ss: number;
  readonly ff: number;
  /** The frame digits as written (2, or 3 above 100 fps). */
  readonly frameDigits: string;
  /** Whether the separator before the frames says drop-frame. */
  readonly dropFrame: boolean;
}

/** The fields of a label and the counting its separator names; null when `text` is not one. */
function matchLabel(text: unknown): LabelFields | null {
  const match = typeof text === 'string' ? TIMECODE.exec(text.trim()) : null;
  if (!match) return null;
  const [hh, mm, ss, ff] = [match[1], match[2], match[3], match[5]].map(Number) as [number, number, number, number];
  return { hh, mm, ss, ff, frameDigits: match[5]!, dropFrame: match[4] !== ':' };
}

/** Reads a label into a frame count from 00:00:00:00, validating every field for `rate`. */
function parseLabel(tc: string, rate: FrameRate, dropFrame: boolean): number {
  const fields = matchLabel(tc);
  if (!fields) {
    throw errors.badRequest(
      `not a timecode: ${JSON.stringify(tc)} (expected HH:MM:SS:FF, or HH:MM:SS;FF for drop-frame)`,
    );
  }
  const { hh, mm, ss, ff } = fields;
  const fps = nominalFps(rate);
  if (hh > 23 || mm > 59 || ss > 59 || ff >= fps) {
    throw errors.badRequest(
      `timecode ${tc} is out of range at ${formatRate(rate)} (frames 00–${fps - 1}, hours < 24)`,
      {
        timecode: tc,
        rate: formatRate(rate),
      },
    );
  }
  if (dropFrame && ss === 0 && mm % 10 !== 0 && ff < droppedPerMinute(rate)) {
    throw errors.badRequest(
      `timecode ${tc} does not exist in drop-frame: frames 0–${droppedPerMinute(rate) - 1} are skipped at this minute`,
      {
        timecode: tc,
        rate: formatRate(rate),
      },
    );
  }
  return labelToCount(hh, mm, ss, ff, rate, dropFrame);
}

/**
 * A source's start timecode: the label of its first frame and the counting it is in. It is
 * a `TimecodeOptions`, so it is passed as it is to frameToTimecode and timecodeToFrame.
 */
export interface StartTimecode extends TimecodeOptions {
  /** Canonical label: 'HH:MM:SS:FF', or 'HH:MM:SS;FF' for drop-frame. */
  readonly startTimecode: string;
  readonly dropFrame: boolean;
}

/**
 * The one reading of a start timecode label, wherever it comes from (an ffprobe or
 * MediaInfo tag, the reviewer page's link): drop-frame when the separator before the
 * frames is ';' (or '.' or ','), the label rewritten with ':' between the fields and ';'
 * or ':' before the frames. Null when `text` is not a label of a 24-hour day. Whether the
 * frames and the counting exist at a given rate is checked where the rate is known
 * (frameToTimecode and timecodeToFrame refuse them).
 */
export function parseStartTimecode(text: unknown): StartTimecode | null {
  const fields = matchLabel(text);
  if (!fields || fields.hh > 23 || fields.mm > 59 || fields.ss > 59) return null;
  const two = (n: number) => String(n).padStart(2, '0');
  const separator = fields.dropFrame ? ';' : ':';
  return {
    startTimecode: `${two(fields.hh)}:${two(fields.mm)}:${two(fields.ss)}${separator}${fields.frameDigits}`,
    dropFrame: fields.dropFrame,
  };
}

/**
 * The frame a timecode label names, counted from `startTimecode` (default 00:00:00:00).
 * Drop-frame is read from the separator (';', '.' or ',' before the frames) unless
 * `dropFrame` says otherwise. Labels wrap at 24 hours, so a label "before" the start
 * is read as the next day (start 23:00:00:00, label 00:30:00:00 is 1.5 h in).
 */
export function timecodeToFrame(tc: string, rate: FrameRate, options: TimecodeOptions = {}): number {
  assertFrameRate(rate);
  const dropFrame = resolveDropFrame(rate, { dropFrame: options.dropFrame ?? matchLabel(tc)?.dropFrame ?? false });
  const label = parseLabel(tc, rate, dropFrame);
  const start = options.startTimecode === undefined ? 0 : parseLabel(options.startTimecode, rate, dropFrame);
  const day = framesPerDay(rate, dropFrame);
  return (label - start + day) % day;
}

/** The label shown for media time `seconds`: the frame containing it, offset by the start timecode. */
export function secondsToTimecode(seconds: number, rate: FrameRate, options: TimecodeOptions = {}): string {
  return frameToTimecode(secondsToFrame(seconds, rate), rate, options);
}
