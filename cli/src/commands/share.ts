import { text } from 'node:stream/consumers';
import { MediavaultApiError, type MediavaultClient, type OperationInput, type OperationOutput } from '@mediavault/sdk';
import { resolveProject, uuidPattern } from '../connection.ts';
import { CliError, exitCodes, UsageError } from '../exit-codes.ts';
import { type Common, withClient } from './assets.ts';

type Share = OperationOutput<'getShare'>;
type AuditEntry = OperationOutput<'listShareAudit'>['items'][number];
type CreateBody = OperationInput<'createShare'>['body'] & {};

export interface ShareCreateOptions extends Common {
  collection?: string;
  project?: string;
  expires?: string;
  passwordStdin?: boolean;
  download?: 'none' | 'proxy' | 'master';
  comments?: boolean;
  watermark?: string;
  name?: string;
}

const durationUnits: Record<string, number> = { m: 60, h: 3600, d: 86_400, w: 7 * 86_400 };

/**
 * When a share given `--expires` ends: a duration from now (30m, 12h, 7d, 2w) or a date
 * (2027-01-31, 2027-01-31T18:00:00Z). Anything else, or a time not in the future, is a usage error.
 */
export function parseExpiry(value: string, now: Date): Date {
  const duration = /^(\d{1,6})([mhdw])$/.exec(value.trim());
  if (duration) {
    const seconds = Number(duration[1]) * durationUnits[duration[2]!]!;
    if (seconds <= 0) throw new UsageError(`--expires ${value}: the duration must be more than nothing`);
    return new Date(now.getTime() + seconds * 1000);
  }
  const date = /^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(value.trim()) ? new Date(value) : null;
  if (!date || Number.isNaN(date.getTime()))
    throw new UsageError(
      `--expires takes a duration (30m, 12h, 7d, 2w) or a date (2027-01-31 or 2027-01-31T18:00:00Z), not "${value}"`,
    );
  if (date.getTime() <= now.getTime()) throw new UsageError(`--expires ${value} is not in the future`);
  return date;
}

/** The password given on standard input: its first line (a trailing newline is not part of it). */
async function passwordFromStdin(): Promise<string> {
  if (process.stdin.isTTY)
    throw new UsageError('--password-stdin reads the password from standard input: pipe it in (printf %s "$PW" | …)');
  const password = (await text(process.stdin)).replace(/\r?\n$/, '');
  if (password.includes('\n')) throw new UsageError('--password-stdin takes one line: the password');
  if ([...password].length < 8) throw new UsageError('the share password needs at least 8 characters');
  if ([...password].length > 256) throw new UsageError('the share password is at most 256 characters long');
  return password;
}

/** The request body of `share create`, checked before anything is sent (usage errors, exit 2). */
async function createBody(
  client: MediavaultClient,
  assetIds: string[],
  options: ShareCreateOptions,
  connection: Parameters<typeof resolveProject>[2],
): Promise<CreateBody> {
  if (assetIds.length > 0 && options.collection !== undefined)
    throw new UsageError('share create takes asset ids or --collection, not both');
  if (assetIds.length === 0 && options.collection === undefined)
    throw new UsageError('share create needs asset ids or --collection PATH --project P');
  const notIds = assetIds.filter((id) => !uuidPattern.test(id));
  if (notIds.length)
    throw new UsageError(`share create takes asset ids (UUIDs, see \`mediavault assets list\`), not "${notIds[0]}"`);
  if (options.collection !== undefined && options.collection.replace(/^\/+|\/+$/g, '') === '')
    throw new UsageError('--collection takes the path of a collection, e.g. "Client cut/Reel 1"');
  if (options.watermark !== undefined && options.watermark.trim() === '')
    throw new UsageError('--watermark takes the text to burn in, e.g. "{share} for {viewer}, {date}"');
  const expiresAt = options.expires === undefined ? undefined : parseExpiry(options.expires, new Date());
  const password = options.passwordStdin ? await passwordFromStdin() : undefined;
  const target: Partial<CreateBody> =
    options.collection !== undefined
      ? {
          collection: {
            projectId: (await resolveProject(client, options.project, connection)).id,
            path: options.collection.replace(/^\/+|\/+$/g, ''),
          },
        }
      : { assetIds: assetIds.map((id) => id.toLowerCase()) };
  return {
    ...target,
    ...(options.name ? { name: options.name } : {}),
    ...(expiresAt ? { expiresAt: expiresAt.toISOString() } : {}),
    ...(password !== undefined ? { password } : {}),
    ...(options.download ? { download: options.download } : {}),
    ...(options.comments ? { comments: true } : {}),
    ...(options.watermark !== undefined ? { watermark: { template: options.watermark } } : {}),
  } as CreateBody;
}

function policyLine(share: Share): string {
  const expiry = share.expiresAt ? `until ${new Date(share.expiresAt).toISOString()}` : 'no expiry';
  return [
    `${share.kind}${share.items ? ` (${share.items.length} asset${share.items.length === 1 ? '' : 's'})` : ''}`,
    expiry,
    `downloads ${share.download}`,
    share.comments ? 'comments on' : 'comments off',
    share.hasPassword ? 'password' : 'no password',
    share.watermark ? `watermark "${share.watermark.template}"` : 'no watermark',
  ].join(', ');
}

