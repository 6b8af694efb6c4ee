/**
 * The share entry (`/s/#mvs_…`): a client opens a share link. The page signs in with the link
 * (share-session.ts: the password page when the share has one), then shows the share's name, its
 * playlist when it has several assets, the player (the reviewer page's video, timeline, frame
 * steps and timecode), the downloads its policy allows and, when it takes comments, the guest
 * comments. A video still being prepared (its preview, or the share's watermarked copy) shows a
 * "preparing" state until it is ready. When the link is revoked or expires, or the session ends,
 * the page stops and says so (share-gate.ts).
 *
 * This module wires the parts (each in its own share-*.ts module) to each other.
 */
import { element } from './dom.ts';
import { createPageVideo, type FrameVideo } from './frame-video.ts';
import { listenForShortcuts, type Shortcut } from './shortcuts.ts';
import type { ShareItem, ShareSession } from './share-api.ts';
import { createGuestComments, type GuestComments } from './share-comments.ts';
import { showDownloads } from './share-downloads.ts';
import { gateFor, showGate } from './share-gate.ts';
import { askGuestName } from './share-name.ts';
import { createShareMedia } from './share-playback.ts';
import { createPlaylist, itemLabel } from './share-playlist.ts';
import { signInToShare, signOutOfShare } from './share-session.ts';
import { loadThumbnails, type Thumbnails } from './thumbnails.ts';
import { createTimeline } from './timeline.ts';
import { bindTransport, showPageError } from './transport.ts';

declare global {
  interface Window {
    /** The share page's playback, for tests: renew the edge URLs now, read the token in use. */
    mediavaultShare?: { renew(): Promise<void>; edgeToken(): string | null };
  }
}

/** Resolves once the page plays its first video, or has said why it cannot. */
export async function startShare(setVideo: (video: FrameVideo) => void): Promise<void> {
  const main = document.querySelector('main')!;
  main.classList.add('sharing');
  const session = await signInToShare();
  if (!session) return;
  let guest: ShareSession = session;

  const { share } = guest;
  document.title = `${share.name} · mediavault`;
  element('title').textContent = share.name;
  element('share-header').hidden = false;
  const showGuestName = () => {
    element('share-guest').textContent = guest.guestName ? `Watching as ${guest.guestName}` : '';
  };
  showGuestName();
  if (share.comments) main.classList.add('reviewing');

  const notice = element<HTMLParagraphElement>('notice');
  let noticeTimer: ReturnType<typeof setTimeout> | undefined;
  const report = (err: unknown) => {
    notice.textContent = err instanceof Error ? err.message : String(err);
    notice.hidden = false;
    clearTimeout(noticeTimer);
    noticeTimer = setTimeout(() => {
      notice.hidden = true;
    }, 8000);
  };

  /** The guest's name, asked for if they have not given one; false when they would rather not. */
  const ensureName = async (why: string, required: boolean) => {
    if (guest.guestName) return true;
    const named = await askGuestName(why, required);
    if (named) {
      guest = named;
      showGuestName();
    }
    return named !== null;
  };

  const video = createPageVideo();
  setVideo(video);
  const transport = bindTransport(video);
  let thumbnails: Thumbnails | null = null;
  let frameCount = 0;
  const timeline = createTimeline(element('timeline'), {
    label: (frame) => video.timecodeOf(frame),
    seek: (frame) => video.seekToFrame(frame),
    grab: () => video.pause(),
    select: (comment) => comments?.select(comment),
    thumbnail: (frame, into) => thumbnails?.draw(video.timeOfFrame(frame) - video.firstFrameTime, into) ?? false,
  });
  element('timeline').hidden = false;
  video.onFrame((frame) => timeline.showPlayhead(frame));
  video.element.addEventListener('durationchange', () => timeline.setFrameCount(frameCount || video.frameCount));

  const comments: GuestComments | null = share.comments
    ? createGuestComments({
        video,
        timeline,
        ensureName: () => ensureName('Your name goes with your comments, so the team knows who wrote them.', false),
        report,
      })
    : null;

  let stopShortcuts = () => {};
  /** The share cannot be watched any more: nothing of it stays on screen or playing. */
  const leave = (gate: Parameters<typeof showGate>[0]) => {
    media.stop();
    stopShortcuts();
    showGate(gate);
  };

  const media = createShareMedia(video, {
    ready: (playback) => {
      element('error').hidden = true;
      transport.enable();
      frameCount = playback.durationFrames ?? 0;
      timeline.setFrameCount(frameCount || video.frameCount);
      thumbnails = null;
      void loadThumbnails(playback.spritesVttUrl).then((loaded) => {
        thumbnails = loaded;
      });
      comments?.show(playback.assetId, playback.versionId).catch(report);
    },
    gone: (err) => leave(gateFor(err)),
    needName: () => ensureName('This video shows the name of who watches it. Your name, please:', true),
    problem: showPageError,
  });
  window.mediavaultShare = { renew: () => media.renew(), edgeToken: () => media.edgeToken() };

  let opened: Promise<void> = Promise.resolve();
  const openItem = (item: ShareItem) => {
    playlist.show(item.assetId);
    element('share-item').textContent = itemLabel(item);
    showDownloads(guest.share, item.assetId);
    opened = media.open(item.assetId);
  };
  const playlist = createPlaylist(guest.items, openItem);

  const shortcuts: Shortcut[] = [
    { keys: [' '], does: 'Play / pause', run: () => video.togglePlay() },
    {
      keys: ['ArrowLeft', 'ArrowRight'],
      does: 'One frame back / forward (with Shift: one second)',
      run: (e) =>
        video.step(
          (e.key === 'ArrowLeft' ? -1 : 1) *
            (e.shiftKey ? Math.round(video.labels.rate.num / video.labels.rate.den) : 1),
        ),
    },
    { keys: ['n'], does: 'Next video', run: () => playlist.step(1) },
    { keys: ['p'], does: 'Previous video', run: () => playlist.step(-1) },
  ];
  stopShortcuts = listenForShortcuts(shortcuts);
  element('shortcuts').textContent =
    guest.items.length > 1
      ? 'Keyboard: ← → one frame, Space play / pause, N / P next / previous video.'
      : 'Keyboard: ← → one frame, Space play / pause.';

  const signOut = element<HTMLButtonElement>('share-sign-out');
  signOut.addEventListener('click', () => {
    signOut.disabled = true;
    signOutOfShare()
      .then(() => leave({ kind: 'signed-out' }))
      .catch((err: unknown) => {
        signOut.disabled = false;
        report(err);
      });
  });

  const first = guest.items[0];
  if (!first) {
    showPageError('Nothing is shared here yet. Ask the sender of the link.');
    return;
  }
  // A watermark that shows the viewer needs their name before anything plays.
  if (share.watermarkNeedsName)
    await ensureName('This video shows the name of who watches it. Your name, please:', true);
  openItem(first);
  await opened;
}
