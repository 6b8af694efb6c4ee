/**
 * Live updates from other reviewers: the api's event stream (`/api/events?assetId=`, a WebSocket
 * the review session's cookie opens) says which comment or approval changed; the page reads it
 * again. Each `ready` (the first, one after a reconnection, or `resumed` after the api missed
 * events) makes the page read everything again: nothing is lost, only late.
 */

export type ReviewEvent =
  | {
      type: 'comment';
      action: 'created' | 'updated' | 'resolved' | 'reopened' | 'deleted';
      id: string;
      assetId: string;
      versionId: string;
    }
  | { type: 'approval'; assetId: string; versionId: string; status: string };

export interface LiveHandlers {
  onEvent(event: ReviewEvent): void;
  /** The stream is live (again) after a gap: re-read what is shown. */
  onResync(): void;
  /** Whether the stream is live, for the page to say so. */
  onStatus(live: boolean): void;
}

/** Listens for `assetId`'s events until the page goes away; reconnects with a growing pause. */
export function followAsset(assetId: string, handlers: LiveHandlers): { close(): void } {
  let socket: WebSocket | null = null;
  let closed = false;
  let pause = 500;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const open = () => {
    const url = new URL('/api/events', location.href);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    url.searchParams.set('assetId', assetId);
    const current = new WebSocket(url);
    socket = current;
    current.addEventListener('message', (message) => {
      let event: { type?: string; resumed?: boolean; assetId?: string };
      try {
        event = JSON.parse(String(message.data));
      } catch {
        return;
      }
      if (event.type === 'ready') {
        pause = 500;
        handlers.onStatus(true);
        // Read after 'ready', the state cannot miss a change: later ones arrive as events.
        handlers.onResync();
        return;
      }
      if ((event.type === 'comment' || event.type === 'approval') && event.assetId === assetId) {
        handlers.onEvent(event as ReviewEvent);
      }
    });
    current.addEventListener('close', () => {
      if (socket !== current) return;
      handlers.onStatus(false);
      if (closed) return;
      timer = setTimeout(open, pause);
      pause = Math.min(pause * 2, 30_000);
    });
  };
  open();
  return {
    close() {
      closed = true;
      clearTimeout(timer);
      socket?.close();
    },
  };
}
