import { dirname, join } from 'node:path';
import {
  Ingest,
  MediavaultApiError,
  planUpload,
  type IngestSummary,
  type MediavaultClient,
  type OperationOutput,
} from '@mediavault/sdk';
import { connect, resolveConnection, resolveProject, uuidPattern, type Connection } from '../connection.ts';
import { CliError, exitCodes, UsageError } from '../exit-codes.ts';
import { createOutput, reportFailure } from '../output.ts';
import { profilePath } from '../profile.ts';
import { UploadReport } from '../upload-report.ts';

export interface UploadOptions {
  project?: string;
  promote?: boolean;
  collection?: string;
  /** Promote the one file as a new version of this asset (implies promote). */
  versionOf?: string;
  /** Parts in flight per file. */
  concurrency: number;
  /** Files in flight. */
  parallel: number;
  /** false (--no-dedup): files above one part are sent without asking the archive first. Default true. */
  dedup?: boolean;
  /** Preferred part size in MiB; files up to one part are always hashed first (dedup at no extra read). */
  partSize?: number;
  dryRun?: boolean;
  include?: string[];
  exclude?: string[];
  /** commander's --no-default-excludes. */
  defaultExcludes?: boolean;
  followSymlinks?: boolean;
  mhl?: string[];
  /** commander's --no-resume: ignore (and replace) the resume journal. */
  resume?: boolean;
  json?: boolean;
  quiet?: boolean;
  profile?: string;
}

/**
 * `mediavault upload <paths…>`: checks the options, plans the upload and runs
 * it through the SDK's ingest (see @mediavault/sdk ingest.ts: batches, parallel
 * files, promotion, MHL sidecars, the resume journal), showing its events (see
 * upload-report.ts). One file's failure never stops the others; the exit code
 * says whether all, some or none made it. Ctrl-C or SIGTERM stops at once with
 * a summary of what is done: run the same command again to go on.
 */
export async function runUpload(paths: string[], options: UploadOptions): Promise<number> {
  const output = createOutput(options.json ?? false, options.quiet ?? false);
  let client: MediavaultClient | undefined;
  try {
    const connection = resolveConnection(options);
    if (options.versionOf !== undefined) {
      if (!uuidPattern.test(options.versionOf))
        throw new UsageError(`--version-of takes an asset id (a UUID), not "${options.versionOf}"`);
      if (options.collection !== undefined)
        throw new UsageError("a new version stays in its asset's collection: leave --collection out with --version-of");
      options = { ...options, versionOf: options.versionOf.toLowerCase(), promote: true };
    }
    client = connect(connection);
    const project = options.versionOf
      ? await projectOfAsset(client, options.versionOf, options.project, connection)
      : await resolveProject(client, options.project, connection);
    const plan = await planUpload(paths, {
      collection: options.collection,
      include: options.include,
      exclude: options.exclude,
      defaultExcludes: options.defaultExcludes,
      followSymlinks: options.followSymlinks,
      mhlFiles: options.mhl,
    }).catch((err: unknown) => {
      if ((err as { code?: string }).code === 'mhl_invalid') throw new CliError('mhl_invalid', (err as Error).message);
      throw err;
    });
    if (options.versionOf && plan.files.length + plan.problems.length !== 1) {
      throw new UsageError(
        `--version-of stacks one file on an asset; ${plan.files.length + plan.problems.length} files were given`,
      );
    }
    const report = new UploadReport(output, { dryRun: options.dryRun ?? false });
    const ingest = new Ingest(client, {
      projectId: project.id,
      plan,
      journalDir: join(dirname(profilePath()), 'uploads'),
      promote: options.promote,
      versionOf: options.versionOf,
      concurrency: options.concurrency,
      parallel: options.parallel,
      dedup: options.dedup,
      ...(options.partSize ? { partSize: options.partSize * 1024 ** 2 } : {}),
      resume: options.resume,
      onEvent: (event, source) => report.event(event, source),
      onProgress: () => report.progress(),
    });
    if (options.dryRun) {
      const summary = await ingest.dryRun();
      report.dryRunSummary(summary);
      if (summary.failed === 0) return exitCodes.ok;
      return summary.files === 0 ? exitCodes.failed : exitCodes.partlyFailed;
    }

    await report.prepareView(ingest.progress);
    // What is stored stays stored (the journal is written as each part lands, synchronously),
    // so stop at once and say how to go on instead of dying mid-frame.
    const interrupt = (signal: NodeJS.Signals): never => {
      report.finishView();
      const summary = ingest.summary(signal);
      const files = plan.files.length + plan.problems.length;
      const done = summary.files.length;
      output.event('interrupted', { signal, files, done });
      output.info(
        `interrupted: ${done} of ${files} file${files === 1 ? '' : 's'} done; run the same command again to go on (parts and files already stored are not sent again)`,
      );
      report.summary(summary, plan.skipped.length);
      process.exit(signal === 'SIGINT' ? exitCodes.interrupted : exitCodes.terminated);
    };
    process.once('SIGINT', interrupt);
    process.once('SIGTERM', interrupt);
    let summary: IngestSummary;
    try {
      summary = await ingest.run();
    } finally {
      process.off('SIGINT', interrupt);
      process.off('SIGTERM', interrupt);
    }
    report.finishView();
    report.summary(summary, plan.skipped.length);
    if (summary.failed === 0) return exitCodes.ok;
    return summary.files.every((o) => o.status === 'failed') ? exitCodes.failed : exitCodes.partlyFailed;
  } catch (err) {
    return reportFailure(output, err);
  } finally {
    await client?.close();
  }
}

/** --version-of: the asset's project, where the upload goes (and --project, if given, must name it). */
async function projectOfAsset(
  client: MediavaultClient,
  assetId: string,
  givenProject: string | undefined,
  connection: Connection,
): Promise<{ id: string; name: string }> {
  let asset: OperationOutput<'getAsset'>;
  try {
    asset = await client.getAsset({ params: { assetId } });
  } catch (err) {
    if (err instanceof MediavaultApiError && err.status === 404)
      throw new CliError('asset_not_found', `asset ${assetId} not found (or you have no role in its project)`);
    throw err;
  }
  const project = await resolveProject(client, givenProject ?? asset.projectId, connection);
  if (project.id !== asset.projectId)
    throw new UsageError(`asset ${assetId} is not in project ${givenProject}: leave --project out with --version-of`);
  return project;
}
