/**
 * Issue 13 point 4: the exports of review notes (CSV, CMX3600 marker EDL, JSON), the version's
 * clock they are counted on, and the reading of a typed position. Exact outputs, and every EDL
 * read back by a strict CMX3600 parser written here from the published format (not from the
 * exporter): fixed columns, event numbering, timecodes valid at the rate (drop-frame labels with
 * ';' and none of the skipped numbers), one-frame events whose source and record agree, and
 * Resolve's marker line. Its own timecode counting is independent of core's.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  audioOnlyFrameRate,
  exportComments,
  maxEdlEvents,
  parseFramePosition,
  versionTimeline,
  type ExportableComment,
  type ExportSubject,
  type VersionTimeline,
} from '../src/comment-export.ts';

// ---- A strict reader of CMX3600 marker EDLs ----

interface EdlMarkerEvent {
  number: number;
  reel: string;
  channel: string;
  /** Frames from the start timecode given to the reader, counted by this reader. */
  frame: number;
  sourceIn: string;
  colour: string;
  name: string;
  durationFrames: number;
  clipName: string;
}

const resolveColours = [
  'Blue',
  'Cyan',
  'Green',
  'Yellow',
  'Red',
  'Pink',
  'Purple',
  'Fuchsia',
  'Rose',
  'Lavender',
  'Sky',
  'Mint',
  'Lemon',
  'Sand',
  'Cocoa',
  'Cream',
];

/**
 * SMPTE label to a frame count from 00:00:00:00, validating it at `fps` (nominal) with or
 * without drop-frame: at 30 and 60 fps drop-frame skips 2 (4) numbers at each minute not
 * divisible by ten, which such a label may not name.
 */
function labelFrames(label: string, fps: number, dropFrame: boolean): number {
  const match = /^(\d\d):(\d\d):(\d\d)([:;])(\d\d)$/.exec(label);
  assert.ok(match, `timecode ${label} is HH:MM:SS:FF`);
  const [hh, mm, ss, ff] = [match[1], match[2], match[3], match[5]].map(Number) as [number, number, number, number];
  assert.equal(match[4], dropFrame ? ';' : ':', `timecode ${label}: ';' before the frames exactly when drop-frame`);
  assert.ok(hh < 24 && mm < 60 && ss < 60 && ff < fps, `timecode ${label} in range at ${fps} fps`);
  const skipped = dropFrame ? fps / 15 : 0;
  if (dropFrame) assert.ok(!(ss === 0 && mm % 10 !== 0 && ff < skipped), `${label} is a skipped drop-frame number`);
  const minutes = hh * 60 + mm;
  return (minutes * 60 + ss) * fps + ff - skipped * (minutes - Math.floor(minutes / 10));
}

/**
 * Reads a marker EDL: `TITLE:` (at most 70 characters), `FCM:`, a blank line, then per marker an
 * event line in CMX3600's fixed columns (event 1–3, reel 6–13, channel 15–19, transition 21–24,
 * transition duration 26–28, source in/out 30–40 and 42–52, record in/out 54–64 and 66–76),
 * Resolve's marker line and a `* FROM CLIP NAME:` comment, then a blank line. Every line ends
 * with CR LF.
 */
