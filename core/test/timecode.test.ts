import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { AppError } from '../src/errors.ts';
import {
  frameRates,
  frameToSeconds,
  frameToTimecode,
  isDropFrameRate,
  nominalFps,
  parseRate,
  parseStartTimecode,
  secondsToFrame,
  secondsToTimecode,
  timecodeToFrame,
  type FrameRate,
} from '../src/timecode.ts';

const r25 = frameRates['25'];
const r2997 = frameRates['29.97'];
const r5994 = frameRates['59.94'];
const r23976 = frameRates['23.976'];

function assertBadRequest(fn: () => unknown, message: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof AppError, `expected an AppError, got ${String(err)}`);
    assert.equal(err.code, 'bad_request');
    assert.match(err.message, message);
    return true;
  });
}

describe('parseRate', () => {
  test('reads fractions, integers and the usual decimal names', () => {
    assert.deepEqual(parseRate('30000/1001'), { num: 30000, den: 1001 });
    assert.deepEqual(parseRate('25/1'), { num: 25, den: 1 });
    assert.deepEqual(parseRate(' 50 '), { num: 50, den: 1 });
    assert.deepEqual(parseRate('50/2'), { num: 25, den: 1 });
    assert.deepEqual(parseRate('29.97'), { num: 30000, den: 1001 });
    assert.deepEqual(parseRate('23.976'), { num: 24000, den: 1001 });
    assert.deepEqual(parseRate('23.98'), { num: 24000, den: 1001 });
    assert.deepEqual(parseRate('59.94'), { num: 60000, den: 1001 });
    assert.deepEqual(parseRate('25.0'), { num: 25, den: 1 });
  });

  test('refuses what is not a frame rate, with a clear error', () => {
    assertBadRequest(() => parseRate('abc'), /not a frame rate: "abc"/);
    assertBadRequest(() => parseRate(''), /not a frame rate/);
    assertBadRequest(() => parseRate('25/0'), /divides by zero/);
    assertBadRequest(() => parseRate('0/1'), /positive integers/);
    assertBadRequest(() => parseRate('-25'), /not a frame rate/);
    assertBadRequest(() => parseRate('27.5'), /not a frame rate/);
    assertBadRequest(() => parseRate('1/2'), /outside 1–1000 fps/);
    assertBadRequest(() => parseRate(undefined as unknown as string), /not a frame rate/);
  });
});

describe('rate properties', () => {
  test('nominal fps rounds the NTSC family up', () => {
    assert.equal(nominalFps(r23976), 24);
    assert.equal(nominalFps(r2997), 30);
    assert.equal(nominalFps(r5994), 60);
    assert.equal(nominalFps(r25), 25);
  });

  test('only 29.97 and 59.94 are drop-frame rates', () => {
    assert.equal(isDropFrameRate(r2997), true);
    assert.equal(isDropFrameRate(r5994), true);
    assert.equal(isDropFrameRate(r23976), false);
    assert.equal(isDropFrameRate(r25), false);
    assert.equal(isDropFrameRate(frameRates['30']), false);
  });

  test('a malformed rate object is refused', () => {
    assertBadRequest(() => isDropFrameRate({ num: 25.5, den: 1 }), /positive integers/);
    assertBadRequest(() => nominalFps({ num: 25, den: 0 }), /positive integers/);
    assertBadRequest(() => secondsToFrame(1, null as unknown as FrameRate), /positive integers/);
  });
});

