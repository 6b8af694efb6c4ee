/**
 * Review notes out of mediavault and into an edit: the comments of one version as CSV (for a
 * spreadsheet), as a CMX3600 marker EDL (DaVinci Resolve: Timelines > Import > Timeline Markers
 * from EDL; Premiere Pro: File > Import, one event per note at its source timecode), or as JSON;
 * and the reading of a position typed as a timecode or a frame number. Pure: no I/O, no clock.
 *
 * Everything is counted on the version's timeline (`versionTimeline`): frames from the version's
 * first frame at its rational rate, labels from its start timecode, drop-frame where the source
 * is, as the api counts a comment's `frame` and `timecode`: with the api's own rules
 * (core/src/review.ts and timecode.ts), bundled into the published SDK.
 */
import { nominalRate, versionTimebase } from '@mediavault/core/review';
import { frameToTimecode, isDropFrameRate, parseStartTimecode, timecodeToFrame } from '@mediavault/core/timecode';
import { MediavaultError } from './errors.ts';

/**
 * Frames per `den` seconds, e.g. 30000/1001. Core's type of the same shape, declared here so
 * that the published SDK's types stand on their own (core is bundled, not a dependency).
 */
export interface FrameRate {
  readonly num: number;
  readonly den: number;
}

/** The frame counting of one version: what a comment's `frame` and `timecode` are counted in. */
export interface VersionTimeline {
  readonly rate: FrameRate;
  /** Label of frame 0: 'HH:MM:SS:FF', or 'HH:MM:SS;FF' when `dropFrame`. */
  readonly startTimecode: string;
  readonly dropFrame: boolean;
  /** Frames the version holds (probed duration × rate, floored); null while it is not probed. */
  readonly durationFrames: number | null;
}

/** A version without a video frame rate (audio only) counts frames at 25/1 from 00:00:00:00. */
export const audioOnlyFrameRate: FrameRate = nominalRate;

/**
 * The timeline of a version from what its probe recorded (`version.meta` of `getAsset`): the
 * api's own timebase (core/src/review.ts) of the labels its player shows: the video frame rate,
 * the start timecode with drop-frame kept only at 29.97 and 59.94, and the duration.
 */
export function versionTimeline(meta: Readonly<Record<string, unknown>>): VersionTimeline {
  // As api/src/services/player-labels.ts reads a version's labels from the same meta.
  const rate = (meta.video as { frameRate?: FrameRate | null } | null | undefined)?.frameRate ?? null;
  const frameRate = rate && Number.isSafeInteger(rate.num) && Number.isSafeInteger(rate.den) ? rate : null;
  const start = parseStartTimecode(meta.startTimecode) ?? { startTimecode: '00:00:00:00', dropFrame: false };
  const dropFrame = start.dropFrame && frameRate !== null && hasDropFrame(frameRate);
  const startTimecode = dropFrame ? start.startTimecode : start.startTimecode.replace(';', ':');
  return versionTimebase({ frameRate, startTimecode, dropFrame }, meta.durationSeconds);
}

function hasDropFrame(rate: FrameRate): boolean {
  try {
    return isDropFrameRate(rate);
  } catch {
    // A rate the timecode rules refuse counts as none at all (versionTimebase: 25/1).
    return false;
  }
}

/** The label of `frame` on the version's clock. */
export function timecodeOf(frame: number, timeline: VersionTimeline): string {
  return frameToTimecode(frame, timeline.rate, timeline);
}

const timecodeShape = /^\d{2}[:;.]\d{2}[:;.]\d{2}[:;.,]\d{2,3}$/;

/**
 * A position typed by a person: a frame number (`250`, 0 being the version's first frame) or a
 * timecode on the version's clock (`01:00:10:05`, `01:00:10;05`: either separator, counted as the
 * version counts). Throws a MediavaultError `invalid_position` for anything else, a label that
 * does not exist at the version's rate, or a frame outside the version.
 */
