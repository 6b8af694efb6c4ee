/**
 * Plays one asset of the share: asks the api for its edge URLs, waits in a "preparing" state
 * while the preview (or the share's watermarked set) is being built, asking again after the
 * retryAfterSeconds the api gives, and keeps the URLs valid while it plays.
 *
 * The edge URLs live five minutes. The page renews them (the same call again) after
 * renewAfterSeconds while the video plays, and in any case before a request goes out on a token
 * about to expire; every later hls.js request carries the new token (share-edge-token.ts). When
 * the edge refuses a request (403), the session is asked why: revoked, expired or ended stops the
 * page; a live session means the share's policy changed, so new URLs are fetched once and the
 * video goes on from the same frame.
 */
import { element } from './dom.ts';
import { playbackLabels, type FrameVideo } from './frame-video.ts';
import { shareApi, ShareApiError, type ReadyPlayback } from './share-api.ts';
import { edgeTokenOf, needsRenewal, withEdgeToken } from './share-edge-token.ts';
import { sessionGone } from './share-session.ts';

export interface ShareMediaHooks {
  /** The asset plays (its labels, duration and thumbnails are in `playback`). */
  ready(playback: ReadyPlayback): void;
  /** The guest session is gone (revoked, expired, ended): `err` says why. */
  gone(err: unknown): void;
  /** The watermark shows the viewer: the guest must give a name first. Resolves false if they do not. */
  needName(): Promise<boolean>;
  /** Nothing can be played for this asset: the words to show. */
  problem(message: string): void;
}

export interface ShareMedia {
  /** Plays `assetId` from `atFrame` (what was playing stops). */
  open(assetId: string, atFrame?: number): Promise<void>;
  /** New edge URLs now (the timer and the requests do this by themselves). */
  renew(): Promise<void>;
  /** The edge token requests carry now. */
  edgeToken(): string | null;
  /** Stops playing and asking. */
  stop(): void;
}

const refusedByEdge = new Set([401, 403, 410]);
/**
 * Fetched ahead of the playhead: enough to ride out a slow network, short enough that a revoked
 * link stops within this much of the picture (the edge refuses the next segment).
 */
const bufferAheadSeconds = 20;

interface Playing {
  assetId: string;
  versionId: string;
  token: string | null;
  expiresAtMs: number;
  renewAfterMs: number;
}

