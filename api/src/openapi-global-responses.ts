/**
 * What every /api operation can answer because of plugins that wrap them all, written into the
 * emitted document: rate-limit headers on every success and client-error response, a 429 with
 * Retry-After (plugins/rate-limits.ts), a 500 in the one error shape (plugins/errors.ts), and
 * the CORS header answered to the origins CORS_ORIGINS allows.
 * Routes document only what their own handlers answer.
 */

type Responses = Record<string, { description?: string; headers?: Record<string, unknown>; content?: unknown }>;
interface OpenApiDocument {
  paths?: Record<string, Record<string, { responses?: Responses }>>;
}

const integerHeader = (description: string) => ({
  description,
  schema: { type: 'integer', format: 'int32', minimum: 0, maximum: 1_000_000 },
});

const corsHeader = {
  'Access-Control-Allow-Origin': {
    description: "the calling page's origin, when CORS_ORIGINS allows it; absent otherwise",
    schema: { type: 'string', format: 'uri', maxLength: 2048 },
  },
};

/** Response headers a browser page on an allowed origin may read. */
export const exposedHeaders = [
  'x-request-id',
  'x-ratelimit-limit',
  'x-ratelimit-remaining',
  'x-ratelimit-reset',
  'retry-after',
];

export const rateLimitHeaders = {
  'X-RateLimit-Limit': integerHeader('requests allowed in the current minute, for this token (or address)'),
  'X-RateLimit-Remaining': integerHeader('requests left in the current minute'),
  'X-RateLimit-Reset': integerHeader('seconds until the current minute ends'),
};

const errorContent = { 'application/json': { schema: { $ref: '#/components/schemas/ErrorResponse' } } };

export function withGlobalResponses<T extends OpenApiDocument>(document: T): T {
  for (const methods of Object.values(document.paths ?? {})) {
    for (const operation of Object.values(methods)) {
      operation.responses ??= {};
      const responses = operation.responses;
      for (const [status, response] of Object.entries(responses)) {
        response.headers = { ...corsHeader, ...(/^[24]/.test(status) ? rateLimitHeaders : {}), ...response.headers };
      }
      responses['429'] ??= {
        description: 'too many requests (rate_limited): wait Retry-After seconds',
        headers: {
          ...corsHeader,
          ...rateLimitHeaders,
          'Retry-After': integerHeader('seconds to wait before asking again'),
        },
        content: errorContent,
      };
      responses['500'] ??= {
        description: 'an unexpected failure (internal); the x-request-id header names it in the logs',
        headers: corsHeader,
        content: errorContent,
      };
    }
  }
  return document;
}
