/** Organizations and their users. */
import type { Queryable } from '../db/pool.ts';
import type { ProjectRole } from '../roles.ts';

export interface OrganizationRecord {
  id: string;
  name: string;
  createdAt: Date;
}

export interface UserRecord {
  id: string;
  email: string;
  name: string;
  isOrgAdmin: boolean;
  createdAt: Date;
}

interface UserRow {
  id: string;
  email: string;
  name: string;
  is_org_admin: boolean;
  created_at: Date;
}

const userColumns = 'id, email, name, is_org_admin, created_at';

function toUser(row: UserRow): UserRecord {
  return { id: row.id, email: row.email, name: row.name, isOrgAdmin: row.is_org_admin, createdAt: row.created_at };
}

export async function insertOrganization(db: Queryable, name: string): Promise<string> {
  const { rows } = await db.query<{ id: string }>('INSERT INTO organizations (name) VALUES ($1) RETURNING id', [name]);
  return rows[0]!.id;
}

export async function countOrganizations(db: Queryable): Promise<number> {
  const { rows } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM organizations');
  return rows[0]!.n;
}

export async function findOrganization(db: Queryable, organizationId: string): Promise<OrganizationRecord | null> {
  const { rows } = await db.query<{ id: string; name: string; created_at: Date }>(
    'SELECT id, name, created_at FROM organizations WHERE id = $1',
    [organizationId],
  );
  const row = rows[0];
  return row ? { id: row.id, name: row.name, createdAt: row.created_at } : null;
}

/** The new user, or null when the organization already has a user with that email (case-insensitive). */
export async function insertUser(
  db: Queryable,
  user: { organizationId: string; email: string; name: string; isOrgAdmin: boolean },
): Promise<UserRecord | null> {
  const { rows } = await db.query<UserRow>(
    `INSERT INTO users (organization_id, email, name, is_org_admin) VALUES ($1, lower($2), $3, $4)
     ON CONFLICT (organization_id, email) DO NOTHING RETURNING ${userColumns}`,
    [user.organizationId, user.email, user.name, user.isOrgAdmin],
  );
  return rows[0] ? toUser(rows[0]) : null;
}

/** A user of the organization, or null (another organization's user reads as unknown). */
export async function findOrgUser(db: Queryable, organizationId: string, userId: string): Promise<UserRecord | null> {
  const { rows } = await db.query<UserRow>(`SELECT ${userColumns} FROM users WHERE id = $1 AND organization_id = $2`, [
    userId,
    organizationId,
  ]);
  return rows[0] ? toUser(rows[0]) : null;
}

export async function listUsers(db: Queryable, organizationId: string): Promise<UserRecord[]> {
  const { rows } = await db.query<UserRow>(
    `SELECT ${userColumns} FROM users WHERE organization_id = $1 ORDER BY created_at`,
    [organizationId],
  );
  return rows.map(toUser);
}

/** The projects a user works in, with their role: every project (as admin) for an organization admin. */
export async function listUserMemberships(
  db: Queryable,
  user: { organizationId: string; userId: string; isOrgAdmin: boolean },
): Promise<{ projectId: string; projectName: string; role: ProjectRole }[]> {
  const { rows } = user.isOrgAdmin
    ? await db.query<{ project_id: string; name: string; role: ProjectRole }>(
        `SELECT p.id AS project_id, p.name, 'admin' AS role FROM projects p WHERE p.organization_id = $1 ORDER BY p.created_at`,
        [user.organizationId],
      )
    : await db.query<{ project_id: string; name: string; role: ProjectRole }>(
        `SELECT p.id AS project_id, p.name, m.role FROM memberships m JOIN projects p ON p.id = m.project_id
          WHERE m.user_id = $2 AND p.organization_id = $1 ORDER BY p.created_at`,
        [user.organizationId, user.userId],
      );
  return rows.map((r) => ({ projectId: r.project_id, projectName: r.name, role: r.role }));
}
