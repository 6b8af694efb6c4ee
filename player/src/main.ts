/**
 * The reviewer page: plays a signed HLS preview from the edge and shows the SMPTE
 * timecode of the frame on screen, with single-frame stepping.
 *
 * Timecode is derived from the media time of the presented frame
 * (requestVideoFrameCallback's mediaTime while playing, currentTime when paused),
 * never from wall-clock time, so it names the picture the reviewer actually sees.
 */
import Hls, { ErrorTypes, Events, type ErrorData } from 'hls.js';
import { frameToSeconds, frameToTimecode, secondsToFrame } from '@mediavault/core/timecode';
import {
  describeRate,
  labelsPath,
  messageForLabelsRefusal,
  messageForLoadFailure,
  messages,
  PlayerConfigError,
  readLabels,
  readLink,
  type PlayerConfig,
} from './config.ts';

interface PlayerState {
  currentTime: number;
  /** Frame on screen, counted from the first frame of the media (0-based). */
  frame: number;
  /** Label shown: `frame` plus the start timecode. */
  timecode: string;
  error: string | null;
  /** Media time at which frame 0 is presented (non-zero with B-frames, see start()). */
  firstFrameTime: number;
}

declare global {
  interface Window {
    mediavaultPlayer: {
      state(): PlayerState;
      /** Settles once the page shows the link's labels and can play, or has said why it cannot. */
      ready: Promise<void>;
    };
  }
}

function element<T extends HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (!found) throw new Error(`index.html lacks #${id}`);
  return found as T;
}

const video = element<HTMLVideoElement>('video');
const timecodeOutput = element<HTMLOutputElement>('timecode');
const errorBox = element<HTMLParagraphElement>('error');
const playButton = element<HTMLButtonElement>('play');
const stepBackButton = element<HTMLButtonElement>('step-back');
const stepForwardButton = element<HTMLButtonElement>('step-forward');

const state: Omit<PlayerState, 'currentTime'> = {
  frame: 0,
  timecode: timecodeOutput.value,
  error: null,
  firstFrameTime: 0,
};
let labelled: () => void = () => {};
window.mediavaultPlayer = {
  state: () => ({ currentTime: video.currentTime, ...state }),
  ready: new Promise((resolve) => {
    labelled = resolve;
  }),
};

function showError(message: string): void {
  state.error = message;
  errorBox.textContent = message;
  errorBox.hidden = false;
  for (const button of [playButton, stepBackButton, stepForwardButton]) button.disabled = true;
}

function start(config: PlayerConfig): void {
  const { rate } = config;
  const labelOptions = { dropFrame: config.dropFrame, startTimecode: config.startTimecode };
  const halfFrame = frameToSeconds(1, rate) / 2;
  const lastFrame = () => Math.max(0, frameAt(video.duration) - 1);

  document.title = `${config.title} · mediavault review`;
  element('title').textContent = config.title;
  element('rate').textContent = describeRate(rate, config.dropFrame);
  // Disabled in index.html until the labels are known: nothing plays under a link not yet vouched for.
  for (const button of [playButton, stepBackButton, stepForwardButton]) button.disabled = false;

  // Frame 0 of the preview is not always at media time 0: with B-frames its presentation
  // time is the encoder's reorder delay (0.08 s for libx264 veryfast at 25 fps), which
  // hls.js keeps. The first video fragment's start (hls.js) says where frame 0 is. Only
  // without it (native HLS) is the first picture presented taken instead: that one is not
  // always frame 0, since a browser may skip the first frames when playback starts.
  let firstFrameSeen = false;
  let firstFrameFromFragment = false;
  /** The frame presented most recently, as reported by requestVideoFrameCallback. */
  let presentedFrame: number | null = null;

  const setFirstFrameTime = (mediaTime: number): void => {
    state.firstFrameTime = mediaTime;
  };
  const frameAt = (mediaTime: number): number => secondsToFrame(Math.max(0, mediaTime - state.firstFrameTime), rate);
  // Seeks aim at mid-frame so float rounding cannot land on a neighbour.
  const timeOfFrame = (frame: number): number => state.firstFrameTime + frameToSeconds(frame, rate) + halfFrame;

  function showFrame(frame: number): void {
    state.frame = frame;
    state.timecode = frameToTimecode(frame, rate, labelOptions);
    if (timecodeOutput.value !== state.timecode) timecodeOutput.value = state.timecode;
  }

  function seekToFrame(frame: number): void {
    const target = Math.min(lastFrame(), Math.max(0, frame));
    video.currentTime = timeOfFrame(target);
    showFrame(target);
  }

  // Per-frame updates: requestVideoFrameCallback reports the presented frame exactly;
  // elsewhere fall back to animation frames, which may lag the picture by a frame.
  if ('requestVideoFrameCallback' in HTMLVideoElement.prototype) {
    const onVideoFrame = (_now: number, metadata: VideoFrameCallbackMetadata): void => {
      if (video.seeking) {
        // A picture composited before the seek began: 'seeked' labels the frame sought.
        video.requestVideoFrameCallback(onVideoFrame);
        return;
      }
      if (!firstFrameSeen && !firstFrameFromFragment && video.currentTime <= metadata.mediaTime + halfFrame) {
        setFirstFrameTime(metadata.mediaTime);
      }
      firstFrameSeen = true;
      presentedFrame = frameAt(metadata.mediaTime);
      showFrame(presentedFrame);
      video.requestVideoFrameCallback(onVideoFrame);
    };
    video.requestVideoFrameCallback(onVideoFrame);
  } else {
    const onAnimationFrame = (): void => {
      showFrame(frameAt(video.currentTime));
      if (!video.paused) requestAnimationFrame(onAnimationFrame);
    };
    video.addEventListener('play', () => requestAnimationFrame(onAnimationFrame));
    video.addEventListener('timeupdate', () => showFrame(frameAt(video.currentTime)));
  }
  video.addEventListener('loadeddata', () => showFrame(frameAt(video.currentTime)));
  video.addEventListener('seeked', () => {
    presentedFrame = frameAt(video.currentTime);
    showFrame(presentedFrame);
  });
  /**
   * When playback stops, currentTime runs on the audio clock and can sit a frame away
   * from the picture left on screen. Settle both on the picture the reviewer paused on,
   * unless a frame step already chose where to go.
   */
  const settleOnPresentedFrame = (): void => {
    if (!video.seeking) seekToFrame(presentedFrame ?? frameAt(video.currentTime));
  };
  // Pauses from elsewhere (the end of the media, another script) settle when reported.
  video.addEventListener('pause', settleOnPresentedFrame);

  const syncPlayButton = (): void => {
    playButton.textContent = video.paused ? 'Play' : 'Pause';
  };
  video.addEventListener('play', syncPlayButton);
  video.addEventListener('pause', syncPlayButton);

  function togglePlay(): void {
    if (state.error) return;
    if (video.paused) {
      video.play().catch((err: unknown) => {
        // A browser blocking autoplay is not an error for the reviewer: they press play again.
        if ((err as DOMException).name !== 'NotAllowedError' && (err as DOMException).name !== 'AbortError') {
          showError(messages.decode);
        }
      });
    } else {
      // Settled at once rather than on the 'pause' event, a task later: from the moment
      // the video reports paused, the label and currentTime name the same frame.
      video.pause();
      settleOnPresentedFrame();
    }
  }

  /** Pauses and moves by whole frames from the frame on screen. */
  function step(frames: number): void {
    if (state.error || !Number.isFinite(video.duration)) return;
    const from = video.paused ? frameAt(video.currentTime) : state.frame;
    video.pause();
    seekToFrame(from + frames);
  }

  playButton.addEventListener('click', togglePlay);
  stepBackButton.addEventListener('click', () => step(-1));
  stepForwardButton.addEventListener('click', () => step(1));

  window.addEventListener(
    'keydown',
    (event) => {
      if (event.altKey || event.ctrlKey || event.metaKey || event.defaultPrevented) return;
      const target = event.target as HTMLElement | null;
      if (event.key === 'ArrowLeft' || event.key === 'ArrowRight') {
        event.preventDefault();
        step(event.key === 'ArrowLeft' ? -1 : 1);
      } else if (event.key === ' ' && target?.tagName !== 'BUTTON') {
        // On a focused button, Space already clicks it.
        event.preventDefault();
        togglePlay();
      }
    },
    { capture: true },
  );

  attachSource(config.src, (startTime) => {
    firstFrameFromFragment = true;
    setFirstFrameTime(startTime);
  });
}

