/**
 * Who may do what: the caller's role in a project, checked at every boundary. Another
 * tenant's ids, and projects the caller holds no role in, answer "not found" (their
 * existence is not revealed); a role that does not allow the action answers 403.
 */
import type { Queryable } from '@mediavault/core/db/pool';
import { errors } from '@mediavault/core/errors';
import { can, effectiveRole, type Action, type ProjectRole } from '@mediavault/core/roles';
import { findMembershipRole, listProjectsWithRole } from '@mediavault/core/catalogue/projects-store';
import { findAssetProjectId, findProjectsHoldingSha } from '@mediavault/core/catalogue/assets-store';

export interface Caller {
  userId: string;
  organizationId: string;
  isOrgAdmin: boolean;
  /** The API token's id, or the review session's (rate limits and stream closing key on it). */
  tokenId: string;
  /** How the caller proved who they are: an API token, or a browser's review session cookie. */
  credential: 'token' | 'review-session';
}

/** Minting long-lived credentials takes a token: a browser session (12 h) must not outlive itself. */
export function requireTokenCredential(caller: Caller): void {
  if (caller.credential !== 'token')
    throw errors.forbidden('a review session cannot create API tokens; use an API token (mediavault login)');
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The caller's role in a project of their organization; 404 when they hold none. */
export async function projectRole(db: Queryable, caller: Caller, projectId: string): Promise<ProjectRole> {
  if (!UUID.test(projectId)) throw errors.notFound('project');
  const found = await findMembershipRole(db, caller.organizationId, caller.userId, projectId);
  const role = found ? effectiveRole(caller, found.role) : null;
  if (!role) throw errors.notFound('project');
  return role;
}

function refuse(role: ProjectRole, action: Action): never {
  throw errors.forbidden(`the ${role} role cannot ${action.replace('.', ' ')} in this project`);
}

/**
 * Resolves the role and refuses (403) when it does not allow the action. `what` names the
 * resource a 404 speaks of (an upload is "not found", not its project).
 */
export async function authorizeProject(
  db: Queryable,
  caller: Caller,
  projectId: string,
  action: Action,
  what = 'project',
): Promise<ProjectRole> {
  let role: ProjectRole;
  try {
    role = await projectRole(db, caller, projectId);
  } catch (err) {
    if (what !== 'project') throw errors.notFound(what);
    throw err;
  }
  if (!can(role, action)) refuse(role, action);
  return role;
}

/** Loads an asset of the caller's organization and checks the action on its project. */
export async function authorizeAsset(
  db: Queryable,
  caller: Caller,
  assetId: string,
  action: Action,
): Promise<{ projectId: string; role: ProjectRole }> {
  if (!UUID.test(assetId)) throw errors.notFound('asset');
  const projectId = await findAssetProjectId(db, caller.organizationId, assetId);
  if (!projectId) throw errors.notFound('asset');
  const role = await authorizeProject(db, caller, projectId, action, 'asset');
  return { projectId, role };
}

/**
 * Content named by sha256 (not by asset): allowed when the caller may do the action in
 * one of the projects holding a version of those bytes.
 */
export async function authorizeSha(db: Queryable, caller: Caller, sha256: string, action: Action): Promise<void> {
  let sawRole = false;
  for (const projectId of await findProjectsHoldingSha(db, caller.organizationId, sha256)) {
    const role = await projectRole(db, caller, projectId).catch(() => null);
    if (!role) continue;
    sawRole = true;
    if (can(role, action)) return;
  }
  if (!sawRole) throw errors.notFound('version with this sha256');
  throw errors.forbidden(`your role cannot ${action.replace('.', ' ')} for this content`);
}

/**
 * The projects whose content the caller may read. Content named by sha256 (dedup, previews)
 * is looked up only there: a hash the caller holds no readable copy of is unknown to them.
 */
export async function readableProjectIds(db: Queryable, caller: Caller): Promise<string[]> {
  return (await listProjectsWithRole(db, caller)).filter((p) => can(p.role, 'asset.read')).map((p) => p.id);
}

/** Whether the caller may read content of this sha256 in some project (event scoping). */
export async function readsSha(db: Queryable, caller: Caller, sha256: string): Promise<boolean> {
  return authorizeSha(db, caller, sha256, 'asset.read').then(
    () => true,
    () => false,
  );
}

export function requireOrgAdmin(caller: Caller): void {
  if (!caller.isOrgAdmin) throw errors.forbidden('only organization admins can do this');
}
