/**
 * A share link's token goes to the api once. When the share has a password, the first exchange
 * (token, no password or a wrong one) answers 401 and sets a short cookie that names the share,
 * signed by the api; the password page's later tries send the password alone, with that cookie.
 * So the link's token travels in the first request of a guest's visit only, however many
 * passwords are tried, and a page script never holds it past the first answer.
 *
 * The cookie is a JWS (HS256) over `{share, org}` with a 15-minute expiry, HttpOnly,
 * SameSite=Strict, sent only to /api/share-sessions. It grants nothing but the right to try a
 * password on that share: the tries are rate-limited and audited exactly as with the token.
 * Its key is derived (HKDF) from the edge signing key for this use only, like the player links'.
 */
import { hkdfSync } from 'node:crypto';
import { decodeProtectedHeader, jwtVerify, SignJWT } from 'jose';
import type { Config } from '@mediavault/core/config';
import type { SigningKey } from '@mediavault/core/signer';
import { playerLinkKeys } from './player-labels.ts';
import { apiCookie } from './review-sessions.ts';

export const sharePasswordCookieName = 'mv_share_password';
export const sharePasswordPendingSeconds = 15 * 60;

export interface PendingPassword {
  shareId: string;
  organizationId: string;
}

function pendingKey(key: SigningKey): Uint8Array {
  return new Uint8Array(hkdfSync('sha256', key.secret, '', 'mediavault share password pending v1', 32));
}

/** The cookie's value: the share whose password is being asked for, until 15 minutes from now. */
export function signPendingPassword(config: Config, pending: PendingPassword): Promise<string> {
  const [key] = playerLinkKeys(config);
  return new SignJWT({ share: pending.shareId, org: pending.organizationId })
    .setProtectedHeader({ alg: 'HS256', kid: key!.kid })
    .setExpirationTime(Math.floor(Date.now() / 1000) + sharePasswordPendingSeconds)
    .sign(pendingKey(key!));
}

/** The share a pending-password cookie names, or null when it is forged, expired or not one. */
export async function readPendingPassword(config: Config, value: string): Promise<PendingPassword | null> {
  try {
    const { kid } = decodeProtectedHeader(value);
    const key = playerLinkKeys(config).find((k) => k.kid === kid);
    if (!key) return null;
    const { payload } = await jwtVerify(value, pendingKey(key), { algorithms: ['HS256'] });
    if (typeof payload.share !== 'string' || typeof payload.org !== 'string') return null;
    return { shareId: payload.share, organizationId: payload.org };
  } catch {
    return null;
  }
}

/** Set-Cookie for the pending password (maxAge 0 clears it), sent to /api/share-sessions only. */
export function pendingPasswordCookie(publicApiUrl: string, value: string, maxAgeSeconds: number): string {
  return apiCookie(publicApiUrl, { name: sharePasswordCookieName, value, maxAgeSeconds, below: '/share-sessions' });
}
