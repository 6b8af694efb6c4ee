/**
 * Share links as pure rules: the link token's form, whether a share still opens, how long a
 * guest waits after wrong passwords, what a share session's edge tokens open and what it may
 * download, and how the edge reads a share's revocation marker. No I/O: the api's shares
 * service and the edge apply them.
 */
import { previewPathBelongsTo, watermarkKeys, watermarkPathBelongsTo } from './keys.ts';
import type { EdgeClaims, ShareGrant } from './signer.ts';
import type { WatermarkSpec } from './watermark.ts';

export const shareKinds = ['asset', 'assets', 'collection'] as const;
export type ShareKind = (typeof shareKinds)[number];
export const versionPolicies = ['latest', 'pinned'] as const;
export type VersionPolicy = (typeof versionPolicies)[number];
export const downloadPolicies = ['none', 'proxy', 'master'] as const;
export type DownloadPolicy = (typeof downloadPolicies)[number];
/** What a guest asks to download: the MP4 preview or the master. */
export type DownloadRequest = 'proxy' | 'master';

/**
 * A share's watermark as its policy stores it: a template with {share}, {viewer} and {date}
 * placeholders and where and how strongly to burn it in (core/src/watermark.ts checks it).
 */
export type ShareWatermark = WatermarkSpec;

/** A share's link token: this prefix, then 256 random bits in base64url (43 characters). */
export const shareTokenPrefix = 'mvs_';
const SHARE_TOKEN = /^mvs_[A-Za-z0-9_-]{43}$/;

export function isShareToken(token: string): boolean {
  return SHARE_TOKEN.test(token);
}

/** A share session's edge URLs live this long; the page renews them while it plays. */
export const shareMediaUrlTtlSeconds = 5 * 60;
/** A guest session (the cookie) lasts this long, and never past the share's expiry. */
export const guestSessionTtlSeconds = 4 * 60 * 60;
/** Most assets a list share names. */
export const maxShareItems = 200;

export type ShareState = 'active' | 'expired' | 'revoked';

/** Revoked first: a revoked share says so even once it has also expired. */
export function shareState(share: { revokedAt: Date | null; expiresAt: Date | null }, now: Date): ShareState {
  if (share.revokedAt) return 'revoked';
  if (share.expiresAt && share.expiresAt.getTime() <= now.getTime()) return 'expired';
  return 'active';
}

/** When a guest session opened now ends: its own lifetime, cut at the share's expiry. */
export function guestSessionExpiry(shareExpiresAt: Date | null, now: Date): Date {
  const own = now.getTime() + guestSessionTtlSeconds * 1000;
  return new Date(shareExpiresAt ? Math.min(own, shareExpiresAt.getTime()) : own);
}

/** The `exp` of a share session's edge token issued now: five minutes, cut at the share's expiry. */
export function shareMediaExpiry(shareExpiresAt: Date | null, nowSeconds: number): number {
  const own = nowSeconds + shareMediaUrlTtlSeconds;
  return shareExpiresAt ? Math.min(own, Math.floor(shareExpiresAt.getTime() / 1000)) : own;
}

/**
 * Wrong passwords: a few tries are free, then each try waits for a delay that doubles with
 * every further failure, counted over the last hour, per client address and (more tries, as
 * many addresses may share a link) per share. A try during the wait is refused (429) without
 * checking the password.
 */
export const passwordThrottle = {
  windowSeconds: 60 * 60,
  perAddress: { freeTries: 3 },
  perShare: { freeTries: 20 },
  firstDelaySeconds: 1,
  maxDelaySeconds: 15 * 60,
} as const;

export interface PasswordFailures {
  /** Wrong passwords within the window. */
  count: number;
  /** The latest of them. */
  lastAt: Date | null;
}

/**
 * Seconds until the next password try is allowed (0: now): after `freeTries` failures the
 * delay is 1 s, then 2, 4, 8 … up to 15 minutes, counted from the latest failure.
 */
export function passwordRetryAfter(failures: PasswordFailures, freeTries: number, now: Date): number {
  if (failures.count < freeTries || !failures.lastAt) return 0;
  const doublings = Math.min(failures.count - freeTries, 30);
  const delaySeconds = Math.min(passwordThrottle.firstDelaySeconds * 2 ** doublings, passwordThrottle.maxDelaySeconds);
  const waitMs = failures.lastAt.getTime() + delaySeconds * 1000 - now.getTime();
  return waitMs > 0 ? Math.ceil(waitMs / 1000) : 0;
}

