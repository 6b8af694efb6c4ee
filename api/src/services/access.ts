import type { Pool, PoolClient } from '@mediavault/core/db/pool';
import { errors } from '@mediavault/core/errors';
import { can, effectiveRole, type Action, type ProjectRole } from '@mediavault/core/roles';

export interface Caller {
  userId: string;
  organizationId: string;
  isOrgAdmin: boolean;
  tokenId: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The caller's role in a project of their organization. A project of another
 * organization, or one the caller holds no role in, is "not found": its
 * existence is not revealed.
 */
export async function projectRole(db: Pool | PoolClient, caller: Caller, projectId: string): Promise<ProjectRole> {
  if (!UUID.test(projectId)) throw errors.notFound('project');
  const { rows } = await db.query<{ role: ProjectRole | null }>(
    `SELECT m.role FROM projects p
       LEFT JOIN memberships m ON m.project_id = p.id AND m.user_id = $3
      WHERE p.id = $1 AND p.organization_id = $2`,
    [projectId, caller.organizationId, caller.userId],
  );
  if (rows.length === 0) throw errors.notFound('project');
  const role = effectiveRole(caller, rows[0]!.role);
  if (!role) throw errors.notFound('project');
  return role;
}

/** Resolves the role and refuses (403) when it does not allow the action. */
export async function authorizeProject(
  db: Pool | PoolClient,
  caller: Caller,
  projectId: string,
  action: Action,
): Promise<ProjectRole> {
  const role = await projectRole(db, caller, projectId);
  if (!can(role, action)) throw errors.forbidden(`the ${role} role cannot ${action.replace('.', ' ')} in this project`);
  return role;
}

/** Loads an asset of the caller's organization and checks the action on its project. */
export async function authorizeAsset(
  db: Pool | PoolClient,
  caller: Caller,
  assetId: string,
  action: Action,
): Promise<{ projectId: string; role: ProjectRole }> {
  if (!UUID.test(assetId)) throw errors.notFound('asset');
  const { rows } = await db.query<{ project_id: string }>(
    'SELECT project_id FROM assets WHERE id = $1 AND organization_id = $2',
    [assetId, caller.organizationId],
  );
  if (rows.length === 0) throw errors.notFound('asset');
  const projectId = rows[0]!.project_id;
  let role: ProjectRole;
  try {
    role = await projectRole(db, caller, projectId);
  } catch {
    throw errors.notFound('asset');
  }
  if (!can(role, action)) throw errors.forbidden(`the ${role} role cannot ${action.replace('.', ' ')} in this project`);
  return { projectId, role };
}

/**
 * Projects in which the caller may do the action with a version of this sha256:
 * used where the request names content by hash (preview), not by asset.
 */
export async function authorizeSha(
  db: Pool | PoolClient,
  caller: Caller,
  sha256: string,
  action: Action,
): Promise<void> {
  const { rows } = await db.query<{ project_id: string }>(
    `SELECT DISTINCT a.project_id FROM versions v JOIN assets a ON a.id = v.asset_id
      WHERE v.sha256 = $1 AND a.organization_id = $2`,
    [sha256, caller.organizationId],
  );
  if (rows.length === 0) throw errors.notFound('version with this sha256');
  let sawRole = false;
  for (const row of rows) {
    try {
      const role = await projectRole(db, caller, row.project_id);
      sawRole = true;
      if (can(role, action)) return;
    } catch {
      // no role in that project: try the next one
    }
  }
  if (!sawRole) throw errors.notFound('version with this sha256');
  throw errors.forbidden(`your role cannot ${action.replace('.', ' ')} for this content`);
}

export function requireOrgAdmin(caller: Caller): void {
  if (!caller.isOrgAdmin) throw errors.forbidden('only organization admins can do this');
}
