import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  cleanGuestName,
  downloadGranted,
  edgePathAllowed,
  guestMayComment,
  guestSessionExpiry,
  isShareToken,
  markerRefusal,
  parseShareMarker,
  passwordRetryAfter,
  passwordWait,
  shareMediaExpiry,
  sharePathAllowed,
  shareState,
  watermarkNeedsName,
} from '@mediavault/core/share-policy';
import { signEdgeToken, verifyEdgeToken, type ShareGrant } from '@mediavault/core/signer';

const sha = 'a1'.repeat(32);
const otherSha = 'b2'.repeat(32);
const wm = 'c3'.repeat(16);
const shareId = '6f1c1d9e-5d55-4d7e-9a43-3f0cbb7d2a10';
const play: ShareGrant = { id: shareId, iat: 1_700_000_000, files: 'play' };
const now = new Date('2030-01-01T00:00:00Z');
const at = (seconds: number) => new Date(now.getTime() + seconds * 1000);

test('share tokens are the prefix and 256 bits of base64url, nothing else', () => {
  assert.equal(isShareToken(`mvs_${'A'.repeat(43)}`), true);
  assert.equal(isShareToken(`mvr_${'A'.repeat(43)}`), false);
  assert.equal(isShareToken(`mvs_${'A'.repeat(42)}`), false);
  assert.equal(isShareToken(`mvs_${'A'.repeat(42)}=`), false);
});

test('a revoked share says revoked even once expired; an expiry at now has passed', () => {
  assert.equal(shareState({ revokedAt: null, expiresAt: null }, now), 'active');
  assert.equal(shareState({ revokedAt: null, expiresAt: at(1) }, now), 'active');
  assert.equal(shareState({ revokedAt: null, expiresAt: now }, now), 'expired');
  assert.equal(shareState({ revokedAt: at(-10), expiresAt: at(-5) }, now), 'revoked');
});

test('sessions and media URLs never outlive the share', () => {
  assert.equal(guestSessionExpiry(null, now).getTime() - now.getTime(), 4 * 3600_000);
  assert.deepEqual(guestSessionExpiry(at(60), now), at(60));
  const nowSeconds = now.getTime() / 1000;
  assert.equal(shareMediaExpiry(null, nowSeconds), nowSeconds + 300);
  assert.equal(shareMediaExpiry(at(30), nowSeconds), nowSeconds + 30);
});

test('wrong passwords: three free tries, then a delay that doubles from the latest failure', () => {
  const last = at(-0.2);
  assert.equal(passwordRetryAfter({ count: 2, lastAt: last }, 3, now), 0);
  assert.equal(passwordRetryAfter({ count: 3, lastAt: last }, 3, now), 1);
  assert.equal(passwordRetryAfter({ count: 4, lastAt: last }, 3, now), 2);
  assert.equal(passwordRetryAfter({ count: 5, lastAt: last }, 3, now), 4);
  assert.equal(passwordRetryAfter({ count: 8, lastAt: last }, 3, now), 32);
  // Capped at 15 minutes, however many failures.
  assert.equal(passwordRetryAfter({ count: 500, lastAt: now }, 3, now), 900);
  // The wait runs from the latest failure.
  assert.equal(passwordRetryAfter({ count: 5, lastAt: at(-4) }, 3, now), 0);
  assert.equal(passwordRetryAfter({ count: 5, lastAt: at(-3) }, 3, now), 1);
});

test('the per-share count allows more tries than the per-address one, and the longer wait wins', () => {
  const none = { count: 0, lastAt: null };
  assert.equal(passwordWait({ count: 3, lastAt: now }, none, now), 1);
  assert.equal(passwordWait(none, { count: 19, lastAt: now }, now), 0);
  assert.equal(passwordWait(none, { count: 22, lastAt: now }, now), 4);
  assert.equal(passwordWait({ count: 4, lastAt: now }, { count: 22, lastAt: now }, now), 4);
});

test('downloads follow the policy; a watermarked share only ever gets its watermarked MP4', () => {
  const grant = (download: 'none' | 'proxy' | 'master', watermarked: boolean) => ({
    proxy: downloadGranted({ download, watermarked }, 'proxy'),
    master: downloadGranted({ download, watermarked }, 'master'),
  });
  assert.deepEqual(grant('none', false), { proxy: null, master: null });
  assert.deepEqual(grant('proxy', false), { proxy: 'proxy', master: null });
  assert.deepEqual(grant('master', false), { proxy: 'proxy', master: 'master' });
  assert.deepEqual(grant('none', true), { proxy: null, master: null });
  assert.deepEqual(grant('proxy', true), { proxy: 'watermarked', master: null });
  assert.deepEqual(grant('master', true), { proxy: 'watermarked', master: 'watermarked' });
});

test('guests comment only where the share allows it, under a clean name', () => {
  assert.equal(guestMayComment({ comments: false }, 'Ana'), 'off');
  assert.equal(guestMayComment({ comments: true }, null), 'no_name');
  assert.equal(guestMayComment({ comments: true }, 'Ana'), 'ok');
  assert.equal(cleanGuestName('  Ana\u202e  Lopez\n'), 'Ana Lopez');
  assert.equal(cleanGuestName(' \u200b '), null);
  assert.equal([...cleanGuestName('é'.repeat(300))!].length, 100);
});

