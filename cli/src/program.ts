import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import cliPackage from '../package.json' with { type: 'json' };
import type { AddOptions } from './commands/comments.ts';
import type { ShareCreateOptions } from './commands/share.ts';
import { exitCodes } from './exit-codes.ts';

interface DevCommand {
  runDev(options: {
    dataDir?: string;
    apiPort?: number;
    edgePort?: number;
    json: boolean;
    quiet: boolean;
  }): Promise<number>;
}

function positiveInteger(name: string, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1 || n > max)
      throw new InvalidArgumentError(`${name} must be an integer from 1 to ${max}`);
    return n;
  };
}

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new InvalidArgumentError('must be a port number (0 picks a free one)');
  return n;
}

const sha256 = (value: string): string => {
  if (!/^[0-9a-f]{64}$/.test(value)) throw new InvalidArgumentError('must be a lowercase hex sha256 (64 characters)');
  return value;
};

/** An id argument (asset, comment): a UUID, refused as a usage error before anything is sent. */
const uuid = (what: string) => (value: string) => {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value))
    throw new InvalidArgumentError(`must be ${what} id (a UUID)`);
  return value.toLowerCase();
};

// Command modules (and with them the SDK and undici) load only when their command runs:
// --help and usage errors answer fast.
const account = () => import('./commands/account.ts');
const assetCommands = () => import('./commands/assets.ts');
const upload = () => import('./commands/upload.ts');
const tokenCommands = () => import('./commands/tokens.ts');
const reviewCommand = () => import('./commands/review.ts');
const commentCommands = () => import('./commands/comments.ts');
const approveCommand = () => import('./commands/approve.ts');
const shareCommands = () => import('./commands/share.ts');

/**
 * The `mediavault` program. Actions report their exit code through `done`;
 * commander's own errors (unknown option, missing argument) are usage errors.
 */
