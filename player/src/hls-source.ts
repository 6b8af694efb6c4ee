/**
 * Puts a signed HLS preview into a video element: hls.js where the browser has Media Source
 * Extensions, the browser's own HLS elsewhere (Safari on iOS), and the words for a failure.
 */
import Hls, { ErrorTypes, Events, type ErrorData } from 'hls.js';
import { messageForLoadFailure, messages } from './config.ts';

export interface SourceHandlers {
  /** The presentation start of the preview's first video fragment (where frame 0 is). */
  onFirstFragment(startTime: number): void;
  /**
   * A failure the reviewer must be told about; playback has stopped. `httpStatus`: what the
   * server answered when a request was refused (hls.js only).
   */
  onFailure(message: string, httpStatus?: number): void;
}

export interface SourceOptions {
  /**
   * The address each request of hls.js actually goes to, asked just before it is sent (it may
   * wait, e.g. for a fresh token). The share page swaps an expiring edge token for a new one here.
   */
  requestUrl?(url: string): string | Promise<string>;
  /**
   * At most this much media is fetched ahead of the playhead. hls.js otherwise fills its 60 MB
   * buffer, which holds a whole low-bitrate preview: a revoked share would keep playing it.
   */
  bufferAheadSeconds?: number;
  /**
   * A server refused a request (4xx), told at once, before hls.js has tried the other renditions
   * and given up (onFailure), which can take many seconds of buffered picture.
   */
  onRefused?(httpStatus: number): void;
}

/** Plays `src` in `video`; the returned function lets the source go (before another is attached). */
export function attachSource(
  video: HTMLVideoElement,
  src: string,
  handlers: SourceHandlers,
  options: SourceOptions = {},
): () => void {
  if (Hls.isSupported()) {
    const { requestUrl, bufferAheadSeconds } = options;
    const hls = new Hls({
      enableWorker: true,
      ...(bufferAheadSeconds ? { maxBufferLength: bufferAheadSeconds, maxMaxBufferLength: bufferAheadSeconds } : {}),
      ...(requestUrl
        ? {
            // hls.js opens the request itself only when this has not (readyState 0).
            xhrSetup: async (xhr: XMLHttpRequest, url: string) => xhr.open('GET', await requestUrl(url), true),
          }
        : {}),
    });
    let recoveredMediaError = false;
    hls.on(Events.FRAG_PARSED, (_event, { frag }) => {
      // The main playlist's first fragment: its picture, or its sound when it has no picture. A
      // separate audio rendition's fragments (type 'audio') start elsewhere and say nothing of frames.
      if (frag.type !== 'main' || frag.sn !== 0) return;
      const streams = frag.elementaryStreams;
      const start = (streams.video ?? streams.audiovideo ?? streams.audio)?.startPTS;
      if (typeof start === 'number') handlers.onFirstFragment(start);
    });
    hls.on(Events.ERROR, (_event, data: ErrorData) => {
      const status = data.response?.code;
      if (data.type === ErrorTypes.NETWORK_ERROR && status !== undefined && status >= 400 && status < 500)
        options.onRefused?.(status);
      if (!data.fatal) return;
      if (data.type === ErrorTypes.MEDIA_ERROR && !recoveredMediaError) {
        // One decode hiccup (e.g. a buffer stall after a seek) is usually recoverable.
        recoveredMediaError = true;
        hls.recoverMediaError();
        return;
      }
      hls.destroy();
      if (data.type === ErrorTypes.NETWORK_ERROR) handlers.onFailure(messageForLoadFailure(status), status);
      else handlers.onFailure(messages.decode);
    });
    hls.loadSource(src);
    hls.attachMedia(video);
    return () => hls.destroy();
  }
  if (video.canPlayType('application/vnd.apple.mpegurl')) {
    // Safari on iOS: native HLS. The media element does not expose HTTP status, so a bad
    // link and a network failure look the same; say the likelier one for a share link.
    const onError = () => handlers.onFailure(messages.expired);
    video.addEventListener('error', onError, { once: true });
    video.src = src;
    return () => {
      video.removeEventListener('error', onError);
      video.removeAttribute('src');
      video.load();
    };
  }
  handlers.onFailure(messages.unsupported);
  return () => {};
}
