/**
 * Backpressure rules for the preview queue. Pure: the api and the worker read the backlog
 * (queueBacklog, core/src/catalogue/jobs-store.ts) and ask these what to do.
 *
 * They judge the work waiting, never how long a job has waited: a job's age also counts time
 * the workers spent idle (a poll they waited out, a worker that was down), and judging by it
 * made builds drop outputs while the queue held a minute of work.
 */

export interface Backlog {
  /** Builds waiting to start: queued or retrying, their start time reached. */
  queued: number;
  /** Builds running now, on every worker: how many the queue drains side by side. */
  running?: number;
  /**
   * Typical seconds one build takes on the workers (the median of the latest ones); absent or
   * null before any build was measured.
   */
  typicalBuildSeconds?: number | null;
}

/**
 * Seconds the workers need to build everything waiting now, at the pace and parallelism they
 * build at: queued × typical build time ÷ builds running (at least one). Before any build was
 * measured there is nothing to judge by, so 0: the first builds run whole and measure it.
 */
export function waitingWorkSeconds(backlog: Backlog): number {
  const typical = backlog.typicalBuildSeconds ?? 0;
  if (!(typical > 0) || !(backlog.queued > 0)) return 0;
  return (backlog.queued * typical) / Math.max(1, backlog.running ?? 0);
}

/**
 * Outputs a preview can go without at first and get later, in the order they are given up
 * (and listed); HLS and the poster are never dropped.
 */
export const droppableOutputs = ['sprites', 'waveform', 'mp4', 'renditions-above-720'] as const;
export type DroppableOutput = (typeof droppableOutputs)[number];

export const previewPriority = { interactive: 10, bulk: 0 } as const;
export type PreviewPriority = keyof typeof previewPriority;

export interface PreviewPressure {
  overloaded: boolean;
  /** What a client polling for this preview should wait before asking again. */
  retryAfterSeconds: number;
  /** Outputs a build started now should skip (and leave to a later fill job). */
  drop: DroppableOutput[];
}

/**
 * What the backlog asks of a build starting now and of a client waiting for one. Past the
 * threshold of waiting work, builds skip sprites and the waveform; past three times it, the
 * MP4 and the rungs above 720p too (a fill job adds them later). A client asks again after
 * half the waiting work (its build is, on average, halfway down the queue), 5 s to 10 min.
 */
export function previewPressure(backlog: Backlog, thresholdSeconds: number): PreviewPressure {
  const waiting = waitingWorkSeconds(backlog);
  const overloaded = waiting > thresholdSeconds;
  const retryAfterSeconds = Math.min(600, Math.max(5, Math.ceil(waiting / 2)));
  const drop: DroppableOutput[] = [];
  if (overloaded) drop.push('sprites', 'waveform');
  if (waiting > 3 * thresholdSeconds) drop.push('mp4', 'renditions-above-720');
  return { overloaded, retryAfterSeconds, drop };
}
