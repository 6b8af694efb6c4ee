import type { FastifyError, FastifyInstance } from 'fastify';
import { isDatabaseUnavailable } from '@mediavault/core/db/pool';
import { isAppError } from '@mediavault/core/errors';

/** What a client waits before asking again while the database is away (restarts take seconds). */
const DATABASE_RETRY_AFTER_SECONDS = 5;

interface ValidationIssue {
  instancePath: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
}

/** "body.size", "body.mapping.projectId", "params.assetId" — the field a client must fix. */
export function validationField(context: string | undefined, issue: ValidationIssue): string {
  const path = issue.instancePath.split('/').filter(Boolean);
  if (issue.keyword === 'required' && typeof issue.params.missingProperty === 'string')
    path.push(issue.params.missingProperty);
  if (issue.keyword === 'additionalProperties' && typeof issue.params.additionalProperty === 'string')
    path.push(issue.params.additionalProperty);
  return [context ?? 'body', ...path].join('.');
}

/** Renders every error in one shape: { error: { code, message, details? } }. */
export function registerErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError, request, reply) => {
    if (isAppError(err)) {
      if (err.status >= 500) request.log.error({ err }, err.message);
      return reply
        .status(err.status)
        .send({ error: { code: err.code, message: err.message, ...(err.details ? { details: err.details } : {}) } });
    }
    if (err.validation) {
      const issues = err.validation as unknown as ValidationIssue[];
      const fields = issues.map((i) => validationField(err.validationContext, i));
      const first = issues[0];
      const message = first
        ? `${fields[0]} ${first.keyword === 'additionalProperties' ? 'is not an allowed property' : first.keyword === 'required' ? 'is required' : (first.message ?? 'is invalid')}`
        : err.message;
      return reply.status(400).send({ error: { code: 'bad_request', message, details: { field: fields[0], fields } } });
    }
    if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
      const code =
        err.statusCode === 413
          ? 'payload_too_large'
          : err.statusCode === 415
            ? 'bad_request'
            : err.statusCode === 404
              ? 'not_found'
              : 'bad_request';
      return reply.status(err.statusCode).send({ error: { code, message: err.message } });
    }
    if (isDatabaseUnavailable(err)) {
      // The catalogue is away (restarting, failing over): worth a retry, not a 500.
      request.log.warn({ err: { message: err.message, code: err.code } }, 'database unavailable');
      return reply
        .status(503)
        .header('retry-after', String(DATABASE_RETRY_AFTER_SECONDS))
        .send({ error: { code: 'unavailable', message: 'the catalogue database is unreachable; retry shortly' } });
    }
    request.log.error({ err }, 'unhandled error');
    return reply
      .status(500)
      .send({ error: { code: 'internal', message: 'internal error; the request id is in the x-request-id header' } });
  });

  app.setNotFoundHandler((request, reply) => {
    reply
      .status(404)
      .send({ error: { code: 'not_found', message: `no route ${request.method} ${request.url.split('?')[0]}` } });
  });
}
