/**
 * The timeline under the picture: the playhead, comments as markers (one frame) and spans
 * (ranges, stacked in lanes where they overlap), the in/out range, and scrubbing: press or drag
 * to seek, hover for the frame's thumbnail and timecode.
 *
 * Geometry is pure (frame ↔ fraction of the width) and tested without a browser.
 */
import { make } from './dom.ts';
import type { Comment } from './review-api.ts';

/** Left edge of `frame`'s cell, as a fraction of the timeline (frame `count` is the right end). */
export function frameToFraction(frame: number, frameCount: number): number {
  return frameCount > 0 ? Math.min(1, Math.max(0, frame / frameCount)) : 0;
}

/** The frame whose cell holds `fraction` of the width. */
export function fractionToFrame(fraction: number, frameCount: number): number {
  if (frameCount <= 0) return 0;
  return Math.min(frameCount - 1, Math.max(0, Math.floor(fraction * frameCount)));
}

export interface Span {
  id: string;
  from: number;
  /** Last frame, inclusive. */
  to: number;
}

/** Each span's lane (0 = top), so that spans sharing a frame never share a lane, within `maxLanes`. */
export function assignLanes(spans: readonly Span[], maxLanes = 3): Map<string, number> {
  const laneEnds: number[] = [];
  const lanes = new Map<string, number>();
  for (const span of [...spans].sort((a, b) => a.from - b.from || b.to - a.to)) {
    let lane = laneEnds.findIndex((end) => end < span.from);
    if (lane === -1) lane = laneEnds.length < maxLanes ? laneEnds.length : maxLanes - 1;
    laneEnds[lane] = Math.max(laneEnds[lane] ?? -1, span.to);
    lanes.set(span.id, lane);
  }
  return lanes;
}

export interface TimelineView {
  /** Redraws markers and spans. */
  showComments(comments: readonly Comment[], selectedId: string | null): void;
  showPlayhead(frame: number): void;
  showInOut(inFrame: number | null, outFrame: number | null): void;
  setFrameCount(frameCount: number): void;
}

export interface TimelineOptions {
  label(frame: number): string;
  seek(frame: number): void;
  /** A scrub began (the page pauses). */
  grab(): void;
  select(comment: Comment): void;
  /** The thumbnail for `frame`, drawn into `into` (false when there is none). */
  thumbnail(frame: number, into: HTMLElement): boolean;
}

const percent = (fraction: number) => `${(fraction * 100).toFixed(4)}%`;

export function createTimeline(root: HTMLElement, options: TimelineOptions): TimelineView {
  let frameCount = 0;
  const inOut = make('div', { className: 'timeline-inout', hidden: true });
  const marks = make('div', { className: 'timeline-marks' });
  const playhead = make('div', { className: 'timeline-playhead' });
  const track = make('div', { className: 'timeline-track' }, [inOut, marks, playhead]);
  const thumb = make('div', { className: 'timeline-thumb' });
  const hoverLabel = make('span');
  const hover = make('div', { className: 'timeline-hover', hidden: true }, [thumb, hoverLabel]);
  root.append(track, hover);

  const frameAtPointer = (event: PointerEvent) => {
    const box = track.getBoundingClientRect();
    return fractionToFrame((event.clientX - box.left) / box.width, frameCount);
  };
  track.addEventListener('pointerdown', (event) => {
    if ((event.target as HTMLElement).closest('.timeline-marker, .timeline-span')) return;
    track.setPointerCapture(event.pointerId);
    options.grab();
    options.seek(frameAtPointer(event));
  });
  track.addEventListener('pointermove', (event) => {
    const frame = frameAtPointer(event);
    if (track.hasPointerCapture(event.pointerId)) options.seek(frame);
    if (event.pointerType !== 'mouse' && !track.hasPointerCapture(event.pointerId)) return;
    hover.hidden = false;
    hover.style.left = percent(frameToFraction(frame, frameCount));
    hoverLabel.textContent = options.label(frame);
    thumb.hidden = !options.thumbnail(frame, thumb);
  });
  const hideHover = () => {
    hover.hidden = true;
  };
  track.addEventListener('pointerleave', hideHover);
  track.addEventListener('pointerup', (event) => {
    if (event.pointerType !== 'mouse') hideHover();
  });

  const mark = (comment: Comment, selected: boolean, lane: number | undefined) => {
    const range = comment.endFrame !== null && comment.endFrame > comment.frame;
    const button = make('button', { type: 'button', className: range ? 'timeline-span' : 'timeline-marker' });
    button.classList.toggle('resolved', comment.resolved);
    button.classList.toggle('selected', selected);
    button.dataset.commentId = comment.id;
    button.style.left = percent(frameToFraction(comment.frame, frameCount));
    if (range) {
      const right = frameToFraction(comment.endFrame! + 1, frameCount);
      button.style.width = percent(right - frameToFraction(comment.frame, frameCount));
      button.style.setProperty('--lane', String(lane ?? 0));
    }
    const at = range ? `${comment.timecode}–${comment.endTimecode}` : comment.timecode;
    button.title = `${at} ${comment.author.name}: ${comment.text}`;
    button.setAttribute('aria-label', `Comment at ${at} by ${comment.author.name}`);
    button.addEventListener('click', () => options.select(comment));
    return button;
  };

  return {
    setFrameCount(count) {
      frameCount = count;
    },
    showComments(comments, selectedId) {
      const shown = comments.filter((c) => !c.deleted && c.parentId === null);
      const lanes = assignLanes(
        shown
          .filter((c) => c.endFrame !== null && c.endFrame > c.frame)
          .map((c) => ({ id: c.id, from: c.frame, to: c.endFrame! })),
      );
      marks.replaceChildren(...shown.map((c) => mark(c, c.id === selectedId, lanes.get(c.id))));
    },
    showPlayhead(frame) {
      playhead.style.left = percent(frameToFraction(frame, frameCount));
    },
    showInOut(inFrame, outFrame) {
      inOut.hidden = inFrame === null && outFrame === null;
      const from = inFrame ?? 0;
      const to = outFrame ?? Math.max(0, frameCount - 1);
      inOut.style.left = percent(frameToFraction(from, frameCount));
      inOut.style.width = percent(Math.max(0, frameToFraction(to + 1, frameCount) - frameToFraction(from, frameCount)));
    },
  };
}
