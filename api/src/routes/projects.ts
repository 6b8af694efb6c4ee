import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { requestContext } from '../plugins/auth.ts';
import { Client, errorResponses, List, Member, Project, ProjectRoleSchema, Uuid } from '../schemas/common.ts';
import {
  createClient,
  createProject,
  getProject,
  listCallerProjects,
  listOrganizationClients,
  listProjectMembers,
  setProjectMember,
} from '../services/projects.ts';

const tags = ['projects'];
const Name = Type.String({ minLength: 1, maxLength: 200, pattern: '^[^\\u0000-\\u001f/\\\\]+$' });

export const projectRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { deps } = app;

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
    async (request, reply) =>
      reply.status(201).send(await createClient(deps, requestContext(request), request.body.name)),
  );

  app.get(
    '/api/clients',
    {
      schema: {
        operationId: 'listClients',
        tags,
        summary: 'Clients of the organization',
        response: { 200: Type.Object({ items: List(Type.Ref(Client), 100_000) }), ...errorResponses(401) },
      },
    },
    async (request) => ({ items: await listOrganizationClients(deps, requestContext(request)) }),
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
    async (request, reply) => reply.status(201).send(await createProject(deps, requestContext(request), request.body)),
  );

  app.get(
    '/api/projects',
    {
      schema: {
        operationId: 'listProjects',
        tags,
        summary: 'Projects the caller holds a role in',
        response: { 200: Type.Object({ items: List(Type.Ref(Project), 100_000) }), ...errorResponses(401) },
      },
    },
    async (request) => ({ items: await listCallerProjects(deps, requestContext(request)) }),
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
    async (request) => getProject(deps, requestContext(request), request.params.projectId),
  );

  app.get(
    '/api/projects/:projectId/members',
    {
      schema: {
        operationId: 'listProjectMembers',
        tags,
        summary: 'Members of a project and their roles',
        params: Type.Object({ projectId: Uuid }),
        response: { 200: Type.Object({ items: List(Type.Ref(Member), 100_000) }), ...errorResponses(401, 404) },
      },
    },
    async (request) => ({ items: await listProjectMembers(deps, requestContext(request), request.params.projectId) }),
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
    async (request) => setProjectMember(deps, requestContext(request), { ...request.params, role: request.body.role }),
  );
};
