/**
 * Edge playback tokens. The api signs `{sha, exp, scope, kid}` with a shared
 * HMAC key; the edge verifies it without calling back to the api. Several keys
 * can be accepted at once (matched by kid) so a key can be rotated without
 * breaking URLs already handed out.
 *
 * A share session's tokens (scope `share`) also carry a grant: the share's id (the edge refuses
 * the URLs of a revoked share at once, core/src/share-policy.ts), when the token was issued,
 * which files it opens (playing or the download) and, for a watermarked share, the key of the
 * watermarked set, whose files are then the only ones it opens.
 *
 * Token = base64url(JSON payload) + '.' + base64url(HMAC-SHA256(secret, payload part)).
 * The token travels in the URL path, so it uses only URL-safe characters.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export type EdgeScope = 'preview' | 'share';
/** What a share session's token opens: the files to play, or the one file to download. */
export type ShareFiles = 'play' | 'download';
export interface ShareGrant {
  /** The share's id: the edge checks it against the share's revocation marker. */
  id: string;
  /** unix seconds: when the api issued the token (a marker can refuse tokens issued before a change). */
  iat: number;
  files: ShareFiles;
  /** The watermarked set's key (32 hex digits): only that set's files, never the clean preview. */
  wm?: string;
  /** A download's file name (the edge answers it as an attachment under this name). */
  name?: string;
}
export interface EdgeClaims {
  sha: string;
  /** unix seconds */
  exp: number;
  scope: EdgeScope;
  kid: string;
  /** Present exactly when scope is 'share'. */
  share?: ShareGrant;
}
export interface SigningKey {
  kid: string;
  secret: string;
}

export type EdgeTokenCheck =
  | { ok: true; claims: EdgeClaims }
  | { ok: false; reason: 'malformed' | 'unknown_key' | 'bad_signature' | 'expired' };

const edgeScopes: readonly string[] = ['preview', 'share'] satisfies EdgeScope[];
const shareFiles: readonly string[] = ['play', 'download'] satisfies ShareFiles[];
const SHA256_HEX = /^[0-9a-f]{64}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const WATERMARK_KEY = /^[0-9a-f]{32}$/;
const BASE64URL = /^[A-Za-z0-9_-]+$/;
/** A download's name: 1 to 255 characters, no control characters. */
const FILE_NAME = /^[^\u0000-\u001f\u007f]{1,255}$/u;
// Bounds the work done on hostile input before any HMAC is computed.
const MAX_TOKEN_LENGTH = 1024;

function hmac(secret: string, payloadPart: string): Buffer {
  return createHmac('sha256', secret).update(payloadPart).digest();
}

function assertKey(key: SigningKey): void {
  if (!key.kid || !key.secret) throw new Error('edge signing key needs a non-empty kid and secret');
}

/** A grant as a token may carry it (the shape the edge accepts), or null. */
function validGrant(value: unknown): ShareGrant | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const { id, iat, files, wm, name } = value as Record<string, unknown>;
  if (typeof id !== 'string' || !UUID.test(id)) return null;
  if (typeof iat !== 'number' || !Number.isSafeInteger(iat)) return null;
  if (typeof files !== 'string' || !shareFiles.includes(files)) return null;
  if (wm !== undefined && (typeof wm !== 'string' || !WATERMARK_KEY.test(wm))) return null;
  if (name !== undefined && (typeof name !== 'string' || !FILE_NAME.test(name))) return null;
  return {
    id,
    iat,
    files: files as ShareFiles,
    ...(wm === undefined ? {} : { wm }),
    ...(name === undefined ? {} : { name }),
  };
}

export function signEdgeToken(
  claims: { sha: string; exp: number; scope: EdgeScope; share?: ShareGrant },
  key: SigningKey,
): string {
  assertKey(key);
  if (!SHA256_HEX.test(claims.sha)) throw new Error(`not a lowercase hex sha256: ${JSON.stringify(claims.sha)}`);
  if (!Number.isSafeInteger(claims.exp)) throw new Error(`exp must be an integer of unix seconds, got ${claims.exp}`);
  if (!edgeScopes.includes(claims.scope)) throw new Error(`unknown edge scope: ${JSON.stringify(claims.scope)}`);
  const grant = claims.share === undefined ? null : validGrant(claims.share);
  if ((claims.scope === 'share') !== (claims.share !== undefined) || (claims.share !== undefined && !grant)) {
    throw new Error('a share token carries a valid share grant, and only a share token does');
  }
  // Fixed field order keeps tokens deterministic for the same claims and key.
  const payload: EdgeClaims = {
    sha: claims.sha,
    exp: claims.exp,
    scope: claims.scope,
    kid: key.kid,
    ...(grant ? { share: grant } : {}),
  };
  const payloadPart = Buffer.from(JSON.stringify(payload)).toString('base64url');
  return `${payloadPart}.${hmac(key.secret, payloadPart).toString('base64url')}`;
}

function parseClaims(payloadPart: string): EdgeClaims | null {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(payloadPart, 'base64url').toString('utf8'));
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const { sha, exp, scope, kid, share } = value as Record<string, unknown>;
  if (typeof sha !== 'string' || !SHA256_HEX.test(sha)) return null;
  if (typeof exp !== 'number' || !Number.isSafeInteger(exp)) return null;
  if (typeof scope !== 'string' || !edgeScopes.includes(scope)) return null;
  if (typeof kid !== 'string' || kid === '') return null;
  if (scope !== 'share') return share === undefined ? { sha, exp, scope: scope as EdgeScope, kid } : null;
  const grant = validGrant(share);
  return grant ? { sha, exp, scope: 'share', kid, share: grant } : null;
}

/**
 * Checks in order: shape, key, signature, expiry — expiry last so that an
 * expired token is only reported as such when it is otherwise genuine.
 */
export function verifyEdgeToken(token: string, keys: readonly SigningKey[], nowSeconds: number): EdgeTokenCheck {
  if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH) return { ok: false, reason: 'malformed' };
  const parts = token.split('.');
  if (parts.length !== 2) return { ok: false, reason: 'malformed' };
  const [payloadPart, signaturePart] = parts as [string, string];
  if (!BASE64URL.test(payloadPart) || !BASE64URL.test(signaturePart)) return { ok: false, reason: 'malformed' };

  const claims = parseClaims(payloadPart);
  if (!claims) return { ok: false, reason: 'malformed' };

  const key = keys.find((k) => k.kid === claims.kid);
  if (!key) return { ok: false, reason: 'unknown_key' };

  // Compare the encoded text, not decoded bytes: base64url decoding ignores stray
  // trailing bits, so several strings decode to the same MAC and a token would
  // have more than one valid spelling (and more than one cache key downstream).
  const expected = Buffer.from(hmac(key.secret, payloadPart).toString('base64url'));
  const given = Buffer.from(signaturePart);
  // timingSafeEqual throws on length mismatch; a wrong length is simply a bad signature.
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return { ok: false, reason: 'bad_signature' };
  }
  if (claims.exp <= nowSeconds) return { ok: false, reason: 'expired' };
  return { ok: true, claims };
}

/** `${base}/v/${token}/${previewPath}`; tolerates a trailing slash on the base and a leading one on the path. */
export function edgeUrl(edgeBaseUrl: string, token: string, previewPath: string): string {
  return `${edgeBaseUrl.replace(/\/+$/, '')}/v/${token}/${previewPath.replace(/^\/+/, '')}`;
}
