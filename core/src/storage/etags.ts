/**
 * ETags as both drivers and their callers compare them: S3 answers them quoted, clients may
 * send them quoted or not (and a proxy may weaken one with `W/`), so comparisons unquote first.
 */

export function quoteEtag(etag: string): string {
  return `"${unquoteEtag(etag)}"`;
}

export function unquoteEtag(etag: string): string {
  return etag.replace(/^W\//, '').replace(/"/g, '');
}
