import { createHash, randomBytes } from 'node:crypto';

/** API and share tokens: 256 random bits, shown once, stored as sha256 (high-entropy, so no slow hash needed). */
export const TOKEN_PREFIX = 'mvt_';

export function generateToken(prefix = TOKEN_PREFIX): { token: string; hash: Buffer; displayPrefix: string } {
  const token = `${prefix}${randomBytes(32).toString('base64url')}`;
  return { token, hash: hashToken(token), displayPrefix: token.slice(0, prefix.length + 6) };
}

export function hashToken(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}