export function parseFramePosition(text: string, timeline: VersionTimeline): number {
  const input = text.trim();
  let frame: number;
  if (/^\d+$/.test(input) && Number.isSafeInteger(Number(input))) {
    frame = Number(input);
  } else if (timecodeShape.test(input)) {
    try {
      frame = timecodeToFrame(input, timeline.rate, timeline);
    } catch (err) {
      throw new MediavaultError('invalid_position', (err as Error).message);
    }
  } else {
    throw new MediavaultError(
      'invalid_position',
      `"${text}" is neither a frame number nor a timecode (HH:MM:SS:FF, or HH:MM:SS;FF for drop-frame)`,
    );
  }
  const { durationFrames } = timeline;
  if (durationFrames !== null && frame >= durationFrames) {
    throw new MediavaultError(
      'invalid_position',
      `${input} is outside the version: its frames are 0 to ${durationFrames - 1} (${timecodeOf(0, timeline)} to ${timecodeOf(durationFrames - 1, timeline)})`,
      { details: { frame, durationFrames } },
    );
  }
  return frame;
}

/** The fields of a comment (`listComments` items) that the exports read. */
export interface ExportableComment {
  readonly id: string;
  readonly parentId: string | null;
  readonly versionNumber: number;
  readonly frame: number;
  /** Last frame of a range (inclusive), null for a single frame. */
  readonly endFrame: number | null;
  readonly timecode: string;
  readonly endTimecode: string | null;
  readonly text: string;
  readonly internal: boolean;
  readonly author: { readonly name: string };
  readonly resolved: boolean;
  readonly createdAt: string;
  readonly deleted: boolean;
}

/** What the comments are of: one version of one asset, and its clock. */
export interface ExportSubject {
  readonly assetId: string;
  readonly assetName: string;
  readonly versionId: string;
  readonly versionNumber: number;
  readonly timeline: VersionTimeline;
}

export const exportFormats = ['csv', 'edl', 'json'] as const;
export type ExportFormat = (typeof exportFormats)[number];

/**
 * The comments of `subject`'s version in `format`. Comments of other versions and deleted ones
 * (tombstones) are left out; the rest go in thread order: top-level comments by frame, then by
 * creation, each followed by its replies. A reply whose parent is left out stands on its own.
 */
export function exportComments<C extends ExportableComment>(
  format: ExportFormat,
  comments: readonly C[],
  subject: ExportSubject,
): string {
  const threads = threadsOf(comments, subject.versionNumber);
  if (format === 'csv') return csvOf(threads);
  if (format === 'edl') return edlOf(threads, subject);
  return jsonOf(threads, subject);
}

interface Thread<C extends ExportableComment> {
  readonly comment: C;
  readonly replies: C[];
}

function threadsOf<C extends ExportableComment>(comments: readonly C[], versionNumber: number): Thread<C>[] {
  const kept = comments.filter((c) => c.versionNumber === versionNumber && !c.deleted);
  const ids = new Set(kept.map((c) => c.id));
  const byCreation = (a: C, b: C) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id);
  const threads = kept
    .filter((c) => c.parentId === null || !ids.has(c.parentId))
    .sort((a, b) => a.frame - b.frame || byCreation(a, b))
    .map((comment): Thread<C> => ({ comment, replies: [] }));
  const byId = new Map(threads.map((t) => [t.comment.id, t]));
  for (const reply of kept.filter((c) => c.parentId !== null && ids.has(c.parentId)).sort(byCreation))
    byId.get(reply.parentId!)?.replies.push(reply);
  return threads;
}

const inOrder = <C extends ExportableComment>(threads: Thread<C>[]): C[] =>
  threads.flatMap((t) => [t.comment, ...t.replies]);

// ---- CSV (RFC 4180) ----

const csvColumns = [
  'comment_id',
  'parent_id',
  'version',
  'frame',
  'end_frame',
  'timecode',
  'end_timecode',
  'author',
  'internal',
  'resolved',
  'created_at',
  'text',
] as const;

