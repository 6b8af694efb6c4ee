/** Clients, projects and project memberships (who holds which role where). */
import type { Queryable } from '../db/pool.ts';
import type { ProjectRole } from '../roles.ts';

export interface ClientRecord {
  id: string;
  name: string;
  createdAt: Date;
}

export interface ProjectRecord {
  id: string;
  clientId: string;
  name: string;
  createdAt: Date;
}

export interface MemberRecord {
  userId: string;
  email: string;
  name: string;
  role: ProjectRole;
}

/** The new client, or null when the organization already has a client of that name. */
export async function insertClient(db: Queryable, organizationId: string, name: string): Promise<ClientRecord | null> {
  const { rows } = await db.query<{ id: string; name: string; created_at: Date }>(
    `INSERT INTO clients (organization_id, name) VALUES ($1, $2)
     ON CONFLICT (organization_id, name) DO NOTHING RETURNING id, name, created_at`,
    [organizationId, name],
  );
  const row = rows[0];
  return row ? { id: row.id, name: row.name, createdAt: row.created_at } : null;
}

export async function listClients(db: Queryable, organizationId: string): Promise<ClientRecord[]> {
  const { rows } = await db.query<{ id: string; name: string; created_at: Date }>(
    'SELECT id, name, created_at FROM clients WHERE organization_id = $1 ORDER BY name',
    [organizationId],
  );
  return rows.map((r) => ({ id: r.id, name: r.name, createdAt: r.created_at }));
}

export async function clientExists(db: Queryable, organizationId: string, clientId: string): Promise<boolean> {
  const { rowCount } = await db.query('SELECT 1 FROM clients WHERE id = $1 AND organization_id = $2', [
    clientId,
    organizationId,
  ]);
  return (rowCount ?? 0) > 0;
}

/** The new project, or null when the client already has a project of that name. */
export async function insertProject(
  db: Queryable,
  organizationId: string,
  clientId: string,
  name: string,
): Promise<ProjectRecord | null> {
  const { rows } = await db.query<{ id: string; client_id: string; name: string; created_at: Date }>(
    `INSERT INTO projects (organization_id, client_id, name) VALUES ($1, $2, $3)
     ON CONFLICT (client_id, name) DO NOTHING RETURNING id, client_id, name, created_at`,
    [organizationId, clientId, name],
  );
  const row = rows[0];
  return row ? { id: row.id, clientId: row.client_id, name: row.name, createdAt: row.created_at } : null;
}

export async function findProject(db: Queryable, projectId: string): Promise<ProjectRecord | null> {
  const { rows } = await db.query<{ id: string; client_id: string; name: string; created_at: Date }>(
    'SELECT id, client_id, name, created_at FROM projects WHERE id = $1',
    [projectId],
  );
  const row = rows[0];
  return row ? { id: row.id, clientId: row.client_id, name: row.name, createdAt: row.created_at } : null;
}

/**
 * Projects of the organization with the user's role in each: all of them (as admin) for an
 * organization admin, otherwise those the user is a member of. Oldest first.
 */
export async function listProjectsWithRole(
  db: Queryable,
  caller: { organizationId: string; userId: string; isOrgAdmin: boolean },
): Promise<(ProjectRecord & { role: ProjectRole })[]> {
  const { rows } = await db.query<{
    id: string;
    client_id: string;
    name: string;
    created_at: Date;
    role: ProjectRole;
  }>(
    `SELECT p.id, p.client_id, p.name, p.created_at, CASE WHEN $3 THEN 'admin' ELSE m.role END AS role
       FROM projects p LEFT JOIN memberships m ON m.project_id = p.id AND m.user_id = $2
      WHERE p.organization_id = $1 AND ($3 OR m.role IS NOT NULL)
      ORDER BY p.created_at`,
    [caller.organizationId, caller.userId, caller.isOrgAdmin],
  );
  return rows.map((r) => ({ id: r.id, clientId: r.client_id, name: r.name, createdAt: r.created_at, role: r.role }));
}

/**
 * Whether the project exists in the organization, and the user's membership role in it
 * (null: none). Null when there is no such project in the organization.
 */
export async function findMembershipRole(
  db: Queryable,
  organizationId: string,
  userId: string,
  projectId: string,
): Promise<{ role: ProjectRole | null } | null> {
  const { rows } = await db.query<{ role: ProjectRole | null }>(
    `SELECT m.role FROM projects p
       LEFT JOIN memberships m ON m.project_id = p.id AND m.user_id = $3
      WHERE p.id = $1 AND p.organization_id = $2`,
    [projectId, organizationId, userId],
  );
  return rows[0] ?? null;
}

export async function listMembers(db: Queryable, projectId: string): Promise<MemberRecord[]> {
  const { rows } = await db.query<{ id: string; email: string; name: string; role: ProjectRole }>(
    'SELECT u.id, u.email, u.name, m.role FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.project_id = $1 ORDER BY u.email',
    [projectId],
  );
  return rows.map((r) => ({ userId: r.id, email: r.email, name: r.name, role: r.role }));
}

/** Gives the user the role in the project (replacing a role they held). */
export async function upsertMembership(
  db: Queryable,
  projectId: string,
  userId: string,
  role: ProjectRole,
): Promise<void> {
  await db.query(
    `INSERT INTO memberships (project_id, user_id, role) VALUES ($1, $2, $3)
     ON CONFLICT (project_id, user_id) DO UPDATE SET role = EXCLUDED.role`,
    [projectId, userId, role],
  );
}
