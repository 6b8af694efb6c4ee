/**
 * The review entry (`/review/`): a member signed in by a review link reviews one asset. It plays
 * the version in view with its timecode, lists the asset's comments (panel and timeline), adds
 * comments at the paused frame or over an in/out range, with drawings; replies, resolves and
 * approves; switches and compares versions; and follows other reviewers' changes live.
 *
 * This module wires the parts (each in its own module) to the api and to each other; the
 * state it keeps is what the reviewer is looking at.
 */
import { annotationColors, createAnnotationLayer, type Tool } from './annotations.ts';
import { annotationsAt } from './comment-threads.ts';
import { createCommentsPanel } from './comments-panel.ts';
import { createCompare } from './compare.ts';
import { messages } from './config.ts';
import { element, make } from './dom.ts';
import { createPageVideo, FrameVideo, playbackLabels } from './frame-video.ts';
import { followAsset, type ReviewEvent } from './live.ts';
import { ReviewSignInError, signOutOfReview } from './review-session.ts';
import { ApiError } from './api-call.ts';
import { reviewApi, type Asset, type Me, type AssetVersion, type Comment, type Playback } from './review-api.ts';
import { fillShortcutSheet, listenForShortcuts, type Shortcut } from './shortcuts.ts';
import { createShuttle } from './shuttle.ts';
import { loadThumbnails, type Thumbnails } from './thumbnails.ts';
import { createTimeline } from './timeline.ts';
import { parseJump } from './timecode-entry.ts';
import { bindTransport, showPageError } from './transport.ts';
import { fillVersionSelect, showApproval, versionLabel } from './versions.ts';
import { showWaveform, type WaveformView } from './waveform.ts';

const rolesThatComment = new Set(['reviewer', 'editor', 'admin']);

/** What the page reviews, as the sign-in answers it (review-session.ts). */
export interface ReviewTarget {
  assetId: string;
  versionId: string | null;
}

/** Keeps the asset and version in the address, so a reload (the session cookie stays) comes back here. */
function rememberTarget(assetId: string, versionId: string): void {
  const url = new URL(location.href);
  url.search = new URLSearchParams({ asset: assetId, version: versionId }).toString();
  url.hash = '';
  history.replaceState(history.state, '', url);
}

function messageFor(err: unknown): string {
  if (err instanceof ReviewSignInError) return err.message;
  if (err instanceof ApiError) {
    if (err.status === 401) return messages.sessionEnded;
    if (err.status === 404) return messages.noSuchAsset;
    return err.message;
  }
  return messages.decode;
}

/**
 * Signs in (`signIn`: the link's token exchanged for the session cookie, or the cookie's session
 * after a reload), then shows the asset it names. Resolves once the page shows it, or has said why
 * it cannot.
 */