/** Plays `src`; `onFirstFragment` receives the presentation start of the preview's first fragment. */
function attachSource(src: string, onFirstFragment: (startTime: number) => void): void {
  if (Hls.isSupported()) {
    const hls = new Hls({ enableWorker: true });
    let recoveredMediaError = false;
    hls.on(Events.FRAG_PARSED, (_event, { frag }) => {
      const streams = frag.elementaryStreams;
      const start = (streams.video ?? streams.audiovideo)?.startPTS;
      if (frag.sn === 0 && typeof start === 'number') onFirstFragment(start);
    });
    hls.on(Events.ERROR, (_event, data: ErrorData) => {
      if (!data.fatal) return;
      if (data.type === ErrorTypes.MEDIA_ERROR && !recoveredMediaError) {
        // One decode hiccup (e.g. a buffer stall after a seek) is usually recoverable.
        recoveredMediaError = true;
        hls.recoverMediaError();
        return;
      }
      hls.destroy();
      const status = data.response?.code;
      showError(data.type === ErrorTypes.NETWORK_ERROR ? messageForLoadFailure(status) : messages.decode);
    });
    hls.loadSource(src);
    hls.attachMedia(video);
  } else if (video.canPlayType('application/vnd.apple.mpegurl')) {
    // Safari on iOS: native HLS. The media element does not expose HTTP status, so a bad
    // link and a network failure look the same; say the likelier one for a share link.
    video.addEventListener('error', () => showError(messages.expired), { once: true });
    video.src = src;
  } else {
    showError(messages.unsupported);
  }
}

/**
 * The link's labels, as the api vouches for them: the page cannot check their signature, so it
 * shows only what the api answers for this very link (config.ts).
 */
async function loadConfig(): Promise<PlayerConfig> {
  const link = readLink(location.search);
  let answer: Response;
  try {
    answer = await fetch(new URL(labelsPath, location.href), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(link),
      cache: 'no-store',
      credentials: 'omit',
      referrerPolicy: 'no-referrer',
    });
  } catch {
    throw new PlayerConfigError(messages.network);
  }
  if (!answer.ok) throw new PlayerConfigError(messageForLabelsRefusal(answer.status));
  return { src: link.src, ...readLabels(await answer.json()) };
}

loadConfig()
  .then(start)
  .catch((err: unknown) => {
    showError(err instanceof PlayerConfigError ? err.message : messages.decode);
    if (!(err instanceof PlayerConfigError)) console.error(err);
  })
  .finally(labelled);