describe('seconds ⇄ frames', () => {
  test('a time inside a frame maps to that frame', () => {
    assert.equal(secondsToFrame(0, r25), 0);
    assert.equal(secondsToFrame(0.039, r25), 0);
    assert.equal(secondsToFrame(0.04, r25), 1);
    assert.equal(secondsToFrame(1.5, r25), 37);
    assert.equal(secondsToFrame(1, r2997), 29); // 1 s is 29.97 frames in
    assert.equal(secondsToFrame(1001 / 30000, r2997), 1);
  });

  test('float error at frame boundaries never drops to the previous frame', () => {
    // 0.12 * 25 and 0.7 * 30 etc. are not exact in binary; each must land on the frame it starts.
    for (const rate of [r25, r2997, r5994, r23976, frameRates['30'], frameRates['50']]) {
      for (let frame = 0; frame < 20_000; frame += 7) {
        assert.equal(
          secondsToFrame(frameToSeconds(frame, rate), rate),
          frame,
          `${rate.num}/${rate.den} frame ${frame}`,
        );
      }
    }
    assert.equal(secondsToFrame(0.12, r25), 3);
    assert.equal(secondsToFrame(0.7, frameRates['30']), 21);
  });

  test('browser times rounded to microseconds still name the right frame', () => {
    for (const rate of [r2997, r5994, r23976]) {
      for (let frame = 0; frame < 5000; frame++) {
        const start = frameToSeconds(frame, rate);
        const down = Math.floor(start * 1e6) / 1e6;
        const up = Math.ceil(start * 1e6) / 1e6;
        assert.equal(secondsToFrame(down, rate), frame);
        assert.equal(secondsToFrame(up, rate), frame);
      }
    }
  });

  test('the last instant of a frame is still that frame', () => {
    const justBefore = frameToSeconds(10, r25) - 0.001; // 1 ms = 1/40 frame before frame 10
    assert.equal(secondsToFrame(justBefore, r25), 9);
  });

  test('frameToSeconds is exact for the rational rate', () => {
    assert.equal(frameToSeconds(25, r25), 1);
    assert.equal(frameToSeconds(30000, r2997), 1001);
    assert.equal(frameToSeconds(0, r5994), 0);
  });

  test('bad times and frames are refused', () => {
    assertBadRequest(() => secondsToFrame(-1, r25), /finite number of seconds/);
    assertBadRequest(() => secondsToFrame(Number.NaN, r25), /finite number of seconds/);
    assertBadRequest(() => secondsToFrame(Infinity, r25), /finite number of seconds/);
    assertBadRequest(() => frameToSeconds(1.5, r25), /non-negative integer/);
    assertBadRequest(() => frameToSeconds(-1, r25), /non-negative integer/);
  });
});

describe('non-drop timecode', () => {
  test('labels at 25 fps', () => {
    assert.equal(frameToTimecode(0, r25), '00:00:00:00');
    assert.equal(frameToTimecode(24, r25), '00:00:00:24');
    assert.equal(frameToTimecode(25, r25), '00:00:01:00');
    assert.equal(frameToTimecode(25 * 3600 + 25 * 61 + 3, r25), '01:01:01:03');
    assert.equal(frameToTimecode(25 * 86400 - 1, r25), '23:59:59:24');
  });

  test('23.976 counts 24 labels per second, and drifts from wall-clock time', () => {
    assert.equal(frameToTimecode(24, r23976), '00:00:01:00');
    assert.equal(frameToTimecode(86400, r23976), '01:00:00:00'); // 1 h of labels = 1 h 3.6 s of media
    assert.equal(frameToSeconds(86400, r23976), 3603.6);
  });

  test('29.97 non-drop labels count 30 per second', () => {
    assert.equal(frameToTimecode(1800, r2997), '00:01:00:00');
    assert.equal(frameToTimecode(17982, r2997), '00:09:59:12');
  });

  test('labels wrap at 24 hours', () => {
    assert.equal(frameToTimecode(25 * 86400, r25), '00:00:00:00');
    assert.equal(frameToTimecode(0, r25, { startTimecode: '23:59:59:24' }), '23:59:59:24');
    assert.equal(frameToTimecode(1, r25, { startTimecode: '23:59:59:24' }), '00:00:00:00');
  });

  test('round trip over a range of frames and rates', () => {
    for (const rate of [r25, r23976, r2997, r5994, frameRates['24'], frameRates['50'], frameRates['60']]) {
      for (let frame = 0; frame < 200_000; frame += 13) {
        const tc = frameToTimecode(frame, rate);
        assert.equal(timecodeToFrame(tc, rate), frame, `${rate.num}/${rate.den} ${tc}`);
      }
    }
  });

  test('60 fps labels', () => {
    assert.equal(frameToTimecode(59, frameRates['60']), '00:00:00:59');
    assert.equal(timecodeToFrame('00:00:01:30', frameRates['60']), 90);
  });
});