/**
 * `mediavault share create (<assetId>… | --collection PATH --project P) [--expires 7d]
 * [--password-stdin] [--download none|proxy|master] [--comments] [--watermark TEXT] [--json]`:
 * prints the link, which holds its token: shown this once (`--json`: `{"id","url"}`).
 */
export function runShareCreate(assetIds: string[], options: ShareCreateOptions): Promise<number> {
  return withClient(options, async (client, output, connection) => {
    const body = await createBody(client, assetIds, options, connection);
    let created: OperationOutput<'createShare'>;
    try {
      created = await client.createShare({ body });
    } catch (err) {
      if (err instanceof MediavaultApiError && err.status === 404)
        throw new CliError(
          'not_found',
          `${err.message}: check the ${body.collection ? 'collection path and --project' : 'asset ids'} (\`mediavault assets list\`)`,
        );
      throw err;
    }
    if (output.json) process.stdout.write(`${JSON.stringify({ id: created.share.id, url: created.url })}\n`);
    output.line(created.url);
    output.info(`share ${created.share.id}: ${policyLine(created.share)}`);
    output.info('the link is shown this once: send it now (`mediavault share revoke` ends it)');
    return exitCodes.ok;
  });
}

/** `mediavault share list [--project P]`: the shares you may manage, newest first. */
export function runShareList(options: Common & { project?: string }): Promise<number> {
  return withClient(options, async (client, output, connection) => {
    const projectId = options.project ? (await resolveProject(client, options.project, connection)).id : undefined;
    let cursor: string | undefined;
    let count = 0;
    do {
      const page = await client.listShares({
        query: { limit: 500, ...(projectId ? { projectId } : {}), ...(cursor ? { cursor } : {}) },
      });
      for (const share of page.items) {
        count++;
        output.event('share', share);
        output.line(`${share.id}  ${share.state.padEnd(7)}  ${share.name}  (${policyLine(share)})`);
      }
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    output.event('summary', { projectId: projectId ?? null, count });
    if (count === 0) output.info('no shares');
    return exitCodes.ok;
  });
}

function checkShareId(shareId: string): string {
  if (!uuidPattern.test(shareId))
    throw new UsageError(`takes a share id (a UUID, see \`mediavault share list\`), not "${shareId}"`);
  return shareId.toLowerCase();
}

function shareNotFound(err: unknown, shareId: string): unknown {
  if (err instanceof MediavaultApiError && err.status === 404)
    return new CliError(
      'share_not_found',
      `share ${shareId} not found (or you may not manage it); \`mediavault share list\` lists them`,
    );
  return err;
}

/** `mediavault share revoke <id>`: its link, its guests' sessions and its media URLs end (idempotent). */
export function runShareRevoke(shareId: string, options: Common): Promise<number> {
  return withClient(options, async (client, output) => {
    const id = checkShareId(shareId);
    const share = await client.revokeShare({ params: { shareId: id } }).catch((err) => {
      throw shareNotFound(err, id);
    });
    output.event('summary', { id: share.id, state: share.state, revokedAt: share.revokedAt });
    output.line(`revoked share ${share.id} (${share.name})`);
    return exitCodes.ok;
  });
}

function auditLine(e: AuditEntry): string {
  const who = e.actor?.name ?? e.guestName ?? (e.sessionId ? 'guest' : '');
  const what = e.assetName ? ` ${e.assetName}${e.versionNumber ? ` v${e.versionNumber}` : ''}` : '';
  const from = e.clientAddress ? ` from ${e.clientAddress}` : '';
  return `${new Date(e.at).toISOString()}  ${e.event.padEnd(18)}  ${who}${what}${from}`;
}

/** `mediavault share audit <id> [--csv]`: what happened with a share, oldest first (--csv: the api's CSV export). */
export function runShareAudit(shareId: string, options: Common & { csv?: boolean }): Promise<number> {
  return withClient(options, async (client, output) => {
    const id = checkShareId(shareId);
    if (options.csv) {
      const csv = await client.exportShareAudit({ params: { shareId: id } }).catch((err) => {
        throw shareNotFound(err, id);
      });
      process.stdout.write(csv);
      return exitCodes.ok;
    }
    let cursor: string | undefined;
    let count = 0;
    do {
      const page = await client
        .listShareAudit({ params: { shareId: id }, query: { limit: 500, ...(cursor ? { cursor } : {}) } })
        .catch((err) => {
          throw shareNotFound(err, id);
        });
      for (const entry of page.items) {
        count++;
        // NDJSON lines name their kind in `event`: the entry's own event is its `action` there.
        const { event: action, ...fields } = entry;
        output.event('audit', { action, ...fields });
        output.line(auditLine(entry));
      }
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    output.event('summary', { id, count });
    return exitCodes.ok;
  });
}
