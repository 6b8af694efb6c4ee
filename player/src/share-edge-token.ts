/**
 * A share session's edge URLs carry a five-minute token in their path
 * (`<edge>/v/<token>/hls/<sha>/…`), and hls.js resolves every playlist and segment below the
 * manifest, so each request it makes holds the token of the manifest it first loaded. When the
 * page renews the token, later requests must carry the new one: these pure rules find and swap
 * that path segment.
 */

const tokenSegment = /^(\/v\/)([^/]+)(\/)/;

/** The edge token of `url` (the path segment after `/v/`), or null when it has none. */
export function edgeTokenOf(url: string): string | null {
  let path: string;
  try {
    path = new URL(url).pathname;
  } catch {
    return null;
  }
  return tokenSegment.exec(path)?.[2] ?? null;
}

/** `url` with its edge token replaced by `token`; any other URL as it is. */
export function withEdgeToken(url: string, token: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return url;
  }
  if (!tokenSegment.test(parsed.pathname)) return url;
  parsed.pathname = parsed.pathname.replace(tokenSegment, `$1${token}$3`);
  return parsed.href;
}

/**
 * Whether a token that expires at `expiresAtMs` must be renewed before a request sent at `nowMs`:
 * when less than `marginMs` of its life is left, so that the request (and the segments hls.js
 * fetches right after it) reach the edge while it is still valid.
 */
export function needsRenewal(expiresAtMs: number, nowMs: number, marginMs = 30_000): boolean {
  return expiresAtMs - nowMs < marginMs;
}
