/**
 * What the reviewer page needs to know, read from its query string, and the
 * words it shows when playback fails. Pure (no DOM) so it is unit-tested in Node.
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

/** Thrown for a share link that cannot describe a playable video; the message is shown as-is. */
export class PlayerConfigError extends Error {
  override readonly name = 'PlayerConfigError';
}

export const messages = {
  expired: 'This link has expired or is not valid.',
  notReady: 'This video is not available yet. Previews may still be building; try again in a few minutes.',
  network: 'The video could not be loaded. Check your connection and reload the page.',
  decode: 'This video could not be played in this browser.',
  unsupported: 'This browser cannot play this video. Try a recent Chrome, Edge, Firefox or Safari.',
  incomplete: 'This link is incomplete: it does not say which video to play.',
} as const;

export function readConfig(search: string): PlayerConfig {
  const params = new URLSearchParams(search);
  const src = params.get('src');
  if (!src) throw new PlayerConfigError(messages.incomplete);
  let url: URL;
  try {
    url = new URL(src);
  } catch {
    throw new PlayerConfigError(`${messages.incomplete} (the video address is not a URL)`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new PlayerConfigError(`${messages.incomplete} (the video address must be http or https)`);
  }

  let rate: FrameRate;
  try {
    rate = parseRate(params.get('rate') ?? '25/1');
  } catch (err) {
    throw new PlayerConfigError(`This link has a bad frame rate: ${(err as Error).message}`);
  }
  // `tc` is the start timecode the probe stored, read with the same parser: its separator
  // says drop-frame. `df=1` asks for drop-frame on a link without a label.
  const label = params.get('tc');
  const start = label ? parseStartTimecode(label) : null;
  if (label && !start) {
    throw new PlayerConfigError(
      `This link has a bad start timecode: ${JSON.stringify(label)} is not HH:MM:SS:FF (HH:MM:SS;FF for drop-frame) within a day.`,
    );
  }
  const dropFrame = start?.dropFrame === true || params.get('df') === '1';
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
  return { src: url.href, rate, startTimecode, dropFrame, title: params.get('title')?.trim() || 'Review' };
}

/** '25 fps', '29.97 fps DF', '23.976 fps'. */
export function describeRate(rate: FrameRate, dropFrame: boolean): string {
  const fps = rate.num / rate.den;
  const shown = Number.isInteger(fps) ? String(fps) : fps.toFixed(3).replace(/0+$/, '');
  return `${shown} fps${dropFrame ? ' DF' : ''}`;
}

/**
 * The message for a fatal hls.js error. The edge answers 401/403 for a bad or expired
 * signature and 410 for a revoked share; 404 means the preview is not built yet.
 */
export function messageForLoadFailure(httpStatus: number | undefined): string {
  if (httpStatus === 401 || httpStatus === 403 || httpStatus === 410) return messages.expired;
  if (httpStatus === 404) return messages.notReady;
  return messages.network;
}
