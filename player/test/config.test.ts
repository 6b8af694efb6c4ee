import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { frameToTimecode } from '@mediavault/core/timecode';
import {
  describeRate,
  messageForLabelsRefusal,
  messageForLoadFailure,
  messages,
  PlayerConfigError,
  readLabels,
  readLink,
} from '../src/config.ts';

const src = 'https://edge.example/v/tok/hls/abc/master.m3u8';
const labels = 'eyJhbGciOiJIUzI1NiIsImtpZCI6ImsxIn0.e30.c2ln';
const query = (params: Record<string, string>) => `?${new URLSearchParams(params)}`;
const ntsc = { num: 30000, den: 1001 };

/** Asserts that `read` fails with a PlayerConfigError whose message matches. */
const fails = (read: () => unknown, message: RegExp) =>
  assert.throws(read, (err: unknown) => err instanceof PlayerConfigError && message.test(err.message));

describe('reviewer page link', () => {
  test('reads the manifest and the signed labels, as written', () => {
    assert.deepEqual(readLink(query({ src, labels })), { src, labels });
  });

  test('a title, rate or timecode in the query is not read', () => {
    const edited = query({ src, labels, title: 'APPROVED FINAL', rate: '25/1', tc: '10:00:00:00', df: '1' });
    assert.deepEqual(readLink(edited), { src, labels });
  });

  test('a link that cannot play says why, in words for a reviewer', () => {
    fails(() => readLink(''), /does not say which video to play/);
    fails(() => readLink(query({ src })), /does not say which video to play/);
    fails(() => readLink(query({ labels })), /does not say which video to play/);
    fails(() => readLink(query({ src: 'not a url', labels })), /not a URL/);
    fails(() => readLink(query({ src: 'javascript:alert(1)', labels })), /must be http or https/);
  });
});

describe('reviewer page labels, as the api answers them', () => {
  test('reads title, rate, start timecode and drop-frame', () => {
    const answer = { title: 'Reel 2', frameRate: ntsc, startTimecode: '01:00:00;00', dropFrame: true };
    const config = readLabels(answer);
    assert.deepEqual(config, { rate: ntsc, startTimecode: '01:00:00;00', dropFrame: true, title: 'Reel 2' });
    // The player's label at frame 17,982 of a 29.97 DF source starting at 01:00:00;00.
    assert.equal(frameToTimecode(17982, config.rate, config), '01:10:00;00');
  });

  test('drop-frame is read from the label by core’s parser, as the probe read it', () => {
    const at = (startTimecode: string) => readLabels({ title: 'x', frameRate: ntsc, startTimecode, dropFrame: false });
    assert.equal(at('01:00:00;00').dropFrame, true);
    assert.equal(at('01:00:00.00').startTimecode, '01:00:00;00');
    assert.equal(at('01:00:00:00').dropFrame, false);
  });

  test('defaults: 25 fps for a source without a rate, 00:00:00:00, a generic title', () => {
    const config = readLabels({ title: '  ', frameRate: null, startTimecode: '00:00:00:00', dropFrame: false });
    assert.deepEqual(config.rate, { num: 25, den: 1 });
    assert.equal(config.startTimecode, '00:00:00:00');
    assert.equal(config.dropFrame, false);
    assert.equal(config.title, 'Review');
    assert.equal(readLabels({ title: 'x', frameRate: ntsc, dropFrame: true }).startTimecode, '00:00:00;00');
  });

  test('labels the page cannot show are refused in words for a reviewer', () => {
    fails(() => readLabels({ frameRate: { num: 0, den: 1 } }), /bad frame rate/);
    fails(() => readLabels({ startTimecode: '25:00:00:00' }), /bad start timecode/);
    fails(() => readLabels({ startTimecode: '01:00:00' }), /bad start timecode: "01:00:00" is not HH:MM:SS:FF/);
    fails(() => readLabels({ startTimecode: '01:00:00;00' }), /drop-frame timecode, which does not exist at 25\/1/);
    fails(() => readLabels({ frameRate: ntsc, startTimecode: '00:01:00;00' }), /does not exist in drop-frame/);
    fails(
      () => readLabels({ frameRate: ntsc, dropFrame: true, startTimecode: '00:01:00;00' }),
      /does not exist in drop-frame/,
    );
  });
});

describe('reviewer page words', () => {
  test('rates are shown the way editors say them', () => {
    assert.equal(describeRate({ num: 25, den: 1 }, false), '25 fps');
    assert.equal(describeRate({ num: 30000, den: 1001 }, true), '29.97 fps DF');
    assert.equal(describeRate({ num: 24000, den: 1001 }, false), '23.976 fps');
  });

  test('an api refusing the labels means a bad or expired link; anything else, a reload', () => {
    for (const status of [400, 403]) assert.equal(messageForLabelsRefusal(status), messages.expired);
    for (const status of [404, 429, 500, 503]) assert.equal(messageForLabelsRefusal(status), messages.network);
  });

  test('load failures map to what the reviewer can do about them', () => {
    for (const status of [401, 403, 410]) assert.equal(messageForLoadFailure(status), messages.expired);
    assert.equal(messageForLoadFailure(403), 'This link has expired or is not valid.');
    assert.equal(messageForLoadFailure(404), messages.notReady);
    assert.equal(messageForLoadFailure(502), messages.network);
    assert.equal(messageForLoadFailure(503), 'The video server is busy or restarting. Reload the page in a moment.');
    assert.equal(messageForLoadFailure(undefined), messages.network);
  });
});