/** The longer of the two waits (per address, per share). */
export function passwordWait(perAddress: PasswordFailures, perShare: PasswordFailures, now: Date): number {
  return Math.max(
    passwordRetryAfter(perAddress, passwordThrottle.perAddress.freeTries, now),
    passwordRetryAfter(perShare, passwordThrottle.perShare.freeTries, now),
  );
}

/**
 * What a download request gets under the share's policy: the clean MP4 preview, the share's
 * watermarked MP4, the master, or nothing. A watermarked share never hands out the clean
 * preview or the master: its downloads (proxy or master) are its watermarked MP4.
 */
export function downloadGranted(
  policy: { download: DownloadPolicy; watermarked: boolean },
  asked: DownloadRequest,
): 'proxy' | 'watermarked' | 'master' | null {
  if (policy.download === 'none') return null;
  if (asked === 'master' && policy.download !== 'master') return null;
  if (policy.watermarked) return 'watermarked';
  return asked;
}

/** Guests comment when the share allows it and they have given a name. */
export function guestMayComment(policy: { comments: boolean }, guestName: string | null): 'ok' | 'off' | 'no_name' {
  if (!policy.comments) return 'off';
  return guestName ? 'ok' : 'no_name';
}

/**
 * Whether a watermark shows the viewer ({viewer}): then each guest's copy carries their name, so
 * a guest gives one before playing or downloading (an unnamed copy would show no one).
 */
export function watermarkNeedsName(watermark: Pick<ShareWatermark, 'template'> | null): boolean {
  return watermark?.template.includes('{viewer}') ?? false;
}

/** A guest's display name: one clean line of 1 to 100 characters, or null when nothing is left. */
export function cleanGuestName(name: string): string | null {
  const line = name
    .normalize('NFC')
    .replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu, ' ')
    .replace(/\s+/gu, ' ')
    .trim();
  const chars = [...line];
  return chars.length === 0 ? null : chars.slice(0, 100).join('');
}

/**
 * Whether a share session's edge token opens this preview path. Playing opens the clean
 * preview's playlists, segments, thumbnails and waveform, or, watermarked, only the watermarked
 * set's playlists, segments and poster; downloading opens exactly the MP4 (clean or watermarked).
 * Masters are never on the edge: a share downloads them through the api.
 */
export function sharePathAllowed(path: string, sha: string, grant: ShareGrant): boolean {
  if (path.includes('..') || path.includes('//') || path.includes('\\')) return false;
  if (grant.wm) {
    if (!watermarkPathBelongsTo(path, sha, grant.wm)) return false;
    if (grant.files === 'download') return path === watermarkKeys.mp4(sha, grant.wm);
    return (
      path.startsWith(`${watermarkKeys.prefix(sha, grant.wm)}hls/`) || path === watermarkKeys.poster(sha, grant.wm)
    );
  }
  if (grant.files === 'download') return path === `mp4/${sha}.mp4`;
  return previewPathBelongsTo(path, sha) && path !== `mp4/${sha}.mp4`;
}

/** The edge's rule for any token: a plain preview token opens its sha's preview; a share token its grant. */
export function edgePathAllowed(path: string, claims: EdgeClaims): boolean {
  if (claims.scope === 'share') return claims.share !== undefined && sharePathAllowed(path, claims.sha, claims.share);
  return previewPathBelongsTo(path, claims.sha);
}

/**
 * The edge learns that a share ended, or that its policy narrowed, from a marker object the api
 * writes to the previews store (not servable: no token opens paths outside a sha's preview).
 * revoked: every token of the share is refused; notBefore (unix seconds): tokens issued before
 * it are (a password set, downloads or the watermark changed), so the page fetches new ones.
 */
export interface ShareMarker {
  revoked: boolean;
  notBefore: number;
}

export function shareMarkerKey(shareId: string): string {
  return `share-markers/${shareId}.json`;
}

/** Parses a marker's bytes; unreadable content counts as revoked (the safe reading). */
export function parseShareMarker(text: string): ShareMarker {
  try {
    const value = JSON.parse(text) as Partial<ShareMarker>;
    if (typeof value.revoked === 'boolean' && Number.isSafeInteger(value.notBefore)) {
      return { revoked: value.revoked, notBefore: value.notBefore as number };
    }
  } catch {}
  return { revoked: true, notBefore: 0 };
}

/** Why the edge refuses a share token given the share's marker (null: no marker, or none applies). */
export function markerRefusal(grant: ShareGrant, marker: ShareMarker | null): 'revoked' | 'superseded' | null {
  if (!marker) return null;
  if (marker.revoked) return 'revoked';
  return grant.iat < marker.notBefore ? 'superseded' : null;
}
