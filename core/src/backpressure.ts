/**
 * Backpressure rules for the preview queue. Pure: the api and the worker read
 * the backlog (core/src/queue.ts) and ask these what to do.
 */

export interface Backlog {
  /** Jobs waiting (created or retry). */
  queued: number;
  /** Age of the oldest waiting job, 0 when none waits. */
  oldestAgeSeconds: number;
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

export function previewPressure(backlog: Backlog, thresholdSeconds: number): PreviewPressure {
  const age = Math.max(0, backlog.oldestAgeSeconds);
  const overloaded = age > thresholdSeconds;
  const retryAfterSeconds = overloaded ? Math.min(600, Math.max(10, Math.ceil(age / 2))) : 5;
  const drop: DroppableOutput[] = [];
  if (overloaded) drop.push('sprites', 'waveform');
  if (age > 3 * thresholdSeconds) drop.push('mp4', 'renditions-above-720');
  return { overloaded, retryAfterSeconds, drop };
}
