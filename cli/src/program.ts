import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import cliPackage from '../package.json' with { type: 'json' };
import { exitCodes } from './exit-codes.ts';

interface DevCommand {
  runDev(options: { dataDir?: string; apiPort?: number; edgePort?: number; json: boolean }): Promise<number>;
}

function positiveInteger(name: string, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1 || n > max) throw new InvalidArgumentError(`${name} must be an integer from 1 to ${max}`);
    return n;
  };
}

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('must be a port number (0 picks a free one)');
  return n;
}

const sha256 = (value: string): string => {
  if (!/^[0-9a-f]{64}$/.test(value)) throw new InvalidArgumentError('must be a lowercase hex sha256 (64 characters)');
  return value;
};

// Command modules (and with them the SDK and undici) load only when their command runs:
// --help and usage errors answer fast.
const account = () => import('./commands/account.ts');
const assetCommands = () => import('./commands/assets.ts');
const upload = () => import('./commands/upload.ts');

/**
 * The `mediavault` program. Actions report their exit code through `done`;
 * commander's own errors (unknown option, missing argument) are usage errors.
 */
export function buildProgram(done: (code: number) => void): Command {
  const program = new Command('mediavault')
    .description('mediavault: upload, promote and review media assets')
    .version(cliPackage.version)
    .addOption(new Option('--profile <name>', 'CLI profile to use').env('MEDIAVAULT_PROFILE'))
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)');
  const global = () => program.opts<{ profile?: string }>();
  const json = () => new Option('--json', 'NDJSON output for scripts (last line: summary)');

  program.command('dev')
    .description('Run the whole platform on this machine (embedded PostgreSQL, fs storage, api, worker, edge)')
    .option('--data-dir <dir>', 'where the stack keeps its data (default ./.mediavault)')
    .option('--api-port <port>', 'api port', port)
    .option('--edge-port <port>', 'edge port', port)
    .addOption(json())
    .action(async (o: { dataDir?: string; apiPort?: number; edgePort?: number; json?: boolean }) => {
      // The dev stack pulls in api, worker and edge: loaded only for this command.
      const { runDev } = (await import('./dev/command.ts')) as DevCommand;
      done(await runDev({ dataDir: o.dataDir, apiPort: o.apiPort, edgePort: o.edgePort, json: o.json ?? false }));
    });

  program.command('login')
    .description('Check a token against an api and save it as a profile')
    .addOption(new Option('--url <url>', 'api base URL').env('MEDIAVAULT_URL'))
    .addOption(new Option('--token <token>', 'API token (mvt_...)').env('MEDIAVAULT_TOKEN'))
    .option('--project <project>', 'default project (id or name) for upload and assets list')
    .addOption(json())
    .action(async (o: { url?: string; token?: string; project?: string; json?: boolean }) => done(await (await account()).runLogin({ ...o, profile: global().profile })));

  program.command('whoami')
    .description('Show the user, organization and projects of the current token')
    .addOption(json())
    .action(async (o: { json?: boolean }) => done(await (await account()).runWhoami({ ...o, profile: global().profile })));

  program.command('upload')
    .description('Upload files and folders (recursively); with --promote, make them versioned assets')
    .argument('<paths...>', 'files and folders')
    .option('--project <project>', 'project id or name (default: the profile\'s project)')
    .option('--promote', 'promote each file after its upload and wait until it is an asset version')
    .option('--collection <path>', 'collection path the files (and folder structure) go under when promoting')
    .option('--concurrency <n>', 'parts in flight per file', positiveInteger('--concurrency', 64), 4)
    .option('--parallel <n>', 'files in flight', positiveInteger('--parallel', 32), 2)
    .option('--hash-first', 'hash each file before uploading so bytes already stored are not sent again (reads files twice)')
    .addOption(json())
    .action(async (paths: string[], o: { project?: string; promote?: boolean; collection?: string; concurrency: number; parallel: number; hashFirst?: boolean; json?: boolean }) => {
      done(await (await upload()).runUpload(paths, { ...o, profile: global().profile }));
    });

  const assets = program.command('assets').description('Browse assets');
  assets.command('list')
    .description('List the assets of a project, newest first')
    .option('--project <project>', 'project id or name (default: the profile\'s project)')
    .addOption(json())
    .action(async (o: { project?: string; json?: boolean }) => done(await (await assetCommands()).runAssetsList({ ...o, profile: global().profile })));
  assets.command('show')
    .description('An asset with its versions and technical metadata, as JSON')
    .argument('<assetId>')
    .addOption(json())
    .action(async (assetId: string, o: { json?: boolean }) => done(await (await assetCommands()).runAssetsShow(assetId, { ...o, profile: global().profile })));

  program.command('preview')
    .description('Request the preview build of a master (idempotent) and show its state')
    .argument('<sha256>', 'sha256 of the master', sha256)
    .option('--wait', 'wait until the preview is ready (exit 1 if the build fails)')
    .option('--timeout <seconds>', 'give up waiting after this long', positiveInteger('--timeout', 86400))
    .addOption(json())
    .action(async (sha: string, o: { wait?: boolean; timeout?: number; json?: boolean }) => {
      done(await (await assetCommands()).runPreview(sha, { ...o, timeout: o.timeout ? o.timeout * 1000 : undefined, profile: global().profile }));
    });

  program.command('playback')
    .description('Signed playback URLs of an asset: the reviewer page and the HLS manifest')
    .argument('<assetId>')
    .option('--version-id <versionId>', 'a specific version (default: the latest)')
    .addOption(json())
    .action(async (assetId: string, o: { versionId?: string; json?: boolean }) => done(await (await assetCommands()).runPlayback(assetId, { json: o.json, version: o.versionId, profile: global().profile })));

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
