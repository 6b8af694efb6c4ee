/**
 * Review rules, pure: the timebase a version's comments are counted in (integer frames from its
 * first frame at its rational rate, labelled from its start timecode), which anchors a version
 * takes, the bounds of a drawing, and the state a comment is in. No I/O.
 */
import { errors } from './errors.ts';
import { assertFrameRate, formatRate, frameToTimecode, secondsToFrame, type FrameRate } from './timecode.ts';

/** Versions without a video frame rate (audio only, documents) count frames at 25/1 from 00:00:00:00. */
export const nominalRate: FrameRate = { num: 25, den: 1 };
const midnight = '00:00:00:00';

/** A version's labels as its probe recorded them and the player shows them (api player-labels). */
export interface VersionLabels {
  frameRate: FrameRate | null;
  startTimecode: string;
  dropFrame: boolean;
}

/** How a version's frames are counted and labelled. */
export interface Timebase {
  rate: FrameRate;
  startTimecode: string;
  dropFrame: boolean;
  /** Frames in the version: its duration × rate, rounded down; null while the duration is not known. */
  durationFrames: number | null;
}

function usableRate(rate: FrameRate | null): FrameRate | null {
  try {
    return rate ? assertFrameRate(rate) : null;
  } catch {
    return null;
  }
}

function labels(timebase: Omit<Timebase, 'durationFrames'>, frame: number): string {
  return frameToTimecode(frame, timebase.rate, {
    startTimecode: timebase.startTimecode,
    dropFrame: timebase.dropFrame,
  });
}

/**
 * The timebase of a version. A rate the timecode rules refuse counts as none (25/1), and a start
 * label that does not exist at the rate (frame 29 at 25 fps) as 00:00:00:00: a version whose
 * probe recorded odd values still takes and shows comments, never a 400 on a read.
 */
export function versionTimebase(version: VersionLabels, durationSeconds: unknown): Timebase {
  const rate = usableRate(version.frameRate);
  let base = rate
    ? { rate, startTimecode: version.startTimecode, dropFrame: version.dropFrame }
    : { rate: nominalRate, startTimecode: midnight, dropFrame: false };
  try {
    labels(base, 0);
  } catch {
    base = { ...base, startTimecode: midnight, dropFrame: false };
  }
  const known = typeof durationSeconds === 'number' && Number.isFinite(durationSeconds) && durationSeconds > 0;
  return { ...base, durationFrames: known ? secondsToFrame(durationSeconds, base.rate) : null };
}

/** SMPTE labels of a comment's frame and end frame in its version's timebase. */
export function anchorTimecodes(
  timebase: Timebase,
  frame: number,
  endFrame: number | null,
): { timecode: string; endTimecode: string | null } {
  return { timecode: labels(timebase, frame), endTimecode: endFrame === null ? null : labels(timebase, endFrame) };
}

/**
 * Refuses (400) an anchor the version cannot take: an end frame before the frame, or either past
 * the version's last frame. The end frame is inclusive (frame = endFrame is a one-frame range).
 * While the duration is not known (not probed yet) only the order is checked.
 */
export function checkAnchor(timebase: Timebase, frame: number, endFrame: number | null): void {
  if (endFrame !== null && endFrame < frame) {
    throw errors.badRequest(`endFrame ${endFrame} is before frame ${frame}`, { field: 'body.endFrame' });
  }
  const { durationFrames } = timebase;
  if (durationFrames === null) return;
  for (const [field, value] of [
    ['frame', frame],
    ['endFrame', endFrame],
  ] as const) {
    if (value !== null && value >= durationFrames) {
      const range = durationFrames > 0 ? `frames 0–${durationFrames - 1}` : 'no whole frame';
      throw errors.badRequest(
        `${field} ${value} is outside the version: it has ${range} at ${formatRate(timebase.rate)}`,
        { field: `body.${field}`, durationFrames },
      );
    }
  }
}

/** Text of a comment: at most this many characters (Unicode code points, as PostgreSQL counts them). */
export const maxCommentText = 10_000;

/** Refuses text with nothing but white space in it. */
export function checkCommentText(text: string, field = 'body.text'): void {
  if (text.trim() === '') throw errors.badRequest('text is empty', { field });
}

export type Point = [number, number];
export type Shape =
  | { kind: 'freehand'; points: Point[] }
  | { kind: 'arrow'; from: Point; to: Point }
  | { kind: 'rect'; from: Point; to: Point };
/** A drawing on the paused frame: shapes in coordinates normalised to the picture (0–1 both ways). */
export interface Annotation {
  shapes: Shape[];
  color?: string;
}

export const annotationLimits = { shapes: 50, points: 2000 } as const;

/** Points in a drawing: a freehand stroke's own, two for an arrow or a rectangle. */
export function annotationPoints(annotation: Annotation): number {
  return annotation.shapes.reduce((sum, shape) => sum + (shape.kind === 'freehand' ? shape.points.length : 2), 0);
}

/** Refuses a drawing over the limits (the schema bounds each shape; the total is counted here). */
export function checkAnnotation(annotation: Annotation | null, field = 'body.annotation'): void {
  if (!annotation) return;
  if (annotation.shapes.length > annotationLimits.shapes) {
    throw errors.badRequest(`a drawing has at most ${annotationLimits.shapes} shapes`, { field });
  }
  const points = annotationPoints(annotation);
  if (points > annotationLimits.points) {
    throw errors.badRequest(`a drawing has at most ${annotationLimits.points} points in all, this one ${points}`, {
      field,
    });
  }
}

export const approvalStatuses = ['approved', 'changes_requested'] as const;
export type ApprovalStatus = (typeof approvalStatuses)[number];