function readMarkerEdl(
  text: string,
  clock: { fps: number; startTimecode: string },
): { title: string; dropFrame: boolean; events: EdlMarkerEvent[] } {
  assert.ok(text.endsWith('\r\n'), 'the list ends with CR LF');
  const lines = text.slice(0, -2).split('\r\n');
  for (const line of lines) assert.doesNotMatch(line, /[\r\n]/, 'no bare CR or LF');
  const title = /^TITLE: (.{1,70})$/.exec(lines[0] ?? '');
  assert.ok(title, `first line is TITLE: (1–70 characters): ${lines[0]}`);
  const fcm = /^FCM: (DROP FRAME|NON-DROP FRAME)$/.exec(lines[1] ?? '');
  assert.ok(fcm, `second line is FCM: ${lines[1]}`);
  const dropFrame = fcm[1] === 'DROP FRAME';
  assert.equal(lines[2], '', 'a blank line after the header');
  const start = labelFrames(clock.startTimecode, clock.fps, dropFrame);
  // Labels wrap at midnight like a tape deck's: a label below the start is on the next day.
  const day = labelFrames(`23:59:59${dropFrame ? ';' : ':'}${clock.fps - 1}`, clock.fps, dropFrame) + 1;
  const after = (from: number, to: number) => (to - from + day) % day;
  const events: EdlMarkerEvent[] = [];
  const body = lines.slice(3);
  assert.equal(body.length % 4, 0, 'each event is four lines: event, marker, clip name, blank');
  for (let i = 0; i < body.length; i += 4) {
    const [event, marker, clip, blank] = body.slice(i, i + 4) as [string, string, string, string];
    assert.equal(event.length, 76, `event line is 76 columns: "${event}"`);
    const column = (from: number, to: number) => event.slice(from - 1, to);
    const number = Number(column(1, 3));
    assert.match(column(1, 3), /^\d{3}$/);
    assert.equal(number, events.length + 1, 'events are numbered 001, 002, … in order');
    assert.equal(column(4, 5), '  ');
    assert.match(column(6, 13), /^[A-Za-z0-9_]{1,8} *$/, 'reel: up to 8 characters, left-aligned');
    assert.equal(column(14, 14), ' ');
    assert.match(column(15, 19), /^(V|A|A2|AA|B|A2\/V|AA\/V) *$/, 'channel');
    assert.equal(column(20, 20), ' ');
    assert.equal(column(21, 24), 'C   ', 'a cut');
    assert.equal(column(25, 29), '     ', 'a cut has no transition duration');
    for (const at of [41, 53, 65]) assert.equal(column(at, at), ' ');
    const [sourceIn, sourceOut, recordIn, recordOut] = [column(30, 40), column(42, 52), column(54, 64), column(66, 76)];
    const frames = [sourceIn, sourceOut, recordIn, recordOut].map((tc) => labelFrames(tc, clock.fps, dropFrame));
    assert.equal(after(frames[0]!, frames[1]!), 1, `a marker event is one frame long: ${sourceIn} ${sourceOut}`);
    assert.deepEqual([recordIn, recordOut], [sourceIn, sourceOut], 'record timecodes are the source ones');
    const fields = /^ \|C:ResolveColor([A-Za-z]+) \|M:([^|]+) \|D:([1-9]\d*)$/.exec(marker);
    assert.ok(fields, `Resolve marker line: "${marker}"`);
    assert.ok(resolveColours.includes(fields[1]!), `a colour Resolve has: ${fields[1]}`);
    assert.equal(fields[2], fields[2]!.trim(), 'marker name not padded');
    const clipName = /^\* FROM CLIP NAME: (.+)$/.exec(clip);
    assert.ok(clipName, `clip name comment: "${clip}"`);
    assert.equal(blank, '', 'a blank line between events');
    events.push({
      number,
      reel: column(6, 13).trim(),
      channel: column(15, 19).trim(),
      frame: after(start, frames[0]!),
      sourceIn,
      colour: `ResolveColor${fields[1]}`,
      name: fields[2]!,
      durationFrames: Number(fields[3]),
      clipName: clipName[1]!,
    });
  }
  return { title: title[1]!, dropFrame, events };
}

// ---- Fixtures ----

const df2997: VersionTimeline = {
  rate: { num: 30000, den: 1001 },
  startTimecode: '01:00:00;00',
  dropFrame: true,
  durationFrames: 20 * 17982,
};

const subject = (timeline: VersionTimeline, versionNumber = 2): ExportSubject => ({
  assetId: '6a0d2b5e-0000-4000-8000-000000000001',
  assetName: 'Trailer.mov',
  versionId: '6a0d2b5e-0000-4000-8000-000000000002',
  versionNumber,
  timeline,
});

let sequence = 0;
/** A comment as listComments gives it (the exports read a part of it). */
type ListedComment = ExportableComment & {
  author: { name: string; kind: 'member' | 'guest'; userId: string | null };
  annotation: null;
};
function comment(
  fields: Partial<ListedComment> & Pick<ExportableComment, 'frame' | 'timecode' | 'text'>,
): ListedComment {
  sequence++;
  return {
    id: `00000000-0000-4000-8000-${String(sequence).padStart(12, '0')}`,
    parentId: null,
    versionNumber: 2,
    endFrame: null,
    endTimecode: null,
    internal: false,
    author: { name: 'Alice', kind: 'member', userId: null },
    resolved: false,
    createdAt: `2026-12-01T10:00:${String(sequence).padStart(2, '0')}.000Z`,
    deleted: false,
    annotation: null,
    ...fields,
  };
}

