import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import cors from '@fastify/cors';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { pingDatabase } from '@mediavault/core/db/pool';
import { redactingLoggerOptions } from '@mediavault/core/redaction';
import type { ApiDeps } from './deps.ts';
import { registerAuth } from './plugins/auth.ts';
import { registerRateLimits } from './plugins/rate-limits.ts';
import { refuseUnstorableText, requestValidators } from './plugins/validation.ts';
import { exposedHeaders, withGlobalResponses } from './openapi-global-responses.ts';
import { registerErrorHandler } from './plugins/errors.ts';
import { sharedSchemas } from './schemas/common.ts';
import { organizationRoutes } from './routes/organization.ts';
import { projectRoutes } from './routes/projects.ts';
import { uploadRoutes } from './routes/uploads.ts';
import { uploadBatchRoutes } from './routes/upload-batches.ts';
import { previewRoutes } from './routes/previews.ts';
import { assetRoutes } from './routes/assets.ts';
import { storageRoutes } from './routes/storage.ts';
import { playerRoutes } from './routes/player.ts';
import { eventRoutes } from './routes/events.ts';
import { jobRoutes } from './routes/jobs.ts';
import { sidecarRoutes } from './routes/sidecars.ts';
import { archiveRoutes } from './routes/archive.ts';
import { reviewSessionRoutes } from './routes/review-sessions.ts';
import { commentRoutes } from './routes/comments.ts';
import { shareRoutes } from './routes/shares.ts';

declare module 'fastify' {
  interface FastifyInstance {
    deps: ApiDeps;
  }
}

export type { ApiDeps } from './deps.ts';
export type App = FastifyInstance;
export type TypedApp = ReturnType<FastifyInstance['withTypeProvider']> & FastifyInstance;

export const apiVersion = '0.1.0';

/** Builds the api; never listens (tests use inject() or listen on port 0). */
export async function buildApi(deps: ApiDeps): Promise<FastifyInstance> {
  const app = Fastify({
    // Tokens, signatures and signed edge paths never reach the log (core/src/redaction.ts).
    logger: deps.logger
      ? {
          ...redactingLoggerOptions(deps.logger.level),
          ...(deps.logger.stream ? { stream: deps.logger.stream } : {}),
        }
      : false,
    genReqId: (req) =>
      typeof req.headers['x-request-id'] === 'string' && /^[\w-]{1,64}$/.test(req.headers['x-request-id'])
        ? req.headers['x-request-id']
        : randomUUID(),
    bodyLimit: 1024 * 1024,
    schemaController: requestValidators(),
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.decorate('deps', deps);
  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  for (const schema of sharedSchemas) app.addSchema(schema);

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'mediavault',
        version: apiVersion,
        description: 'Media-asset platform: uploads, verified immutable masters, previews, signed playback.',
      },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', description: 'API token (mvt_...)' },
          reviewSession: {
            type: 'apiKey',
            in: 'cookie',
            name: 'mv_review',
            description:
              "The review page: a session from startReviewSession, acting as its member; requests that change something must carry the api's Origin",
          },
        },
      },
      security: [{ bearer: [] }, { reviewSession: [] }],
      tags: [
        { name: 'organization', description: 'The caller, their organization, users and API tokens' },
        { name: 'projects', description: 'Clients, projects and members' },
        { name: 'uploads', description: 'Presigned multipart uploads and promotion into masters' },
        { name: 'assets', description: 'Assets, versions and playback' },
        { name: 'previews', description: 'Preview builds' },
        {
          name: 'review',
          description: 'Comments pinned to frames of a version, approvals, and signing in to the review page',
        },
        {
          name: 'shares',
          description: "Share links for clients: policy, revocation, audit, and the guest page's session",
        },
      ],
    },
    // Rate limits and the error handler wrap every operation: documented once, for all of them.
    transformObject: (documents) =>
      withGlobalResponses(('openapiObject' in documents ? documents.openapiObject : documents.swaggerObject) as never),
    refResolver: {
      buildLocalReference: (json, _baseUri, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`),
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  // Browsers on the configured origins may call the api (integrators' web tools); others get no CORS headers.
  await app.register(cors, { origin: deps.config.corsOrigins, exposedHeaders: exposedHeaders });
  registerErrorHandler(app);
  refuseUnstorableText(app);
  registerAuth(app, deps.pool, await registerRateLimits(app, deps.pool, deps.config));

  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  app.get('/healthz', { schema: { hide: true } }, async () => {
    await pingDatabase(deps.pool);
    return { ok: true };
  });

  await app.register(organizationRoutes);
  await app.register(projectRoutes);
  await app.register(uploadRoutes);
  await app.register(uploadBatchRoutes);
  await app.register(previewRoutes);
  await app.register(assetRoutes);
  await app.register(storageRoutes);
  await app.register(playerRoutes);
  await app.register(eventRoutes);
  await app.register(jobRoutes);
  await app.register(sidecarRoutes);
  await app.register(archiveRoutes);
  await app.register(reviewSessionRoutes);
  await app.register(commentRoutes);
  await app.register(shareRoutes);
  app.addHook('onClose', async () => deps.events.close());
  return app;
}
