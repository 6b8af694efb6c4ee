/**
 * The audit trail of share links (migration 0012, `share_audit`): every change a member makes
 * and everything a guest does, with time, asset, version, client address and user agent. Rows
 * are only ever added; each is published as a `share` event by the table's trigger.
 */
import { Type, type Static } from '@sinclair/typebox';
import type { Queryable } from '../db/pool.ts';
import { selectColumns } from './columns.ts';

export const shareAuditEvents = [
  'create',
  'update',
  'revoke',
  'open',
  'password_failed',
  'password_throttled',
  'play',
  'download',
  'comment',
] as const;
export type ShareAuditEvent = (typeof shareAuditEvents)[number];

/**
 * The event the trigger publishes for every audit row (GET /api/events, for members who may
 * read the share's project). No address, agent or name travels: read the row with listShareAudit.
 */
export const ShareEvent = Type.Object(
  {
    type: Type.Literal('share'),
    event: Type.Union(shareAuditEvents.map((e) => Type.Literal(e))),
    id: Type.Integer({
      minimum: 1,
      maximum: Number.MAX_SAFE_INTEGER,
      format: 'int64',
      description: "the audit row's id",
    }),
    shareId: Type.String({ format: 'uuid', maxLength: 36 }),
    projectId: Type.String({ format: 'uuid', maxLength: 36 }),
    organizationId: Type.String({ format: 'uuid', maxLength: 36 }),
    assetId: Type.Union([Type.String({ format: 'uuid', maxLength: 36 }), Type.Null()]),
    versionId: Type.Union([Type.String({ format: 'uuid', maxLength: 36 }), Type.Null()]),
    at: Type.String({ format: 'date-time', maxLength: 40 }),
  },
  { $id: 'ShareEvent', description: 'Something happened with a share link (migration 0012): its audit trail, live' },
);
export type ShareEventMessage = Static<typeof ShareEvent>;

export interface ShareAuditEntry {
  shareId: string;
  organizationId: string;
  projectId: string;
  event: ShareAuditEvent;
  actorUserId?: string | null;
  sessionId?: string | null;
  guestName?: string | null;
  assetId?: string | null;
  versionId?: string | null;
  clientAddress?: string | null;
  userAgent?: string | null;
  details?: Record<string, unknown>;
}

export async function recordShareAudit(db: Queryable, entry: ShareAuditEntry): Promise<void> {
  await db.query(
    `INSERT INTO share_audit (share_id, organization_id, project_id, event, actor_user_id, session_id, guest_name,
                              asset_id, version_id, client_address, user_agent, details)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
    [
      entry.shareId,
      entry.organizationId,
      entry.projectId,
      entry.event,
      entry.actorUserId ?? null,
      entry.sessionId ?? null,
      entry.guestName ?? null,
      entry.assetId ?? null,
      entry.versionId ?? null,
      entry.clientAddress ?? null,
      entry.userAgent ?? null,
      entry.details ?? {},
    ],
  );
}

/** Wrong passwords of a share within the last `windowSeconds`: all of them, and those from one address. */
export async function countPasswordFailures(
  db: Queryable,
  shareId: string,
  clientAddress: string,
  windowSeconds: number,
): Promise<{
  perShare: { count: number; lastAt: Date | null };
  perAddress: { count: number; lastAt: Date | null };
}> {
  const { rows } = await db.query<{
    shareCount: number;
    shareLast: Date | null;
    addrCount: number;
    addrLast: Date | null;
  }>(
    `SELECT count(*)::int AS "shareCount", max(at) AS "shareLast",
            (count(*) FILTER (WHERE client_address = $2))::int AS "addrCount",
            max(at) FILTER (WHERE client_address = $2) AS "addrLast"
       FROM share_audit
      WHERE share_id = $1 AND event = 'password_failed' AND at > now() - make_interval(secs => $3)`,
    [shareId, clientAddress, windowSeconds],
  );
  const row = rows[0]!;
  return {
    perShare: { count: row.shareCount, lastAt: row.shareLast },
    perAddress: { count: row.addrCount, lastAt: row.addrLast },
  };
}

/** Whether this session already started playing this version (a renewal is no new play). */
export async function hasPlayed(db: Queryable, sessionId: string, versionId: string): Promise<boolean> {
  const { rowCount } = await db.query(
    `SELECT 1 FROM share_audit WHERE session_id = $1 AND version_id = $2 AND event = 'play' LIMIT 1`,
    [sessionId, versionId],
  );
  return (rowCount ?? 0) > 0;
}

export interface ShareAuditRecord {
  id: number;
  at: Date;
  event: ShareAuditEvent;
  actor: { userId: string; name: string } | null;
  sessionId: string | null;
  guestName: string | null;
  assetId: string | null;
  assetName: string | null;
  versionId: string | null;
  versionNumber: number | null;
  clientAddress: string | null;
  userAgent: string | null;
  details: Record<string, unknown>;
}

const auditColumns = `${selectColumns<Omit<ShareAuditRecord, 'actor' | 'assetName' | 'versionNumber' | 'id'>>(
  {
    at: 'at',
    event: 'event',
    sessionId: 'session_id',
    guestName: 'guest_name',
    assetId: 'asset_id',
    versionId: 'version_id',
    clientAddress: 'client_address',
    userAgent: 'user_agent',
    details: 'details',
  },
  'e',
)}, e.id::int AS id,
  CASE WHEN e.actor_user_id IS NULL THEN NULL ELSE json_build_object('userId', e.actor_user_id, 'name', u.name) END AS actor,
  a.name AS "assetName", v.number AS "versionNumber"`;

/** A page of a share's audit trail in the order it happened, after the row `afterId`. */
export async function listShareAudit(
  db: Queryable,
  shareId: string,
  page: { afterId: number | null; limit: number },
): Promise<{ items: ShareAuditRecord[]; nextAfterId: number | null }> {
  const { rows } = await db.query<ShareAuditRecord>(
    `SELECT ${auditColumns}
       FROM share_audit e LEFT JOIN users u ON u.id = e.actor_user_id
       LEFT JOIN assets a ON a.id = e.asset_id LEFT JOIN versions v ON v.id = e.version_id
      WHERE e.share_id = $1 AND ($2::bigint IS NULL OR e.id > $2)
      ORDER BY e.id LIMIT $3`,
    [shareId, page.afterId, page.limit + 1],
  );
  const items = rows.slice(0, page.limit);
  return { items, nextAfterId: rows.length > page.limit ? items[items.length - 1]!.id : null };
}
