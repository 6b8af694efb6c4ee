import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { requestContext } from '../plugins/auth.ts';
import {
  ApiToken,
  errorResponses,
  Int,
  Label,
  List,
  Organization,
  ProjectRoleSchema,
  Text,
  User,
  Uuid,
} from '../schemas/common.ts';
import {
  createApiToken,
  createUser,
  getMe,
  listOrganizationUsers,
  listTokens,
  revokeToken,
} from '../services/organization.ts';

const tags = ['organization'];

export const organizationRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { deps } = app;

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
            memberships: List(
              Type.Object({ projectId: Uuid, projectName: Label, role: Type.Ref(ProjectRoleSchema) }),
              100_000,
            ),
          }),
          ...errorResponses(401),
        },
      },
    },
    async (request) => getMe(deps, requestContext(request)),
  );

  app.get(
    '/api/users',
    {
      schema: {
        operationId: 'listUsers',
        tags,
        summary: 'Users of the organization (organization admins)',
        response: { 200: Type.Object({ items: List(Type.Ref(User), 100_000) }), ...errorResponses(401, 403) },
      },
    },
    async (request) => ({ items: await listOrganizationUsers(deps, requestContext(request)) }),
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
    async (request, reply) => reply.status(201).send(await createUser(deps, requestContext(request), request.body)),
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
                maxLength: 36,
                description: 'another user of the organization (organization admins only)',
              }),
            ),
            expiresInDays: Type.Optional(Int(1, 3650)),
          },
          { additionalProperties: false },
        ),
        response: {
          201: Type.Object({
            id: Uuid,
            token: Text(128, { description: 'shown once; store it now' }),
            prefix: Text(32),
            userId: Uuid,
          }),
          ...errorResponses(400, 401, 403, 404),
        },
      },
    },
    async (request, reply) => reply.status(201).send(await createApiToken(deps, requestContext(request), request.body)),
  );
  app.get(
    '/api/tokens',
    {
      schema: {
        operationId: 'listApiTokens',
        tags,
        summary: "The caller's API tokens (organization admins: another user's with userId, or all with all=true)",
        querystring: Type.Object(
          {
            userId: Type.Optional(Uuid),
            all: Type.Optional(Type.Boolean({ description: "every user's tokens (organization admins)" })),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ items: List(Type.Ref(ApiToken), 100_000) }), ...errorResponses(400, 401, 403) },
      },
    },
    async (request) => ({ items: await listTokens(deps, requestContext(request), request.query) }),
  );

  app.delete(
    '/api/tokens/:id',
    {
      schema: {
        operationId: 'revokeApiToken',
        tags,
        summary: 'Revoke a token: refused from the next request on, its open event streams closed',
        params: Type.Object({ id: Uuid }),
        response: { 200: Type.Ref(ApiToken), ...errorResponses(401, 404) },
      },
    },
    async (request) => revokeToken(deps, requestContext(request), request.params.id),
  );
};
