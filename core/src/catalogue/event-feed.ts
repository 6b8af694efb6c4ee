/**
 * The catalogue's change feed: triggers (migration 0002) publish every status change of
 * uploads, previews and jobs on one channel, whoever wrote it; each api process LISTENs
 * once and fans the events out to its WebSocket subscribers.
 */
import pg from 'pg';

/** What the database triggers publish on the mediavault_events channel (migrations 0002, 0006). */
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
  /** Internal (migration 0006): a token was revoked; the api closes its WebSockets and forwards nothing. */
  | { type: 'token'; id: string; revoked: true };

export const eventsChannel = 'mediavault_events';

type Listener = (event: CatalogueEvent) => void;

/**
 * One LISTEN connection per api process, fanned out to every subscriber. The
 * connection is re-established after an error; events published while it was
 * down are lost, which subscribers tolerate by re-reading state on reconnect.
 */
export class EventHub {
  readonly #databaseUrl: string;
  readonly #listeners = new Set<Listener>();
  #client: pg.Client | null = null;
  #closed = false;
  #connecting: Promise<void> | null = null;

  constructor(databaseUrl: string) {
    this.#databaseUrl = databaseUrl;
  }

  subscribe(listener: Listener): () => void {
    this.#listeners.add(listener);
    void this.#ensureConnected();
    return () => this.#listeners.delete(listener);
  }

  async #ensureConnected(): Promise<void> {
    if (this.#client || this.#closed) return;
    this.#connecting ??= (async () => {
      const client = new pg.Client({ connectionString: this.#databaseUrl });
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
      client.on('error', () => {
        this.#client = null;
        client.end().catch(() => {});
        if (!this.#closed && this.#listeners.size > 0) setTimeout(() => void this.#ensureConnected(), 1000).unref();
      });
      await client.connect();
      await client.query(`LISTEN ${eventsChannel}`);
      this.#client = client;
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
    await this.#client?.end().catch(() => {});
    this.#client = null;
  }
}