export function buildProgram(done: (code: number) => void): Command {
  const program = new Command('mediavault')
    .description('mediavault: upload, promote and review media assets')
    .version(cliPackage.version)
    .addOption(new Option('--profile <name>', 'CLI profile to use').env('MEDIAVAULT_PROFILE'))
    .option('-q, --quiet', 'no progress and no status lines: only results (lists, URLs) and errors')
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)')
    // The program's options end at the command, so that a command can have its own `--version <n>`
    // (review, comments); -q and --profile are given to every command as well (see the end).
    .enablePositionalOptions();
  /** The program's -q and --profile, or the running command's copies of them. */
  let commandOptions: { profile?: string; quiet?: boolean } = {};
  program.hook('preAction', (_program, command) => {
    commandOptions = command.opts();
  });
  const global = () => {
    const { profile, quiet } = program.opts<{ profile?: string; quiet?: boolean }>();
    return { profile: commandOptions.profile ?? profile, quiet: (commandOptions.quiet || quiet) ?? false };
  };
  const json = () => new Option('--json', 'NDJSON output for scripts (last line: summary)');

  program
    .command('dev')
    .description('Run the whole platform on this machine (embedded PostgreSQL, fs storage, api, worker, edge)')
    .option('--data-dir <dir>', 'where the stack keeps its data (default ./.mediavault)')
    .option('--api-port <port>', 'api port', port)
    .option('--edge-port <port>', 'edge port', port)
    .addOption(json())
    .action(async (o: { dataDir?: string; apiPort?: number; edgePort?: number; json?: boolean }) => {
      // The dev stack pulls in api, worker and edge: loaded only for this command.
      const { runDev } = (await import('./dev/command.ts')) as DevCommand;
      done(
        await runDev({
          dataDir: o.dataDir,
          apiPort: o.apiPort,
          edgePort: o.edgePort,
          json: o.json ?? false,
          quiet: global().quiet,
        }),
      );
    });

  program
    .command('login')
    .description('Check a token against an api and save it as a profile')
    .addOption(new Option('--url <url>', 'api base URL').env('MEDIAVAULT_URL'))
    .addOption(new Option('--token <token>', 'API token (mvt_...)').env('MEDIAVAULT_TOKEN'))
    .option('--project <project>', 'default project (id or name) for upload and assets list')
    .addOption(json())
    .action(async (o: { url?: string; token?: string; project?: string; json?: boolean }) =>
      done(await (await account()).runLogin({ ...o, ...global() })),
    );

  program
    .command('whoami')
    .description('Show the user, organization and projects of the current token')
    .addOption(json())
    .action(async (o: { json?: boolean }) => done(await (await account()).runWhoami({ ...o, ...global() })));

  const collect = (value: string, previous: string[] = []) => [...previous, value];
  program
    .command('upload')
    .description(
      'Upload files and folders (recursively); with --promote, make them versioned assets. Run the same command again after a crash or Ctrl-C: only what the server does not hold yet is sent.',
    )
    .argument('<paths...>', 'files and folders')
    .option('--project <project>', "project id or name (default: the profile's project)")
    .option('--promote', 'promote each file after its upload (folders become collections)')
    .option('--collection <path>', 'collection path the files (and folder structure) go under when promoting')
    .option('--version-of <assetId>', 'promote the one file given as a new version of this asset (implies --promote)')
    .option('--concurrency <n>', 'parts in flight per file', positiveInteger('--concurrency', 64), 4)
    .option('--parallel <n>', 'files in flight', positiveInteger('--parallel', 64), 4)
    .option(
      '--part-size <MiB>',
      'preferred part size; files up to one part are hashed before sending, so bytes already stored are never sent',
      positiveInteger('--part-size', 5120),
    )
    .option(
      '--dedup',
      'the default: bytes already archived are not sent; a file larger than one part is fingerprinted (first and last MiB) and hashed whole only when the archive may hold it',
    )
    .option('--no-dedup', 'send files larger than one part without asking the archive first')
    .addOption(new Option('--hash-first', 'same as --dedup').hideHelp())
    .option(
      '--include <glob>',
      'only files matching (repeatable; path relative to the given folder, a glob without "/" matches names)',
      collect,
    )
    .option('--exclude <glob>', 'also skip files and folders matching (repeatable)', collect)
    .option(
      '--no-default-excludes',
      'do not skip NAS litter (.DS_Store, ._*, Thumbs.db, @eaDir, .snapshot, .Trashes, …)',
    )
    .option('--follow-symlinks', 'follow symbolic links inside folders (default: skip and report them)')
    .option(
      '--mhl <file>',
      'verify files against this ASC MHL too (repeatable; ascmhl/ folders are found automatically)',
      collect,
    )
    .option('--no-resume', 'ignore the resume journal and start every file over')
    .option('--dry-run', 'list what would be sent and skipped; send nothing')
    .addOption(json())
    .action(
      async (
        paths: string[],
        o: {
          project?: string;
          promote?: boolean;
          collection?: string;
          versionOf?: string;
          concurrency: number;
          parallel: number;
          partSize?: number;
          dedup?: boolean;
          hashFirst?: boolean;
          include?: string[];
          exclude?: string[];
          defaultExcludes?: boolean;
          followSymlinks?: boolean;
          mhl?: string[];
          resume?: boolean;
          dryRun?: boolean;
          json?: boolean;
        },
      ) => {
        if (o.partSize !== undefined && o.partSize < 5)
          throw new InvalidArgumentError('--part-size must be at least 5 (MiB)');
        done(await (await upload()).runUpload(paths, { ...o, dedup: o.hashFirst || (o.dedup ?? true), ...global() }));
      },
    );

  const assets = program.command('assets').description('Browse assets');
  assets
    .command('list')
    .description('List the assets of a project, newest first')
    .option('--project <project>', "project id or name (default: the profile's project)")
    .addOption(json())
    .action(async (o: { project?: string; json?: boolean }) =>
      done(await (await assetCommands()).runAssetsList({ ...o, ...global() })),
    );
  assets
    .command('show')
    .description('An asset with its versions and technical metadata, as JSON')
    .argument('<assetId>')
    .addOption(json())
    .action(async (assetId: string, o: { json?: boolean }) =>
      done(await (await assetCommands()).runAssetsShow(assetId, { ...o, ...global() })),
    );

  program
    .command('preview')
    .description('Request the preview build of a master (idempotent) and show its state')
    .argument('<sha256>', 'sha256 of the master', sha256)
    .option('--wait', 'wait until the preview is ready (exit 1 if the build fails)')
    .option('--timeout <seconds>', 'give up waiting after this long', positiveInteger('--timeout', 86400))
    .addOption(json())
    .action(async (sha: string, o: { wait?: boolean; timeout?: number; json?: boolean }) => {
      done(
        await (await assetCommands()).runPreview(sha, {
          ...o,
          timeout: o.timeout ? o.timeout * 1000 : undefined,
          ...global(),
        }),
      );
    });

  program
    .command('playback')
    .description(
      'Signed playback URLs of an asset: the reviewer page and the HLS manifest (a preview not built yet is requested)',
    )
    .argument('<assetId>')
    .option('--version-id <versionId>', 'a specific version (default: the latest)')
    .option('--wait', 'when the preview is not ready yet, wait for it, then print the URLs')
    .option('--timeout <seconds>', 'give up waiting after this long', positiveInteger('--timeout', 86400))
    .addOption(json())
    .action(async (assetId: string, o: { versionId?: string; wait?: boolean; timeout?: number; json?: boolean }) =>
      done(
        await (await assetCommands()).runPlayback(assetId, {
          json: o.json,
          version: o.versionId,
          wait: o.wait,
          timeout: o.timeout ? o.timeout * 1000 : undefined,
          ...global(),
        }),
      ),
    );

  program
    .command('review')
    .description(
      'A link that opens the review page signed in as you (once, within 10 minutes; then a 12 h browser session)',
    )
    .argument('<assetId>')
    .option('--version <n>', 'a version by its number (default: the latest)', positiveInteger('--version', 2 ** 31 - 1))
    .option('--open', 'open the link in your default browser too')
    .addOption(json())
    .action(async (assetId: string, o: { version?: number; open?: boolean; json?: boolean }) =>
      done(await (await reviewCommand()).runReview(assetId, { ...o, ...global() })),
    );

  const tokens = program.command('tokens').description('Your API tokens');
  tokens
    .command('list')
    .description('List your API tokens, revoked and expired ones too; the one in use is marked')
    .option('--all', "every user's tokens (organization admins)")
    .addOption(json())
    .action(async (o: { all?: boolean; json?: boolean }) =>
      done(await (await tokenCommands()).runTokensList({ ...o, ...global() })),
    );
  tokens
    .command('revoke')
    .description('Revoke a token: refused from its next request on, its event streams closed')
    .argument('<tokenId>', 'the id `mediavault tokens list` shows')
    .addOption(json())
    .action(async (tokenId: string, o: { json?: boolean }) =>
      done(await (await tokenCommands()).runTokensRevoke(tokenId, { ...o, ...global() })),
    );

  const versionNumber = () =>
    new Option('--version <n>', 'version number (default: the latest)').argParser(
      positiveInteger('--version', 2 ** 31 - 1),
    );
  const position =
    "a timecode on the version's clock (01:00:10:05, or 01:00:10;05 drop-frame) or a frame number (0 is the first frame)";
  const comments = program.command('comments').description('Review notes pinned to frames of versions');
  comments
    .command('list')
    .description("An asset's notes: newest version first, then by frame, replies under their note")
    .argument('<assetId>', 'asset id', uuid('an asset'))
    .addOption(versionNumber().default(undefined, 'every version'))
    .option('--open', 'only notes not resolved yet')
    .addOption(json())
    .action(async (assetId: string, o: { version?: number; open?: boolean; json?: boolean }) =>
      done(await (await commentCommands()).runCommentsList(assetId, { ...o, ...global() })),
    );
  comments
    .command('add')
    .description('Pin a note to a frame, or a range of frames, of a version')
    .argument('<assetId>', 'asset id', uuid('an asset'))
    .option('--at <timecode|frame>', `the frame: ${position}`)
    .option('--to <timecode|frame>', 'the last frame of a range (inclusive), written the same way')
    .requiredOption('--text <text>', 'the note (up to 10,000 characters)')
    .option(
      '--reply-to <commentId>',
      "reply to a note (a reply sits on its note's version and frame)",
      uuid('a comment'),
    )
    .addOption(versionNumber())
    .option('--internal', 'for the team only: never shown to guests of a share link')
    .addOption(json())
    .action(async (assetId: string, o: Omit<AddOptions, 'profile' | 'quiet'>) =>
      done(await (await commentCommands()).runCommentsAdd(assetId, { ...o, ...global() })),
    );
  for (const [name, reopen] of [
    ['resolve', false],
    ['reopen', true],
  ] as const) {
    comments
      .command(name)
      .description(reopen ? "Reopen a resolved note's thread" : "Resolve a note's thread")
      .argument('<commentId>', 'comment id (`mediavault comments list` shows them)', uuid('a comment'))
      .addOption(json())
      .action(async (commentId: string, o: { json?: boolean }) =>
        done(await (await commentCommands()).runCommentsResolve(commentId, { ...o, reopen, ...global() })),
      );
  }
  comments
    .command('export')
    .description(
      "A version's notes as CSV, as a CMX3600 marker EDL (DaVinci Resolve: Timelines > Import > Timeline Markers from EDL; markers at the notes' source timecode) or as JSON",
    )
    .argument('<assetId>', 'asset id', uuid('an asset'))
    .addOption(
      new Option('--format <format>', 'csv, edl or json').choices(['csv', 'edl', 'json']).makeOptionMandatory(),
    )
    .addOption(versionNumber())
    .option('--open', 'only notes not resolved yet')
    .option('-o, --output <file>', 'write the export there (default: standard output)')
    .addOption(json())
    .action(
      async (
        assetId: string,
        o: { format: 'csv' | 'edl' | 'json'; version?: number; open?: boolean; output?: string; json?: boolean },
      ) => done(await (await commentCommands()).runCommentsExport(assetId, { ...o, ...global() })),
    );

  program
    .command('approve')
    .description('Record the review decision on a version: approved, changes requested, or none (withdrawn)')
    .argument('<assetId>', 'asset id', uuid('an asset'))
    .addOption(versionNumber())
    .addOption(
      new Option('--status <status>', 'the decision')
        .choices(['approved', 'changes-requested', 'none'])
        .makeOptionMandatory(),
    )
    .addOption(json())
    .action(
      async (
        assetId: string,
        o: { version?: number; status: 'approved' | 'changes-requested' | 'none'; json?: boolean },
      ) => done(await (await approveCommand()).runApprove(assetId, { ...o, ...global() })),
    );

  const share = program.command('share').description('Share links for clients: a page to watch, comment, download');
  share
    .command('create')
    .description(
      'Share assets (one: its latest version; several: a list) or a collection (a playlist); prints the link, shown once',
    )
    .argument('[assetIds...]', 'asset ids (of one project)')
    .option('--collection <path>', 'share a collection, read live, instead of assets (with --project)')
    .option('--project <project>', "the collection's project (id or name; default: the profile's)")
    .option('--expires <when>', 'a duration (30m, 12h, 7d, 2w) or a date (2027-01-31); default: never')
    .option('--password-stdin', 'read a password (8+ characters) from standard input; guests must give it')
    .addOption(
      new Option('--download <policy>', 'none; proxy: the MP4; master: the original too')
        .choices(['none', 'proxy', 'master'])
        .default('none'),
    )
    .option('--comments', 'guests may comment (under a name they give)')
    .option('--watermark <text>', 'burn this text in: {share}, {viewer} (the guest) and {date} are filled in')
    .option('--name <name>', 'what guests see (default: the collection path, or "Shared asset")')
    .addOption(new Option('--json', 'one line: {"id","url"}'))
    .action(async (assetIds: string[], o: Omit<ShareCreateOptions, 'profile' | 'quiet'>) =>
      done(await (await shareCommands()).runShareCreate(assetIds, { ...o, ...global() })),
    );
  share
    .command('list')
    .description('The shares you may manage, newest first: state, kind, policy')
    .option('--project <project>', 'only this project (id or name)')
    .addOption(json())
    .action(async (o: { project?: string; json?: boolean }) =>
      done(await (await shareCommands()).runShareList({ ...o, ...global() })),
    );
  share
    .command('revoke')
    .description("End a share now: its link, its guests' sessions, and (within a second) its media URLs")
    .argument('<shareId>', 'share id (`mediavault share list` shows them)', uuid('a share'))
    .addOption(json())
    .action(async (shareId: string, o: { json?: boolean }) =>
      done(await (await shareCommands()).runShareRevoke(shareId, { ...o, ...global() })),
    );
  share
    .command('audit')
    .description("A share's audit trail: changes, opens, plays, downloads, comments, password tries")
    .argument('<shareId>', 'share id', uuid('a share'))
    .option('--csv', 'the whole trail as CSV (RFC 4180) on standard output')
    .addOption(json())
    .action(async (shareId: string, o: { csv?: boolean; json?: boolean }) =>
      done(await (await shareCommands()).runShareAudit(shareId, { ...o, ...global() })),
    );

  // -q and --profile after the command, as before the program's options became positional.
  const leaves = (command: Command): Command[] =>
    command.commands.length === 0 ? [command] : command.commands.flatMap(leaves);
  for (const command of program.commands.flatMap(leaves))
    command.addOption(new Option('--profile <name>').hideHelp()).addOption(new Option('-q, --quiet').hideHelp());

  return program;
}

/** Runs the CLI on argv (without node and script) and resolves to the exit code. */
export async function main(argv: string[]): Promise<number> {
  let code: number = exitCodes.ok;
  const program = buildProgram((c) => {
    code = c;
  });
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? exitCodes.ok : exitCodes.usage;
    throw err;
  }
  return code;
}