// The timecodes here are the classic drop-frame values, worked out by hand: 1800 frames after a
// ten-minute mark is the next minute's frame 02; 17982 frames is ten minutes exactly.
const logo = comment({ frame: 1800, timecode: '01:01:00;02', text: 'Logo too small' });
const reply = comment({
  frame: 1800,
  timecode: '01:01:00;02',
  text: 'Fixed in v3',
  parentId: logo.id,
  author: { name: 'Bob', kind: 'member', userId: null },
});
const grade = comment({
  frame: 17982,
  endFrame: 17982 + 59,
  timecode: '01:10:00;00',
  endTimecode: '01:10:01;29',
  text: 'Grade: "warmer"\nsee | ref',
  internal: true,
  resolved: true,
  author: { name: 'Carol', kind: 'member', userId: null },
});
const beforeDrop = comment({ frame: 1799, timecode: '01:00:59;29', text: 'Cut a frame earlier' });
const formula = comment({
  frame: 0,
  timecode: '01:00:00;00',
  text: '=HYPERLINK("https://example.com")',
  author: { name: '@dan', kind: 'member', userId: null },
});
const deleted = comment({ frame: 5, timecode: '01:00:00;05', text: '', deleted: true });
const otherVersion = comment({ frame: 7, timecode: '01:00:00;07', text: 'Old cut', versionNumber: 1 });
// Listed as the api lists them (replies after their parent), but not in frame order.
const listed = [grade, logo, reply, beforeDrop, formula, deleted, otherVersion];

describe('the version clock', () => {
  test('rate, start timecode and duration come from the probe; drop-frame only where the rate has it', () => {
    assert.deepEqual(
      versionTimeline({ video: { frameRate: { num: 25, den: 1 } }, startTimecode: '10:00:00:00', durationSeconds: 10 }),
      { rate: { num: 25, den: 1 }, startTimecode: '10:00:00:00', dropFrame: false, durationFrames: 250 },
    );
    assert.deepEqual(
      versionTimeline({
        video: { frameRate: { num: 30000, den: 1001 } },
        startTimecode: '00:59:59;28',
        durationSeconds: 10.01,
      }),
      { rate: { num: 30000, den: 1001 }, startTimecode: '00:59:59;28', dropFrame: true, durationFrames: 300 },
      '10.01 s at 29.97 is 300 frames',
    );
    // Durations are floats: 1.16 s × 25 is 28.999999999999996 in binary, and ffprobe rounds to
    // microseconds (2 frames at 29.97 last 0.0667333… s, printed 0.066733). Both still count whole.
    const frames = (num: number, den: number, durationSeconds: number) =>
      versionTimeline({ video: { frameRate: { num, den } }, durationSeconds }).durationFrames;
    assert.equal(frames(25, 1, 1.16), 29);
    assert.equal(frames(30000, 1001, 0.066733), 2);
    assert.equal(frames(25, 1, 1.159), 28, 'a part of a frame is not a frame');
    assert.deepEqual(
      versionTimeline({ video: { frameRate: { num: 25, den: 1 } }, startTimecode: '01:00:00;00', durationSeconds: 1 }),
      { rate: { num: 25, den: 1 }, startTimecode: '01:00:00:00', dropFrame: false, durationFrames: 25 },
      "a ';' in a 25 fps source's tag counts non-drop",
    );
    assert.equal(
      versionTimeline({ video: { frameRate: { num: 25, den: 1 } }, startTimecode: '01:00:00:27' }).startTimecode,
      '00:00:00:00',
      'a label whose frames do not exist at the rate counts from zero',
    );
    assert.deepEqual(
      versionTimeline({ video: { frameRate: { num: 24000, den: 1001 } }, startTimecode: null }),
      { rate: { num: 24000, den: 1001 }, startTimecode: '00:00:00:00', dropFrame: false, durationFrames: null },
      'no start timecode, not probed yet',
    );
  });

  test('a version without a video frame rate (audio only) counts at 25/1 from 00:00:00:00', () => {
    for (const meta of [
      { video: null, startTimecode: '01:00:00:00', durationSeconds: 3.5 },
      { video: { frameRate: null }, durationSeconds: 3.5 },
      { video: { frameRate: { num: 1, den: 2 } }, durationSeconds: 3.5 },
    ])
      assert.deepEqual(versionTimeline(meta), {
        rate: audioOnlyFrameRate,
        startTimecode: '00:00:00:00',
        dropFrame: false,
        durationFrames: 87,
      });
  });
});

