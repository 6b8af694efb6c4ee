/**
 * A video element that knows which frame it shows: the frame on screen, counted from the
 * preview's first frame at its rational rate, and seeks, steps and pauses that land on whole
 * frames. The reviewer page has one (two in compare mode); everything that names a frame (the
 * timecode, the timeline, comments, annotations) listens to it.
 *
 * The frame is derived from the media time of the presented picture
 * (requestVideoFrameCallback's mediaTime while playing, currentTime when paused), never from
 * wall-clock time, so it names the picture the reviewer actually sees.
 */
import { nominalRate } from '@mediavault/core/review';
import { frameToSeconds, frameToTimecode, parseRate, secondsToFrame, type FrameRate } from '@mediavault/core/timecode';
import { messages } from './config.ts';
import { attachSource, type SourceOptions } from './hls-source.ts';

export interface FrameLabels {
  readonly rate: FrameRate;
  readonly startTimecode: string;
  readonly dropFrame: boolean;
}

/** How the api's playback answer says to count a version's frames (sound only: the nominal rate). */
export function playbackLabels(playback: {
  frameRate: { num: number; den: number } | null;
  startTimecode: string;
  dropFrame: boolean;
}): FrameLabels {
  const rate = playback.frameRate ? parseRate(`${playback.frameRate.num}/${playback.frameRate.den}`) : nominalRate;
  return { rate, startTimecode: playback.startTimecode, dropFrame: playback.dropFrame };
}

/**
 * The page's video (#video), counted at the nominal rate until a version's labels come. The
 * browser's own controls are off: the timeline scrubs and the bar plays.
 */
export function createPageVideo(): FrameVideo {
  const element = document.getElementById('video') as HTMLVideoElement;
  element.controls = false;
  return new FrameVideo(element, { rate: nominalRate, startTimecode: '00:00:00:00', dropFrame: false });
}

type FrameListener = (frame: number) => void;

export class FrameVideo {
  readonly element: HTMLVideoElement;
  labels: FrameLabels;
  /** Frame on screen, counted from the first frame of the media (0-based). */
  frame = 0;
  /** Media time at which frame 0 is presented (non-zero with B-frames, see attach()). */
  firstFrameTime = 0;
  /** Why the video cannot play, once it cannot. */
  error: string | null = null;
  private halfFrame: number;
  private readonly listeners = new Set<FrameListener>();
  private readonly failureListeners = new Set<(message: string, httpStatus?: number) => void>();
  /** The frame presented most recently, as reported by requestVideoFrameCallback. */
  private presentedFrame: number | null = null;
  private firstFrameSeen = false;
  private firstFrameFromFragment = false;
  private detachSource: () => void = () => {};

  /** Tracks `element`'s frames for the page's life; `load` gives it something to play. */
  constructor(element: HTMLVideoElement, labels: FrameLabels) {
    this.element = element;
    this.labels = labels;
    this.halfFrame = frameToSeconds(1, labels.rate) / 2;
    this.track();
  }

  get timecode(): string {
    return this.timecodeOf(this.frame);
  }

  timecodeOf(frame: number): string {
    return frameToTimecode(frame, this.labels.rate, this.labels);
  }

  /** Frames in the media, once its duration is known (0 before). */
  get frameCount(): number {
    const { duration } = this.element;
    return Number.isFinite(duration) ? this.frameAt(duration) : 0;
  }

  get lastFrame(): number {
    return Math.max(0, this.frameCount - 1);
  }

  get paused(): boolean {
    return this.element.paused;
  }

