/**
 * What logs may say of a request: its URL without the secrets clients put there. API tokens
 * ride in `?access_token=` on the events stream (browsers cannot set headers on a WebSocket),
 * presigned storage URLs carry their signature, and edge URLs carry a signed token in the
 * path (`/v/<token>/…`) — also inside the player link's `src`. Pure; every server's request
 * log goes through it.
 */

// `labels` is the player link's signed document, which holds the edge token it vouches for.
const SECRET_PARAMS =
  /^(access_token|token|signature|sig|labels|x-amz-signature|x-amz-credential|x-amz-security-token)$/i;
const EDGE_TOKEN_IN_PATH = /\/v\/[^/?#]+\//g;

export const REDACTED = '[redacted]';

function redactEdgeTokens(text: string): string {
  return text.replace(EDGE_TOKEN_IN_PATH, `/v/${REDACTED}/`);
}

/** A request URL (path and query) with tokens, signatures and signed edge paths replaced. */
export function redactUrl(url: string): string {
  const queryAt = url.indexOf('?');
  const path = redactEdgeTokens(queryAt === -1 ? url : url.slice(0, queryAt));
  if (queryAt === -1) return path;
  const params = new URLSearchParams(url.slice(queryAt + 1));
  const redacted = new URLSearchParams();
  for (const [name, value] of params) {
    redacted.append(name, SECRET_PARAMS.test(name) ? REDACTED : redactEdgeTokens(value));
  }
  return `${path}?${redacted.toString()}`;
}

/**
 * Fastify logger options that keep secrets out of request logs: URLs through redactUrl, and
 * credential headers censored should a serializer ever include headers.
 */
export function redactingLoggerOptions(level: string) {
  return {
    level,
    redact: {
      paths: ['req.headers.authorization', 'req.headers.cookie', 'req.headers["x-amz-security-token"]'],
      censor: REDACTED,
    },
    serializers: {
      req(request: { method: string; url: string; id?: string; ip?: string }) {
        return { method: request.method, url: redactUrl(request.url), reqId: request.id, remoteAddress: request.ip };
      },
    },
  };
}