export function createShareMedia(video: FrameVideo, hooks: ShareMediaHooks): ShareMedia {
  const preparing = element('share-preparing');
  /** Bumped by each open and stop: answers to an older one are dropped. */
  let generation = 0;
  let playing: Playing | null = null;
  let renewTimer: ReturnType<typeof setTimeout> | undefined;
  let renewOnPlay = false;
  let renewing: Promise<void> | null = null;
  let recoveredFromRefusal = false;

  const showPreparing = (message: string | null) => {
    preparing.hidden = message === null;
    preparing.textContent = message ?? '';
    element('stage').classList.toggle('preparing', message !== null);
  };

  const stop = () => {
    generation += 1;
    playing = null;
    clearTimeout(renewTimer);
    showPreparing(null);
    video.unload();
  };

  const scheduleRenewal = () => {
    clearTimeout(renewTimer);
    renewOnPlay = false;
    if (!playing) return;
    renewTimer = setTimeout(() => {
      if (video.paused) renewOnPlay = true;
      else void renew();
    }, playing.renewAfterMs);
  };
  video.element.addEventListener('play', () => {
    if (renewOnPlay) void renew();
  });

  function renew(): Promise<void> {
    const current = playing;
    if (!current) return Promise.resolve();
    renewing ??= (async () => {
      const mine = generation;
      try {
        const answer = await shareApi.playback(current.assetId);
        if (mine !== generation) return;
        if (answer.status !== 'ready' || answer.versionId !== current.versionId) {
          // A new version (a share of the latest) or a rebuild: start again on what the api gives.
          void open(current.assetId);
          return;
        }
        current.token = edgeTokenOf(answer.manifestUrl);
        current.expiresAtMs = Date.parse(answer.expiresAt);
        current.renewAfterMs = answer.renewAfterSeconds * 1000;
        recoveredFromRefusal = false;
        scheduleRenewal();
      } catch (err) {
        if (mine !== generation) return;
        if (sessionGone(err)) {
          stop();
          hooks.gone(err);
        }
        // Otherwise (the network) the next request tries again.
      }
    })().finally(() => {
      renewing = null;
    });
    return renewing;
  }

  /** The address an hls.js request goes to: the freshest token, renewed first if it is about to lapse. */
  const requestUrl = async (url: string) => {
    if (playing && needsRenewal(playing.expiresAtMs, Date.now())) await renew();
    return playing?.token ? withEdgeToken(url, playing.token) : url;
  };

  /** The edge refused a request: the session is asked why (once at a time). */
  let askingWhy = false;
  const onRefused = (httpStatus: number | undefined) => {
    const current = playing;
    if (!current || httpStatus === undefined || !refusedByEdge.has(httpStatus) || askingWhy) return;
    askingWhy = true;
    const mine = generation;
    const frame = video.frame;
    shareApi
      .current()
      .then(
        () => {
          if (mine !== generation || recoveredFromRefusal) return;
          // The session lives: the share's policy changed and older URLs are refused. Once.
          recoveredFromRefusal = true;
          void open(current.assetId, frame);
        },
        (err: unknown) => {
          if (mine !== generation) return;
          if (sessionGone(err)) {
            stop();
            hooks.gone(err);
          }
        },
      )
      .finally(() => {
        askingWhy = false;
      });
  };
  video.onFailure((_message, httpStatus) => onRefused(httpStatus));

  const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  async function open(assetId: string, atFrame = 0): Promise<void> {
    stop();
    const mine = generation;
    for (;;) {
      let answer: Awaited<ReturnType<typeof shareApi.playback>>;
      try {
        answer = await shareApi.playback(assetId);
      } catch (err) {
        if (mine !== generation) return;
        if (err instanceof ShareApiError && err.reason === 'name_required') {
          if (await hooks.needName()) continue;
          showPreparing('Give your name to watch: the picture carries it.');
          return;
        }
        const status = err instanceof ShareApiError ? err.details.previewStatus : undefined;
        if (
          err instanceof ShareApiError &&
          err.code === 'preview_not_ready' &&
          (status === 'queued' || status === 'building')
        ) {
          // Said as 409 rather than 'preparing' by an api that builds it all the same: wait alike.
          answer = { status: 'preparing', assetId, versionId: '', retryAfterSeconds: 5 };
        } else if (sessionGone(err)) {
          stop();
          hooks.gone(err);
          return;
        } else {
          hooks.problem(err instanceof ShareApiError ? err.message : 'This video could not be loaded.');
          return;
        }
      }
      if (mine !== generation) return;
      if (answer.status === 'preparing') {
        showPreparing('Preparing this video for you… It starts by itself when it is ready.');
        await wait(answer.retryAfterSeconds * 1000);
        if (mine !== generation) return;
        continue;
      }
      showPreparing(null);
      playing = {
        assetId,
        versionId: answer.versionId,
        token: edgeTokenOf(answer.manifestUrl),
        expiresAtMs: Date.parse(answer.expiresAt),
        renewAfterMs: answer.renewAfterSeconds * 1000,
      };
      if (atFrame > 0) {
        video.element.addEventListener('loadeddata', () => video.seekToFrame(atFrame), { once: true });
      }
      video.load(answer.manifestUrl, playbackLabels(answer), { requestUrl, bufferAheadSeconds, onRefused });
      scheduleRenewal();
      hooks.ready(answer);
      return;
    }
  }

  return {
    open,
    renew,
    edgeToken: () => playing?.token ?? null,
    stop,
  };
}
