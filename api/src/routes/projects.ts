import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { withTransaction } from '@mediavault/core/db/pool';
import { errors } from '@mediavault/core/errors';
import { requireCaller } from '../plugins/auth.ts';
import { authorizeProject, projectRole, requireOrgAdmin } from '../services/access.ts';
import { recordActivity } from '@mediavault/core/catalogue/activity';
import { Client, errorResponses, Member, Project, ProjectRoleSchema, Uuid } from '../schemas/common.ts';

const tags = ['projects'];
const Name = Type.String({ minLength: 1, maxLength: 200, pattern: '^[^\\u0000-\\u001f/\\\\]+$' });

export const projectRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { pool } = app.deps;

  app.post(
    '/api/clients',
    {
      schema: {
        operationId: 'createClient',
        tags,
        summary: 'Create a client of the organization (organization admins)',
        body: Type.Object({ name: Name }, { additionalProperties: false }),
        response: { 201: Type.Ref(Client), ...errorResponses(400, 401, 403, 409) },
      },
    },
    async (request, reply) => {
      const caller = requireCaller(request);
      requireOrgAdmin(caller);
      const client = await withTransaction(pool, async (db) => {
        const { rows } = await db.query(
          `INSERT INTO clients (organization_id, name) VALUES ($1, $2) ON CONFLICT (organization_id, name) DO NOTHING RETURNING id, name, created_at`,
          [caller.organizationId, request.body.name.normalize('NFC')],
        );
        if (rows.length === 0) throw errors.conflict(`a client named ${request.body.name} already exists`);
        await recordActivity(db, {
          organizationId: caller.organizationId,
          actorUserId: caller.userId,
          action: 'client.create',
          subjectType: 'client',
          subjectId: rows[0].id,
          requestId: request.id,
        });
        return rows[0];
      });
      return reply.status(201).send({ id: client.id, name: client.name, createdAt: client.created_at });
    },
  );

  app.get(
    '/api/clients',
    {
      schema: {
        operationId: 'listClients',
        tags,
        summary: 'Clients of the organization',
        response: { 200: Type.Object({ items: Type.Array(Type.Ref(Client)) }), ...errorResponses(401) },
      },
    },
    async (request) => {
      const caller = requireCaller(request);
      const { rows } = await pool.query(
        'SELECT id, name, created_at FROM clients WHERE organization_id = $1 ORDER BY name',
        [caller.organizationId],
      );
      return { items: rows.map((r) => ({ id: r.id, name: r.name, createdAt: r.created_at })) };
    },
  );

  app.post(
    '/api/projects',
    {
      schema: {
        operationId: 'createProject',
        tags,
        summary: 'Create a project under a client (organization admins)',
        body: Type.Object({ clientId: Uuid, name: Name }, { additionalProperties: false }),
        response: { 201: Type.Ref(Project), ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      const caller = requireCaller(request);
      requireOrgAdmin(caller);
      const project = await withTransaction(pool, async (db) => {
        const client = await db.query('SELECT id FROM clients WHERE id = $1 AND organization_id = $2', [
          request.body.clientId,
          caller.organizationId,
        ]);
        if (client.rowCount === 0) throw errors.notFound('client');
        const { rows } = await db.query(
          `INSERT INTO projects (organization_id, client_id, name) VALUES ($1, $2, $3) ON CONFLICT (client_id, name) DO NOTHING RETURNING id, client_id, name, created_at`,
          [caller.organizationId, request.body.clientId, request.body.name.normalize('NFC')],
        );
        if (rows.length === 0) throw errors.conflict(`the client already has a project named ${request.body.name}`);
        await recordActivity(db, {
          organizationId: caller.organizationId,
          actorUserId: caller.userId,
          action: 'project.create',
          subjectType: 'project',
          subjectId: rows[0].id,
          projectId: rows[0].id,
          requestId: request.id,
        });
        return rows[0];
      });
      return reply
        .status(201)
        .send({
          id: project.id,
          clientId: project.client_id,
          name: project.name,
          role: 'admin' as const,
          createdAt: project.created_at,
        });
    },
  );

  app.get(
    '/api/projects',
    {
      schema: {
        operationId: 'listProjects',
        tags,
        summary: 'Projects the caller holds a role in',
        response: { 200: Type.Object({ items: Type.Array(Type.Ref(Project)) }), ...errorResponses(401) },
      },
    },
    async (request) => {
      const caller = requireCaller(request);
      const { rows } = await pool.query(
        `SELECT p.id, p.client_id, p.name, p.created_at, CASE WHEN $3 THEN 'admin' ELSE m.role END AS role
         FROM projects p LEFT JOIN memberships m ON m.project_id = p.id AND m.user_id = $2
        WHERE p.organization_id = $1 AND ($3 OR m.role IS NOT NULL)
        ORDER BY p.created_at`,
        [caller.organizationId, caller.userId, caller.isOrgAdmin],
      );
      return {
        items: rows.map((r) => ({
          id: r.id,
          clientId: r.client_id,
          name: r.name,
          role: r.role,
          createdAt: r.created_at,
        })),
      };
    },
  );

  app.get(
    '/api/projects/:projectId',
    {
      schema: {
        operationId: 'getProject',
        tags,
        summary: "One project and the caller's role in it",
        params: Type.Object({ projectId: Uuid }),
        response: { 200: Type.Ref(Project), ...errorResponses(401, 404) },
      },
    },
    async (request) => {
      const caller = requireCaller(request);
      const role = await projectRole(pool, caller, request.params.projectId);
      const { rows } = await pool.query('SELECT id, client_id, name, created_at FROM projects WHERE id = $1', [
        request.params.projectId,
      ]);
      return { id: rows[0].id, clientId: rows[0].client_id, name: rows[0].name, role, createdAt: rows[0].created_at };
    },
  );

  app.get(
    '/api/projects/:projectId/members',
    {
      schema: {
        operationId: 'listProjectMembers',
        tags,
        summary: 'Members of a project and their roles',
        params: Type.Object({ projectId: Uuid }),
        response: { 200: Type.Object({ items: Type.Array(Type.Ref(Member)) }), ...errorResponses(401, 404) },
      },
    },
    async (request) => {
      const caller = requireCaller(request);
      await authorizeProject(pool, caller, request.params.projectId, 'project.read');
      const { rows } = await pool.query(
        'SELECT u.id, u.email, u.name, m.role FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.project_id = $1 ORDER BY u.email',
        [request.params.projectId],
      );
      return { items: rows.map((r) => ({ userId: r.id, email: r.email, name: r.name, role: r.role })) };
    },
  );

  app.put(
    '/api/projects/:projectId/members/:userId',
    {
      schema: {
        operationId: 'setProjectMember',
        tags,
        summary: 'Give a user of the organization a role in the project (project admins)',
        params: Type.Object({ projectId: Uuid, userId: Uuid }),
        body: Type.Object({ role: Type.Ref(ProjectRoleSchema) }, { additionalProperties: false }),
        response: { 200: Type.Ref(Member), ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const caller = requireCaller(request);
      const { projectId, userId } = request.params;
      return withTransaction(pool, async (db) => {
        await authorizeProject(db, caller, projectId, 'member.manage');
        const user = await db.query('SELECT id, email, name FROM users WHERE id = $1 AND organization_id = $2', [
          userId,
          caller.organizationId,
        ]);
        if (user.rowCount === 0) throw errors.notFound('user');
        await db.query(
          `INSERT INTO memberships (project_id, user_id, role) VALUES ($1, $2, $3) ON CONFLICT (project_id, user_id) DO UPDATE SET role = EXCLUDED.role`,
          [projectId, userId, request.body.role],
        );
        await recordActivity(db, {
          organizationId: caller.organizationId,
          actorUserId: caller.userId,
          action: 'member.set',
          subjectType: 'user',
          subjectId: userId,
          projectId,
          requestId: request.id,
          data: { role: request.body.role },
        });
        return { userId, email: user.rows[0].email, name: user.rows[0].name, role: request.body.role };
      });
    },
  );
};
