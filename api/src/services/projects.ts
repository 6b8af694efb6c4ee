/** Clients, projects and who holds which role in them. */
import { withTransaction } from '@mediavault/core/db/pool';
import { errors } from '@mediavault/core/errors';
import type { ProjectRole } from '@mediavault/core/roles';
import { recordActivity } from '@mediavault/core/catalogue/activity';
import { findOrgUser } from '@mediavault/core/catalogue/organizations-store';
import {
  clientExists,
  findProject,
  insertClient,
  insertProject,
  listClients,
  listMembers,
  listProjectsWithRole,
  upsertMembership,
  type ClientRecord,
  type MemberRecord,
  type ProjectRecord,
} from '@mediavault/core/catalogue/projects-store';
import type { ApiDeps, RequestContext } from '../deps.ts';
import { authorizeProject, projectRole, requireOrgAdmin } from './access.ts';

export async function createClient(
  { pool }: ApiDeps,
  { caller, requestId }: RequestContext,
  name: string,
): Promise<ClientRecord> {
  requireOrgAdmin(caller);
  return withTransaction(pool, async (db) => {
    const client = await insertClient(db, caller.organizationId, name.normalize('NFC'));
    if (!client) throw errors.alreadyExists(`a client named ${name} already exists`);
    await recordActivity(db, {
      organizationId: caller.organizationId,
      actorUserId: caller.userId,
      action: 'client.create',
      subjectType: 'client',
      subjectId: client.id,
      requestId,
    });
    return client;
  });
}

export function listOrganizationClients({ pool }: ApiDeps, { caller }: RequestContext): Promise<ClientRecord[]> {
  return listClients(pool, caller.organizationId);
}

export async function createProject(
  { pool }: ApiDeps,
  { caller, requestId }: RequestContext,
  input: { clientId: string; name: string },
): Promise<ProjectRecord & { role: ProjectRole }> {
  requireOrgAdmin(caller);
  return withTransaction(pool, async (db) => {
    if (!(await clientExists(db, caller.organizationId, input.clientId))) throw errors.notFound('client');
    const project = await insertProject(db, caller.organizationId, input.clientId, input.name.normalize('NFC'));
    if (!project) throw errors.alreadyExists(`the client already has a project named ${input.name}`);
    await recordActivity(db, {
      organizationId: caller.organizationId,
      actorUserId: caller.userId,
      action: 'project.create',
      subjectType: 'project',
      subjectId: project.id,
      projectId: project.id,
      requestId,
    });
    return { ...project, role: 'admin' as const };
  });
}

export function listCallerProjects(
  { pool }: ApiDeps,
  { caller }: RequestContext,
): Promise<(ProjectRecord & { role: ProjectRole })[]> {
  return listProjectsWithRole(pool, caller);
}

export async function getProject(
  { pool }: ApiDeps,
  { caller }: RequestContext,
  projectId: string,
): Promise<ProjectRecord & { role: ProjectRole }> {
  const role = await projectRole(pool, caller, projectId);
  const project = await findProject(pool, projectId);
  if (!project) throw errors.notFound('project');
  return { ...project, role };
}

export async function listProjectMembers(
  { pool }: ApiDeps,
  { caller }: RequestContext,
  projectId: string,
): Promise<MemberRecord[]> {
  await authorizeProject(pool, caller, projectId, 'project.read');
  return listMembers(pool, projectId);
}

export async function setProjectMember(
  { pool }: ApiDeps,
  { caller, requestId }: RequestContext,
  input: { projectId: string; userId: string; role: ProjectRole },
): Promise<MemberRecord> {
  const { projectId, userId, role } = input;
  return withTransaction(pool, async (db) => {
    await authorizeProject(db, caller, projectId, 'member.manage');
    const user = await findOrgUser(db, caller.organizationId, userId);
    if (!user) throw errors.notFound('user');
    await upsertMembership(db, projectId, userId, role);
    await recordActivity(db, {
      organizationId: caller.organizationId,
      actorUserId: caller.userId,
      action: 'member.set',
      subjectType: 'user',
      subjectId: userId,
      projectId,
      requestId,
      data: { role },
    });
    return { userId, email: user.email, name: user.name, role };
  });
}