describe('a typed position', () => {
  const ndf25: VersionTimeline = {
    rate: { num: 25, den: 1 },
    startTimecode: '01:00:00:00',
    dropFrame: false,
    durationFrames: 2500,
  };

  test('a frame number, or a timecode on the version clock with either separator', () => {
    assert.equal(parseFramePosition('0', ndf25), 0);
    assert.equal(parseFramePosition('2499', ndf25), 2499);
    assert.equal(parseFramePosition('01:00:10:05', ndf25), 255);
    assert.equal(
      parseFramePosition('01:00:10;05', ndf25),
      255,
      'a ; at 25 fps is read non-drop, as the version counts',
    );
    assert.equal(parseFramePosition('01:01:00;02', df2997), 1800);
    assert.equal(parseFramePosition('01:01:00:02', df2997), 1800, 'a : on a drop-frame version counts drop-frame');
    assert.equal(parseFramePosition(' 01:10:00;00 ', df2997), 17982);
    assert.equal(
      parseFramePosition('00:00:01:00', {
        rate: { num: 24000, den: 1001 },
        startTimecode: '00:00:00:00',
        dropFrame: false,
        durationFrames: null,
      }),
      24,
      'no duration known: no upper bound here (the api checks)',
    );
  });

  test('anything else is refused with the reason', () => {
    const refused = (text: string, timeline: VersionTimeline, message: RegExp) =>
      assert.throws(() => parseFramePosition(text, timeline), { code: 'invalid_position', message }, text);
    refused('ten', ndf25, /neither a frame number nor a timecode/);
    refused('-5', ndf25, /neither a frame number nor a timecode/);
    refused('1.5', ndf25, /neither a frame number nor a timecode/);
    refused('1:00:10:05', ndf25, /neither a frame number nor a timecode/);
    refused('2500', ndf25, /outside the version: its frames are 0 to 2499 \(01:00:00:00 to 01:01:39:24\)/);
    refused('01:00:10:25', ndf25, /out of range at 25\/1/);
    refused('00:59:59:24', ndf25, /outside the version/);
    refused('01:01:00;00', df2997, /does not exist in drop-frame/);
  });
});

