/**
 * The player link (`/player/?src=…&labels=…`, from getPlayback and `mediavault playback`): plays
 * one signed HLS preview with its SMPTE timecode and single-frame steps, nothing else.
 *
 * The page cannot check the labels' signature, so it shows only what the api answers for this
 * very link (config.ts).
 */
import {
  labelsPath,
  messageForLabelsRefusal,
  messages,
  PlayerConfigError,
  readLabels,
  readLink,
  type PlayerConfig,
} from './config.ts';
import { element } from './dom.ts';
import { FrameVideo } from './frame-video.ts';
import { listenForShortcuts } from './shortcuts.ts';
import { bindTransport, showPageError } from './transport.ts';

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

/** Resolves once the page shows the link's labels and plays, or has said why it cannot. */
export async function startLinkPlayer(setVideo: (video: FrameVideo) => void): Promise<void> {
  let config: PlayerConfig;
  try {
    config = await loadConfig();
  } catch (err) {
    showPageError(err instanceof PlayerConfigError ? err.message : messages.decode);
    if (!(err instanceof PlayerConfigError)) console.error(err);
    return;
  }
  document.title = `${config.title} · mediavault review`;
  element('title').textContent = config.title;
  const video = new FrameVideo(element<HTMLVideoElement>('video'), config);
  setVideo(video);
  // Enabled only now: nothing plays under a link not yet vouched for.
  bindTransport(video).enable();
  listenForShortcuts([
    { keys: ['ArrowLeft'], does: 'Previous frame', run: () => video.step(-1) },
    { keys: ['ArrowRight'], does: 'Next frame', run: () => video.step(1) },
    { keys: [' '], does: 'Play / pause', run: () => video.togglePlay() },
  ]);
  video.load(config.src);
}
