import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AppError } from '@mediavault/core/errors';
import {
  anchorTimecodes,
  annotationPoints,
  checkAnchor,
  checkAnnotation,
  checkCommentText,
  versionTimebase,
  type Annotation,
  type Shape,
} from '@mediavault/core/review';

const ntsc = { num: 30000, den: 1001 };
const dropFrameClip = { frameRate: ntsc, startTimecode: '01:00:00;00', dropFrame: true };

/** The field a refusal names, or null when fn does not throw. */
function refusedField(fn: () => void): unknown {
  try {
    fn();
    return null;
  } catch (err) {
    assert.ok(err instanceof AppError && err.code === 'bad_request', String(err));
    return err.details?.field;
  }
}

test('a drop-frame clip labels its frames in drop-frame from its start timecode', () => {
  const timebase = versionTimebase(dropFrameClip, 700);
  // Ten minutes of 29.97 drop-frame are 17,982 frames: 9 minutes drop 2 labels each, the tenth none.
  assert.deepEqual(anchorTimecodes(timebase, 17_982, null), { timecode: '01:10:00;00', endTimecode: null });
  assert.deepEqual(anchorTimecodes(timebase, 1799, 1800), { timecode: '01:00:59;29', endTimecode: '01:01:00;02' });
  assert.equal(anchorTimecodes(timebase, 0, null).timecode, '01:00:00;00');
});

test('non-drop rates count whole frames per second from the start timecode', () => {
  const pal = versionTimebase({ frameRate: { num: 25, den: 1 }, startTimecode: '10:00:00:00', dropFrame: false }, 60);
  assert.deepEqual(anchorTimecodes(pal, 250, 262), { timecode: '10:00:10:00', endTimecode: '10:00:10:12' });
  const film = versionTimebase(
    { frameRate: { num: 24000, den: 1001 }, startTimecode: '00:59:50:00', dropFrame: false },
    60,
  );
  assert.equal(anchorTimecodes(film, 240, null).timecode, '01:00:00:00');
});

test('a version without a video frame rate counts at 25/1 from midnight, whatever its tag says', () => {
  const audio = versionTimebase({ frameRate: null, startTimecode: '10:00:00:00', dropFrame: false }, 4);
  assert.deepEqual(audio, {
    rate: { num: 25, den: 1 },
    startTimecode: '00:00:00:00',
    dropFrame: false,
    durationFrames: 100,
  });
  assert.equal(anchorTimecodes(audio, 99, null).timecode, '00:00:03:24');
});

test('odd probe values never make a read fail: a refused rate counts as none, a start not at the rate as midnight', () => {
  const zero = versionTimebase({ frameRate: { num: 0, den: 1 }, startTimecode: '01:00:00:00', dropFrame: false }, 1);
  assert.deepEqual(zero.rate, { num: 25, den: 1 });
  const frame29At25 = versionTimebase(
    { frameRate: { num: 25, den: 1 }, startTimecode: '01:00:00:29', dropFrame: false },
    1,
  );
  assert.equal(frame29At25.startTimecode, '00:00:00:00');
  assert.equal(anchorTimecodes(frame29At25, 25, null).timecode, '00:00:01:00');
});

test('the duration in frames is the duration × rate rounded down, tolerant of the probe rounding the seconds', () => {
  // 300 frames at 29.97 last 10.01 s, which ffprobe writes as 10.010000 (10.0099999… as a double).
  assert.equal(versionTimebase(dropFrameClip, 10.01).durationFrames, 300);
  assert.equal(versionTimebase(dropFrameClip, 10.02).durationFrames, 300);
  assert.equal(versionTimebase(dropFrameClip, null).durationFrames, null);
  assert.equal(versionTimebase(dropFrameClip, '10').durationFrames, null);
});

test('an anchor must lie inside the version, the end at or after the start', () => {
  const timebase = versionTimebase(dropFrameClip, 10.01);
  assert.equal(
    refusedField(() => checkAnchor(timebase, 0, null)),
    null,
  );
  assert.equal(
    refusedField(() => checkAnchor(timebase, 299, 299)),
    null,
  );
  assert.equal(
    refusedField(() => checkAnchor(timebase, 300, null)),
    'body.frame',
  );
  assert.equal(
    refusedField(() => checkAnchor(timebase, 10, 300)),
    'body.endFrame',
  );
  assert.equal(
    refusedField(() => checkAnchor(timebase, 10, 9)),
    'body.endFrame',
  );
  // Not probed yet: only the order can be checked.
  const unknown = versionTimebase(dropFrameClip, null);
  assert.equal(
    refusedField(() => checkAnchor(unknown, 1_000_000, null)),
    null,
  );
  assert.equal(
    refusedField(() => checkAnchor(unknown, 5, 4)),
    'body.endFrame',
  );
});

test('a drawing has at most 50 shapes and 2,000 points in all', () => {
  const arrow: Shape = { kind: 'arrow', from: [0, 0], to: [1, 1] };
  const stroke = (n: number) => ({
    kind: 'freehand' as const,
    points: Array.from({ length: n }, () => [0.5, 0.5] as [number, number]),
  });
  const atLimit: Annotation = { shapes: [stroke(1998), arrow] };
  assert.equal(annotationPoints(atLimit), 2000);
  assert.equal(
    refusedField(() => checkAnnotation(atLimit)),
    null,
  );
  assert.equal(
    refusedField(() => checkAnnotation({ shapes: [stroke(1999), arrow] })),
    'body.annotation',
  );
  assert.equal(
    refusedField(() => checkAnnotation({ shapes: Array(51).fill(arrow) })),
    'body.annotation',
  );
  assert.equal(
    refusedField(() => checkAnnotation(null)),
    null,
  );
});

test('text with nothing but white space is refused', () => {
  assert.equal(
    refusedField(() => checkCommentText(' \n\t')),
    'body.text',
  );
  assert.equal(
    refusedField(() => checkCommentText(' ok ')),
    null,
  );
});
