/**
 * The comment list as the panel shows it, kept in the api's order while live changes arrive:
 * newest version first, then frame, then creation; each reply right after its parent (one level).
 * Pure, so the order is tested without a browser.
 */
import type { Comment } from './review-api.ts';

export interface Thread {
  comment: Comment;
  replies: Comment[];
}

function byCreation(a: Comment, b: Comment): number {
  return a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

function byPosition(a: Comment, b: Comment): number {
  return b.versionNumber - a.versionNumber || a.frame - b.frame || byCreation(a, b);
}

/** Threads in the api's order; a reply whose parent is not (yet) known is shown on its own. */
export function threadsOf(comments: Iterable<Comment>): Thread[] {
  const all = [...comments];
  const tops = new Map(
    all.filter((c) => c.parentId === null).map((c) => [c.id, { comment: c, replies: [] as Comment[] }]),
  );
  const orphans: Thread[] = [];
  for (const reply of all.filter((c) => c.parentId !== null)) {
    const parent = tops.get(reply.parentId!);
    if (parent) parent.replies.push(reply);
    else orphans.push({ comment: reply, replies: [] });
  }
  const threads = [...tops.values(), ...orphans];
  for (const thread of threads) thread.replies.sort(byCreation);
  return threads.sort((a, b) => byPosition(a.comment, b.comment));
}

export interface ThreadFilter {
  /** Only this version's threads; null for every version. */
  versionId: string | null;
  showResolved: boolean;
}

/**
 * The threads the panel lists: of the version in view (or all), resolved ones only when asked,
 * and a deleted comment only while replies still hang from it.
 */
export function visibleThreads(threads: readonly Thread[], filter: ThreadFilter): Thread[] {
  return threads.filter(
    ({ comment, replies }) =>
      (filter.versionId === null || comment.versionId === filter.versionId) &&
      (filter.showResolved || !comment.resolved) &&
      (!comment.deleted || replies.some((reply) => !reply.deleted)),
  );
}

/** The comments of `versionId` whose drawing belongs on `frame` (a range's drawing on its whole span). */
export function annotationsAt(comments: Iterable<Comment>, versionId: string, frame: number): Comment[] {
  return [...comments].filter(
    (c) =>
      c.versionId === versionId &&
      c.annotation !== null &&
      !c.deleted &&
      frame >= c.frame &&
      frame <= (c.endFrame ?? c.frame),
  );
}
