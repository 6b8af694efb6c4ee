import type { Pool, PoolClient } from '../db/pool.ts';

export interface ActivityInput {
  organizationId: string | null;
  actorUserId: string | null;
  action: string;
  subjectType: string;
  subjectId: string;
  projectId?: string | null;
  requestId?: string | null;
  data?: Record<string, unknown>;
}

/** Every mutation writes one activity row, in the same transaction as the change. */
export async function recordActivity(db: PoolClient | Pool, a: ActivityInput): Promise<void> {
  await db.query(
    `INSERT INTO activities (organization_id, actor_user_id, action, subject_type, subject_id, project_id, request_id, data)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
    [a.organizationId, a.actorUserId, a.action, a.subjectType, a.subjectId, a.projectId ?? null, a.requestId ?? null, a.data ?? {}],
  );
}
