import { test } from 'node:test';
import assert from 'node:assert/strict';
import { edgeUrl, signEdgeToken, verifyEdgeToken, type SigningKey } from '../src/signer.ts';

const sha = 'a'.repeat(64);
const k1: SigningKey = { kid: 'k1', secret: 'first-secret' };
const k2: SigningKey = { kid: 'k2', secret: 'second-secret' };
const now = 1_700_000_000;
const claims = { sha, exp: now + 300, scope: 'preview' as const };

function encode(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

test('a signed token verifies and carries its claims and kid', () => {
  const token = signEdgeToken(claims, k1);
  assert.match(token, /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
  assert.deepEqual(verifyEdgeToken(token, [k1], now), { ok: true, claims: { ...claims, kid: 'k1' } });
});

test('rotation: a token signed with any accepted key verifies, matched by kid', () => {
  assert.equal(verifyEdgeToken(signEdgeToken(claims, k1), [k2, k1], now).ok, true);
  const check = verifyEdgeToken(signEdgeToken(claims, k2), [k1, k2], now);
  assert.equal(check.ok && check.claims.kid, 'k2');
});

test('a tampered payload is a bad signature', () => {
  const [, signature] = signEdgeToken(claims, k1).split('.');
  const forged = `${encode({ ...claims, sha: 'b'.repeat(64), kid: 'k1' })}.${signature}`;
  assert.deepEqual(verifyEdgeToken(forged, [k1], now), { ok: false, reason: 'bad_signature' });
  const extended = `${encode({ ...claims, exp: now + 999_999, kid: 'k1' })}.${signature}`;
  assert.deepEqual(verifyEdgeToken(extended, [k1], now), { ok: false, reason: 'bad_signature' });
});

test('a tampered signature is a bad signature', () => {
  const token = signEdgeToken(claims, k1);
  const [payload, signature] = token.split('.') as [string, string];
  const flipped = (signature[0] === 'A' ? 'B' : 'A') + signature.slice(1);
  assert.deepEqual(verifyEdgeToken(`${payload}.${flipped}`, [k1], now), { ok: false, reason: 'bad_signature' });
  assert.deepEqual(verifyEdgeToken(`${payload}.${signature.slice(1)}`, [k1], now), {
    ok: false,
    reason: 'bad_signature',
  });
  // Same decoded bytes, different spelling (last char's unused low bits changed): still refused.
  const last = signature.at(-1)!;
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  const sibling = alphabet[alphabet.indexOf(last) ^ 1]!;
  assert.deepEqual(verifyEdgeToken(`${payload}.${signature.slice(0, -1)}${sibling}`, [k1], now), {
    ok: false,
    reason: 'bad_signature',
  });
});

test('a token signed with another secret under the same kid is a bad signature', () => {
  const token = signEdgeToken(claims, { kid: 'k1', secret: 'someone-elses-secret' });
  assert.deepEqual(verifyEdgeToken(token, [k1], now), { ok: false, reason: 'bad_signature' });
});

test('an unknown kid is refused as unknown_key', () => {
  assert.deepEqual(verifyEdgeToken(signEdgeToken(claims, k2), [k1], now), { ok: false, reason: 'unknown_key' });
  assert.deepEqual(verifyEdgeToken(signEdgeToken(claims, k1), [], now), { ok: false, reason: 'unknown_key' });
});

test('expiry: valid until exp, expired from exp on', () => {
  const token = signEdgeToken(claims, k1);
  assert.equal(verifyEdgeToken(token, [k1], claims.exp - 1).ok, true);
  assert.deepEqual(verifyEdgeToken(token, [k1], claims.exp), { ok: false, reason: 'expired' });
  assert.deepEqual(verifyEdgeToken(token, [k1], claims.exp + 3600), { ok: false, reason: 'expired' });
});

test('an expired token with a bad signature reports the bad signature, not the expiry', () => {
  const [, signature] = signEdgeToken(claims, k1).split('.');
  const forged = `${encode({ ...claims, exp: now - 1, kid: 'k1' })}.${signature}`;
  assert.deepEqual(verifyEdgeToken(forged, [k1], now), { ok: false, reason: 'bad_signature' });
});

test('malformed strings are refused as malformed', () => {
  const [payload, signature] = signEdgeToken(claims, k1).split('.') as [string, string];
  const malformed = [
    '',
    '.',
    'abc',
    `${payload}.`,
    `.${signature}`,
    `${payload}.${signature}.extra`,
    `${payload}.${signature}=`,
    `${payload}+.${signature}`,
    `${encode('just a string')}.${signature}`,
    `${encode([sha])}.${signature}`,
    `${Buffer.from('{not json').toString('base64url')}.${signature}`,
    `${encode({ ...claims, sha: 'A'.repeat(64), kid: 'k1' })}.${signature}`,
    `${encode({ ...claims, sha: 'a'.repeat(63), kid: 'k1' })}.${signature}`,
    `${encode({ ...claims, exp: now + 0.5, kid: 'k1' })}.${signature}`,
    `${encode({ ...claims, exp: String(now + 300), kid: 'k1' })}.${signature}`,
    `${encode({ ...claims, scope: 'download', kid: 'k1' })}.${signature}`,
    `${encode({ ...claims })}.${signature}`,
    `${encode({ ...claims, kid: '' })}.${signature}`,
    `${'a'.repeat(2000)}.${signature}`,
  ];
  for (const token of malformed) {
    assert.deepEqual(verifyEdgeToken(token, [k1], now), { ok: false, reason: 'malformed' }, token);
  }
});

test('signing refuses claims that could never verify', () => {
  assert.throws(() => signEdgeToken({ ...claims, sha: 'not-a-sha' }, k1), /sha256/);
  assert.throws(() => signEdgeToken({ ...claims, exp: 1.5 }, k1), /exp/);
  assert.throws(() => signEdgeToken({ ...claims, scope: 'other' as 'preview' }, k1), /scope/);
  assert.throws(() => signEdgeToken(claims, { kid: '', secret: 's' }), /kid/);
  assert.throws(() => signEdgeToken(claims, { kid: 'k', secret: '' }), /secret/);
});

test('edgeUrl puts the token in the path before the preview path', () => {
  assert.equal(
    edgeUrl('http://edge.test', 'T.S', `hls/${sha}/master.m3u8`),
    `http://edge.test/v/T.S/hls/${sha}/master.m3u8`,
  );
  assert.equal(edgeUrl('http://edge.test/', 'T.S', `/mp4/${sha}.mp4`), `http://edge.test/v/T.S/mp4/${sha}.mp4`);
  assert.equal(edgeUrl('https://cdn.test/media', 'T.S', 'x'), 'https://cdn.test/media/v/T.S/x');
});