export async function startReview(
  setVideo: (video: FrameVideo) => void,
  signIn: () => Promise<ReviewTarget>,
): Promise<void> {
  let target: ReviewTarget;
  let asset: Asset;
  let me: Me;
  try {
    target = await signIn();
    [asset, me] = await Promise.all([reviewApi.getAsset(target.assetId), reviewApi.getMe()]);
  } catch (err) {
    showPageError(messageFor(err));
    return;
  }
  const role = me.memberships.find((m) => m.projectId === asset.projectId)?.role ?? 'viewer';
  const mayComment = rolesThatComment.has(role);
  const playable = asset.versions.filter((v) => v.preview?.status === 'ready').sort((a, b) => b.number - a.number);
  const first = playable.find((v) => v.id === target.versionId) ?? playable[0];
  if (!first) {
    showPageError(messages.notReady);
    return;
  }

  document.title = `${asset.name} · mediavault review`;
  element('title').textContent = asset.name;
  for (const id of ['review-header', 'review-tools', 'comments', 'timeline']) element(id).hidden = false;
  element('shortcuts').replaceChildren('Press ', make('kbd', { textContent: '?' }), ' for keyboard shortcuts.');
  document.querySelector('main')!.classList.add('reviewing');
  element('signed-in').textContent = me.user.name;
  if (!mayComment) {
    element('composer').hidden = true;
    element('approval')
      .querySelectorAll('button')
      .forEach((button) => {
        button.disabled = true;
      });
  }

  const notice = element<HTMLParagraphElement>('notice');
  let noticeTimer: ReturnType<typeof setTimeout> | undefined;
  const say = (message: string) => {
    notice.textContent = message;
    notice.hidden = false;
    clearTimeout(noticeTimer);
    noticeTimer = setTimeout(() => {
      notice.hidden = true;
    }, 8000);
  };
  const report = (err: unknown) => say(messageFor(err));

  // What the reviewer is looking at.
  const comments = new Map<string, Comment>();
  let version: AssetVersion = first;
  let playback: Playback | null = null;
  let selectedId: string | null = null;
  let inFrame: number | null = null;
  let outFrame: number | null = null;
  let looping = false;
  let draftFrame: number | null = null;
  let thumbnails: Thumbnails | null = null;
  let waveform: WaveformView | null = null;

  const video = createPageVideo();
  setVideo(video);
  const transport = bindTransport(video);
  const shuttle = createShuttle(video);
  const frameCount = () => playback?.durationFrames ?? video.frameCount;

  // Comments: panel, timeline, drawings.
  const filterVersion = element<HTMLInputElement>('filter-version');
  const filterResolved = element<HTMLInputElement>('filter-resolved');
  const panel = createCommentsPanel(element('comment-list'), {
    me: () => ({ userId: me.user.id }),
    select: (comment) => void select(comment),
    reply: async (parent, text) => {
      upsert(
        await reviewApi.createComment(asset.id, {
          versionId: parent.versionId,
          frame: parent.frame,
          text,
          parentId: parent.id,
        }),
      );
    },
    setResolved: async (comment, resolved) => {
      upsert(await (resolved ? reviewApi.resolveComment(comment.id) : reviewApi.reopenComment(comment.id)));
    },
    edit: async (comment, text) => upsert(await reviewApi.updateComment(comment.id, { text })),
    remove: async (comment) => upsert(await reviewApi.deleteComment(comment.id)),
    report,
  });
  const timeline = createTimeline(element('timeline'), {
    label: (frame) => video.timecodeOf(frame),
    seek: (frame) => video.seekToFrame(frame),
    grab: () => {
      shuttle.reset();
      video.pause();
    },
    select: (comment) => void select(comment),
    thumbnail: (frame, into) => thumbnails?.draw(video.timeOfFrame(frame) - video.firstFrameTime, into) ?? false,
  });
  const layer = createAnnotationLayer(element<HTMLCanvasElement>('annotation-layer'), video.element, (shapes) => {
    if (shapes === 0) draftFrame = null;
    showComposerAnchor();
  });
  element('annotation-layer').hidden = false;

  const render = () => {
    const all = [...comments.values()];
    panel.render(all, {
      filter: { versionId: filterVersion.checked ? version.id : null, showResolved: filterResolved.checked },
      currentVersionId: version.id,
      selectedId,
    });
    timeline.showComments(
      all.filter((c) => c.versionId === version.id && (filterResolved.checked || !c.resolved)),
      selectedId,
    );
    const open = all.filter((c) => !c.deleted && !c.resolved && c.parentId === null).length;
    element('comment-count').textContent = `${open} open`;
    showDrawings();
  };
  const upsert = (comment: Comment) => {
    comments.set(comment.id, comment);
    render();
  };
  const showDrawings = () => {
    const saved = annotationsAt(comments.values(), version.id, video.frame).map((c) => c.annotation!);
    layer.show(saved, draftFrame === video.frame);
  };
  filterVersion.addEventListener('change', render);
  filterResolved.addEventListener('change', render);

  const scrollToComment = (id: string) =>
    element('comment-list').querySelector(`[data-comment-id="${id}"]`)?.scrollIntoView({ block: 'nearest' });

  /** Seeks to the comment's frame (in its version) and marks it. */
  async function select(comment: Comment): Promise<void> {
    selectedId = comment.id;
    shuttle.reset();
    if (comment.versionId !== version.id) {
      const other = asset.versions.find((v) => v.id === comment.versionId);
      if (other?.preview?.status !== 'ready') {
        say(`Version ${comment.versionNumber} has no preview to show.`);
        return;
      }
      await showVersion(other, comment.frame);
    } else {
      video.pause();
      video.seekToFrame(comment.frame);
    }
    render();
    scrollToComment(comment.id);
  }

  // The composer: at the paused frame, the in/out range, or the frame a drawing was made on.
  const composer = element<HTMLFormElement>('composer');
  const composerText = element<HTMLTextAreaElement>('composer-text');
  const anchor = (): { frame: number; endFrame?: number } => {
    if (inFrame !== null && outFrame !== null) return { frame: inFrame, endFrame: outFrame };
    return { frame: draftFrame ?? video.frame };
  };
  function showComposerAnchor(): void {
    const { frame, endFrame } = anchor();
    element('composer-at').textContent =
      endFrame === undefined ? video.timecodeOf(frame) : `${video.timecodeOf(frame)} – ${video.timecodeOf(endFrame)}`;
    const draft = layer.draft();
    element('composer-drawing').textContent = draft
      ? `with a drawing (${draft.shapes.length} shape${draft.shapes.length === 1 ? '' : 's'})`
      : '';
    element('range').textContent =
      inFrame === null && outFrame === null
        ? ''
        : `${inFrame === null ? '…' : video.timecodeOf(inFrame)} – ${outFrame === null ? '…' : video.timecodeOf(outFrame)}`;
    timeline.showInOut(inFrame, outFrame);
  }
  // A note is about the picture on screen: typing one stops playback there.
  composerText.addEventListener('focus', () => {
    shuttle.reset();
    video.pause();
  });
  composerText.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) composer.requestSubmit();
    if (event.key === 'Escape') composerText.blur();
  });
  composer.addEventListener('submit', (event) => {
    event.preventDefault();
    const text = composerText.value.trim();
    if (!text) return;
    const submit = element<HTMLButtonElement>('composer-submit');
    submit.disabled = true;
    const annotation = layer.draft();
    reviewApi
      .createComment(asset.id, {
        versionId: version.id,
        ...anchor(),
        text,
        internal: element<HTMLInputElement>('composer-internal').checked,
        ...(annotation ? { annotation } : {}),
      })
      .then((comment) => {
        composerText.value = '';
        layer.clear();
        setDrawing(false);
        if (comment.endFrame !== null) {
          inFrame = null;
          outFrame = null;
        }
        selectedId = comment.id;
        upsert(comment);
        showComposerAnchor();
        scrollToComment(comment.id);
      })
      .catch(report)
      .finally(() => {
        submit.disabled = false;
      });
  });

  // In / out and loop.
  const markIn = () => {
    inFrame = video.frame;
    if (outFrame !== null && outFrame < inFrame) outFrame = null;
    showComposerAnchor();
  };
  const markOut = () => {
    outFrame = video.frame;
    if (inFrame !== null && inFrame > outFrame) inFrame = null;
    showComposerAnchor();
  };
  const clearInOut = () => {
    inFrame = null;
    outFrame = null;
    showComposerAnchor();
  };
  const toggleLoop = () => {
    looping = !looping;
    element('loop').setAttribute('aria-pressed', String(looping));
    if (looping && video.paused) video.play();
  };
  element('mark-in').addEventListener('click', markIn);
  element('mark-out').addEventListener('click', markOut);
  element('loop').addEventListener('click', toggleLoop);
  video.element.addEventListener('play', () => {
    if (looping && inFrame !== null && outFrame !== null && (video.frame < inFrame || video.frame >= outFrame)) {
      video.seekToFrame(inFrame);
    }
  });

  // Drawing.
  const setDrawing = (on: boolean) => {
    if (on) {
      shuttle.reset();
      video.pause();
      draftFrame ??= video.frame;
      if (draftFrame !== video.frame) video.seekToFrame(draftFrame);
    } else if (layer.draft() === null) {
      // Nothing drawn: a drawing started later belongs to the frame on screen then, not this one.
      draftFrame = null;
    }
    layer.setDrawing(on);
    element('draw').setAttribute('aria-pressed', String(on));
    element('draw-tools').hidden = !on;
    showDrawings();
  };
  element('draw').addEventListener('click', () => setDrawing(!layer.drawing));
  const toolSelect = element<HTMLSelectElement>('draw-tool');
  toolSelect.addEventListener('change', () => layer.setTool(toolSelect.value as Tool));
  const colorSelect = element<HTMLSelectElement>('draw-color');
  colorSelect.replaceChildren(...annotationColors.map((color) => make('option', { value: color, textContent: color })));
  colorSelect.addEventListener('change', () => layer.setColor(colorSelect.value));
  element('draw-undo').addEventListener('click', () => layer.undo());

  // Follows the frame on screen: playhead, waveform, drawings, loop, composer.
  video.onFrame((frame) => {
    timeline.showPlayhead(frame);
    waveform?.showPlayhead(frameCount() > 0 ? frame / frameCount() : 0);
    if (layer.drawing && draftFrame !== null && frame !== draftFrame) setDrawing(false);
    showDrawings();
    if (looping && !video.paused && inFrame !== null && outFrame !== null && frame > outFrame) {
      video.seekToFrame(inFrame);
    }
    if (draftFrame === null && inFrame === null) showComposerAnchor();
  });

  // Versions and approval.
  const versionSelect = element<HTMLSelectElement>('version-select');
  const compareVersion = element<HTMLSelectElement>('compare-version');
  const showVersions = () => {
    fillVersionSelect(versionSelect, asset.versions, version.id);
    fillVersionSelect(
      compareVersion,
      asset.versions.filter((v) => v.id !== version.id),
      compareVersion.value || null,
    );
    element('compare').toggleAttribute('disabled', compareVersion.options.length === 0);
    showApproval(element('approval'), element('approval-status'), version.approval);
  };
  async function showVersion(next: AssetVersion, atFrame: number): Promise<void> {
    const nextPlayback = await reviewApi.getPlayback(asset.id, next.id);
    version = next;
    playback = nextPlayback;
    draftFrame = null;
    layer.clear();
    setDrawing(false);
    inFrame = null;
    outFrame = null;
    rememberTarget(asset.id, version.id);
    const labels = playbackLabels(playback);
    const soundOnly = playback.frameRate === null;
    element('stage').classList.toggle('sound-only', soundOnly);
    element('primary-label').textContent = `v${playback.versionNumber}`;
    // Once there is a picture: hls.js seeks to the start itself when the metadata comes.
    video.element.addEventListener('loadeddata', () => video.seekToFrame(Math.min(atFrame, frameCount() - 1)), {
      once: true,
    });
    video.load(playback.manifestUrl, labels);
    transport.enable();
    timeline.setFrameCount(frameCount());
    video.element.addEventListener('durationchange', () => timeline.setFrameCount(frameCount()));
    showVersions();
    render();
    showComposerAnchor();
    const seekFraction = (fraction: number) => video.seekToFrame(Math.floor(fraction * frameCount()));
    [thumbnails, waveform] = await Promise.all([
      loadThumbnails(playback.spritesVttUrl),
      showWaveform(element(soundOnly ? 'waveform-main' : 'waveform'), playback.waveformUrl, seekFraction),
    ]);
    element(soundOnly ? 'waveform' : 'waveform-main').hidden = true;
    if (compare.active) openCompare();
  }
  versionSelect.addEventListener('change', () => {
    const next = asset.versions.find((v) => v.id === versionSelect.value);
    if (next) showVersion(next, video.frame).catch(report);
  });
  for (const button of Array.from(element('approval').querySelectorAll<HTMLButtonElement>('button[data-status]'))) {
    button.addEventListener('click', () => {
      const status = button.dataset.status as 'approved' | 'changes_requested' | 'none';
      button.disabled = true;
      reviewApi
        .setApproval(asset.id, version.id, status)
        .then((approval) => {
          const decided = asset.versions.find((v) => v.id === approval.versionId);
          if (decided) decided.approval = approval;
          showVersions();
        })
        .catch(report)
        .finally(() => {
          button.disabled = !mayComment;
        });
    });
  }

  // Compare.
  const compare = createCompare(
    element('stage'),
    video,
    new FrameVideo(element<HTMLVideoElement>('compare-video'), video.labels),
    element('compare-label'),
  );
  const openCompare = () => {
    const other = asset.versions.find((v) => v.id === compareVersion.value);
    if (!other) return;
    reviewApi
      .getPlayback(asset.id, other.id)
      .then((otherPlayback) =>
        compare.open({
          src: otherPlayback.manifestUrl,
          labels: playbackLabels(otherPlayback),
          label: versionLabel(other),
        }),
      )
      .catch(report);
    element('primary-label').hidden = false;
  };
  const toggleCompare = () => {
    const on = !compare.active;
    element('compare').setAttribute('aria-pressed', String(on));
    element('compare-tools').hidden = !on;
    element('primary-label').hidden = !on;
    if (on) openCompare();
    else compare.close();
  };
  element('compare').addEventListener('click', toggleCompare);
  compareVersion.addEventListener('change', () => compare.active && openCompare());
  const compareMode = element<HTMLSelectElement>('compare-mode');
  const wipePosition = element<HTMLInputElement>('wipe-position');
  const setCompareMode = (mode: 'side' | 'wipe') => {
    compareMode.value = mode;
    compare.setMode(mode);
    wipePosition.hidden = mode !== 'wipe';
  };
  compareMode.addEventListener('change', () => setCompareMode(compareMode.value as 'side' | 'wipe'));
  wipePosition.addEventListener('input', () => compare.setWipe(Number(wipePosition.value) / 100));
  compare.setWipe(0.5);

  // Jump to a typed timecode.
  const gotoInput = element<HTMLInputElement>('goto-input');
  element('goto').addEventListener('submit', (event) => {
    event.preventDefault();
    const jump = parseJump(gotoInput.value, video.labels, video.frame, frameCount());
    if ('error' in jump) {
      say(jump.error);
      return;
    }
    shuttle.reset();
    video.pause();
    video.seekToFrame(jump.frame);
    gotoInput.value = '';
    gotoInput.blur();
  });

  // Keyboard.
  const sheet = element<HTMLDialogElement>('shortcut-sheet');
  const nominalFps = () => Math.round(video.labels.rate.num / video.labels.rate.den);
  const neighbourComment = (direction: 1 | -1) => {
    const frames = [...comments.values()]
      .filter((c) => c.versionId === version.id && c.parentId === null && !c.deleted)
      .sort((a, b) => a.frame - b.frame);
    const next =
      direction > 0 ? frames.find((c) => c.frame > video.frame) : frames.reverse().find((c) => c.frame < video.frame);
    if (next) void select(next);
  };
  const shortcuts: Shortcut[] = [
    {
      keys: [' '],
      does: 'Play / pause',
      run: () => {
        shuttle.reset();
        video.togglePlay();
      },
    },
    {
      keys: ['j', 'k', 'l'],
      shown: 'J K L',
      does: 'Shuttle: back, stop, forward (again for 2×, 4×, 8×)',
      run: (e) => shuttle.press(e.key.toLowerCase() as 'j' | 'k' | 'l'),
    },
    {
      keys: ['ArrowLeft', 'ArrowRight'],
      shown: '← →',
      does: 'One frame back / forward (with Shift: one second)',
      run: (e) => {
        shuttle.reset();
        video.step((e.key === 'ArrowLeft' ? -1 : 1) * (e.shiftKey ? nominalFps() : 1));
      },
    },
    { keys: ['Home'], does: 'First frame', run: () => video.step(-video.frame) },
    { keys: ['End'], does: 'Last frame', run: () => video.step(video.lastFrame - video.frame) },
    { keys: ['i'], does: 'Mark in', run: markIn },
    { keys: ['o'], does: 'Mark out', run: markOut },
    { keys: ['x'], does: 'Clear in and out', run: clearInOut },
    { keys: ['p'], does: 'Loop in to out', run: toggleLoop },
    {
      keys: ['[', ']'],
      shown: '[ ]',
      does: 'Previous / next comment',
      run: (e) => neighbourComment(e.key === '[' ? -1 : 1),
    },
    { keys: ['c'], does: 'Write a comment on this frame', run: () => composerText.focus() },
    { keys: ['d'], does: 'Draw on this frame (again to stop)', run: () => setDrawing(!layer.drawing) },
    { keys: ['g'], does: 'Go to a timecode', run: () => gotoInput.focus() },
    { keys: ['v'], does: 'Compare with another version', run: toggleCompare },
    {
      keys: ['w'],
      does: 'Compare side by side / as a wipe',
      run: () => setCompareMode(compareMode.value === 'wipe' ? 'side' : 'wipe'),
    },
    {
      keys: ['f'],
      does: 'Full screen (again to leave)',
      run: () => {
        if (document.fullscreenElement) void document.exitFullscreen();
        else void element('stage').requestFullscreen?.();
      },
    },
    {
      keys: ['m'],
      does: 'Sound off / on',
      run: () => {
        video.element.muted = !video.element.muted;
      },
    },
    { keys: ['?'], does: 'This list', run: () => (sheet.open ? sheet.close() : sheet.showModal()) },
    { keys: ['Escape'], shown: 'Esc', does: 'Stop drawing', run: () => setDrawing(false) },
  ];
  const stopShortcuts = listenForShortcuts(shortcuts);
  fillShortcutSheet(element('shortcut-list'), shortcuts);
  element('help').addEventListener('click', () => sheet.showModal());

  // Live: other reviewers' changes, read again as they are announced.
  const refreshComments = async () => {
    const all = await reviewApi.listComments(asset.id);
    comments.clear();
    for (const comment of all) comments.set(comment.id, comment);
    render();
  };
  const refreshAsset = async () => {
    const fresh = await reviewApi.getAsset(asset.id);
    asset = fresh;
    version = fresh.versions.find((v) => v.id === version.id) ?? version;
    showVersions();
  };
  const onEvent = (event: ReviewEvent) => {
    if (event.type === 'approval') {
      refreshAsset().catch(report);
      return;
    }
    reviewApi
      .getComment(event.id)
      .then(upsert)
      .catch((err: unknown) => {
        // Gone for this reviewer (e.g. no longer visible): drop it rather than show it stale.
        if (err instanceof ApiError && err.status === 404) {
          comments.delete(event.id);
          render();
        } else report(err);
      });
  };
  const liveStatus = element('live-status');
  const follow = () =>
    followAsset(asset.id, {
      onEvent,
      onResync: () => {
        Promise.all([refreshComments(), refreshAsset()]).catch(report);
      },
      onStatus: (live) => {
        liveStatus.textContent = live ? 'live' : 'offline';
        liveStatus.classList.toggle('on', live);
      },
    });
  let live = follow();

  // Signed out, nothing of the review stays on screen or listening: it belonged to the session.
  const signOut = element<HTMLButtonElement>('sign-out');
  signOut.addEventListener('click', () => {
    signOut.disabled = true;
    // Closed first: the api ends the session's streams, and a reconnection would only be refused.
    live.close();
    signOutOfReview()
      .then(() => {
        stopShortcuts();
        if (compare.active) compare.close();
        video.unload();
        element('review-header').hidden = true;
        document.querySelector<HTMLElement>('.workspace')!.hidden = true;
        showPageError(messages.signedOut);
      })
      .catch((err: unknown) => {
        signOut.disabled = false;
        live = follow();
        report(err);
      });
  });

  try {
    await Promise.all([showVersion(version, 0), refreshComments()]);
  } catch (err) {
    showPageError(messageFor(err));
  }
}