describe('drop-frame timecode', () => {
  const df = { dropFrame: true };

  test('known 29.97 DF values', () => {
    assert.equal(frameToTimecode(0, r2997, df), '00:00:00;00');
    assert.equal(frameToTimecode(1799, r2997, df), '00:00:59;29');
    assert.equal(frameToTimecode(1800, r2997, df), '00:01:00;02');
    assert.equal(frameToTimecode(3597, r2997, df), '00:01:59;29');
    assert.equal(frameToTimecode(3598, r2997, df), '00:02:00;02');
    assert.equal(frameToTimecode(17981, r2997, df), '00:09:59;29');
    assert.equal(frameToTimecode(17982, r2997, df), '00:10:00;00');
    assert.equal(frameToTimecode(17983, r2997, df), '00:10:00;01');
    assert.equal(frameToTimecode(17982 + 1800, r2997, df), '00:11:00;02');
    assert.equal(frameToTimecode(107892, r2997, df), '01:00:00;00'); // 29.97 DF keeps wall-clock time
    assert.equal(frameToTimecode(107892 * 24 - 1, r2997, df), '23:59:59;29');
    assert.equal(frameToTimecode(107892 * 24, r2997, df), '00:00:00;00');
  });

  test('known 59.94 DF values', () => {
    assert.equal(frameToTimecode(3599, r5994, df), '00:00:59;59');
    assert.equal(frameToTimecode(3600, r5994, df), '00:01:00;04');
    assert.equal(frameToTimecode(35964, r5994, df), '00:10:00;00');
    assert.equal(frameToTimecode(215784, r5994, df), '01:00:00;00');
    assert.equal(timecodeToFrame('00:01:00;04', r5994), 3600);
  });

  test('one hour of DF labels is one hour of media, within a frame', () => {
    const frame = timecodeToFrame('01:00:00;00', r2997);
    assert.ok(Math.abs(frameToSeconds(frame, r2997) - 3600) < 1 / 29.97);
  });

  test('the separator chooses drop-frame when parsing', () => {
    assert.equal(timecodeToFrame('00:01:00;02', r2997), 1800);
    assert.equal(timecodeToFrame('00:01:00.02', r2997), 1800);
    assert.equal(timecodeToFrame('00:01:00:02', r2997), 1802);
    assert.equal(timecodeToFrame('00:10:00;00', r2997), 17982);
  });

  test('every DF label round-trips, and skipped labels never appear', () => {
    for (const rate of [r2997, r5994]) {
      const drop = nominalFps(rate) / 15;
      let previous = '';
      for (let frame = 0; frame < 250_000; frame++) {
        const tc = frameToTimecode(frame, rate, df);
        assert.notEqual(tc, previous);
        const [, mm, ss, ff] = /^\d\d:(\d\d):(\d\d);(\d\d)$/.exec(tc)!.map(Number) as number[];
        if (ss === 0 && mm! % 10 !== 0) assert.ok(ff! >= drop, `${tc} should have been dropped`);
        if (frame % 11 === 0) assert.equal(timecodeToFrame(tc, rate), frame, tc);
        previous = tc;
      }
    }
  });

  test('labels that drop-frame skips are refused', () => {
    assertBadRequest(() => timecodeToFrame('00:01:00;00', r2997), /does not exist in drop-frame/);
    assertBadRequest(() => timecodeToFrame('00:01:00;01', r2997), /does not exist in drop-frame/);
    assertBadRequest(() => timecodeToFrame('00:02:00;03', r5994), /does not exist in drop-frame/);
    assert.equal(timecodeToFrame('00:10:00;00', r2997), 17982);
  });

  test('drop-frame at a rate without it is refused', () => {
    assertBadRequest(() => frameToTimecode(10, r25, df), /only at 30000\/1001 and 60000\/1001, not 25\/1/);
    assertBadRequest(() => timecodeToFrame('00:00:01;00', r25), /drop-frame timecode exists only/);
    assertBadRequest(() => frameToTimecode(10, frameRates['30'], df), /not 30\/1/);
  });
});

describe('start timecode', () => {
  test('is added to the frame', () => {
    assert.equal(frameToTimecode(0, r25, { startTimecode: '01:00:00:00' }), '01:00:00:00');
    assert.equal(frameToTimecode(51, r25, { startTimecode: '01:00:00:00' }), '01:00:02:01');
    assert.equal(frameToTimecode(1800 - 108, r2997, { dropFrame: true, startTimecode: '00:00:03;18' }), '00:01:00;02');
    assert.equal(secondsToTimecode(2.05, r25, { startTimecode: '10:00:00:00' }), '10:00:02:01');
  });

  test('is subtracted when reading a label, with a wrap across midnight', () => {
    assert.equal(timecodeToFrame('01:00:02:01', r25, { startTimecode: '01:00:00:00' }), 51);
    assert.equal(timecodeToFrame('00:00:00:00', r25, { startTimecode: '23:59:59:24' }), 1);
    assert.equal(timecodeToFrame('00:01:00;02', r2997, { startTimecode: '00:00:03;18' }), 1800 - 108);
  });

  test('a start timecode with a drop-frame separator is read with the chosen counting', () => {
    // The start label's own separator does not switch counting: the options do.
    assert.equal(frameToTimecode(0, r2997, { startTimecode: '00:01:00;02' }), '00:01:00:02');
  });

  test('a bad start timecode is refused', () => {
    assertBadRequest(() => frameToTimecode(0, r25, { startTimecode: '1:00:00:00' }), /not a timecode: "1:00:00:00"/);
    assertBadRequest(() => frameToTimecode(0, r25, { startTimecode: '00:00:00:25' }), /out of range at 25\/1/);
  });
});

