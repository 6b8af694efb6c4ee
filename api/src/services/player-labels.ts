/**
 * The reviewer page's labels (title, frame rate, start timecode, drop-frame) and how they reach
 * it untouched. getPlayback signs them with the manifest they describe into the player link
 * (`?src=…&labels=<JWS>`); the page cannot check an HMAC, so it posts both back to the api
 * (POST /player/labels), which answers the labels only when the signature holds, the link has
 * not expired and `src` is the manifest that was signed. An edited title or timecode, or the
 * labels of one video put over another's picture, is refused; nothing the page shows is read
 * from the link's own text.
 *
 * Why a signed link rather than labels looked up by version: the page holds no credentials, and
 * a signed document needs no database read, no caller and no new kind of token; why not in the
 * edge token: the edge has no use for them, and its token stays the small `{sha, exp, scope}`.
 */
import { hkdfSync } from 'node:crypto';
import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { decodeProtectedHeader, jwtVerify, SignJWT } from 'jose';
import type { Config } from '@mediavault/core/config';
import { errors } from '@mediavault/core/errors';
import type { SigningKey } from '@mediavault/core/signer';
import { isDropFrameRate, parseStartTimecode, type FrameRate } from '@mediavault/core/timecode';
import type { VersionMeta } from '@mediavault/core/catalogue/assets-store';

export const PlayerLabels = Type.Object(
  {
    title: Type.String(),
    frameRate: Type.Union([Type.Object({ num: Type.Integer(), den: Type.Integer() }), Type.Null()]),
    /** Label of the first frame: 'HH:MM:SS:FF', or 'HH:MM:SS;FF' when `dropFrame`. */
    startTimecode: Type.String(),
    dropFrame: Type.Boolean(),
  },
  { additionalProperties: false },
);
export type PlayerLabels = Static<typeof PlayerLabels>;

/** What a player link signs: the labels and the one manifest they belong to. */
const LinkClaims = Type.Object({ src: Type.String(), labels: PlayerLabels, exp: Type.Integer() });

/** What the page posts back: the link's own two parameters. */
export const PlayerLink = Type.Object(
  {
    src: Type.String({ minLength: 1, maxLength: 4096 }),
    labels: Type.String({ minLength: 1, maxLength: 16384 }),
  },
  { additionalProperties: false },
);
export type PlayerLink = Static<typeof PlayerLink>;

function allowsDropFrame(rate: FrameRate | null): boolean {
  try {
    return rate !== null && isDropFrameRate(rate);
  } catch {
    // A rate the timecode rules refuse (below 1 fps, say) has no drop-frame counting either.
    return false;
  }
}

/**
 * The labels of a version as its probe recorded them. The start timecode is read by core's one
 * parser; drop-frame is kept only at the rates that have it (29.97, 59.94), so a stray ';' in a
 * 25 fps source's tag gives a non-drop label rather than a page that refuses to play.
 */
export function playbackLabels(version: { originalName: string; meta: VersionMeta }): PlayerLabels {
  const frameRate = version.meta.video?.frameRate ?? null;
  const start = parseStartTimecode(version.meta.startTimecode) ?? parseStartTimecode('00:00:00:00')!;
  const dropFrame = start.dropFrame && allowsDropFrame(frameRate);
  const startTimecode = dropFrame ? start.startTimecode : start.startTimecode.replace(';', ':');
  return {
    title: version.originalName,
    frameRate: frameRate ? { num: frameRate.num, den: frameRate.den } : null,
    startTimecode,
    dropFrame,
  };
}

/**
 * The key that signs player links, derived from the edge signing key for this use only (HKDF),
 * so that neither kind of token can ever pass for the other. It rotates with the edge key and
 * carries its kid.
 */
function linkKey(key: SigningKey): Uint8Array {
  return new Uint8Array(hkdfSync('sha256', key.secret, '', 'mediavault player labels v1', 32));
}

/** The keys the api signs and checks player links with: the edge's current key first. */
export function playerLinkKeys(config: Config): SigningKey[] {
  // While the signing key rotates, links signed with the previous key keep their labels, as
  // their video URLs keep playing at the edge.
  const previous = config.edge.previousSigningKey;
  return [{ kid: config.edge.signingKid, secret: config.edge.signingKey }, ...(previous ? [previous] : [])];
}

/** A JWS (HS256, kid in the header) over the labels and `src`, valid until `exp` (unix seconds). */
export function signPlayerLink(
  link: { src: string; labels: PlayerLabels },
  key: SigningKey,
  exp: number,
): Promise<string> {
  return new SignJWT({ src: link.src, labels: link.labels })
    .setProtectedHeader({ alg: 'HS256', kid: key.kid })
    .setExpirationTime(exp)
    .sign(linkKey(key));
}

/**
 * The labels a player link signed, or null when its signature, key id or shape is wrong, it has
 * expired at `nowSeconds`, or `src` is not the manifest it was signed for.
 */
export async function verifyPlayerLink(
  link: PlayerLink,
  keys: readonly SigningKey[],
  nowSeconds: number,
): Promise<PlayerLabels | null> {
  try {
    const { kid } = decodeProtectedHeader(link.labels);
    const key = keys.find((k) => k.kid === kid);
    if (!key) return null;
    const { payload } = await jwtVerify(link.labels, linkKey(key), {
      algorithms: ['HS256'],
      currentDate: new Date(nowSeconds * 1000),
    });
    if (!Value.Check(LinkClaims, payload) || payload.src !== link.src) return null;
    return payload.labels;
  } catch {
    // jose throws for every malformed, tampered or expired token: all are the same invalid link.
    return null;
  }
}

/** POST /player/labels: the labels of a genuine, unexpired link, for the page to show. */
export async function readPlayerLabels(config: Config, link: PlayerLink): Promise<PlayerLabels> {
  const labels = await verifyPlayerLink(link, playerLinkKeys(config), Math.floor(Date.now() / 1000));
  if (!labels) throw errors.forbidden('this player link is not valid or has expired');
  return labels;
}
