/**
 * Compare mode: a second version beside the one in view (side by side) or over it (a wipe whose
 * edge the reviewer moves), locked frame to frame: the second video follows every seek, step,
 * play and pause of the first, and while both play it is pulled back whenever it drifts by more
 * than a frame. Versions are matched by frame number from their first frame.
 */
import type { FrameLabels, FrameVideo } from './frame-video.ts';

export type CompareMode = 'side' | 'wipe';

export interface Compare {
  readonly active: boolean;
  open(source: { src: string; labels: FrameLabels; label: string }): void;
  close(): void;
  setMode(mode: CompareMode): void;
  /** Where the wipe's edge is, 0…1 of the width. */
  setWipe(fraction: number): void;
}

export function createCompare(
  stage: HTMLElement,
  primary: FrameVideo,
  secondary: FrameVideo,
  secondaryLabel: HTMLElement,
): Compare {
  let active = false;
  const media = secondary.element;
  media.muted = true;

  const follow = () => {
    if (!active || secondary.error || !Number.isFinite(media.duration)) return;
    const target = Math.min(primary.frame, secondary.lastFrame);
    if (primary.paused) {
      if (!media.paused) media.pause();
      // Aimed at the middle of the frame, as every seek of the page (currentTime 0 may be before frame 0).
      if (secondary.frame !== target || Math.abs(media.currentTime - secondary.timeOfFrame(target)) > 1e-3) {
        secondary.seekToFrame(target);
      }
    } else if (Math.abs(secondary.frame - target) > 1 && !media.seeking) {
      secondary.seekToFrame(target);
      secondary.play();
    }
  };
  primary.onFrame(follow);
  // Once the second version knows its length it catches up (hls.js may give the duration after
  // the metadata), and a seek that lands it elsewhere (hls.js's own to the start) is corrected.
  for (const event of ['loadedmetadata', 'durationchange', 'loadeddata', 'seeked'])
    media.addEventListener(event, follow);
  primary.element.addEventListener('play', () => {
    if (!active) return;
    media.playbackRate = primary.element.playbackRate;
    secondary.seekToFrame(Math.min(primary.frame, secondary.lastFrame));
    secondary.play();
  });
  primary.element.addEventListener('ratechange', () => {
    media.playbackRate = primary.element.playbackRate;
  });
  primary.element.addEventListener('pause', follow);

  return {
    get active() {
      return active;
    },
    open({ src, labels, label }) {
      active = true;
      secondaryLabel.textContent = label;
      stage.classList.add('comparing');
      (media.parentElement as HTMLElement).hidden = false;
      secondary.load(src, labels);
    },
    close() {
      active = false;
      secondary.unload();
      stage.classList.remove('comparing');
      (media.parentElement as HTMLElement).hidden = true;
    },
    setMode(mode) {
      stage.classList.toggle('wipe', mode === 'wipe');
    },
    setWipe(fraction) {
      stage.style.setProperty('--wipe', `${(Math.min(1, Math.max(0, fraction)) * 100).toFixed(2)}%`);
    },
  };
}
