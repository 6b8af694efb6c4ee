import { MediavaultApiError } from '@mediavault/sdk';
import open from 'open';
import { uuidPattern } from '../connection.ts';
import { CliError, exitCodes, UsageError } from '../exit-codes.ts';
import { type Common, withClient } from './assets.ts';

/**
 * `mediavault review <assetId> [--version N] [--open]`: a review link to the asset for the
 * caller. The link opens the review page signed in as them, once, within 10 minutes; the page
 * then holds a session cookie and the link is spent. With --open, the default browser opens it.
 */
export function runReview(assetId: string, options: Common & { version?: number; open?: boolean }): Promise<number> {
  return withClient(options, async (client, output) => {
    if (!uuidPattern.test(assetId))
      throw new UsageError(`review takes an asset id (a UUID, see \`mediavault assets list\`), not "${assetId}"`);
    const id = assetId.toLowerCase();
    let versionId: string | undefined;
    try {
      if (options.version !== undefined) {
        const { versions } = await client.getAsset({ params: { assetId: id } });
        versionId = versions.find((v) => v.number === options.version)?.id;
        if (!versionId)
          throw new CliError(
            'version_not_found',
            `asset ${id} has no version ${options.version} (its versions: ${versions.map((v) => v.number).join(', ') || 'none'})`,
          );
      }
      const link = await client.createReviewLink({ params: { assetId: id }, body: versionId ? { versionId } : {} });
      const opened = options.open ? await openInBrowser(link.url) : null;
      output.event('summary', {
        assetId: id,
        versionId: versionId ?? null,
        url: link.url,
        expiresAt: link.expiresAt,
        ...(options.open ? { opened: opened === null } : {}),
      });
      output.line(link.url);
      output.info(`opens the review page as you, once, until ${new Date(link.expiresAt).toLocaleTimeString()}`);
      if (opened) output.problem(`mediavault: could not open a browser (${opened}): open the link above yourself`);
      else if (options.open) output.info('opened in your browser');
      return exitCodes.ok;
    } catch (err) {
      if (err instanceof MediavaultApiError && err.status === 404)
        throw new CliError(
          'asset_not_found',
          `asset ${id} not found (or you have no role in its project); \`mediavault assets list\` lists them`,
        );
      throw err;
    }
  });
}

/** Hands the URL to the desktop's browser (xdg-open, open, start); answers why it could not, or null. */
async function openInBrowser(url: string): Promise<string | null> {
  try {
    const launcher = await open(url);
    // Started (its pid is known at once): the browser is the launcher's business from here on.
    if (launcher.pid !== undefined) return null;
    // It could not start; the reason comes as an event, on a later tick than this.
    return await new Promise<string>((resolve) => launcher.once('error', (err) => resolve(err.message)));
  } catch (err) {
    return (err as Error).message;
  }
}
