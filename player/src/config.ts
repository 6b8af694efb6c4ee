/**
 * What the reviewer page needs to know and the words it shows when playback fails. Pure (no
 * DOM) so it is unit-tested in Node.
 *
 * The link carries the signed HLS manifest on the edge (`src`) and the labels the api signed
 * for it (`labels`, a token the page cannot check). The page shows nothing read from the link's
 * own text: it posts both parameters to the api, which answers the labels (title, frame rate,
 * start timecode, drop-frame) only for a link it signed, unedited and unexpired.
 */
import {
  formatRate,
  isDropFrameRate,
  parseRate,
  parseStartTimecode,
  timecodeToFrame,
  type FrameRate,
  type StartTimecode,
} from '@mediavault/core/timecode';

/** Its StartTimecode part (label of the first frame, counting) is what frameToTimecode takes. */
export interface PlayerConfig extends StartTimecode {
  /** Signed HLS master playlist on the edge, absolute. */
  readonly src: string;
  readonly rate: FrameRate;
  readonly title: string;
}

/** The link's two parameters, posted back to the api as they are. */
export interface PlayerLink {
  readonly src: string;
  readonly labels: string;
}

/** Where the page asks for its labels, relative to the page (the api serves both under /player/). */
export const labelsPath = 'labels';

/** Thrown for a share link that cannot describe a playable video; the message is shown as-is. */
export class PlayerConfigError extends Error {
  override readonly name = 'PlayerConfigError';
}

export const messages = {
  expired: 'This link has expired or is not valid.',
  notReady: 'This video is not available yet. Previews may still be building; try again in a few minutes.',
  network: 'The video could not be loaded. Check your connection and reload the page.',
  unavailable: 'The video server is busy or restarting. Reload the page in a moment.',
  decode: 'This video could not be played in this browser.',
  unsupported: 'This browser cannot play this video. Try a recent Chrome, Edge, Firefox or Safari.',
  incomplete: 'This link is incomplete: it does not say which video to play.',
  sessionEnded: 'Your review session has ended or this link was already used. Ask for a new review link.',
  noSuchAsset: 'This asset does not exist, or you may not see it.',
  signedOut: 'You have signed out of this review. Open a new review link to come back.',
} as const;

/** The link's parameters; anything else in the query (a `title`, a `tc`) is ignored. */
export function readLink(search: string): PlayerLink {
  const params = new URLSearchParams(search);
  const src = params.get('src');
  const labels = params.get('labels');
  if (!src || !labels) throw new PlayerConfigError(messages.incomplete);
  let url: URL;
  try {
    url = new URL(src);
  } catch {
    throw new PlayerConfigError(`${messages.incomplete} (the video address is not a URL)`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new PlayerConfigError(`${messages.incomplete} (the video address must be http or https)`);
  }
  // As written, not normalised: the api compares it with the manifest it signed.
  return { src, labels };
}

/**
 * The labels as the api answered them (POST labels), checked as the page will use them: a rate
 * the timecode rules accept (25 fps when the source has none, e.g. sound only), a start label read
 * by core's one parser (its ';' means drop-frame), drop-frame only where the rate has it.
 */
export function readLabels(answer: unknown): Omit<PlayerConfig, 'src'> {
  const {
    title,
    frameRate,
    startTimecode: label,
    dropFrame: dropFrameFlag,
  } = (answer ?? {}) as Record<string, unknown>;
  let rate: FrameRate;
  try {
    const given = frameRate as FrameRate | null | undefined;
    rate = parseRate(given ? `${given.num}/${given.den}` : '25/1');
  } catch (err) {
    throw new PlayerConfigError(`This link has a bad frame rate: ${(err as Error).message}`);
  }
  const start = label === undefined || label === null ? null : parseStartTimecode(label);
  if (label !== undefined && label !== null && !start) {
    throw new PlayerConfigError(
      `This link has a bad start timecode: ${JSON.stringify(label)} is not HH:MM:SS:FF (HH:MM:SS;FF for drop-frame) within a day.`,
    );
  }
  const dropFrame = start?.dropFrame === true || dropFrameFlag === true;
  if (dropFrame && !isDropFrameRate(rate)) {
    throw new PlayerConfigError(
      `This link asks for drop-frame timecode, which does not exist at ${formatRate(rate)} fps.`,
    );
  }
  const startTimecode = start?.startTimecode ?? (dropFrame ? '00:00:00;00' : '00:00:00:00');
  try {
    timecodeToFrame(startTimecode, rate, { dropFrame });
  } catch (err) {
    throw new PlayerConfigError(`This link has a bad start timecode: ${(err as Error).message}`);
  }
  return { rate, startTimecode, dropFrame, title: (typeof title === 'string' && title.trim()) || 'Review' };
}

/**
 * The message for an api that would not give the labels: it refuses (403) a link it did not
 * sign or that has expired, and a malformed one (400); anything else is worth a reload.
 */
export function messageForLabelsRefusal(httpStatus: number): string {
  return httpStatus === 400 || httpStatus === 403 ? messages.expired : messages.network;
}

/** '25 fps', '29.97 fps DF', '23.976 fps'. */
export function describeRate(rate: FrameRate, dropFrame: boolean): string {
  const fps = rate.num / rate.den;
  const shown = Number.isInteger(fps) ? String(fps) : fps.toFixed(3).replace(/0+$/, '');
  return `${shown} fps${dropFrame ? ' DF' : ''}`;
}

/**
 * The message for a fatal hls.js error. The edge answers 401/403 for a bad or expired
 * signature and 410 for a revoked share; 404 means the preview is not built yet; 503 means the
 * edge could not reach its store (with Retry-After): the server's trouble, not the viewer's network.
 */
export function messageForLoadFailure(httpStatus: number | undefined): string {
  if (httpStatus === 401 || httpStatus === 403 || httpStatus === 410) return messages.expired;
  if (httpStatus === 404) return messages.notReady;
  if (httpStatus === 503) return messages.unavailable;
  return messages.network;
}