  /** Called with each frame the video shows or is sent to; returns the unsubscribe function. */
  onFrame(listener: FrameListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** `httpStatus`: what the server answered, when the failure is a refused request. */
  onFailure(listener: (message: string, httpStatus?: number) => void): void {
    this.failureListeners.add(listener);
  }

  fail(message: string, httpStatus?: number): void {
    this.error = message;
    for (const listener of this.failureListeners) listener(message, httpStatus);
  }

  frameAt(mediaTime: number): number {
    return secondsToFrame(Math.max(0, mediaTime - this.firstFrameTime), this.labels.rate);
  }

  /** Seeks aim at mid-frame so float rounding cannot land on a neighbour. */
  timeOfFrame(frame: number): number {
    return this.firstFrameTime + frameToSeconds(frame, this.labels.rate) + this.halfFrame;
  }

  /**
   * Plays `src`, whose frames are counted with `labels` (another version may have another rate).
   * Frame 0 of the preview is not always at media time 0: with B-frames its
   * presentation time is the encoder's reorder delay (0.08 s for libx264 veryfast at 25 fps),
   * which hls.js keeps. The first video fragment's start (hls.js) says where frame 0 is. Only
   * without it (native HLS) is the first picture presented taken instead: that one is not
   * always frame 0, since a browser may skip the first frames when playback starts.
   * `source` changes how requests are made (hls-source.ts).
   */
  load(src: string, labels: FrameLabels = this.labels, source: SourceOptions = {}): void {
    this.detachSource();
    this.labels = labels;
    this.halfFrame = frameToSeconds(1, labels.rate) / 2;
    this.firstFrameTime = 0;
    this.firstFrameSeen = false;
    this.firstFrameFromFragment = false;
    this.presentedFrame = null;
    this.error = null;
    this.detachSource = attachSource(
      this.element,
      src,
      {
        onFirstFragment: (startTime) => {
          this.firstFrameFromFragment = true;
          this.firstFrameTime = startTime;
        },
        onFailure: (message, httpStatus) => this.fail(message, httpStatus),
      },
      source,
    );
  }

  unload(): void {
    this.detachSource();
    this.detachSource = () => {};
  }

  seekToFrame(frame: number): void {
    const target = Math.min(this.lastFrame, Math.max(0, Math.round(frame)));
    this.element.currentTime = this.timeOfFrame(target);
    this.show(target);
  }

  /** Pauses and moves by whole frames from the frame on screen. */
  step(frames: number): void {
    if (this.error || !Number.isFinite(this.element.duration)) return;
    const from = this.element.paused ? this.frameAt(this.element.currentTime) : this.frame;
    this.element.pause();
    this.seekToFrame(from + frames);
  }

  play(): void {
    if (this.error || !this.element.paused) return;
    this.element.play().catch((err: unknown) => {
      // A browser blocking autoplay is not an error for the reviewer: they press play again.
      const name = (err as DOMException).name;
      if (name !== 'NotAllowedError' && name !== 'AbortError') this.fail(messages.decode);
    });
  }

  /**
   * Pauses on the picture on screen. Settled at once rather than on the 'pause' event, a task
   * later: from the moment the video reports paused, the frame and currentTime agree.
   */
  pause(): void {
    if (this.element.paused) return;
    this.element.pause();
    this.settleOnPresentedFrame();
  }

  togglePlay(): void {
    if (this.error) return;
    if (this.element.paused) this.play();
    else this.pause();
  }

  private show(frame: number): void {
    this.frame = frame;
    for (const listener of this.listeners) listener(frame);
  }

  /**
   * When playback stops, currentTime runs on the audio clock and can sit a frame away from the
   * picture left on screen. Settle both on the picture the reviewer paused on, unless a frame
   * step already chose where to go.
   */
  private settleOnPresentedFrame(): void {
    if (!this.element.seeking) this.seekToFrame(this.presentedFrame ?? this.frameAt(this.element.currentTime));
  }

  private track(): void {
    const video = this.element;
    // Per-frame updates: requestVideoFrameCallback reports the presented frame exactly;
    // elsewhere fall back to animation frames, which may lag the picture by a frame.
    if ('requestVideoFrameCallback' in HTMLVideoElement.prototype) {
      const onVideoFrame = (_now: number, metadata: VideoFrameCallbackMetadata): void => {
        if (video.seeking) {
          // A picture composited before the seek began: 'seeked' labels the frame sought.
          video.requestVideoFrameCallback(onVideoFrame);
          return;
        }
        if (
          !this.firstFrameSeen &&
          !this.firstFrameFromFragment &&
          video.currentTime <= metadata.mediaTime + this.halfFrame
        ) {
          this.firstFrameTime = metadata.mediaTime;
        }
        this.firstFrameSeen = true;
        this.presentedFrame = this.frameAt(metadata.mediaTime);
        this.show(this.presentedFrame);
        video.requestVideoFrameCallback(onVideoFrame);
      };
      video.requestVideoFrameCallback(onVideoFrame);
    } else {
      const onAnimationFrame = (): void => {
        this.show(this.frameAt(video.currentTime));
        if (!video.paused) requestAnimationFrame(onAnimationFrame);
      };
      video.addEventListener('play', () => requestAnimationFrame(onAnimationFrame));
      video.addEventListener('timeupdate', () => this.show(this.frameAt(video.currentTime)));
    }
    video.addEventListener('loadeddata', () => this.show(this.frameAt(video.currentTime)));
    video.addEventListener('seeked', () => {
      this.presentedFrame = this.frameAt(video.currentTime);
      this.show(this.presentedFrame);
    });
    // Pauses from elsewhere (the end of the media, another script) settle when reported.
    video.addEventListener('pause', () => this.settleOnPresentedFrame());
  }
}