/** A field quoted when it holds a comma, a quote or a line break (RFC 4180). */
function csvField(value: string | number | boolean | null): string {
  const text = value === null ? '' : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/**
 * Text people typed, made inert for spreadsheets: a cell that starts with = + - @ (or a tab or
 * carriage return) is a formula to Excel and LibreOffice (CSV injection), so it gets a leading '.
 */
function csvText(text: string): string {
  return /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
}

function csvOf(threads: Thread<ExportableComment>[]): string {
  const rows = inOrder(threads).map((c) =>
    [
      c.id,
      c.parentId,
      c.versionNumber,
      c.frame,
      c.endFrame,
      c.timecode,
      c.endTimecode,
      csvText(c.author.name),
      c.internal,
      c.resolved,
      c.createdAt,
      csvText(c.text),
    ]
      .map(csvField)
      .join(','),
  );
  // The byte order mark makes Excel read the file as UTF-8 (accented names, non-Latin notes).
  return `\uFEFF${[csvColumns.join(','), ...rows].map((row) => `${row}\r\n`).join('')}`;
}

// ---- CMX3600 marker EDL ----

/** CMX3600 numbers events with three digits. */
export const maxEdlEvents = 999;
/** CMX3600 titles hold at most 70 characters. */
const maxTitleLength = 70;

/** One line of free text: control characters and line breaks become spaces, runs of space one. */
function oneLine(text: string): string {
  return text
    .replace(/[\u0000-\u001f\u007f]/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

/** `|` separates the fields of a Resolve marker line, so notes carry `/` instead. */
const markerText = (text: string) => oneLine(text).replaceAll('|', '/');

const saying = (c: ExportableComment) => `${c.author.name}: ${c.text}`;

/**
 * The EDL is the shape DaVinci Resolve writes when it exports timeline markers, which is what
 * its "Timeline Markers from EDL" import reads: per marker, a one-frame cut event on reel AX
 * whose source and record timecodes are the marked frame, then the marker line
 * ` |C:<colour> |M:<name> |D:<duration in frames>`. A `* FROM CLIP NAME:` comment follows, the
 * CMX3600 comment that Premiere Pro and Avid read as the event's clip name. Columns are the
 * CMX3600 ones: event 1–3, reel 6–13, channel 15–19, transition 21–28, then the four timecodes
 * at 30, 42, 54 and 66; drop-frame timecodes carry ';' before the frames under `FCM: DROP FRAME`.
 * Open notes are blue markers, resolved ones green; replies are folded into their note.
 */
function edlOf(threads: Thread<ExportableComment>[], subject: ExportSubject): string {
  if (threads.length > maxEdlEvents) {
    throw new MediavaultError(
      'edl_too_long',
      `a CMX3600 EDL holds at most ${maxEdlEvents} events and version ${subject.versionNumber} has ${threads.length} notes: export fewer (open ones only, say) or use csv or json`,
      { details: { notes: threads.length, max: maxEdlEvents } },
    );
  }
  const { timeline } = subject;
  const title = oneLine(`${subject.assetName} v${subject.versionNumber}`).slice(0, maxTitleLength);
  const lines = [`TITLE: ${title}`, `FCM: ${timeline.dropFrame ? 'DROP FRAME' : 'NON-DROP FRAME'}`, ''];
  threads.forEach(({ comment, replies }, index) => {
    const at = timecodeOf(comment.frame, timeline);
    const next = timecodeOf(comment.frame + 1, timeline);
    const event = String(index + 1).padStart(3, '0');
    lines.push(`${event}  ${'AX'.padEnd(8)} ${'V'.padEnd(5)} ${'C'.padEnd(8)} ${at} ${next} ${at} ${next}`);
    const flags = `${comment.internal ? '[internal] ' : ''}${comment.resolved ? '[resolved] ' : ''}`;
    const name = markerText(`${flags}${[comment, ...replies].map(saying).join(' // ')}`);
    const colour = comment.resolved ? 'ResolveColorGreen' : 'ResolveColorBlue';
    const duration = comment.endFrame === null ? 1 : comment.endFrame - comment.frame + 1;
    lines.push(` |C:${colour} |M:${name} |D:${duration}`);
    lines.push(`* FROM CLIP NAME: ${name}`);
    lines.push('');
  });
  return lines.map((line) => `${line}\r\n`).join('');
}

// ---- JSON ----

function jsonOf<C extends ExportableComment>(threads: Thread<C>[], subject: ExportSubject): string {
  const { timeline } = subject;
  const document = {
    asset: { id: subject.assetId, name: subject.assetName },
    version: {
      id: subject.versionId,
      number: subject.versionNumber,
      frameRate: `${timeline.rate.num}/${timeline.rate.den}`,
      startTimecode: timeline.startTimecode,
      dropFrame: timeline.dropFrame,
      durationFrames: timeline.durationFrames,
    },
    comments: inOrder(threads),
  };
  return `${JSON.stringify(document, null, 2)}\n`;
}