test('a watermark that shows the viewer needs their name first', () => {
  assert.equal(watermarkNeedsName(null), false);
  assert.equal(watermarkNeedsName({ template: '{share} {date}' }), false);
  assert.equal(watermarkNeedsName({ template: 'For {viewer} only' }), true);
});

test('a playing share token opens its sha’s stream files, never another sha nor the MP4', () => {
  assert.equal(sharePathAllowed(`hls/${sha}/master.m3u8`, sha, play), true);
  assert.equal(sharePathAllowed(`hls/${sha}/v720/seg_00001.m4s`, sha, play), true);
  assert.equal(sharePathAllowed(`thumbs/${sha}/poster.jpg`, sha, play), true);
  assert.equal(sharePathAllowed(`mp4/${sha}.mp4`, sha, play), false);
  assert.equal(sharePathAllowed(`hls/${otherSha}/master.m3u8`, sha, play), false);
  assert.equal(sharePathAllowed(`hls/${sha}/../${otherSha}/master.m3u8`, sha, play), false);
  assert.equal(sharePathAllowed(`sha256/${sha.slice(0, 2)}/${sha.slice(2, 4)}/${sha}`, sha, play), false);
  assert.equal(sharePathAllowed(`share-markers/${shareId}.json`, sha, play), false);
});

test('a download token opens the MP4 only', () => {
  const download: ShareGrant = { ...play, files: 'download' };
  assert.equal(sharePathAllowed(`mp4/${sha}.mp4`, sha, download), true);
  assert.equal(sharePathAllowed(`hls/${sha}/master.m3u8`, sha, download), false);
  assert.equal(sharePathAllowed(`mp4/${otherSha}.mp4`, sha, download), false);
});

test('a watermarked share’s tokens open that set only, never the clean preview or another watermark', () => {
  const marked: ShareGrant = { ...play, wm };
  const set = `watermarks/${sha}/${wm}/`;
  assert.equal(sharePathAllowed(`${set}hls/master.m3u8`, sha, marked), true);
  assert.equal(sharePathAllowed(`${set}hls/720p/seg_00001.m4s`, sha, marked), true);
  assert.equal(sharePathAllowed(`${set}poster.jpg`, sha, marked), true);
  assert.equal(sharePathAllowed(`${set}preview.mp4`, sha, marked), false);
  assert.equal(sharePathAllowed(`hls/${sha}/master.m3u8`, sha, marked), false);
  assert.equal(sharePathAllowed(`thumbs/${sha}/poster.jpg`, sha, marked), false);
  assert.equal(sharePathAllowed(`watermarks/${sha}/${'d4'.repeat(16)}/hls/master.m3u8`, sha, marked), false);
  const download: ShareGrant = { ...marked, files: 'download' };
  assert.equal(sharePathAllowed(`${set}preview.mp4`, sha, download), true);
  assert.equal(sharePathAllowed(`mp4/${sha}.mp4`, sha, download), false);
});

test('plain preview tokens keep their rule; share tokens use their grant', () => {
  const exp = 1_700_000_300;
  assert.equal(edgePathAllowed(`mp4/${sha}.mp4`, { sha, exp, scope: 'preview', kid: 'k1' }), true);
  assert.equal(edgePathAllowed(`mp4/${sha}.mp4`, { sha, exp, scope: 'share', kid: 'k1', share: play }), false);
  assert.equal(edgePathAllowed(`hls/${sha}/master.m3u8`, { sha, exp, scope: 'share', kid: 'k1' }), false);
});

test('share grants travel signed in the token and cannot be dropped or added', () => {
  const key = { kid: 'k1', secret: 'share-test-secret' };
  const token = signEdgeToken({ sha, exp: 1_700_000_300, scope: 'share', share: { ...play, wm } }, key);
  const check = verifyEdgeToken(token, [key], 1_700_000_000);
  assert.deepEqual(check, {
    ok: true,
    claims: { sha, exp: 1_700_000_300, scope: 'share', kid: 'k1', share: { ...play, wm } },
  });
  assert.throws(() => signEdgeToken({ sha, exp: 1, scope: 'share' }, key), /share grant/);
  assert.throws(() => signEdgeToken({ sha, exp: 1, scope: 'preview', share: play }, key), /share grant/);
  assert.throws(() => signEdgeToken({ sha, exp: 1, scope: 'share', share: { ...play, wm: 'x' } }, key), /share grant/);
});

test('markers: revoked refuses every token, notBefore those issued earlier; garbage reads as revoked', () => {
  assert.equal(markerRefusal(play, null), null);
  assert.equal(markerRefusal(play, { revoked: true, notBefore: 0 }), 'revoked');
  assert.equal(markerRefusal(play, { revoked: false, notBefore: play.iat + 1 }), 'superseded');
  assert.equal(markerRefusal(play, { revoked: false, notBefore: play.iat }), null);
  assert.deepEqual(parseShareMarker('{"revoked":false,"notBefore":12}'), { revoked: false, notBefore: 12 });
  assert.deepEqual(parseShareMarker('not json'), { revoked: true, notBefore: 0 });
  assert.deepEqual(parseShareMarker('{"revoked":"no"}'), { revoked: true, notBefore: 0 });
});
