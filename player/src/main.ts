/**
 * The reviewer page, one bundle with three entries: `/review/` (members signed in by a review link,
 * review-session.ts: comments, approvals, compare, live updates; review.ts), the player link
 * `/player/?src=…&labels=…` (one preview with its timecode; link-player.ts), and `/s/` (a share
 * link's guest page: share.ts).
 *
 * `window.mediavaultPlayer` lets tests (and curious reviewers) read what the page shows.
 */
import type { FrameVideo } from './frame-video.ts';
import { startLinkPlayer } from './link-player.ts';
import { startReview } from './review.ts';
import { openReviewSession } from './review-session.ts';
import { startShare } from './share.ts';

interface PlayerState {
  currentTime: number;
  /** Frame on screen, counted from the first frame of the media (0-based). */
  frame: number;
  /** Label shown: `frame` plus the start timecode. */
  timecode: string;
  error: string | null;
  /** Media time at which frame 0 is presented (non-zero with B-frames, see FrameVideo.load). */
  firstFrameTime: number;
}

declare global {
  interface Window {
    mediavaultPlayer: {
      state(): PlayerState;
      /** Settles once the page shows what it plays and can play it, or has said why it cannot. */
      ready: Promise<void>;
    };
  }
}

let video: FrameVideo | null = null;
const setVideo = (shown: FrameVideo) => {
  video = shown;
};
const isReview = /\/review\/?$/.test(location.pathname);
const isShare = /\/s\/?$/.test(location.pathname);

/** What the error box says, if it says anything (transport.ts shows every failure there). */
function shownError(): string | null {
  const box = document.getElementById('error');
  return box && !box.hidden ? box.textContent : null;
}

window.mediavaultPlayer = {
  state: () => ({
    currentTime: video?.element.currentTime ?? 0,
    frame: video?.frame ?? 0,
    timecode: video?.timecode ?? (document.querySelector('output')?.value || ''),
    error: shownError(),
    firstFrameTime: video?.firstFrameTime ?? 0,
  }),
  ready: (isShare
    ? startShare(setVideo)
    : isReview
      ? startReview(setVideo, () => openReviewSession())
      : startLinkPlayer(setVideo)
  ).catch((err: unknown) => console.error(err)),
};
