/**
 * Drives the reviewer page in a test browser by waiting on its own events, never on a clock:
 * media events ('timeupdate', 'pause', 'seeked'), the page's error box changing, and
 * requestVideoFrameCallback, which is how the player itself learns which frame is on screen.
 * Used by player/test and the end-to-end test.
 *
 * Each wait has a deadline only to fail with what the page showed; a passing run never
 * waits for it.
 */
import type { Page } from 'playwright-core';

export type PlayerState = ReturnType<Window['mediavaultPlayer']['state']>;

/** The player's state, the label on screen and the video's own flags, read in one task. */
export interface PageState extends PlayerState {
  shown: string;
  paused: boolean;
  seeking: boolean;
}

function readPageState(): PageState {
  const video = document.querySelector('video')!;
  return {
    ...window.mediavaultPlayer.state(),
    shown: document.querySelector('output')!.value,
    paused: video.paused,
    seeking: video.seeking,
  };
}

/** `waiting`, or a failure naming `what` and the page's state once `ms` have passed. */
export async function within<T>(page: Page, ms: number, what: string, waiting: Promise<T>): Promise<T> {
  const deadline = AbortSignal.timeout(ms);
  let answered = false;
  const expired = new Promise<never>((_resolve, reject) => {
    deadline.addEventListener('abort', async () => {
      if (answered) return;
      const state = await page.evaluate(readPageState).catch((err: Error) => `unreadable: ${err.message}`);
      reject(new Error(`${what}: not within ${ms} ms; the page: ${JSON.stringify(state)}`));
    });
  });
  try {
    return await Promise.race([waiting, expired]);
  } finally {
    answered = true;
  }
}

/**
 * 'playing' once the video has played past `seconds` of media time, or the error the page
 * shows if it gives up first (both are reported as they happen: 'timeupdate' and the error box).
 */
export function playedPast(page: Page, seconds: number, ms = 30_000): Promise<string> {
  const waiting = page.evaluate(
    (past) =>
      new Promise<string>((resolve) => {
        const video = document.querySelector('video')!;
        const observer = new MutationObserver(() => check());
        const check = () => {
          const outcome = window.mediavaultPlayer.state().error ?? (video.currentTime > past ? 'playing' : null);
          if (outcome === null) return;
          video.removeEventListener('timeupdate', check);
          observer.disconnect();
          resolve(outcome);
        };
        video.addEventListener('timeupdate', check);
        observer.observe(document.getElementById('error')!, { attributes: true, childList: true, subtree: true });
        check();
      }),
    seconds,
  );
  return within(page, ms, `playback past ${seconds} s`, waiting);
}

/**
 * Right after the player has labelled a newly presented frame beyond frame `after`: that
 * frame's presentation time, the player's state and the label on screen. The player's own
 * requestVideoFrameCallback was registered before this one, so it has run for the same
 * frame when this one runs. Frames presented while a seek is under way are passed over,
 * as the player passes them over.
 */
export function presentedFrame(
  page: Page,
  after = -1,
  ms = 30_000,
): Promise<{ mediaTime: number; state: PlayerState; shown: string }> {
  const waiting = page.evaluate(
    (beyond) =>
      new Promise<{ mediaTime: number; state: PlayerState; shown: string }>((resolve) => {
        const video = document.querySelector('video')!;
        const onFrame = (_now: number, metadata: VideoFrameCallbackMetadata) => {
          const state = window.mediavaultPlayer.state();
          if (video.seeking || state.frame <= beyond) {
            video.requestVideoFrameCallback(onFrame);
            return;
          }
          resolve({ mediaTime: metadata.mediaTime, state, shown: document.querySelector('output')!.value });
        };
        video.requestVideoFrameCallback(onFrame);
      }),
    after,
  );
  return within(page, ms, `a presented frame beyond ${after}`, waiting);
}

/**
 * The page once the video is paused and no seek is under way: at once if it already is,
 * otherwise when 'pause' or 'seeked' says so. Call it after the action (a click or a key
 * press the player handles at once, so its seek has begun by then). Paused and settled,
 * the page holds still, so it is read right after.
 */
export async function settled(page: Page, ms = 30_000): Promise<PageState> {
  const waiting = page.evaluate(
    () =>
      new Promise<void>((resolve) => {
        const video = document.querySelector('video')!;
        const check = () => {
          if (!video.paused || video.seeking) return;
          video.removeEventListener('pause', check);
          video.removeEventListener('seeked', check);
          resolve();
        };
        video.addEventListener('pause', check);
        video.addEventListener('seeked', check);
        check();
      }),
  );
  await within(page, ms, 'paused and settled', waiting);
  return pageState(page);
}

/** The page's state now. */
export function pageState(page: Page): Promise<PageState> {
  return page.evaluate(readPageState);
}
