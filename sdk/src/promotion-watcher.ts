/**
 * Waits for many promotions at once without polling each one: one WebSocket to
 * the api's event stream (GET /api/events?projectId=…) delivers every upload's
 * state change. Each wait also reads the upload's state once after it starts
 * listening (an event may have gone by before) and then every `safetyPollMs`
 * (events sent while the stream reconnected are lost); when the stream is not
 * available at all, waits fall back to polling with backoff.
 */
import { WebSocket } from 'undici';
import type { MediavaultClient } from './client.ts';
import { MediavaultError } from './errors.ts';
import { delay } from './polling.ts';
import { promotionOutcome, type PromoteResult } from './promote.ts';

export interface PromotionWatcher {
  /**
   * Resolves when the upload is promoted; rejects with the job's error code when it failed.
   * `since`: when the promotion was asked for (Date.now() before the call). If the event
   * stream has been live since before then, no event can have been missed and the upload's
   * state is not read up front: the event (or the safety poll) settles the wait.
   */
  wait(uploadId: string, options?: { timeoutMs?: number; since?: number }): Promise<PromoteResult>;
  close(): void;
}

export interface PromotionWatcherOptions {
  projectId: string;
  /** Re-read each awaited upload this often even while events flow (default 10 s). */
  safetyPollMs?: number;
}

interface UploadEvent {
  type: 'upload';
  id: string;
  status: string;
  assetId: string | null;
  versionId: string | null;
}

function isFinal(event: UploadEvent): boolean {
  return ['promoted', 'failed', 'aborted'].includes(event.status);
}

export function createPromotionWatcher(client: MediavaultClient, options: PromotionWatcherOptions): PromotionWatcher {
  const waiting = new Map<string, (event: UploadEvent) => void>();
  const closing = new AbortController();
  let live = false;
  /** Since when the stream has been live without a break (null: not live). */
  let liveSince: number | null = null;
  /** Final events of uploads nobody waits on yet (the promotion can finish before its wait starts). */
  const settled = new Map<string, UploadEvent>();
  const settledLimit = 50_000;
  let socket: WebSocket | null = null;
  try {
    const url = new URL(`${client.baseUrl}/api/events`);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    url.searchParams.set('projectId', options.projectId);
    socket = new WebSocket(url, { headers: client.authHeaders() });
    socket.addEventListener('message', (message) => {
      let event: { type?: string; id?: string };
      try {
        event = JSON.parse(String(message.data));
      } catch {
        return;
      }
      if (event.type === 'ready') {
        live = true;
        liveSince = Date.now();
      }
      if (event.type === 'upload' && event.id) {
        const upload = event as unknown as UploadEvent;
        const waiter = waiting.get(upload.id);
        if (waiter) waiter(upload);
        else if (isFinal(upload)) {
          if (settled.size >= settledLimit) settled.delete(settled.keys().next().value!);
          settled.set(upload.id, upload);
        }
      }
    });
    socket.addEventListener('close', () => {
      live = false;
      liveSince = null;
    });
    socket.addEventListener('error', () => {
      live = false;
      liveSince = null;
    });
  } catch {
    socket = null;
  }

  const check = (uploadId: string) => promotionOutcome(client, uploadId, closing.signal);

  return {
    async wait(uploadId, waitOptions = {}) {
      const deadline = Date.now() + (waitOptions.timeoutMs ?? 15 * 60_000);
      let wake: () => void = () => {};
      let changed = false;
      let promoted: PromoteResult | null = null;
      const onEvent = (event: UploadEvent) => {
        if (!isFinal(event)) return;
        // Promoted: the event says where to. Failed: the waiter reads the full state (the event carries no error code).
        if (event.status === 'promoted' && event.assetId && event.versionId)
          promoted = { status: 'promoted', uploadId, assetId: event.assetId, versionId: event.versionId };
        changed = true;
        wake();
      };
      const early = settled.get(uploadId);
      settled.delete(uploadId);
      if (early) onEvent(early);
      waiting.set(uploadId, onEvent);
      const missedNothing = waitOptions.since !== undefined && liveSince !== null && liveSince <= waitOptions.since;
      try {
        let backoff = 200;
        for (let first = true; ; first = false) {
          if (promoted) return promoted;
          const result = first && missedNothing && !changed ? undefined : await check(uploadId);
          if (result) return result;
          const left = deadline - Date.now();
          if (left <= 0)
            throw new MediavaultError('timeout', `timed out waiting for the promotion of upload ${uploadId}`);
          const pause = live ? (options.safetyPollMs ?? 10_000) : backoff;
          backoff = Math.min(backoff * 1.5, 2000);
          if (!changed) {
            const sleeping = new AbortController();
            wake = () => sleeping.abort();
            await delay(Math.min(pause, left), AbortSignal.any([sleeping.signal, closing.signal])).catch(() => {});
            closing.signal.throwIfAborted();
          }
          changed = false;
        }
      } finally {
        waiting.delete(uploadId);
      }
    },
    close() {
      closing.abort();
      socket?.close();
    },
  };
}
