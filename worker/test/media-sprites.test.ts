import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { planSprites, spriteVtt, vttTime } from '../src/media/sprites.ts';

describe('planSprites', () => {
  it('takes a tile every second for short clips, at most ten to a row', () => {
    assert.deepEqual(planSprites({ width: 1920, height: 1080 }, 30), {
      intervalSeconds: 1,
      tileWidth: 160,
      tileHeight: 90,
      columns: 10,
      rows: 3,
      count: 30,
      durationSeconds: 30,
    });
    assert.deepEqual(planSprites({ width: 1280, height: 720 }, 3), {
      intervalSeconds: 1,
      tileWidth: 160,
      tileHeight: 90,
      columns: 3,
      rows: 1,
      count: 3,
      durationSeconds: 3,
    });
    // A tile starts at 3.0 only when the clip goes past it.
    assert.equal(planSprites({ width: 1280, height: 720 }, 3.04)?.count, 4);
    assert.equal(planSprites({ width: 1280, height: 720 }, 0.2)?.count, 1);
  });

  it('spaces tiles out so a feature film still fits one sheet of at most 100', () => {
    const film = planSprites({ width: 1998, height: 1080 }, 2 * 3600 + 5)!;
    assert.equal(film.intervalSeconds, 73);
    assert.equal(film.count, 99);
    assert.deepEqual([film.columns, film.rows, film.tileWidth, film.tileHeight], [10, 10, 160, 86]);
  });

  it('keeps portrait and tiny pictures in proportion, and needs a known duration', () => {
    const portrait = planSprites({ width: 1080, height: 1920 }, 5)!;
    assert.deepEqual([portrait.tileWidth, portrait.tileHeight], [160, 284]);
    const tiny = planSprites({ width: 97, height: 55 }, 5)!;
    assert.deepEqual([tiny.tileWidth, tiny.tileHeight], [96, 54]);
    assert.equal(planSprites({ width: 1920, height: 1080 }, null), null);
    assert.equal(planSprites({ width: 1920, height: 1080 }, 0), null);
  });
});

describe('spriteVtt', () => {
  it('indexes each tile with a #xywh fragment and cue times that end at the clip end', () => {
    const plan = planSprites({ width: 1920, height: 1080 }, 12.5)!;
    const vtt = spriteVtt(plan, 'sprite.jpg');
    const cues = vtt
      .split('\n\n')
      .slice(1)
      .map((cue) => cue.trim())
      .filter((cue) => cue !== '');
    assert.ok(vtt.startsWith('WEBVTT\n\n'));
    assert.equal(cues.length, 13);
    assert.equal(cues[0], '00:00:00.000 --> 00:00:01.000\nsprite.jpg#xywh=0,0,160,90');
    assert.equal(cues[9], '00:00:09.000 --> 00:00:10.000\nsprite.jpg#xywh=1440,0,160,90');
    assert.equal(cues[10], '00:00:10.000 --> 00:00:11.000\nsprite.jpg#xywh=0,90,160,90');
    assert.equal(cues[12], '00:00:12.000 --> 00:00:12.500\nsprite.jpg#xywh=320,90,160,90');
  });

  it('writes hours, minutes, seconds and milliseconds', () => {
    assert.equal(vttTime(0), '00:00:00.000');
    assert.equal(vttTime(3723.4567), '01:02:03.457');
    assert.equal(vttTime(59.9996), '00:01:00.000');
  });
});
