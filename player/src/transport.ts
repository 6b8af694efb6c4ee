/**
 * The transport bar both entries share: play / pause, one-frame steps, the timecode of the frame
 * on screen and the frame rate; and the error box, which stops them all.
 */
import { describeRate } from './config.ts';
import { element } from './dom.ts';
import type { FrameVideo } from './frame-video.ts';

const controls = () => ['play', 'step-back', 'step-forward'].map((id) => element<HTMLButtonElement>(id));

/** Shows `message` and disables the controls: nothing more will play. */
export function showPageError(message: string): void {
  const errorBox = element<HTMLParagraphElement>('error');
  errorBox.textContent = message;
  errorBox.hidden = false;
  for (const button of controls()) button.disabled = true;
}

/** Wires the bar to `video` (disabled in index.html until the page knows what it plays). */
export function bindTransport(video: FrameVideo): { enable(): void; showRate(): void } {
  const playButton = element<HTMLButtonElement>('play');
  const timecodeOutput = element<HTMLOutputElement>('timecode');

  playButton.addEventListener('click', () => video.togglePlay());
  element('step-back').addEventListener('click', () => video.step(-1));
  element('step-forward').addEventListener('click', () => video.step(1));
  video.onFrame(() => {
    const timecode = video.timecode;
    if (timecodeOutput.value !== timecode) timecodeOutput.value = timecode;
  });
  const syncPlayButton = () => {
    playButton.textContent = video.element.paused ? 'Play' : 'Pause';
  };
  video.element.addEventListener('play', syncPlayButton);
  video.element.addEventListener('pause', syncPlayButton);
  video.onFailure(showPageError);
  const showRate = () => {
    element('rate').textContent = describeRate(video.labels.rate, video.labels.dropFrame);
  };
  return {
    showRate,
    enable() {
      showRate();
      for (const button of controls()) button.disabled = false;
    },
  };
}
