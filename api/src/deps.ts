import type { PgBoss } from 'pg-boss';
import type { Config } from '@mediavault/core/config';
import type { Pool } from '@mediavault/core/db/pool';
import type { Storage, StorageRole } from '@mediavault/core/storage/types';
import type { EventHub } from './services/events.ts';
import type { Caller } from './services/access.ts';

/** What the api's services work with; built once per process by startApi (api/src/process.ts). */
export interface ApiDeps {
  config: Config;
  pool: Pool;
  /** pg-boss, started by the caller; the api only sends and re-prioritises. */
  boss: Pick<PgBoss, 'send' | 'insert' | 'update'>;
  storages: Record<StorageRole, Storage>;
  /** LISTEN/NOTIFY fan-out for /api/events; closed with the app. */
  events: EventHub;
  /** Base URLs as clients reach them (presigned fs URLs, player and edge links). */
  urls: { api: string; edge: string };
  /** Request logs (secrets redacted); a stream instead of stdout where given (tests). */
  logger?: false | { level: string; stream?: NodeJS.WritableStream };
}

/** Who asks, and the request id every activity row and job carries. */
export interface RequestContext {
  caller: Caller;
  requestId: string;
}
