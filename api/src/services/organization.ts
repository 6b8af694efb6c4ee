/** The caller, the users of their organization, and API tokens. */
import { withTransaction } from '@mediavault/core/db/pool';
import { errors } from '@mediavault/core/errors';
import type { ProjectRole } from '@mediavault/core/roles';
import { recordActivity } from '@mediavault/core/catalogue/activity';
import {
  findOrganization,
  findOrgUser,
  insertUser,
  listUserMemberships,
  listUsers,
  type OrganizationRecord,
  type UserRecord,
} from '@mediavault/core/catalogue/organizations-store';
import {
  type ApiTokenRecord,
  findApiToken,
  insertApiToken,
  listApiTokens,
  revokeApiToken,
} from '@mediavault/core/catalogue/tokens-store';
import type { ApiDeps, RequestContext } from '../deps.ts';
import { requireOrgAdmin, requireTokenCredential } from './access.ts';
import { generateToken } from './tokens.ts';

export async function getMe(
  { pool }: ApiDeps,
  { caller }: RequestContext,
): Promise<{
  user: UserRecord;
  organization: OrganizationRecord;
  memberships: { projectId: string; projectName: string; role: ProjectRole }[];
}> {
  const [user, organization, memberships] = await Promise.all([
    findOrgUser(pool, caller.organizationId, caller.userId),
    findOrganization(pool, caller.organizationId),
    listUserMemberships(pool, caller),
  ]);
  // The token resolved to this user a moment ago: gone now means removed meanwhile.
  if (!user || !organization) throw errors.unauthenticated('the token no longer has a user');
  return { user, organization, memberships };
}

export async function listOrganizationUsers({ pool }: ApiDeps, { caller }: RequestContext): Promise<UserRecord[]> {
  requireOrgAdmin(caller);
  return listUsers(pool, caller.organizationId);
}

export async function createUser(
  { pool }: ApiDeps,
  { caller, requestId }: RequestContext,
  input: { email: string; name: string; isOrgAdmin?: boolean },
): Promise<UserRecord> {
  requireOrgAdmin(caller);
  return withTransaction(pool, async (db) => {
    const user = await insertUser(db, {
      organizationId: caller.organizationId,
      email: input.email,
      name: input.name,
      isOrgAdmin: input.isOrgAdmin ?? false,
    });
    if (!user) throw errors.alreadyExists(`a user with email ${input.email} already exists`);
    await recordActivity(db, {
      organizationId: caller.organizationId,
      actorUserId: caller.userId,
      action: 'user.create',
      subjectType: 'user',
      subjectId: user.id,
      requestId,
      data: { email: input.email },
    });
    return user;
  });
}

/** A new API token for the caller (or, for organization admins, another user); the token is shown once. */
export async function createApiToken(
  { pool }: ApiDeps,
  { caller, requestId }: RequestContext,
  input: { name: string; userId?: string; expiresInDays?: number },
): Promise<{ id: string; token: string; prefix: string; userId: string }> {
  requireTokenCredential(caller);
  const userId = input.userId ?? caller.userId;
  if (userId !== caller.userId) requireOrgAdmin(caller);
  return withTransaction(pool, async (db) => {
    if (!(await findOrgUser(db, caller.organizationId, userId))) throw errors.notFound('user');
    const { token, hash, displayPrefix } = generateToken();
    const id = await insertApiToken(db, {
      userId,
      name: input.name,
      hash,
      displayPrefix,
      expiresInDays: input.expiresInDays ?? null,
    });
    await recordActivity(db, {
      organizationId: caller.organizationId,
      actorUserId: caller.userId,
      action: 'token.create',
      subjectType: 'api_token',
      subjectId: id,
      requestId,
      data: { userId, name: input.name },
    });
    return { id, token, prefix: displayPrefix, userId };
  });
}

/** The caller's tokens; an organization admin may list another user's (or, without a user, everyone's). */
export async function listTokens(
  { pool }: ApiDeps,
  { caller }: RequestContext,
  filter: { userId?: string; all?: boolean },
): Promise<ApiTokenRecord[]> {
  const userId = filter.all ? null : (filter.userId ?? caller.userId);
  if (userId !== caller.userId) requireOrgAdmin(caller);
  return listApiTokens(pool, caller.organizationId, userId);
}

/**
 * Revokes one of the caller's tokens (an organization admin: any of the organization's). Every
 * api process refuses it from the next request, and closes its open WebSockets.
 */
export async function revokeToken(
  { pool }: ApiDeps,
  { caller, requestId }: RequestContext,
  tokenId: string,
): Promise<ApiTokenRecord> {
  const token = await findApiToken(pool, caller.organizationId, tokenId);
  // Another user's token is as unknown as none to a caller who may not manage it.
  if (!token || (token.userId !== caller.userId && !caller.isOrgAdmin)) throw errors.notFound('token');
  if (token.revokedAt) return token;
  return withTransaction(pool, async (db) => {
    const revoked = await revokeApiToken(db, tokenId);
    if (!revoked) throw errors.notFound('token');
    await recordActivity(db, {
      organizationId: caller.organizationId,
      actorUserId: caller.userId,
      action: 'token.revoke',
      subjectType: 'api_token',
      subjectId: tokenId,
      requestId,
      data: { userId: revoked.userId, name: revoked.name },
    });
    return revoked;
  });
}
