/**
 * Approvals: every SQL statement about `version_approvals`, one decision per version (approved
 * or changes requested) with who took it and when; no row is no decision. A trigger
 * (migration 0009) publishes every change on the events channel.
 */
import type { Queryable } from '../db/pool.ts';
import type { ApprovalStatus } from '../review.ts';

export interface ApprovalRecord {
  versionId: string;
  status: ApprovalStatus;
  decidedBy: { userId: string; name: string };
  decidedAt: Date;
}

const selectApproval = `
  SELECT a.version_id AS "versionId", a.status, json_build_object('userId', a.user_id, 'name', u.name) AS "decidedBy",
         a.decided_at AS "decidedAt"
    FROM version_approvals a JOIN users u ON u.id = a.user_id`;

export async function findApproval(db: Queryable, versionId: string): Promise<ApprovalRecord | null> {
  const { rows } = await db.query<ApprovalRecord>(`${selectApproval} WHERE a.version_id = $1`, [versionId]);
  return rows[0] ?? null;
}

/** The decisions on an asset's versions, by version id (versions without one are absent). */
export async function listAssetApprovals(db: Queryable, assetId: string): Promise<Map<string, ApprovalRecord>> {
  const { rows } = await db.query<ApprovalRecord>(
    `${selectApproval} WHERE a.version_id IN (SELECT id FROM versions WHERE asset_id = $1)`,
    [assetId],
  );
  return new Map(rows.map((r) => [r.versionId, r]));
}

/**
 * Records a decision (null clears it) and answers the one it replaced, or `unchanged` when the
 * version already stood so: the same decision again keeps who took it first, and when.
 */
export async function decideApproval(
  db: Queryable,
  versionId: string,
  status: ApprovalStatus | null,
  userId: string,
): Promise<{ unchanged: true } | { unchanged: false; previous: ApprovalStatus | null }> {
  // The row is locked while it is replaced, so concurrent decisions each see the one before theirs.
  const { rows: current } = await db.query<{ status: ApprovalStatus }>(
    'SELECT status FROM version_approvals WHERE version_id = $1 FOR UPDATE',
    [versionId],
  );
  const previous = current[0]?.status ?? null;
  if (previous === status) return { unchanged: true };
  if (status === null) {
    await db.query('DELETE FROM version_approvals WHERE version_id = $1', [versionId]);
  } else {
    await db.query(
      `INSERT INTO version_approvals (version_id, status, user_id) VALUES ($1, $2, $3)
       ON CONFLICT (version_id) DO UPDATE SET status = EXCLUDED.status, user_id = EXCLUDED.user_id, decided_at = now()`,
      [versionId, status, userId],
    );
  }
  return { unchanged: false, previous };
}
