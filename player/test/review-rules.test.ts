/**
 * The reviewer page's pure rules, without a browser: comment order and filters, timeline
 * geometry and lanes, the sprite index, the J/K/L speeds, typed jumps, drawing geometry and
 * limits, waveform folding.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { fits, maxPoints, maxShapes, normalise, pictureRect, pointCount, extendStroke } from '../src/annotations.ts';
import { annotationsAt, threadsOf, visibleThreads } from '../src/comment-threads.ts';
import type { Comment, CommentShape } from '../src/review-api.ts';
import { nextShuttleSpeed } from '../src/shuttle.ts';
import { cueAt, parseSpriteVtt } from '../src/thumbnails.ts';
import { parseJump } from '../src/timecode-entry.ts';
import { assignLanes, fractionToFrame, frameToFraction } from '../src/timeline.ts';
import { foldPeaks, peaksSeconds } from '../src/waveform.ts';

let serial = 0;
function comment(fields: Partial<Comment>): Comment {
  serial++;
  return {
    id: `c${String(serial).padStart(3, '0')}`,
    assetId: 'a',
    versionId: 'v2',
    versionNumber: 2,
    parentId: null,
    frame: 0,
    endFrame: null,
    timecode: '00:00:00:00',
    endTimecode: null,
    text: `note ${serial}`,
    internal: false,
    annotation: null,
    author: { userId: 'u1', name: 'Ana', kind: 'member' },
    resolved: false,
    resolvedAt: null,
    resolvedBy: null,
    createdAt: `2026-01-01T00:00:${String(serial).padStart(2, '0')}.000Z`,
    editedAt: null,
    deleted: false,
    ...fields,
  };
}

describe('comment threads', () => {
  test('newest version first, then frame, then creation; replies after their parent', () => {
    const late = comment({ frame: 40 });
    const early = comment({ frame: 10 });
    const older = comment({ versionId: 'v1', versionNumber: 1, frame: 5 });
    const sameFrame = comment({ frame: 10 });
    const reply2 = comment({ parentId: early.id, frame: 10 });
    const reply1 = comment({ parentId: early.id, frame: 10, createdAt: '2025-12-31T00:00:00.000Z' });
    const threads = threadsOf([older, reply2, late, sameFrame, early, reply1]);
    assert.deepEqual(
      threads.map((t) => [t.comment.id, t.replies.map((r) => r.id)]),
      [
        [early.id, [reply1.id, reply2.id]],
        [sameFrame.id, []],
        [late.id, []],
        [older.id, []],
      ],
    );
  });

  test('a reply whose parent is not known yet is still shown', () => {
    const orphan = comment({ parentId: 'missing', frame: 3 });
    assert.deepEqual(
      threadsOf([orphan]).map((t) => t.comment.id),
      [orphan.id],
    );
  });

  test('filters: version, resolved, and deleted threads without live replies', () => {
    const open = comment({ frame: 1 });
    const resolved = comment({ frame: 2, resolved: true });
    const other = comment({ versionId: 'v1', versionNumber: 1 });
    const deletedAlone = comment({ frame: 3, deleted: true, text: '' });
    const deletedWithReply = comment({ frame: 4, deleted: true, text: '' });
    const reply = comment({ parentId: deletedWithReply.id, frame: 4 });
    const threads = threadsOf([open, resolved, other, deletedAlone, deletedWithReply, reply]);
    const ids = (filter: Parameters<typeof visibleThreads>[1]) =>
      visibleThreads(threads, filter).map((t) => t.comment.id);
    assert.deepEqual(ids({ versionId: 'v2', showResolved: false }), [open.id, deletedWithReply.id]);
    assert.deepEqual(ids({ versionId: 'v2', showResolved: true }), [open.id, resolved.id, deletedWithReply.id]);
    assert.deepEqual(ids({ versionId: null, showResolved: false }), [open.id, deletedWithReply.id, other.id]);
  });

  test('drawings are shown on their frame, and along a range', () => {
    const annotation = {
      shapes: [{ kind: 'rect' as const, from: [0, 0] as [number, number], to: [1, 1] as [number, number] }],
    };
    const single = comment({ frame: 10, annotation });
    const range = comment({ frame: 20, endFrame: 25, annotation });
    const plain = comment({ frame: 10 });
    const gone = comment({ frame: 10, annotation, deleted: true });
    const elsewhere = comment({ frame: 10, annotation, versionId: 'v1', versionNumber: 1 });
    const all = [single, range, plain, gone, elsewhere];
    assert.deepEqual(annotationsAt(all, 'v2', 10), [single]);
    assert.deepEqual(annotationsAt(all, 'v2', 11), []);
    assert.deepEqual(annotationsAt(all, 'v2', 25), [range]);
    assert.deepEqual(annotationsAt(all, 'v2', 26), []);
  });
});

describe('timeline', () => {
  test('a frame is a cell of the width; every point of the width is one frame', () => {
    assert.equal(frameToFraction(0, 100), 0);
    assert.equal(frameToFraction(50, 100), 0.5);
    assert.equal(frameToFraction(100, 100), 1);
    assert.equal(fractionToFrame(0, 100), 0);
    assert.equal(fractionToFrame(0.505, 100), 50);
    assert.equal(fractionToFrame(0.9999, 100), 99);
    assert.equal(fractionToFrame(1.2, 100), 99);
    assert.equal(fractionToFrame(-0.1, 100), 0);
    for (let frame = 0; frame < 250; frame++) {
      const middle = (frameToFraction(frame, 250) + frameToFraction(frame + 1, 250)) / 2;
      assert.equal(fractionToFrame(middle, 250), frame);
    }
  });

  test('overlapping ranges take separate lanes, touching ones share, within the lane limit', () => {
    const lanes = assignLanes([
      { id: 'a', from: 0, to: 10 },
      { id: 'b', from: 5, to: 15 },
      { id: 'c', from: 11, to: 20 },
      { id: 'd', from: 6, to: 7 },
      { id: 'e', from: 6, to: 9 },
    ]);
    assert.equal(lanes.get('a'), 0);
    assert.equal(lanes.get('b'), 1);
    assert.equal(lanes.get('c'), 0);
    assert.equal(lanes.get('e'), 2);
    assert.equal(lanes.get('d'), 2, 'a fourth overlapping range stays in the last lane');
  });
});

describe('sprite thumbnails', () => {
  const vtt = [
    'WEBVTT',
    '',
    '00:00:00.000 --> 00:00:01.000',
    'sprite.jpg#xywh=0,0,160,90',
    '',
    '00:00:01.000 --> 00:00:02.000',
    'sprite.jpg#xywh=160,0,160,90',
    '',
    'note a cue that is not a tile',
    '00:02.000 --> 00:02.500',
    'sprite.jpg#xywh=320,0,160,90',
    '',
  ].join('\r\n');
  const index = 'https://edge.example/v/token/thumbs/abc/sprite.vtt';

  test('reads the worker’s index, tiles resolved beside it (the edge token kept)', () => {
    const cues = parseSpriteVtt(vtt, index);
    assert.equal(cues.length, 3);
    assert.deepEqual(cues[1], {
      start: 1,
      end: 2,
      image: 'https://edge.example/v/token/thumbs/abc/sprite.jpg',
      x: 160,
      y: 0,
      width: 160,
      height: 90,
    });
    assert.equal(cues[2]!.start, 2);
  });

  test('the tile of a moment: the cue that began last', () => {
    const cues = parseSpriteVtt(vtt, index);
    assert.equal(cueAt(cues, 0)?.x, 0);
    assert.equal(cueAt(cues, 0.999)?.x, 0);
    assert.equal(cueAt(cues, 1)?.x, 160);
    assert.equal(cueAt(cues, 9)?.x, 320);
    assert.equal(cueAt([], 1), null);
  });
});

describe('J/K/L shuttle', () => {
  test('L and J start at 1×, double on each press up to 8×, and turn round at 1×; K stops', () => {
    const after = (keys: string) =>
      [...keys].reduce((speed, key) => nextShuttleSpeed(speed, key as 'j' | 'k' | 'l'), 0);
    assert.equal(after('l'), 1);
    assert.equal(after('ll'), 2);
    assert.equal(after('lllll'), 8);
    assert.equal(after('j'), -1);
    assert.equal(after('jjj'), -4);
    assert.equal(after('lllj'), -1);
    assert.equal(after('lllk'), 0);
  });
});

describe('jump to a typed timecode', () => {
  const ntsc = { rate: { num: 30000, den: 1001 }, startTimecode: '01:00:00;00', dropFrame: true };
  const pal = { rate: { num: 25, den: 1 }, startTimecode: '10:00:00:00', dropFrame: false };
  test('full, short and Avid-style timecodes, from the start timecode', () => {
    assert.deepEqual(parseJump('10:00:01:05', pal, 0, 1000), { frame: 30 });
    assert.deepEqual(parseJump('10000105', pal, 0, 1000), { frame: 30 });
    assert.deepEqual(parseJump('01:10:00;00', ntsc, 0, 20_000), { frame: 17982 });
    assert.deepEqual(parseJump('01:10:00:00', ntsc, 0, 20_000), { frame: 17982 }, 'the version counts drop-frame');
  });

  test('relative frames and frame numbers', () => {
    assert.deepEqual(parseJump('+12', pal, 100, 1000), { frame: 112 });
    assert.deepEqual(parseJump('-100', pal, 100, 1000), { frame: 0 });
    assert.deepEqual(parseJump('#999', pal, 0, 1000), { frame: 999 });
  });

  test('what names no frame of this version says so', () => {
    assert.match((parseJump('#1000', pal, 0, 1000) as { error: string }).error, /outside this version \(1000 frames\)/);
    assert.match((parseJump('-1', pal, 0, 1000) as { error: string }).error, /outside/);
    assert.match((parseJump('09:59:59:24', pal, 0, 1000) as { error: string }).error, /outside/);
    assert.match((parseJump('soon', pal, 0, 1000) as { error: string }).error, /not a timecode/);
    assert.match(
      (parseJump('01:01:00;00', ntsc, 0, 20_000) as { error: string }).error,
      /does not exist in drop-frame/,
    );
  });
});

describe('drawings', () => {
  test('the picture inside a letterboxed or pillarboxed box', () => {
    const rounded = (rect: Record<string, number>) =>
      Object.fromEntries(Object.entries(rect).map(([key, value]) => [key, Math.round(value * 1000) / 1000]));
    assert.deepEqual(rounded(pictureRect({ width: 1000, height: 1000 }, { width: 1920, height: 1080 })), {
      left: 0,
      top: 218.75,
      width: 1000,
      height: 562.5,
    });
    assert.deepEqual(rounded(pictureRect({ width: 400, height: 100 }, { width: 4, height: 3 })), {
      left: 133.333,
      top: 0,
      width: 133.333,
      height: 100,
    });
  });

  test('points are normalised to the picture and clamped to it', () => {
    const picture = { left: 100, top: 50, width: 800, height: 450 };
    assert.deepEqual(normalise(500, 275, picture), [0.5, 0.5]);
    assert.deepEqual(normalise(0, 0, picture), [0, 0]);
    assert.deepEqual(normalise(2000, 2000, picture), [1, 1]);
    assert.deepEqual(normalise(100 + 800 / 3, 50, picture), [0.3333, 0]);
  });

  test('the api’s limits: 50 shapes, 2,000 points in all (an arrow or a rectangle counts 2)', () => {
    const rect: CommentShape = { kind: 'rect', from: [0, 0], to: [1, 1] };
    const stroke: CommentShape = { kind: 'freehand', points: Array.from({ length: 1990 }, () => [0, 0]) };
    assert.equal(pointCount([rect, stroke]), 1992);
    assert.equal(fits([rect, stroke], 8), true);
    assert.equal(fits([rect, stroke], 9), false);
    assert.equal(
      fits(
        Array.from({ length: maxShapes }, () => rect),
        2,
      ),
      false,
    );
    assert.equal(maxPoints, 2000);
  });

  test('a stroke keeps only points a step apart', () => {
    const points: [number, number][] = [];
    assert.equal(extendStroke(points, [0.5, 0.5]), true);
    assert.equal(extendStroke(points, [0.501, 0.5]), false);
    assert.equal(extendStroke(points, [0.51, 0.5]), true);
    assert.equal(points.length, 2);
  });
});

describe('waveform', () => {
  const peaks = {
    version: 2,
    channels: 1,
    sample_rate: 8000,
    samples_per_pixel: 80,
    bits: 8,
    length: 4,
    data: [-10, 20, -128, 127, 0, 0, -64, 64],
  };

  test('folds [min, max] pairs into columns, as fractions of full scale', () => {
    const two = foldPeaks(peaks, 2);
    assert.deepEqual([...two.min], [-1, -0.5]);
    assert.deepEqual([...two.max], [127 / 128, 0.5]);
    const eight = foldPeaks(peaks, 8);
    assert.equal(eight.min.length, 8);
    assert.equal(eight.max[7], 0.5);
  });

  test('its length in seconds', () => {
    assert.equal(peaksSeconds(peaks), 0.04);
  });
});
