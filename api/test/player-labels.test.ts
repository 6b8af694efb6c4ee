/**
 * The reviewer page's labels: derived from what the probe recorded, signed into the player link
 * with the manifest they describe, and answered by POST /player/labels only for a genuine link.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { signEdgeToken, verifyEdgeToken } from '@mediavault/core/signer';
import { frameToTimecode } from '@mediavault/core/timecode';
import { loadConfig } from '@mediavault/core/config';
import {
  playbackLabels,
  playerLinkKeys,
  signPlayerLink,
  verifyPlayerLink,
  type PlayerLabels,
} from '../src/services/player-labels.ts';
import { startTestApi, type TestApi } from '../../test/helpers/api.ts';
import { withEditedClaims } from '../../test/helpers/player-link.ts';

const ntsc = { num: 30000, den: 1001 };
const key = { kid: 'k1', secret: 'player-labels-test-key-0123456789abcdef' };
const now = 1_900_000_000;
const src = `https://edge.example/v/token/hls/${'a'.repeat(64)}/master.m3u8`;
const labels: PlayerLabels = {
  title: 'A001_C002.mov',
  frameRate: ntsc,
  startTimecode: '01:00:00;00',
  dropFrame: true,
};

describe('playbackLabels', () => {
  test('a 29.97 drop-frame source is labelled drop-frame from its probed start', () => {
    const found = playbackLabels({
      originalName: 'A001_C002.mov',
      meta: { video: { frameRate: ntsc }, startTimecode: '01:00:00;00' },
    });
    assert.deepEqual(found, labels);
    // What the api's labels say at frame 17,982 of 29.97 DF from 01:00:00;00.
    assert.equal(frameToTimecode(17982, found.frameRate!, found), '01:10:00;00');
  });

  test('the start is read by core’s parser: "." before the frames is drop-frame too', () => {
    const found = playbackLabels({
      originalName: 'x',
      meta: { video: { frameRate: ntsc }, startTimecode: '01:00:00.00' },
    });
    assert.equal(found.startTimecode, '01:00:00;00');
    assert.equal(found.dropFrame, true);
  });

  test('drop-frame only where the rate has it; no probe gives 00:00:00:00 at an unknown rate', () => {
    const pal = playbackLabels({
      originalName: 'x',
      meta: { video: { frameRate: { num: 25, den: 1 } }, startTimecode: '10:00:00;00' },
    });
    assert.deepEqual([pal.startTimecode, pal.dropFrame], ['10:00:00:00', false]);
    const timelapse = playbackLabels({
      originalName: 'x',
      meta: { video: { frameRate: { num: 1, den: 2 } }, startTimecode: '00:00:00;00' },
    });
    assert.deepEqual([timelapse.startTimecode, timelapse.dropFrame], ['00:00:00:00', false]);
    assert.deepEqual(playbackLabels({ originalName: 'tone.wav', meta: {} }), {
      title: 'tone.wav',
      frameRate: null,
      startTimecode: '00:00:00:00',
      dropFrame: false,
    });
    assert.equal(
      playbackLabels({ originalName: 'x', meta: { video: { frameRate: ntsc }, startTimecode: 'garbage' } })
        .startTimecode,
      '00:00:00:00',
    );
  });
});

describe('signed player links', () => {
  test('a genuine link gives back exactly its labels until it expires', async () => {
    const token = await signPlayerLink({ src, labels }, key, now + 60);
    assert.deepEqual(await verifyPlayerLink({ src, labels: token }, [key], now), labels);
    assert.deepEqual(await verifyPlayerLink({ src, labels: token }, [key], now + 59), labels);
    assert.equal(await verifyPlayerLink({ src, labels: token }, [key], now + 60), null, 'expired');
  });

  test('an edited title, timecode, drop-frame flag or expiry is refused', async () => {
    const token = await signPlayerLink({ src, labels }, key, now + 60);
    const edits: ((claims: Record<string, unknown>) => void)[] = [
      (c) => Object.assign(c.labels as PlayerLabels, { title: 'APPROVED FINAL' }),
      (c) => Object.assign(c.labels as PlayerLabels, { startTimecode: '00:59:59;29' }),
      (c) => Object.assign(c.labels as PlayerLabels, { dropFrame: false }),
      (c) => Object.assign(c, { exp: now + 3600 }),
    ];
    for (const edit of edits) {
      assert.equal(
        await verifyPlayerLink({ src, labels: withEditedClaims(token, edit) }, [key], now),
        null,
        String(edit),
      );
    }
  });

  test('labels put over another manifest, an unknown key or another secret are refused', async () => {
    const token = await signPlayerLink({ src, labels }, key, now + 60);
    const otherSrc = src.replace('a'.repeat(64), 'b'.repeat(64));
    assert.equal(await verifyPlayerLink({ src: otherSrc, labels: token }, [key], now), null);
    assert.equal(await verifyPlayerLink({ src, labels: token }, [{ ...key, kid: 'k2' }], now), null);
    assert.equal(await verifyPlayerLink({ src, labels: token }, [{ ...key, secret: `${key.secret}x` }], now), null);
    const previous = { kid: 'k0', secret: 'the-previous-player-labels-key-0123456789' };
    const fromPrevious = await signPlayerLink({ src, labels }, previous, now + 60);
    assert.deepEqual(await verifyPlayerLink({ src, labels: fromPrevious }, [key, previous], now), labels);
  });

  test('neither kind of token passes for the other, and junk is simply invalid', async () => {
    const edgeToken = signEdgeToken({ sha: 'a'.repeat(64), exp: now + 60, scope: 'preview' }, key);
    assert.equal(await verifyPlayerLink({ src, labels: edgeToken }, [key], now), null);
    const token = await signPlayerLink({ src, labels }, key, now + 60);
    assert.equal(verifyEdgeToken(token, [key], now).ok, false);
    const unsigned = `${Buffer.from('{"alg":"none","kid":"k1"}').toString('base64url')}.${token.split('.')[1]}.`;
    for (const junk of [unsigned, 'x', 'a.b.c', '']) {
      assert.equal(await verifyPlayerLink({ src, labels: junk }, [key], now), null, junk);
    }
  });
});

describe('POST /player/labels', () => {
  let api: TestApi;
  before(async () => {
    api = await startTestApi();
  });
  after(async () => {
    await api?.close();
  });

  const post = async (body: unknown) => {
    const res = await fetch(`${api.url}/player/labels`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: res.status, headers: res.headers, body: await res.json() };
  };
  const signed = () =>
    signPlayerLink(
      { src, labels },
      { kid: api.config.edge.signingKid, secret: api.config.edge.signingKey },
      Math.floor(Date.now() / 1000) + 60,
    );

  test('answers the labels of a link the api signed, uncached and with no referrer', async () => {
    const answer = await post({ src, labels: await signed() });
    assert.equal(answer.status, 200);
    assert.deepEqual(answer.body, labels);
    assert.equal(answer.headers.get('cache-control'), 'no-store');
    assert.equal(answer.headers.get('referrer-policy'), 'no-referrer');
  });

  test('refuses an edited link with 403, a malformed request with 400', async () => {
    const token = await signed();
    const edited = withEditedClaims(token, (c) => Object.assign(c.labels as PlayerLabels, { title: 'APPROVED FINAL' }));
    const refused = await post({ src, labels: edited });
    assert.equal(refused.status, 403);
    assert.equal(refused.body.error.code, 'forbidden');
    assert.equal((await post({ src: `${src}?x`, labels: token })).status, 403);
    assert.equal((await post({ labels: token })).status, 400);
    assert.equal((await post({ src, labels: token, title: 'APPROVED FINAL' })).status, 400);
  });

  test('is not part of the published API', async () => {
    const spec = await (await fetch(`${api.url}/openapi.json`)).json();
    assert.equal(spec.paths['/player/labels'], undefined);
  });
});

test('while the signing key rotates, the api reads links signed with the previous key', () => {
  const config = loadConfig({
    MEDIAVAULT_DATA_DIR: '/nonexistent',
    EDGE_SIGNING_KEY: 'n'.repeat(40),
    EDGE_SIGNING_KID: 'new',
    EDGE_SIGNING_KEY_PREVIOUS: 'o'.repeat(40),
    EDGE_SIGNING_KID_PREVIOUS: 'old',
    STORAGE_SIGNING_KEY: 's'.repeat(40),
  });
  assert.deepEqual(
    playerLinkKeys(config).map((k) => k.kid),
    ['new', 'old'],
  );
});
