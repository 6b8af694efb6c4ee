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
    [
      a.organizationId,
      a.actorUserId,
      a.action,
      a.subjectType,
      a.subjectId,
      a.projectId ?? null,
      a.requestId ?? null,
      a.data ?? {},
    ],
  );
}

/** Many activities in one statement (batch routes): one row each, same transaction as the change. */
export async function recordActivities(db: PoolClient | Pool, activities: ActivityInput[]): Promise<void> {
  if (activities.length === 0) return;
  await db.query(
    `INSERT INTO activities (organization_id, actor_user_id, action, subject_type, subject_id, project_id, request_id, data)
     SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::uuid[], $7::text[], $8::jsonb[])`,
    [
      activities.map((a) => a.organizationId),
      activities.map((a) => a.actorUserId),
      activities.map((a) => a.action),
      activities.map((a) => a.subjectType),
      activities.map((a) => a.subjectId),
      activities.map((a) => a.projectId ?? null),
      activities.map((a) => a.requestId ?? null),
      activities.map((a) => JSON.stringify(a.data ?? {})),
    ],
  );
}
