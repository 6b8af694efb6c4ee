/**
 * The catalogue's change feed: triggers (migrations 0002, 0009) publish every status change of
 * uploads, previews and jobs, and every change of review comments and approvals, on one channel,
 * whoever wrote it; each api process LISTENs
 * once and fans the events out to its WebSocket subscribers.
 */
import pg from 'pg';

export const commentChanges = ['created', 'updated', 'resolved', 'reopened', 'deleted'] as const;
export type CommentChange = (typeof commentChanges)[number];

/** A review comment changed (migration 0009). No text: clients read the comment (getComment). */
export interface CommentEvent {
  type: 'comment';
  action: CommentChange;
  id: string;
  assetId: string;
  versionId: string;
  projectId: string;
  organizationId: string;
  /** Team-only comment: never sent to guests (issue 14). */
  internal: boolean;
}

/** A version's approval was decided or cleared (migration 0009). */
export interface ApprovalEvent {
  type: 'approval';
  assetId: string;
  versionId: string;
  projectId: string;
  organizationId: string;
  status: 'approved' | 'changes_requested' | 'none';
}

/** What the database triggers publish on the mediavault_events channel (migrations 0002, 0006, 0009). */
export type CatalogueEvent =
  | {
      type: 'upload';
      id: string;
      organizationId: string;
      projectId: string;
      status: string;
      assetId: string | null;
      versionId: string | null;
      error: string | null;
    }
  | { type: 'preview'; sha256: string; profile: string; status: string; error: string | null }
  | {
      type: 'job';
      id: string;
      organizationId: string | null;
      kind: string;
      subject: string;
      state: string;
      attempts: number;
    }
  | CommentEvent
  | ApprovalEvent
  /** Internal (migration 0006): a token was revoked; the api closes its WebSockets and forwards nothing. */
  | { type: 'token'; id: string; revoked: true };

export const eventsChannel = 'mediavault_events';

type Listener = (event: CatalogueEvent) => void;

/** Waits between attempts to listen again after the database went away: 0.5 s, doubling to 5 s. */
const RECONNECT_MS = { first: 500, most: 5000 };

/**
 * One LISTEN connection per api process, fanned out to every subscriber. When the database
 * goes away (a restart, a failover) the connection is opened again, with growing waits, for
 * as long as anyone listens; nothing is thrown at subscribers. Events published while it was
 * down are lost: `onResume` tells subscribers, who re-read the state they show.
 */
export class EventHub {
  readonly #databaseUrl: string;
  readonly #listeners = new Set<Listener>();
  readonly #resumeListeners = new Set<() => void>();
  #client: pg.Client | null = null;
  #closed = false;
  #connecting: Promise<void> | null = null;
  #retryTimer: NodeJS.Timeout | null = null;
  #retryMs = RECONNECT_MS.first;
  #lostConnection = false;
  readonly #onError: (err: Error) => void;

  constructor(databaseUrl: string, options: { onError?: (err: Error) => void } = {}) {
    this.#databaseUrl = databaseUrl;
    this.#onError = options.onError ?? (() => {});
  }

  subscribe(listener: Listener): () => void {
    this.#listeners.add(listener);
    this.#ensureConnected().catch(() => this.#scheduleReconnect());
    return () => this.#listeners.delete(listener);
  }

  /** Called each time the feed is listening again after losing its connection. */
  onResume(listener: () => void): () => void {
    this.#resumeListeners.add(listener);
    return () => this.#resumeListeners.delete(listener);
  }

  #scheduleReconnect(): void {
    if (this.#closed || this.#retryTimer || this.#listeners.size === 0) return;
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = null;
      this.#ensureConnected().catch(() => this.#scheduleReconnect());
    }, this.#retryMs);
    this.#retryTimer.unref();
    this.#retryMs = Math.min(RECONNECT_MS.most, this.#retryMs * 2);
  }

  #connectionLost(client: pg.Client, err?: Error): void {
    if (this.#client === client) this.#client = null;
    client.end().catch(() => {});
    if (this.#closed) return;
    if (err) this.#onError(err);
    this.#lostConnection = true;
    this.#scheduleReconnect();
  }

  async #ensureConnected(): Promise<void> {
    if (this.#client || this.#closed) return;
    this.#connecting ??= (async () => {
      const client = new pg.Client({ connectionString: this.#databaseUrl, connectionTimeoutMillis: 5000 });
      client.on('notification', (msg) => {
        if (msg.channel !== eventsChannel || !msg.payload) return;
        let event: CatalogueEvent;
        try {
          event = JSON.parse(msg.payload) as CatalogueEvent;
        } catch {
          return;
        }
        for (const listener of this.#listeners) listener(event);
      });
      client.on('error', (err) => this.#connectionLost(client, err));
      client.on('end', () => this.#connectionLost(client));
      try {
        await client.connect();
        await client.query(`LISTEN ${eventsChannel}`);
      } catch (err) {
        client.end().catch(() => {});
        throw err;
      }
      if (this.#closed) {
        await client.end().catch(() => {});
        return;
      }
      this.#client = client;
      this.#retryMs = RECONNECT_MS.first;
      if (this.#lostConnection) {
        this.#lostConnection = false;
        for (const listener of this.#resumeListeners) listener();
      }
    })().finally(() => {
      this.#connecting = null;
    });
    return this.#connecting;
  }

  /** Resolves once the LISTEN connection is up (tests wait on it instead of sleeping). */
  ready(): Promise<void> {
    return this.#ensureConnected();
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#listeners.clear();
    this.#resumeListeners.clear();
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    await this.#client?.end().catch(() => {});
    this.#client = null;
  }
}
