import pg from 'pg';
import type { Pool } from '@mediavault/core/db/pool';
import { can } from '@mediavault/core/roles';
import { projectRole, type Caller } from './access.ts';

/** What the database triggers publish on the mediavault_events channel (migration 0002). */
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
    };

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

/**
 * Decides, per event, whether this caller may see it: the same rules as the
 * REST routes (project role for uploads, a readable version for a sha256,
 * organization admins for jobs). Answers are cached briefly per subscriber.
 */
export function eventScope(pool: Pool, caller: Caller) {
  const cache = new Map<string, { allowed: boolean; at: number }>();
  const cached = async (key: string, decide: () => Promise<boolean>) => {
    const hit = cache.get(key);
    if (hit && Date.now() - hit.at < 30_000) return hit.allowed;
    const allowed = await decide().catch(() => false);
    cache.set(key, { allowed, at: Date.now() });
    return allowed;
  };
  const readsProject = (projectId: string) =>
    cached(`p:${projectId}`, async () => can(await projectRole(pool, caller, projectId), 'asset.read'));
  const readsSha = (sha: string) =>
    cached(`s:${sha}`, async () => {
      const { rows } = await pool.query<{ project_id: string }>(
        'SELECT DISTINCT a.project_id FROM versions v JOIN assets a ON a.id = v.asset_id WHERE v.sha256 = $1 AND a.organization_id = $2',
        [sha, caller.organizationId],
      );
      for (const row of rows) if (await readsProject(row.project_id)) return true;
      return false;
    });

  return async (event: CatalogueEvent): Promise<boolean> => {
    switch (event.type) {
      case 'upload':
        return event.organizationId === caller.organizationId && (await readsProject(event.projectId));
      case 'preview':
        return readsSha(event.sha256);
      case 'job':
        if (event.organizationId) return event.organizationId === caller.organizationId && caller.isOrgAdmin;
        // preview jobs are keyed by sha256:profile and belong to every organization holding those bytes
        return caller.isOrgAdmin && /^[0-9a-f]{64}/.test(event.subject) && (await readsSha(event.subject.slice(0, 64)));
    }
  };
}
