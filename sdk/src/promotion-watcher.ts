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
  /** Resolves when the upload is promoted; rejects with the job's error code when it failed. */
  wait(uploadId: string, options?: { timeoutMs?: number }): Promise<PromoteResult>;
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

export function createPromotionWatcher(client: MediavaultClient, options: PromotionWatcherOptions): PromotionWatcher {
  const waiting = new Map<string, (event: UploadEvent) => void>();
  const closing = new AbortController();
  let live = false;
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
      if (event.type === 'ready') live = true;
      if (event.type === 'upload' && event.id) waiting.get(event.id)?.(event as unknown as UploadEvent);
    });
    socket.addEventListener('close', () => {
      live = false;
    });
    socket.addEventListener('error', () => {
      live = false;
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
      waiting.set(uploadId, (event) => {
        // A final state wakes the waiter, which reads the full state (the event carries no error code).
        if (['promoted', 'failed', 'aborted'].includes(event.status)) {
          changed = true;
          wake();
        }
      });
      try {
        let backoff = 200;
        for (;;) {
          const result = await check(uploadId);
          if (result) return result;
          const left = deadline - Date.now();
          if (left <= 0) throw new MediavaultError('timeout', `timed out waiting for the promotion of upload ${uploadId}`);
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
