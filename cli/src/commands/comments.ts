import { writeFile } from 'node:fs/promises';
import type { MediavaultClient, OperationInput, OperationOutput } from '@mediavault/sdk';
// The SDK's review exports, from its sources until sdk/src/index.ts exports them (then: '@mediavault/sdk').
import { exportComments, parseFramePosition, versionTimeline, type ExportFormat } from '@mediavault/sdk';
import { CliError, exitCodes, UsageError } from '../exit-codes.ts';
import type { Output } from '../output.ts';
import { withClient, type Common } from './assets.ts';

type Asset = OperationOutput<'getAsset'>;
type Version = Asset['versions'][number];
type Comment = OperationOutput<'getComment'>;

/** The version numbered `number`, or the latest (versions come newest first). */
export function pickVersion(asset: Asset, number: number | undefined): Version {
  const version = number === undefined ? asset.versions[0] : asset.versions.find((v) => v.number === number);
  if (version) return version;
  const numbers = asset.versions.map((v) => v.number).sort((a, b) => a - b);
  throw new CliError(
    'version_not_found',
    number === undefined
      ? `asset ${asset.id} (${asset.name}) has no version yet`
      : `asset ${asset.id} (${asset.name}) has no version ${number}${numbers.length ? ` (its versions: ${numbers.join(', ')})` : ''}`,
  );
}

