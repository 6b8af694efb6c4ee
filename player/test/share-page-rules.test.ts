/**
 * The share page's pure rules, without a browser: which page an api answer leads to, the edge
 * token swap of renewed URLs, the download buttons of each policy, stepping through a playlist.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ShareApiError } from '../src/share-api.ts';
import { downloadChoices } from '../src/share-downloads.ts';
import { edgeTokenOf, needsRenewal, withEdgeToken } from '../src/share-edge-token.ts';
import { gateFor, gateText } from '../src/share-gate.ts';
import { stepThrough } from '../src/share-playlist.ts';

const refusal = (status: number, code: string, details: Record<string, unknown> = {}) =>
  new ShareApiError(status, code, 'the api says no', details);

describe('gateFor: the page an api answer leads to', () => {
  test('a password needed, wrong (with the wait the api gives), or tried too fast (429)', () => {
    assert.deepEqual(gateFor(refusal(401, 'unauthenticated', { reason: 'password_required' })), {
      kind: 'password',
      wrong: false,
      waitSeconds: 0,
    });
    assert.deepEqual(gateFor(refusal(401, 'unauthenticated', { reason: 'password_incorrect', retryAfterSeconds: 2 })), {
      kind: 'password',
      wrong: true,
      waitSeconds: 2,
    });
    assert.deepEqual(gateFor(refusal(429, 'rate_limited', { retryAfterSeconds: 8 })), {
      kind: 'password',
      wrong: true,
      waitSeconds: 8,
    });
  });

  test('revoked, expired, ended, no session, and an unknown token', () => {
    assert.equal(gateFor(refusal(403, 'forbidden', { reason: 'share_revoked' })).kind, 'revoked');
    assert.equal(gateFor(refusal(403, 'forbidden', { reason: 'share_expired' })).kind, 'expired');
    assert.equal(gateFor(refusal(401, 'unauthenticated', { reason: 'share_expired' })).kind, 'expired');
    assert.equal(gateFor(refusal(401, 'unauthenticated', { reason: 'session_ended' })).kind, 'ended');
    assert.equal(gateFor(refusal(401, 'unauthenticated', { reason: 'link_required' })).kind, 'ended');
    assert.equal(gateFor(refusal(401, 'unauthenticated', { reason: 'no_session' })).kind, 'no-session');
    assert.equal(gateFor(refusal(401, 'unauthenticated')).kind, 'invalid');
  });

  test('anything else is said as the api words it', () => {
    assert.deepEqual(gateFor(refusal(503, 'unavailable')), { kind: 'unavailable', message: 'the api says no' });
    assert.equal(gateFor(new Error('boom')).kind, 'unavailable');
  });

  test('every page has a title and words', () => {
    for (const kind of ['invalid', 'revoked', 'expired', 'ended', 'no-session', 'signed-out'] as const) {
      const text = gateText({ kind });
      assert.ok(text.title && text.message, kind);
    }
    assert.match(gateText({ kind: 'revoked' }).title, /revoked/);
    assert.match(gateText({ kind: 'expired' }).title, /expired/);
    assert.match(gateText({ kind: 'password', wrong: true, waitSeconds: 0 }).message, /not right/);
  });
});

describe('edge tokens of renewed URLs', () => {
  const old = 'eyJzaGEiOiJhYiJ9.c2ln';
  const manifest = `http://127.0.0.1:8081/v/${old}/hls/abcd/master.m3u8`;

  test('the token is the path segment after /v/', () => {
    assert.equal(edgeTokenOf(manifest), old);
    assert.equal(edgeTokenOf('http://127.0.0.1:8080/api/me'), null);
    assert.equal(edgeTokenOf('not a url'), null);
  });

  test('a segment below the old manifest goes out with the new token, the rest of the URL kept', () => {
    const segment = `http://127.0.0.1:8081/v/${old}/hls/abcd/720p/seg-00042.m4s?x=1`;
    assert.equal(withEdgeToken(segment, 'NEW.sig'), 'http://127.0.0.1:8081/v/NEW.sig/hls/abcd/720p/seg-00042.m4s?x=1');
    // Only the leading /v/<token>/ segment: a path that merely contains /v/ later is not touched.
    assert.equal(withEdgeToken('http://edge/hls/v/x/y.m4s', 'NEW'), 'http://edge/hls/v/x/y.m4s');
    assert.equal(withEdgeToken('blob:whatever', 'NEW'), 'blob:whatever');
  });

  test('renewed before a request when less than the margin is left', () => {
    assert.equal(needsRenewal(100_000, 60_000), false);
    assert.equal(needsRenewal(100_000, 75_000), true);
    assert.equal(needsRenewal(100_000, 200_000), true);
  });
});

describe('download buttons follow the policy', () => {
  test('none, proxy, master; a watermarked share only its watermarked MP4', () => {
    assert.deepEqual(downloadChoices({ download: 'none', watermarked: false }), []);
    assert.deepEqual(
      downloadChoices({ download: 'proxy', watermarked: false }).map((c) => c.kind),
      ['proxy'],
    );
    assert.deepEqual(
      downloadChoices({ download: 'master', watermarked: false }).map((c) => [c.kind, c.label]),
      [
        ['proxy', 'Download MP4'],
        ['master', 'Download original'],
      ],
    );
    assert.deepEqual(
      downloadChoices({ download: 'master', watermarked: true }).map((c) => c.kind),
      ['proxy'],
    );
    assert.deepEqual(downloadChoices({ download: 'none', watermarked: true }), []);
  });
});

describe('stepping through the playlist', () => {
  const items = [{ assetId: 'a' }, { assetId: 'b' }, { assetId: 'c' }];
  test('next and previous in order, nothing past either end', () => {
    assert.equal(stepThrough(items, 'a', 1)?.assetId, 'b');
    assert.equal(stepThrough(items, 'b', -1)?.assetId, 'a');
    assert.equal(stepThrough(items, 'c', 1), null);
    assert.equal(stepThrough(items, 'a', -1), null);
  });
  test('an item gone from the list (a collection read live) steps to the first', () => {
    assert.equal(stepThrough(items, 'zz', 1)?.assetId, 'a');
    assert.equal(stepThrough([], 'a', 1), null);
  });
});
