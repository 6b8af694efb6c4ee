/**
 * The api's event stream (GET /api/events, a WebSocket): state changes the caller may see, one
 * JSON object per message, narrowed by `?sha256=`, `?uploadId=`, `?projectId=` or `?assetId=`.
 * The api says `{"type":"ready"}` once it listens for the caller: state read after that cannot
 * miss a change, which then arrives as an event. A waiter reads the state, and reads it again
 * when an event comes (or, should the stream be unavailable, after a pause that grows); a
 * reviewer's page or tool takes each event as it comes (`onEvent`, typed).
 */
import { WebSocket } from 'undici';
import type { MediavaultClient } from './client.ts';
import type { components } from './generated/schema.ts';

type Schemas = components['schemas'];
/** Events as the api streams them; the types come from the spec (generated/schema.ts). */
export type UploadEvent = Schemas['UploadEvent'];
export type PreviewEvent = Schemas['PreviewEvent'];
/** Background job runs (organization admins only). */
export type JobEvent = Schemas['JobEvent'];
/** A review comment changed; read it with getComment (a deleted one answers its tombstone). */
export type CommentEvent = Schemas['CommentEvent'];
/** A version's approval was decided or cleared. */
export type ApprovalEvent = Schemas['ApprovalEvent'];
/** Something happened with a share link: its audit trail live (open, play, download, comment, password_failed…); read the row with listShareAudit. */
export type ShareEvent = Schemas['ShareEvent'];
/** A watermarked rendition set for share links changed state. */
export type WatermarkEvent = Schemas['WatermarkEvent'];
/** The stream is live again after the api lost its database: events of that time were missed, re-read what you show. */
export type ResumedEvent = Schemas['StreamReady'] & { resumed: true };
/** Every message of the stream after its first `{"type":"ready"}`. */
export type MediavaultEvent =
  | UploadEvent
  | PreviewEvent
  | JobEvent
  | CommentEvent
  | ApprovalEvent
  | ShareEvent
  | WatermarkEvent
  | ResumedEvent;

export interface EventFilter {
  sha256?: string;
  uploadId?: string;
  projectId?: string;
  /** Events of one asset: its uploads, comments and approvals. */
  assetId?: string;
}

export interface EventStream {
  /** Resolves true once the api listens for this stream; false when it cannot be opened, ends, or `ms` pass first. */
  whenLive(ms: number): Promise<boolean>;
  /** The api listens for this stream, and it has not ended since. */
  readonly isLive: boolean;
  /** Messages received so far (besides `ready`). */
  readonly received: number;
  /** Resolves when more than `count` messages were received, the stream ended, or `ms` passed. */
  after(count: number, ms: number): Promise<void>;
  close(): void;
}

export function openEventStream(
  client: MediavaultClient,
  filter: EventFilter,
  options: { onEvent?: (event: MediavaultEvent) => void } = {},
): EventStream {
  let received = 0;
  let ended = false;
  let ready = false;
  const waiters = new Set<() => void>();
  const wakeAll = () => {
    for (const wake of [...waiters]) wake();
  };
  let setLive!: (live: boolean) => void;
  const live = new Promise<boolean>((resolve) => (setLive = resolve));
  const end = () => {
    ended = true;
    setLive(false);
    wakeAll();
  };
  let socket: WebSocket | null = null;
  try {
    const url = new URL(`${client.baseUrl}/api/events`);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    for (const [name, value] of Object.entries(filter)) if (value) url.searchParams.set(name, value);
    socket = new WebSocket(url, { headers: client.authHeaders() });
    socket.addEventListener('message', (message) => {
      if (/^\{"type":"ready"\}$/.test(String(message.data))) {
        ready = true;
        return setLive(true);
      }
      received++;
      if (options.onEvent) options.onEvent(JSON.parse(String(message.data)) as MediavaultEvent);
      wakeAll();
    });
    socket.addEventListener('close', end);
    socket.addEventListener('error', end);
  } catch {
    end();
  }
  return {
    whenLive: async (ms) => {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
      try {
        return await Promise.race([live, late]);
      } finally {
        clearTimeout(timer);
      }
    },
    get isLive() {
      return ready && !ended;
    },
    get received() {
      return received;
    },
    after: (count, ms) =>
      new Promise<void>((resolve) => {
        if (received > count || ended) return resolve();
        const timer = setTimeout(done, ms);
        function done() {
          clearTimeout(timer);
          waiters.delete(done);
          resolve();
        }
        waiters.add(done);
      }),
    close: () => {
      ended = true;
      wakeAll();
      socket?.close();
    },
  };
}
