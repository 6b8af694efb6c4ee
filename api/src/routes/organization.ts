import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { withTransaction } from '@mediavault/core/db/pool';
import { errors } from '@mediavault/core/errors';
import { requireCaller } from '../plugins/auth.ts';
import { requireOrgAdmin } from '../services/access.ts';
import { recordActivity } from '@mediavault/core/catalogue/activity';
import { generateToken } from '../services/tokens.ts';
import { errorResponses, Organization, Uuid, User } from '../schemas/common.ts';

const tags = ['organization'];

export const organizationRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { pool } = app.deps;

  app.get(
    '/api/me',
    {
      schema: {
        operationId: 'getMe',
        tags,
        summary: 'The caller, their organization and their project roles',
        response: {
          200: Type.Object({
            user: Type.Ref(User),
            organization: Type.Ref(Organization),
            memberships: Type.Array(Type.Object({ projectId: Uuid, projectName: Type.String(), role: Type.String() })),
          }),
          ...errorResponses(401),
        },
      },
    },
    async (request) => {
      const caller = requireCaller(request);
      const user = await pool.query('SELECT id, email, name, is_org_admin, created_at FROM users WHERE id = $1', [
        caller.userId,
      ]);
      const org = await pool.query('SELECT id, name, created_at FROM organizations WHERE id = $1', [
        caller.organizationId,
      ]);
      const memberships = await pool.query<{ project_id: string; name: string; role: string }>(
        caller.isOrgAdmin
          ? `SELECT p.id AS project_id, p.name, 'admin' AS role FROM projects p WHERE p.organization_id = $1 ORDER BY p.created_at`
          : `SELECT p.id AS project_id, p.name, m.role FROM memberships m JOIN projects p ON p.id = m.project_id WHERE m.user_id = $2 AND p.organization_id = $1 ORDER BY p.created_at`,
        caller.isOrgAdmin ? [caller.organizationId] : [caller.organizationId, caller.userId],
      );
      return {
        user: userShape(user.rows[0]),
        organization: { id: org.rows[0].id, name: org.rows[0].name, createdAt: org.rows[0].created_at },
        memberships: memberships.rows.map((m) => ({ projectId: m.project_id, projectName: m.name, role: m.role })),
      };
    },
  );

  app.get(
    '/api/users',
    {
      schema: {
        operationId: 'listUsers',
        tags,
        summary: 'Users of the organization (organization admins)',
        response: { 200: Type.Object({ items: Type.Array(Type.Ref(User)) }), ...errorResponses(401, 403) },
      },
    },
    async (request) => {
      const caller = requireCaller(request);
      requireOrgAdmin(caller);
      const { rows } = await pool.query(
        'SELECT id, email, name, is_org_admin, created_at FROM users WHERE organization_id = $1 ORDER BY created_at',
        [caller.organizationId],
      );
      return { items: rows.map(userShape) };
    },
  );

  app.post(
    '/api/users',
    {
      schema: {
        operationId: 'createUser',
        tags,
        summary: 'Add a user to the organization (organization admins)',
        body: Type.Object(
          {
            email: Type.String({ format: 'email', maxLength: 320 }),
            name: Type.String({ minLength: 1, maxLength: 200 }),
            isOrgAdmin: Type.Optional(Type.Boolean()),
          },
          { additionalProperties: false },
        ),
        response: { 201: Type.Ref(User), ...errorResponses(400, 401, 403, 409) },
      },
    },
    async (request, reply) => {
      const caller = requireCaller(request);
      requireOrgAdmin(caller);
      const { email, name, isOrgAdmin } = request.body;
      const user = await withTransaction(pool, async (db) => {
        const { rows } = await db.query(
          `INSERT INTO users (organization_id, email, name, is_org_admin) VALUES ($1, lower($2), $3, $4)
         ON CONFLICT (organization_id, email) DO NOTHING RETURNING id, email, name, is_org_admin, created_at`,
          [caller.organizationId, email, name, isOrgAdmin ?? false],
        );
        if (rows.length === 0) throw errors.conflict(`a user with email ${email} already exists`);
        await recordActivity(db, {
          organizationId: caller.organizationId,
          actorUserId: caller.userId,
          action: 'user.create',
          subjectType: 'user',
          subjectId: rows[0].id,
          requestId: request.id,
          data: { email },
        });
        return rows[0];
      });
      return reply.status(201).send(userShape(user));
    },
  );

  app.post(
    '/api/tokens',
    {
      schema: {
        operationId: 'createApiToken',
        tags,
        summary: 'Create an API token; the token is shown once',
        body: Type.Object(
          {
            name: Type.String({ minLength: 1, maxLength: 200 }),
            userId: Type.Optional(
              Type.String({
                format: 'uuid',
                description: 'another user of the organization (organization admins only)',
              }),
            ),
            expiresInDays: Type.Optional(Type.Integer({ minimum: 1, maximum: 3650 })),
          },
          { additionalProperties: false },
        ),
        response: {
          201: Type.Object({
            id: Uuid,
            token: Type.String({ description: 'shown once; store it now' }),
            prefix: Type.String(),
            userId: Uuid,
          }),
          ...errorResponses(400, 401, 403, 404),
        },
      },
    },
    async (request, reply) => {
      const caller = requireCaller(request);
      const userId = request.body.userId ?? caller.userId;
      if (userId !== caller.userId) requireOrgAdmin(caller);
      const created = await withTransaction(pool, async (db) => {
        const owner = await db.query('SELECT id FROM users WHERE id = $1 AND organization_id = $2', [
          userId,
          caller.organizationId,
        ]);
        if (owner.rowCount === 0) throw errors.notFound('user');
        const { token, hash, displayPrefix } = generateToken();
        const { rows } = await db.query<{ id: string }>(
          `INSERT INTO api_tokens (user_id, name, token_hash, prefix, expires_at)
         VALUES ($1, $2, $3, $4, CASE WHEN $5::int IS NULL THEN NULL ELSE now() + make_interval(days => $5::int) END) RETURNING id`,
          [userId, request.body.name, hash, displayPrefix, request.body.expiresInDays ?? null],
        );
        await recordActivity(db, {
          organizationId: caller.organizationId,
          actorUserId: caller.userId,
          action: 'token.create',
          subjectType: 'api_token',
          subjectId: rows[0]!.id,
          requestId: request.id,
          data: { userId, name: request.body.name },
        });
        return { id: rows[0]!.id, token, prefix: displayPrefix, userId };
      });
      return reply.status(201).send(created);
    },
  );
};

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function userShape(row: any) {
  return { id: row.id, email: row.email, name: row.name, isOrgAdmin: row.is_org_admin, createdAt: row.created_at };
}
