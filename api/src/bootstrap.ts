import { withTransaction, type Pool } from '@mediavault/core/db/pool';
import { recordActivity } from '@mediavault/core/catalogue/activity';
import { insertOrganization, insertUser } from '@mediavault/core/catalogue/organizations-store';
import { insertClient, insertProject, upsertMembership } from '@mediavault/core/catalogue/projects-store';
import { insertApiToken } from '@mediavault/core/catalogue/tokens-store';
import type { ProjectRole } from '@mediavault/core/roles';
import { generateToken } from './services/tokens.ts';

export interface BootstrapResult {
  organizationId: string;
  clientId: string;
  projectId: string;
  userId: string;
  /** Shown once: the admin's API token. */
  token: string;
}

/**
 * Creates an organization with a first client, project and organization-admin
 * user holding a new API token. Used by `mediavault dev` on an empty catalogue
 * and by tests; organizations are otherwise created by platform operators.
 */
export async function bootstrapOrganization(
  pool: Pool,
  input: {
    organization: string;
    client: string;
    project: string;
    adminEmail: string;
    adminName: string;
    tokenName?: string;
  },
): Promise<BootstrapResult> {
  return withTransaction(pool, async (db) => {
    const organizationId = await insertOrganization(db, input.organization);
    const user = await insertUser(db, {
      organizationId,
      email: input.adminEmail,
      name: input.adminName,
      isOrgAdmin: true,
    });
    const client = await insertClient(db, organizationId, input.client);
    const project = await insertProject(db, organizationId, client!.id, input.project);
    await upsertMembership(db, project!.id, user!.id, 'admin');
    const { token, hash, displayPrefix } = generateToken();
    await insertApiToken(db, {
      userId: user!.id,
      name: input.tokenName ?? 'bootstrap',
      hash,
      displayPrefix,
      expiresInDays: null,
    });
    await recordActivity(db, {
      organizationId,
      actorUserId: user!.id,
      action: 'organization.bootstrap',
      subjectType: 'organization',
      subjectId: organizationId,
      data: { project: input.project },
    });
    return { organizationId, clientId: client!.id, projectId: project!.id, userId: user!.id, token };
  });
}

/** A user of an organization with a role in one project and a token: tests and seeding. */
export async function createMemberWithToken(
  pool: Pool,
  input: { organizationId: string; projectId: string | null; email: string; role: ProjectRole | null },
): Promise<{ userId: string; token: string }> {
  return withTransaction(pool, async (db) => {
    const user = await insertUser(db, {
      organizationId: input.organizationId,
      email: input.email,
      name: input.email,
      isOrgAdmin: false,
    });
    if (!user) throw new Error(`a user with email ${input.email} already exists`);
    if (input.projectId && input.role) await upsertMembership(db, input.projectId, user.id, input.role);
    const { token, hash, displayPrefix } = generateToken();
    await insertApiToken(db, { userId: user.id, name: 'seed', hash, displayPrefix, expiresInDays: null });
    return { userId: user.id, token };
  });
}