describe('exports', () => {
  test('EDL: a Resolve marker list on the source timecode, drop-frame, read back by the strict reader', () => {
    const edl = exportComments('edl', listed, subject(df2997));
    assert.equal(
      edl,
      [
        'TITLE: Trailer.mov v2',
        'FCM: DROP FRAME',
        '',
        '001  AX       V     C        01:00:00;00 01:00:00;01 01:00:00;00 01:00:00;01',
        ' |C:ResolveColorBlue |M:@dan: =HYPERLINK("https://example.com") |D:1',
        '* FROM CLIP NAME: @dan: =HYPERLINK("https://example.com")',
        '',
        '002  AX       V     C        01:00:59;29 01:01:00;02 01:00:59;29 01:01:00;02',
        ' |C:ResolveColorBlue |M:Alice: Cut a frame earlier |D:1',
        '* FROM CLIP NAME: Alice: Cut a frame earlier',
        '',
        '003  AX       V     C        01:01:00;02 01:01:00;03 01:01:00;02 01:01:00;03',
        ' |C:ResolveColorBlue |M:Alice: Logo too small // Bob: Fixed in v3 |D:1',
        '* FROM CLIP NAME: Alice: Logo too small // Bob: Fixed in v3',
        '',
        '004  AX       V     C        01:10:00;00 01:10:00;01 01:10:00;00 01:10:00;01',
        ' |C:ResolveColorGreen |M:[internal] [resolved] Carol: Grade: "warmer" see / ref |D:60',
        '* FROM CLIP NAME: [internal] [resolved] Carol: Grade: "warmer" see / ref',
        '',
        '',
      ].join('\r\n'),
    );
    const read = readMarkerEdl(edl, { fps: 30, startTimecode: df2997.startTimecode });
    assert.equal(read.title, 'Trailer.mov v2');
    assert.equal(read.dropFrame, true);
    const notes = [formula, beforeDrop, logo, grade];
    assert.deepEqual(
      read.events.map((e) => [e.frame, e.sourceIn, e.durationFrames, e.reel, e.channel]),
      notes.map((c) => [c.frame, c.timecode, c.endFrame === null ? 1 : c.endFrame - c.frame + 1, 'AX', 'V']),
      "each marker sits on its note's frame, at the timecode the api gives the note",
    );
    assert.deepEqual(
      read.events.map((e) => e.colour),
      ['ResolveColorBlue', 'ResolveColorBlue', 'ResolveColorBlue', 'ResolveColorGreen'],
    );
  });

  test('EDL: non-drop clocks (23.976, 25, audio only) read back on their frames', () => {
    const clocks: [VersionTimeline, number][] = [
      [
        { rate: { num: 24000, den: 1001 }, startTimecode: '00:59:58:00', dropFrame: false, durationFrames: 100_000 },
        24,
      ],
      [{ rate: { num: 25, den: 1 }, startTimecode: '23:59:59:00', dropFrame: false, durationFrames: 100_000 }, 25],
      [{ rate: audioOnlyFrameRate, startTimecode: '00:00:00:00', dropFrame: false, durationFrames: 1000 }, 25],
    ];
    assert.match(
      exportComments('edl', [comment({ frame: 25, timecode: '00:00:00:00', text: 'x' })], subject(clocks[1]![0])),
      /^001 {2}AX {7}V {5}C {8}00:00:00:00 00:00:00:01 /m,
      'past midnight the labels wrap',
    );
    for (const [timeline, fps] of clocks) {
      const frames = [0, 1, fps - 1, fps, 47, 999];
      const notes = frames.map((frame) => comment({ frame, timecode: '(unused)', text: `at ${frame}` }));
      const edl = exportComments('edl', notes, subject(timeline));
      assert.match(edl, /^TITLE: Trailer\.mov v2\r\nFCM: NON-DROP FRAME\r\n\r\n001 /);
      const read = readMarkerEdl(edl, { fps, startTimecode: timeline.startTimecode });
      assert.deepEqual(
        read.events.map((e) => [e.frame, e.name]),
        frames.map((frame) => [frame, `Alice: at ${frame}`]),
        `${timeline.rate.num}/${timeline.rate.den}`,
      );
    }
  });

  test('EDL: at most 999 events; titles of at most 70 characters on one line', () => {
    const many = Array.from({ length: maxEdlEvents + 1 }, (_, frame) =>
      comment({ frame, timecode: '(unused)', text: 'x' }),
    );
    assert.throws(() => exportComments('edl', many, subject(df2997)), {
      code: 'edl_too_long',
      message: /at most 999 events and version 2 has 1000 notes/,
    });
    const full = exportComments('edl', many.slice(0, maxEdlEvents), subject(df2997));
    assert.equal(readMarkerEdl(full, { fps: 30, startTimecode: df2997.startTimecode }).events.length, 999);
    const long = { ...subject(df2997), assetName: `A\nvery ${'long '.repeat(30)}name.mov` };
    const title = exportComments('edl', [], long).split('\r\n')[0]!;
    assert.equal(title, `TITLE: ${`A very ${'long '.repeat(30)}`.slice(0, 70)}`);
  });

  test('CSV: RFC 4180 with a UTF-8 byte order mark, one row per note in thread order, formulas made inert', () => {
    assert.equal(
      exportComments('csv', listed, subject(df2997)),
      [
        '\uFEFFcomment_id,parent_id,version,frame,end_frame,timecode,end_timecode,author,internal,resolved,created_at,text',
        `${formula.id},,2,0,,01:00:00;00,,'@dan,false,false,${formula.createdAt},"'=HYPERLINK(""https://example.com"")"`,
        `${beforeDrop.id},,2,1799,,01:00:59;29,,Alice,false,false,${beforeDrop.createdAt},Cut a frame earlier`,
        `${logo.id},,2,1800,,01:01:00;02,,Alice,false,false,${logo.createdAt},Logo too small`,
        `${reply.id},${logo.id},2,1800,,01:01:00;02,,Bob,false,false,${reply.createdAt},Fixed in v3`,
        `${grade.id},,2,17982,18041,01:10:00;00,01:10:01;29,Carol,true,true,${grade.createdAt},"Grade: ""warmer""\nsee | ref"`,
        '',
      ].join('\r\n'),
    );
  });

  test('JSON: the version clock and the notes as the api gives them, in thread order', () => {
    const json = JSON.parse(exportComments('json', listed, subject(df2997)));
    assert.deepEqual(json.asset, { id: subject(df2997).assetId, name: 'Trailer.mov' });
    assert.deepEqual(json.version, {
      id: subject(df2997).versionId,
      number: 2,
      frameRate: '30000/1001',
      startTimecode: '01:00:00;00',
      dropFrame: true,
      durationFrames: 359640,
    });
    assert.deepEqual(json.comments, [formula, beforeDrop, logo, reply, grade]);
  });

  test('a reply whose parent is left out (deleted, other filter) stands on its own', () => {
    const gone = comment({ frame: 10, timecode: '01:00:00;10', text: '', deleted: true });
    const orphan = comment({ frame: 10, timecode: '01:00:00;10', text: 'still here', parentId: gone.id });
    const edl = exportComments('edl', [gone, orphan], subject(df2997));
    assert.deepEqual(
      readMarkerEdl(edl, { fps: 30, startTimecode: df2997.startTimecode }).events.map((e) => [e.frame, e.name]),
      [[10, 'Alice: still here']],
    );
  });
});
