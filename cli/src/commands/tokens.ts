import { MediavaultApiError, type OperationOutput } from '@mediavault/sdk';
import { uuidPattern } from '../connection.ts';
import { CliError, exitCodes, UsageError } from '../exit-codes.ts';
import { withClient, type Common } from './assets.ts';

type ApiToken = OperationOutput<'revokeApiToken'>;

/** active, revoked or expired (at `now`). */
export function tokenState(token: ApiToken, now = Date.now()): 'active' | 'revoked' | 'expired' {
  if (token.revokedAt) return 'revoked';
  if (token.expiresAt && new Date(token.expiresAt).getTime() <= now) return 'expired';
  return 'active';
}

const day = (iso: string | null) => (iso ? iso.slice(0, 10) : '-');

/**
 * `mediavault tokens list`: the caller's API tokens, revoked and expired ones included (with
 * --all, an organization admin's view of everyone's). The token the CLI itself uses is marked.
 */
export function runTokensList(options: Common & { all?: boolean }): Promise<number> {
  return withClient(options, async (client, output, connection) => {
    const { items } = await client.listApiTokens({ query: options.all ? { all: true } : {} });
    for (const token of items) {
      const state = tokenState(token);
      const current = connection.token.startsWith(token.prefix) && state === 'active';
      output.event('token', { ...token, state, current });
      output.line(
        [
          token.id,
          `${token.prefix}…`.padEnd(12),
          state.padEnd(7),
          `created ${day(token.createdAt)}`,
          `used ${day(token.lastUsedAt)}`,
          `expires ${day(token.expiresAt)}`,
          ...(options.all ? [`user ${token.userId}`] : []),
          token.name,
          ...(current ? ['(this token)'] : []),
        ].join('  '),
      );
    }
    output.event('summary', { count: items.length });
    if (items.length === 0) output.info('no tokens');
    return exitCodes.ok;
  });
}

/**
 * `mediavault tokens revoke <tokenId>`: refused by the api from its next request on, its event
 * streams closed. Revoking a revoked token changes nothing and says when it was.
 */
export function runTokensRevoke(tokenId: string, options: Common): Promise<number> {
  return withClient(options, async (client, output) => {
    if (!uuidPattern.test(tokenId))
      throw new UsageError(`tokens revoke takes a token id (a UUID, see \`mediavault tokens list\`), not "${tokenId}"`);
    let token: ApiToken;
    try {
      token = await client.revokeApiToken({ params: { id: tokenId.toLowerCase() } });
    } catch (err) {
      if (err instanceof MediavaultApiError && err.status === 404)
        throw new CliError('token_not_found', `token ${tokenId} not found (or not yours to revoke)`);
      throw err;
    }
    output.event('summary', { ...token, state: tokenState(token) });
    output.info(`revoked token ${token.name} (${token.prefix}…) of user ${token.userId} at ${token.revokedAt}`);
    return exitCodes.ok;
  });
}