describe('parseStartTimecode', () => {
  test('reads the counting from the separator before the frames', () => {
    assert.deepEqual(parseStartTimecode('01:00:00:00'), { startTimecode: '01:00:00:00', dropFrame: false });
    assert.deepEqual(parseStartTimecode('01:00:00;00'), { startTimecode: '01:00:00;00', dropFrame: true });
    assert.deepEqual(parseStartTimecode('01:00:00.00'), { startTimecode: '01:00:00;00', dropFrame: true });
    assert.deepEqual(parseStartTimecode('01:00:00,00'), { startTimecode: '01:00:00;00', dropFrame: true });
  });

  test('writes one canonical label, whatever separators the tool used between the fields', () => {
    assert.deepEqual(parseStartTimecode(' 10;59;59;29 '), { startTimecode: '10:59:59;29', dropFrame: true });
    assert.deepEqual(parseStartTimecode('23.59.59:24'), { startTimecode: '23:59:59:24', dropFrame: false });
    assert.deepEqual(parseStartTimecode('00:00:00:119'), { startTimecode: '00:00:00:119', dropFrame: false });
  });

  test('29.97 DF from 01:00:00;00: frame 17,982 is 01:10:00;00 and back', () => {
    const start = parseStartTimecode('01:00:00;00')!;
    assert.equal(frameToTimecode(0, r2997, start), '01:00:00;00');
    assert.equal(frameToTimecode(1799, r2997, start), '01:00:59;29');
    assert.equal(frameToTimecode(1800, r2997, start), '01:01:00;02');
    assert.equal(frameToTimecode(17981, r2997, start), '01:09:59;29');
    assert.equal(frameToTimecode(17982, r2997, start), '01:10:00;00');
    assert.equal(timecodeToFrame('01:10:00;00', r2997, start), 17982);
    assert.equal(timecodeToFrame('01:01:00;02', r2997, start), 1800);
  });

  test('the same label read as non-drop counts every frame number', () => {
    const start = parseStartTimecode('01:00:00:00')!;
    assert.equal(frameToTimecode(17982, r2997, start), '01:09:59:12');
    assert.equal(frameToTimecode(18000, r2997, start), '01:10:00:00');
    assert.equal(frameToTimecode(51, r25, start), '01:00:02:01');
  });

  test('59.94 DF from 00:59:59;58', () => {
    const start = parseStartTimecode('00:59:59;58')!;
    assert.equal(frameToTimecode(2, r5994, start), '01:00:00;00');
    assert.equal(frameToTimecode(3, r5994, start), '01:00:00;01');
  });

  test('is null for what is not a label of a 24-hour day', () => {
    for (const text of ['', 'garbage', '1:00:00:00', '01:00:00', '01:00:00:0', '24:00:00:00', '00:60:00:00']) {
      assert.equal(parseStartTimecode(text), null, text);
    }
    assert.equal(parseStartTimecode('00:00:60;00'), null);
    assert.equal(parseStartTimecode(undefined), null);
    assert.equal(parseStartTimecode(3600), null);
  });

  test('frames and counting that do not exist at the rate are refused where the rate is known', () => {
    const start = parseStartTimecode('00:00:00;00')!;
    assertBadRequest(() => frameToTimecode(0, r25, start), /drop-frame timecode exists only/);
    assertBadRequest(
      () => frameToTimecode(0, r2997, parseStartTimecode('00:01:00;00')!),
      /does not exist in drop-frame/,
    );
    assertBadRequest(() => frameToTimecode(0, r25, parseStartTimecode('00:00:00:25')!), /out of range at 25\/1/);
  });
});

describe('bad timecodes', () => {
  test('malformed or out-of-range labels get a clear error', () => {
    assertBadRequest(() => timecodeToFrame('garbage', r25), /not a timecode: "garbage"/);
    assertBadRequest(() => timecodeToFrame('00:00:00', r25), /expected HH:MM:SS:FF/);
    assertBadRequest(() => timecodeToFrame('24:00:00:00', r25), /out of range/);
    assertBadRequest(() => timecodeToFrame('00:60:00:00', r25), /out of range/);
    assertBadRequest(() => timecodeToFrame('00:00:60:00', r25), /out of range/);
    assertBadRequest(() => timecodeToFrame('00:00:00:25', r25), /frames 00–24/);
    assertBadRequest(() => timecodeToFrame('00:00:00:30', r2997), /frames 00–29/);
    assertBadRequest(() => timecodeToFrame(12 as unknown as string, r25), /not a timecode/);
  });

  test('bad frames are refused when formatting', () => {
    assertBadRequest(() => frameToTimecode(-1, r25), /non-negative integer/);
    assertBadRequest(() => frameToTimecode(2.5, r25), /non-negative integer/);
  });
});
