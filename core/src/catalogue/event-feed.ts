/**
 * The catalogue's change feed: triggers (migrations 0002, 0009) publish every status change of
 * uploads, previews and jobs, and every change of review comments and approvals, on one channel,
 * whoever wrote it; each api process LISTENs once and fans the events out to its WebSocket
 * subscribers.
 */
import pg from 'pg';
import { type Static, type TSchema, Type } from '@sinclair/typebox';
import { jobStates, previewStatuses, uploadStatuses, watermarkStatuses } from '../transitions.ts';
import { ShareEvent } from './share-audit-store.ts';

/*
 * The events as the api streams them (GET /api/events), one schema each: the OpenAPI document
 * lists them as components (the api registers them), so the SDK's event types are generated
 * from the same definitions as these.
 */
const Id = Type.String({ format: 'uuid', maxLength: 36 });
const orNull = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
const oneOf = <T extends readonly string[]>(values: T) => Type.Union(values.map((v) => Type.Literal(v)));
/** A failure as recorded for clients: a message without server paths. */
const ErrorText = orNull(Type.String({ maxLength: 4096 }));
const Sha256 = Type.String({ pattern: '^[0-9a-f]{64}$', maxLength: 64 });

export const UploadEvent = Type.Object(
  {
    type: Type.Literal('upload'),
    id: Id,
    organizationId: Id,
    projectId: Id,
    status: oneOf(uploadStatuses),
    assetId: orNull(Id),
    versionId: orNull(Id),
    error: ErrorText,
  },
  { $id: 'UploadEvent', description: 'An upload changed status (migration 0002)' },
);

export const PreviewEvent = Type.Object(
  {
    type: Type.Literal('preview'),
    sha256: Sha256,
    profile: Type.String({ maxLength: 64 }),
    status: oneOf(previewStatuses),
    error: ErrorText,
  },
  { $id: 'PreviewEvent', description: 'A preview set of content the caller may read changed status' },
);

export const JobEvent = Type.Object(
  {
    type: Type.Literal('job'),
    id: Id,
    organizationId: orNull(Id),
    kind: Type.String({ maxLength: 64 }),
    subject: Type.String({ maxLength: 200, description: 'what the job works on: an upload id, sha256:profile, …' }),
    state: oneOf(jobStates),
    attempts: Type.Integer({ minimum: 0, maximum: 2 ** 31 - 1, format: 'int32' }),
  },
  { $id: 'JobEvent', description: 'A background job run changed state (organization admins only)' },
);

export const commentChanges = ['created', 'updated', 'resolved', 'reopened', 'deleted'] as const;
export type CommentChange = (typeof commentChanges)[number];

export const CommentEvent = Type.Object(
  {
    type: Type.Literal('comment'),
    action: oneOf(commentChanges),
    id: Id,
    assetId: Id,
    versionId: Id,
    projectId: Id,
    organizationId: Id,
    internal: Type.Boolean({ description: 'team only: never sent to guests of a share link' }),
  },
  {
    $id: 'CommentEvent',
    description:
      'A review comment changed (migration 0009). No text: read it with getComment (a tombstone once deleted)',
  },
);

export const ApprovalEvent = Type.Object(
  {
    type: Type.Literal('approval'),
    assetId: Id,
    versionId: Id,
    projectId: Id,
    organizationId: Id,
    status: oneOf(['approved', 'changes_requested', 'none'] as const),
  },
  { $id: 'ApprovalEvent', description: "A version's approval was decided or cleared (migration 0009)" },
);

export const WatermarkEvent = Type.Object(
  {
    type: Type.Literal('watermark'),
    sha256: Sha256,
    key: Type.String({ pattern: '^[0-9a-f]{32}$', maxLength: 32, description: 'names the watermarked set' }),
    status: oneOf(watermarkStatuses),
    error: ErrorText,
  },
  {
    $id: 'WatermarkEvent',
    description:
      "A watermarked rendition set for share links changed state (migration 0011); for whoever may read the content. The watermark's text is not sent: it may name a viewer",
  },
);

export { ShareEvent };

export const StreamReady = Type.Object(
  { type: Type.Literal('ready'), resumed: Type.Optional(Type.Literal(true)) },
  {
    $id: 'StreamReady',
    description:
      'The stream listens: state read after the first one cannot miss a change. resumed: live again after the database was away; events of that time were missed, so re-read what you show',
  },
);

/** Every schema of the event stream, for the api to register (and the spec to list). */
export const streamEventSchemas = [
  UploadEvent,
  PreviewEvent,
  JobEvent,
  CommentEvent,
  ApprovalEvent,
  ShareEvent,
  WatermarkEvent,
  StreamReady,
];

/** What the database triggers publish on the mediavault_events channel (migrations 0002, 0006, 0009, 0011, 0012). */
export type CatalogueEvent =
  | Static<typeof UploadEvent>
  | Static<typeof PreviewEvent>
  | Static<typeof JobEvent>
  | Static<typeof CommentEvent>
  | Static<typeof ApprovalEvent>
  | Static<typeof ShareEvent>
  | Static<typeof WatermarkEvent>
  /**
   * Internal (migrations 0006, 0010): a token was revoked or a review session signed out (its id);
   * the api closes the streams opened with it and forwards nothing.
   */
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
