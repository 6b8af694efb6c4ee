/**
 * J/K/L shuttle as editing systems have it: L plays forward and, pressed again, faster (2×, 4×,
 * 8×); J the same backwards; K stops. Browsers do not play backwards, so reverse is a run of
 * seeks paced by the clock, each to the frame due at that moment. The speed rule is pure.
 */
import type { FrameVideo } from './frame-video.ts';

export const shuttleSpeeds = [1, 2, 4, 8] as const;
const fastest = shuttleSpeeds[shuttleSpeeds.length - 1]!;

/** The speed after pressing `key` at `speed` (negative: backwards, 0: stopped). */
export function nextShuttleSpeed(speed: number, key: 'j' | 'k' | 'l'): number {
  if (key === 'k') return 0;
  const direction = key === 'l' ? 1 : -1;
  if (Math.sign(speed) !== direction) return direction;
  return direction * Math.min(fastest, Math.abs(speed) * 2);
}

export interface Shuttle {
  press(key: 'j' | 'k' | 'l'): void;
  readonly speed: number;
  /** Back to normal forward play (Space), or stopped. */
  reset(): void;
}

export function createShuttle(video: FrameVideo): Shuttle {
  let speed = 0;
  let reverse: { startedAt: number; fromFrame: number } | null = null;
  const media = video.element;

  const runBackwards = (now: number) => {
    if (!reverse || speed >= 0) return;
    const elapsed = (now - reverse.startedAt) / 1000;
    const { num, den } = video.labels.rate;
    const due = Math.max(0, reverse.fromFrame - Math.floor((elapsed * num * -speed) / den));
    // One seek at a time: a seek still under way is overtaken by the next frame due.
    if (!media.seeking && due !== video.frame) video.seekToFrame(due);
    if (due === 0) {
      speed = 0;
      reverse = null;
      return;
    }
    requestAnimationFrame(runBackwards);
  };

  // Anything else that plays or pauses (Space, a click, the end) ends the shuttle's control.
  media.addEventListener('pause', () => {
    if (speed > 0) speed = 0;
  });

  return {
    get speed() {
      return speed;
    },
    reset() {
      speed = 0;
      reverse = null;
      media.playbackRate = 1;
    },
    press(key) {
      const before = speed;
      speed = nextShuttleSpeed(speed, key);
      if (speed > 0) {
        reverse = null;
        media.playbackRate = speed;
        video.play();
      } else if (speed < 0) {
        if (before >= 0) {
          video.pause();
          reverse = { startedAt: performance.now(), fromFrame: video.frame };
          requestAnimationFrame(runBackwards);
        } else if (reverse) {
          // Faster from here: the clock restarts at the frame on screen.
          reverse = { startedAt: performance.now(), fromFrame: video.frame };
        }
      } else {
        reverse = null;
        media.playbackRate = 1;
        video.pause();
      }
    },
  };
}
