import { withTransaction, type Pool } from '@mediavault/core/db/pool';
import { recordActivity } from '@mediavault/core/catalogue/activity';
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
    const org = await db.query<{ id: string }>('INSERT INTO organizations (name) VALUES ($1) RETURNING id', [
      input.organization,
    ]);
    const organizationId = org.rows[0]!.id;
    const user = await db.query<{ id: string }>(
      'INSERT INTO users (organization_id, email, name, is_org_admin) VALUES ($1, lower($2), $3, true) RETURNING id',
      [organizationId, input.adminEmail, input.adminName],
    );
    const userId = user.rows[0]!.id;
    const client = await db.query<{ id: string }>(
      'INSERT INTO clients (organization_id, name) VALUES ($1, $2) RETURNING id',
      [organizationId, input.client],
    );
    const clientId = client.rows[0]!.id;
    const project = await db.query<{ id: string }>(
      'INSERT INTO projects (organization_id, client_id, name) VALUES ($1, $2, $3) RETURNING id',
      [organizationId, clientId, input.project],
    );
    const projectId = project.rows[0]!.id;
    await db.query(`INSERT INTO memberships (project_id, user_id, role) VALUES ($1, $2, 'admin')`, [projectId, userId]);
    const { token, hash, displayPrefix } = generateToken();
    await db.query('INSERT INTO api_tokens (user_id, name, token_hash, prefix) VALUES ($1, $2, $3, $4)', [
      userId,
      input.tokenName ?? 'bootstrap',
      hash,
      displayPrefix,
    ]);
    await recordActivity(db, {
      organizationId,
      actorUserId: userId,
      action: 'organization.bootstrap',
      subjectType: 'organization',
      subjectId: organizationId,
      data: { project: input.project },
    });
    return { organizationId, clientId, projectId, userId, token };
  });
}

/** A user of an organization with a role in one project and a token: tests and seeding. */
export async function createMemberWithToken(
  pool: Pool,
  input: {
    organizationId: string;
    projectId: string | null;
    email: string;
    role: 'admin' | 'editor' | 'reviewer' | 'viewer' | null;
  },
): Promise<{ userId: string; token: string }> {
  return withTransaction(pool, async (db) => {
    const user = await db.query<{ id: string }>(
      'INSERT INTO users (organization_id, email, name) VALUES ($1, lower($2), $2) RETURNING id',
      [input.organizationId, input.email],
    );
    const userId = user.rows[0]!.id;
    if (input.projectId && input.role)
      await db.query('INSERT INTO memberships (project_id, user_id, role) VALUES ($1, $2, $3)', [
        input.projectId,
        userId,
        input.role,
      ]);
    const { token, hash, displayPrefix } = generateToken();
    await db.query('INSERT INTO api_tokens (user_id, name, token_hash, prefix) VALUES ($1, $2, $3, $4)', [
      userId,
      'seed',
      hash,
      displayPrefix,
    ]);
    return { userId, token };
  });
}
