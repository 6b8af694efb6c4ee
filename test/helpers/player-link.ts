/**
 * Player links as someone editing them can make them: the signed labels token (a JWS) with its
 * claims rewritten and its header and signature kept. Used by the api, player and end-to-end
 * tests to check that such a link is refused.
 */

/** `token` with its claims rewritten by `edit`, its header and signature unchanged. */
export function withEditedClaims(token: string, edit: (claims: Record<string, unknown>) => void): string {
  const [header, payload, signature] = token.split('.') as [string, string, string];
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  edit(claims);
  return [header, Buffer.from(JSON.stringify(claims)).toString('base64url'), signature].join('.');
}

/** The player link `url` showing `title` in its signed labels, signature unchanged. */
export function withEditedTitle(url: string, title: string): string {
  const edited = new URL(url);
  const token = edited.searchParams.get('labels') ?? '';
  edited.searchParams.set(
    'labels',
    withEditedClaims(token, (claims) => Object.assign(claims.labels as object, { title })),
  );
  return edited.href;
}