/** Every comment of the asset (or of one version), all pages, in the api's order. */
async function allComments(
  client: MediavaultClient,
  assetId: string,
  filter: { versionId?: string; open?: boolean },
): Promise<Comment[]> {
  const comments: Comment[] = [];
  let cursor: string | undefined;
  do {
    const page = await client.listComments({
      params: { assetId },
      query: {
        limit: 500,
        ...(filter.versionId ? { versionId: filter.versionId } : {}),
        ...(filter.open ? { resolved: false } : {}),
        ...(cursor ? { cursor } : {}),
      },
    });
    comments.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return comments;
}

const span = (c: Comment) => (c.endTimecode ? `${c.timecode}–${c.endTimecode}` : c.timecode);

function showComment(output: Output, c: Comment): void {
  output.event('comment', c);
  const tags = `${c.internal ? ' [internal]' : ''}${c.resolved && !c.parentId ? ' [resolved]' : ''}`;
  const said = c.deleted ? '(deleted)' : c.text.replace(/\s+/g, ' ').trim();
  output.line(
    `${c.id}  v${c.versionNumber}  ${span(c).padEnd(23)}  ${c.parentId ? '↳ ' : ''}${c.author.name}: ${said}${tags}`,
  );
}

/**
 * `mediavault comments list <assetId> [--version N] [--open]`: the notes of every version (newest
 * first) or of one, each version's in frame order, replies under their note.
 */
export function runCommentsList(
  assetId: string,
  options: Common & { version?: number; open?: boolean },
): Promise<number> {
  return withClient(options, async (client, output) => {
    const versionId =
      options.version === undefined
        ? undefined
        : pickVersion(await client.getAsset({ params: { assetId } }), options.version).id;
    const comments = await allComments(client, assetId, { versionId, open: options.open });
    for (const c of comments) showComment(output, c);
    output.event('summary', { assetId, versionNumber: options.version ?? null, count: comments.length });
    if (comments.length === 0) output.info('no comments');
    return exitCodes.ok;
  });
}

/** A position option read on the version's clock; a bad one is the user's to fix (exit 2). */
function position(option: string, text: string, version: Version): number {
  try {
    return parseFramePosition(text, versionTimeline(version.meta));
  } catch (err) {
    if ((err as { code?: string }).code === 'invalid_position')
      throw new UsageError(`${option}: ${(err as Error).message}`);
    throw err;
  }
}

/** Longest comment text the api takes, in characters (Unicode code points). */
const maxText = 10_000;

export interface AddOptions extends Common {
  at?: string;
  to?: string;
  text: string;
  replyTo?: string;
  version?: number;
  internal?: boolean;
}

/**
 * `mediavault comments add <assetId> --at <timecode|frame> [--to …] --text T`: a note pinned to a
 * frame (or a range, --to inclusive) of a version, the latest by default. Positions are read on
 * the version's clock before anything is sent; a reply (--reply-to) sits on its note's frame.
 */
export function runCommentsAdd(assetId: string, options: AddOptions): Promise<number> {
  return withClient(options, async (client, output) => {
    const characters = [...options.text].length;
    if (options.text.trim() === '') throw new UsageError('--text is empty');
    if (characters > maxText) throw new UsageError(`--text is ${characters} characters; at most ${maxText}`);
    let body: OperationInput<'createComment'>['body'];
    if (options.replyTo) {
      if (options.at !== undefined || options.to !== undefined || options.version !== undefined)
        throw new UsageError("a reply sits on its note's version and frame: leave out --at, --to and --version");
      body = { text: options.text, parentId: options.replyTo };
    } else {
      if (options.at === undefined) throw new UsageError('--at <timecode|frame> is required (except with --reply-to)');
      const version = pickVersion(await client.getAsset({ params: { assetId } }), options.version);
      const frame = position('--at', options.at, version);
      const endFrame = options.to === undefined ? undefined : position('--to', options.to, version);
      if (endFrame !== undefined && endFrame < frame)
        throw new UsageError(
          `--to ${options.to} is before --at ${options.at}: a range ends on or after its first frame`,
        );
      body = { text: options.text, versionId: version.id, frame, ...(endFrame === undefined ? {} : { endFrame }) };
    }
    if (options.internal) body.internal = true;
    const comment = await client.createComment({ params: { assetId }, body });
    output.event('summary', comment);
    output.line(
      `${comment.id}  ${comment.parentId ? `reply to ${comment.parentId}` : 'comment'} at ${span(comment)} (frame ${comment.frame}) on version ${comment.versionNumber}${comment.internal ? ', internal' : ''}`,
    );
    return exitCodes.ok;
  });
}

/** `mediavault comments resolve|reopen <commentId>`: the state of the note's thread. */
export function runCommentsResolve(commentId: string, options: Common & { reopen?: boolean }): Promise<number> {
  return withClient(options, async (client, output) => {
    const input = { params: { commentId } };
    const comment = options.reopen ? await client.reopenComment(input) : await client.resolveComment(input);
    output.event('summary', comment);
    output.info(
      `${comment.resolved ? 'resolved' : 'reopened'} comment ${comment.id} (${span(comment)}, version ${comment.versionNumber})`,
    );
    return exitCodes.ok;
  });
}

/**
 * `mediavault comments export <assetId> --format csv|edl|json`: the notes of one version (the
 * latest by default) for a spreadsheet, an edit (Resolve and Premiere import the EDL as markers
 * at the notes' source timecode) or a script; to standard output or --output FILE.
 */
export function runCommentsExport(
  assetId: string,
  options: Common & { format: ExportFormat; version?: number; open?: boolean; output?: string },
): Promise<number> {
  return withClient(options, async (client, output) => {
    const asset = await client.getAsset({ params: { assetId } });
    const version = pickVersion(asset, options.version);
    const comments = await allComments(client, assetId, { versionId: version.id, open: options.open });
    let content: string;
    try {
      content = exportComments(options.format, comments, {
        assetId: asset.id,
        assetName: asset.name,
        versionId: version.id,
        versionNumber: version.number,
        timeline: versionTimeline(version.meta),
      });
    } catch (err) {
      if ((err as { code?: string }).code === 'edl_too_long')
        throw new CliError('edl_too_long', (err as Error).message);
      throw err;
    }
    const count = comments.filter((c) => !c.deleted).length;
    const summary = { assetId, versionNumber: version.number, format: options.format, count };
    if (options.output) {
      await writeFile(options.output, content);
      output.event('summary', { ...summary, output: options.output });
      output.info(`wrote ${count} notes of version ${version.number} of ${asset.name} to ${options.output}`);
    } else if (output.json) {
      output.event('summary', { ...summary, content });
    } else {
      process.stdout.write(content);
    }
    return exitCodes.ok;
  });
}
