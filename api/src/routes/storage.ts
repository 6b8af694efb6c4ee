import type { FastifyPluginAsync } from 'fastify';
import type { Readable } from 'node:stream';
import { handleFsPresignedRequest } from '@mediavault/core/storage/fs-presigned';

/**
 * The fs driver's presigned URLs point here: part PUTs and object GETs,
 * authorised by the URL's own HMAC signature and expiry (no bearer token).
 * Bodies are streamed to disk, never parsed or buffered.
 */
export const storageRoutes: FastifyPluginAsync = async (app) => {
  // Only stores whose presigned URLs the api answers itself (fs) need these routes.
  if (!Object.values(app.deps.storages).some((s) => s.capabilities.presignedUrlsServedBy === 'api')) return;
  await app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_request, payload, done) => done(null, payload));
    scope.route({
      method: ['GET', 'HEAD', 'PUT'],
      url: '/storage/*',
      schema: { hide: true },
      bodyLimit: Number.MAX_SAFE_INTEGER,
      handler: async (request, reply) => {
        const response = await handleFsPresignedRequest({
          storages: app.deps.storages,
          method: request.method,
          url: request.url,
          headers: request.headers,
          body: (request.body as Readable | undefined) ?? request.raw,
        });
        reply.status(response.status).headers(response.headers);
        return reply.send(response.body ?? '');
      },
    });
  });
};
