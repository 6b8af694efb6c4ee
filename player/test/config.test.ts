import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { frameToTimecode } from '@mediavault/core/timecode';
import { describeRate, messageForLoadFailure, messages, PlayerConfigError, readConfig } from '../src/config.ts';

const src = 'https://edge.example/v/tok/hls/abc/master.m3u8';
const query = (params: Record<string, string>) => `?${new URLSearchParams(params)}`;

describe('reviewer page configuration', () => {
  test('reads src, rate, start timecode, drop-frame and title', () => {
    assert.deepEqual(readConfig(query({ src, rate: '30000/1001', tc: '01:00:00;00', df: '1', title: 'Reel 2' })), {
      src,
      rate: { num: 30000, den: 1001 },
      startTimecode: '01:00:00;00',
      dropFrame: true,
      title: 'Reel 2',
    });
  });

  test('drop-frame is read from the start timecode the api passes, as the probe read it', () => {
    // The playback route sends the probe's label as `tc` and no `df`.
    const config = readConfig(query({ src, rate: '30000/1001', tc: '01:00:00;00' }));
    assert.equal(config.dropFrame, true);
    assert.equal(config.startTimecode, '01:00:00;00');
    assert.equal(frameToTimecode(17982, config.rate, config), '01:10:00;00');
    assert.equal(readConfig(query({ src, rate: '30000/1001', tc: '01:00:00.00' })).startTimecode, '01:00:00;00');
    assert.equal(readConfig(query({ src, rate: '30000/1001', tc: '01:00:00:00' })).dropFrame, false);
  });

  test('defaults: 25 fps, 00:00:00:00, non-drop, a generic title', () => {
    const config = readConfig(query({ src }));
    assert.deepEqual(config.rate, { num: 25, den: 1 });
    assert.equal(config.startTimecode, '00:00:00:00');
    assert.equal(config.dropFrame, false);
    assert.equal(config.title, 'Review');
    assert.equal(readConfig(query({ src, rate: '30000/1001', df: '1' })).startTimecode, '00:00:00;00');
  });

  test('a link that cannot play says why, in words for a reviewer', () => {
    const fails = (search: string, message: RegExp) =>
      assert.throws(
        () => readConfig(search),
        (err: unknown) => err instanceof PlayerConfigError && message.test(err.message),
      );
    fails('', /does not say which video to play/);
    fails(query({ src: 'not a url' }), /not a URL/);
    fails(query({ src: 'javascript:alert(1)' }), /must be http or https/);
    fails(query({ src, rate: 'fast' }), /bad frame rate: not a frame rate: "fast"/);
    fails(query({ src, rate: '25/1', df: '1' }), /drop-frame timecode, which does not exist at 25\/1/);
    fails(query({ src, tc: '25:00:00:00' }), /bad start timecode/);
    fails(query({ src, tc: '01:00:00' }), /bad start timecode: "01:00:00" is not HH:MM:SS:FF/);
    fails(query({ src, rate: '25/1', tc: '01:00:00;00' }), /drop-frame timecode, which does not exist at 25\/1/);
    fails(query({ src, rate: '30000/1001', tc: '00:01:00;00' }), /does not exist in drop-frame/);
    fails(query({ src, rate: '30000/1001', df: '1', tc: '00:01:00;00' }), /does not exist in drop-frame/);
  });

  test('rates are shown the way editors say them', () => {
    assert.equal(describeRate({ num: 25, den: 1 }, false), '25 fps');
    assert.equal(describeRate({ num: 30000, den: 1001 }, true), '29.97 fps DF');
    assert.equal(describeRate({ num: 24000, den: 1001 }, false), '23.976 fps');
  });

  test('load failures map to what the reviewer can do about them', () => {
    for (const status of [401, 403, 410]) assert.equal(messageForLoadFailure(status), messages.expired);
    assert.equal(messageForLoadFailure(403), 'This link has expired or is not valid.');
    assert.equal(messageForLoadFailure(404), messages.notReady);
    assert.equal(messageForLoadFailure(502), messages.network);
    assert.equal(messageForLoadFailure(undefined), messages.network);
  });
});
