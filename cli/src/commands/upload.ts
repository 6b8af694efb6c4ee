import { readFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import pLimit from 'p-limit';
import {
  ByteBudget,
  createMhlCheck,
  createPromotionWatcher,
  defaultPartSize,
  hashFile,
  maxBatchFileBytes,
  MediavaultApiError,
  MediavaultError,
  uploadFile,
  uploadFileBatch,
  UploadJournal,
  type BatchFile,
  type JournalEntry,
  type MediavaultClient,
  type MhlCheck,
  type PromotionWatcher,
  type UploadFileResult,
} from '@mediavault/sdk';
import { connect, resolveConnection, resolveProject, uuidPattern, type Connection } from '../connection.ts';
import { CliError, exitCodes, UsageError } from '../exit-codes.ts';
import { createOutput, errorFields, formatBytes, reportFailure, type Output } from '../output.ts';
import { profilePath } from '../profile.ts';
import { planUpload, type MhlHistory, type PlannedFile, type UploadPlan } from '../upload-plan.ts';
import type { ActiveFile, UploadViewState } from '../views/upload-view.ts';

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
  /** Hash every file before sending so bytes already stored are never sent (reads files above one part twice). */
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
  profile?: string;
}

type FileStatus =
  | 'uploaded'
  | 'duplicate'
  | 'promoted'
  | 'deduplicated'
  | 'already-uploaded'
  | 'already-promoted'
  | 'failed';

interface FileOutcome {
  path: string;
  sha256: string | null;
  assetId: string | null;
  versionId: string | null;
  status: FileStatus;
}

interface Tally {
  sent: number;
  deduplicated: number;
  skipped: number;
  failed: number;
  /** Bytes sent over the network. */
  bytes: number;
}

/** Bytes of file parts held in memory at once, across all large files in flight: keeps a 4 GiB file (or 32 of them) well under 300 MB RSS. */
const partMemoryBudget = 96 * 1024 ** 2;
/** Promotions awaited at once; upload lanes wait when this many are outstanding. */
const promotionsInFlight = 256;
/**
 * Files no larger than one part go in batches (one presign and one completion call
 * per batch, one PUT per file) of at most this many files and bytes; a few batches
 * run at once so reading, sending and completing overlap.
 */
const batchLimits = { files: 250, bytes: 24 * 1024 ** 2, inFlight: 2 };
/**
 * Small files have a budget of their own, the bytes of the batches in flight. A batch holds
 * its files from the read through its presign round trip to their PUTs; in one queue with the
 * parts of large files, each waited on the other (2,000 small + 4 large files: 19.6 s instead
 * of 21.1 s, medians of three side by side).
 */
const batchMemoryBudget = batchLimits.bytes * batchLimits.inFlight;
/** ASC MHL sidecars the api takes. */
const maxSidecarBytes = 10 * 1024 ** 2;

/**
 * `mediavault upload <paths…>`: plans (walks folders, skips NAS litter, reads
 * ASC MHL histories), then uploads `parallel` files at once, each reading its
 * bytes once (sha256, part checksums and MHL hashes on the same read), with
 * --promote promotes each file as soon as it is uploaded (awaited through the
 * event stream, not by holding an upload lane), stores MHL files as sidecars
 * of the versions they verified, and prints a summary. One file's failure
 * never stops the others; the exit code says whether all, some or none made it.
 * A resume journal lets the same command, run again after a crash, send only
 * what the server does not hold yet.
 */
export async function runUpload(paths: string[], options: UploadOptions): Promise<number> {
  const output = createOutput(options.json ?? false);
  let client: MediavaultClient | undefined;
  let watcher: PromotionWatcher | null = null;
  let journal: UploadJournal | undefined;
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
    journal = new UploadJournal(join(dirname(profilePath()), 'uploads'));
    if (options.dryRun) return dryRun(output, plan, journal, connection, project.id, options);
    if (options.promote) watcher = createPromotionWatcher(client, { projectId: project.id });
    const ingest = new Ingest({ client, output, connection, projectId: project.id, plan, journal, watcher, options });
    return await ingest.run();
  } catch (err) {
    return reportFailure(output, err);
  } finally {
    watcher?.close();
    journal?.close();
    await client?.close();
  }
}

function reportPlanned(output: Output, plan: UploadPlan): void {
  for (const skip of plan.skipped) {
    output.event('skip', { path: skip.path, reason: skip.reason, ...(skip.detail ? { detail: skip.detail } : {}) });
  }
  for (const problem of plan.problems) {
    output.event('error', { path: problem.path, code: problem.code, message: problem.message });
    output.problem(`error  ${problem.message}`);
  }
}

/** --version-of: the asset's project, where the upload goes (and --project, if given, must name it). */
async function projectOfAsset(
  client: MediavaultClient,
  assetId: string,
  givenProject: string | undefined,
  connection: Connection,
): Promise<{ id: string; name: string }> {
  let asset;
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

/**
 * The journal's entry for a file, or null when there is none, the file changed since, or
 * `--no-resume`. An entry that says the file was promoted elsewhere than the asset it is now
 * to be a version of is no answer either: that promotion is not the one asked for.
 */
function journalEntryFor(
  journal: UploadJournal,
  connection: Connection,
  projectId: string,
  file: PlannedFile,
  options: Pick<UploadOptions, 'resume' | 'versionOf'>,
): JournalEntry | null {
  const subject = { apiUrl: connection.url, projectId, path: file.absolutePath };
  const entry = journal.read(subject);
  if (entry && (options.resume === false || entry.size !== file.size || entry.mtimeMs !== file.mtimeMs)) {
    journal.remove(subject);
    return null;
  }
  if (entry?.state === 'promoted' && options.versionOf && entry.assetId !== options.versionOf) return null;
  return entry;
}

/** --dry-run: what would be sent, resumed and skipped; nothing is sent and the journal is not touched. */
function dryRun(
  output: Output,
  plan: UploadPlan,
  journal: UploadJournal,
  connection: Connection,
  projectId: string,
  options: UploadOptions,
): number {
  reportPlanned(output, plan);
  for (const skip of plan.skipped)
    output.line(`skip         ${skip.path}  (${skip.reason}${skip.detail ? `: ${skip.detail}` : ''})`);
  let bytes = 0;
  for (const file of plan.files) {
    const entry =
      options.resume === false ? null : journal.read({ apiUrl: connection.url, projectId, path: file.absolutePath });
    const current = entry && entry.size === file.size && entry.mtimeMs === file.mtimeMs ? entry : null;
    const action =
      current?.state === 'promoted'
        ? 'already-promoted'
        : current?.state === 'uploaded'
          ? 'already-uploaded'
          : current
            ? 'resume'
            : 'send';
    if (action === 'send' || action === 'resume') bytes += file.size;
    output.event('would-send', {
      path: file.path,
      name: file.name,
      size: file.size,
      action,
      ...(options.promote && file.collectionPath ? { collectionPath: file.collectionPath } : {}),
      ...(file.mhl ? { mhl: file.mhl.history.files.map((f) => basename(f)) } : {}),
    });
    output.line(
      `${action.padEnd(12)} ${file.path}  ${formatBytes(file.size)}${options.promote && file.collectionPath ? `  → ${file.collectionPath}` : ''}${file.mhl ? '  (MHL)' : ''}`,
    );
  }
  output.event('summary', {
    dryRun: true,
    files: plan.files.length,
    bytes,
    skipped: plan.skipped.length,
    failed: plan.problems.length,
  });
  output.line(
    `dry run: ${plan.files.length} file${plan.files.length === 1 ? '' : 's'} (${formatBytes(bytes)} to send), ${plan.skipped.length} skipped, ${plan.problems.length} problem${plan.problems.length === 1 ? '' : 's'}; nothing was sent`,
  );
  return plan.problems.length === 0
    ? exitCodes.ok
    : plan.files.length === 0
      ? exitCodes.failed
      : exitCodes.partlyFailed;
}

/** One run of `mediavault upload` (not a dry run). */
class Ingest {
  readonly outcomes = new Map<string, FileOutcome>();
  readonly tally: Tally = { sent: 0, deduplicated: 0, skipped: 0, failed: 0, bytes: 0 };
  /** Versions each MHL history verified, for its sidecars. */
  readonly verifiedVersions = new Map<MhlHistory, string[]>();
  readonly memory = new ByteBudget(partMemoryBudget);
  readonly batchMemory = new ByteBudget(batchMemoryBudget);
  /** Waits for promotions, at most promotionsInFlight at once; an upload lane waits for a slot. */
  readonly promotionSlots = pLimit(promotionsInFlight);
  readonly promotions: Promise<void>[] = [];
  readonly partSize: number;
  startedAt = Date.now();
  /** Bytes sent of the files (and batches) not finished yet; the tally counts a file's bytes when it is done. */
  readonly bytesInFlight = new Map<ActiveFile, number>();
  view: UploadViewState | null = null;
  screen: { update(): void; finish(): void } | null = null;

  readonly client: MediavaultClient;
  readonly output: Output;
  readonly connection: Connection;
  readonly projectId: string;
  readonly plan: UploadPlan;
  readonly journal: UploadJournal;
  readonly watcher: PromotionWatcher | null;
  readonly options: UploadOptions;

  constructor(context: {
    client: MediavaultClient;
    output: Output;
    connection: Connection;
    projectId: string;
    plan: UploadPlan;
    journal: UploadJournal;
    watcher: PromotionWatcher | null;
    options: UploadOptions;
  }) {
    this.client = context.client;
    this.output = context.output;
    this.connection = context.connection;
    this.projectId = context.projectId;
    this.plan = context.plan;
    this.journal = context.journal;
    this.watcher = context.watcher;
    this.options = context.options;
    this.partSize = context.options.partSize ? context.options.partSize * 1024 ** 2 : defaultPartSize;
  }

  async run(): Promise<number> {
    const { output, plan, tally } = this;
    reportPlanned(output, plan);
    tally.skipped += plan.skipped.length;
    for (const problem of plan.problems)
      this.fail(problem.path, null, { code: problem.code, message: problem.message }, false);

    if (!output.json && process.stdout.isTTY) {
      const now = Date.now();
      this.view = {
        totalFiles: plan.files.length,
        totalBytes: plan.files.reduce((sum, f) => sum + f.size, 0),
        bytesDone: 0,
        bytesSent: 0,
        finished: 0,
        failed: 0,
        startedAt: now,
        now,
        active: [],
        finishedLines: [],
      };
      // ink (and React) load only when there is a terminal to draw on.
      this.screen = (await import('../views/upload-view.ts')).startUploadView(this.view);
    }
    this.startedAt = Date.now();
    const onSignal = (signal: NodeJS.Signals) => this.interrupt(signal);
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    try {
      await this.sendAll();
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
    this.screen?.finish();

    const ordered = this.reportSummary();
    if (tally.failed === 0) return exitCodes.ok;
    return ordered.every((o) => o.status === 'failed') ? exitCodes.failed : exitCodes.partlyFailed;
  }

  /**
   * The last line, for people and for scripts alike: every file's outcome (after an
   * interruption, of the files done) and the totals. Answers the outcomes, in plan order.
   */
  reportSummary(interrupted?: NodeJS.Signals): FileOutcome[] {
    const { output, plan, tally } = this;
    const elapsedMs = Date.now() - this.startedAt;
    const ordered = [...plan.problems.map((p) => p.path), ...plan.files.map((f) => f.path)].flatMap(
      (p) => this.outcomes.get(p) ?? [],
    );
    // Interrupted, the bytes of unfinished files went over the wire too (and stay stored for the next run).
    const bytes = tally.bytes + (interrupted ? [...this.bytesInFlight.values()].reduce((sum, n) => sum + n, 0) : 0);
    const bytesPerSecond = Math.round(bytes / Math.max(0.001, elapsedMs / 1000));
    output.event('summary', {
      files: ordered,
      ...tally,
      bytes,
      elapsedMs,
      bytesPerSecond,
      peakRssBytes: process.resourceUsage().maxRSS * 1024,
      ...(interrupted ? { interrupted } : {}),
    });
    // Counted with the files the plan skipped (litter, excluded, MHL documents), as `skipped` counts them.
    const counted = ordered.length + plan.skipped.length;
    output.line(
      `${counted} file${counted === 1 ? '' : 's'}${interrupted ? ' done' : ''}: ${tally.sent} sent, ${tally.deduplicated} deduplicated, ${tally.skipped} skipped, ${tally.failed} failed; ${formatBytes(bytes)} sent in ${(elapsedMs / 1000).toFixed(1)} s (${(bytesPerSecond / 1e6).toFixed(1)} MB/s)`,
    );
    return ordered;
  }

  /** Every planned file sent (or found stored), promotions awaited, MHL sidecars stored. */
  async sendAll(): Promise<void> {
    // Small new files go in batches; large files, and any file with a resume journal entry, one by one.
    const single: PlannedFile[] = [];
    const batchable: PlannedFile[] = [];
    for (const file of this.plan.files) {
      const entry = journalEntryFor(this.journal, this.connection, this.projectId, file, this.options);
      (!entry && file.size <= Math.min(this.partSize, maxBatchFileBytes) ? batchable : single).push(file);
    }
    await Promise.all([
      pLimit(Math.max(1, this.options.parallel)).map(single, (file) => this.processFile(file)),
      pLimit(batchLimits.inFlight).map(inBatches(batchable), (batch) => this.processBatch(batch)),
    ]);
    await Promise.all(this.promotions);
    await this.storeSidecars();
  }

  /**
   * Ctrl-C or SIGTERM: what is stored stays stored (the journal is written as each part
   * lands, synchronously), so stop at once and say how to go on instead of dying mid-frame.
   */
  interrupt(signal: NodeJS.Signals): never {
    this.screen?.finish();
    const files = this.plan.files.length + this.plan.problems.length;
    const done = this.outcomes.size;
    this.output.event('interrupted', { signal, files, done });
    this.output.line(
      `interrupted: ${done} of ${files} file${files === 1 ? '' : 's'} done; run the same command again to go on (parts and files already stored are not sent again)`,
    );
    this.reportSummary(signal);
    process.exit(signal === 'SIGINT' ? exitCodes.interrupted : exitCodes.terminated);
  }

  say(line: string): void {
    if (this.view) this.view.finishedLines.push(line);
    else this.output.line(line);
  }

  fail(
    path: string,
    sha256: string | null,
    fields: { code: string; message: string; requestId?: string },
    counted = true,
  ): void {
    this.tally.failed++;
    this.outcomes.set(path, { path, sha256, assetId: null, versionId: null, status: 'failed' });
    if (counted) this.output.event('error', { path, ...fields });
    if (this.view) {
      this.view.failed++;
      this.say(`failed       ${path}: ${fields.message}`);
    } else if (counted) {
      this.output.problem(
        `error  ${path}: ${fields.message}${fields.requestId ? ` (request id ${fields.requestId})` : ''}`,
      );
    }
  }

  finish(file: PlannedFile, outcome: FileOutcome, extra: Record<string, unknown>): void {
    this.outcomes.set(file.path, outcome);
    if (file.mhl && outcome.versionId)
      this.verifiedVersions.set(file.mhl.history, [
        ...(this.verifiedVersions.get(file.mhl.history) ?? []),
        outcome.versionId,
      ]);
    this.output.event('file-done', {
      ...outcome,
      size: file.size,
      ...(this.options.promote && file.collectionPath ? { collectionPath: file.collectionPath } : {}),
      ...extra,
    });
    this.say(
      `${outcome.status.padEnd(12)} ${file.path}  ${formatBytes(file.size)}${outcome.sha256 ? `  sha256:${outcome.sha256.slice(0, 12)}` : ''}${outcome.assetId ? `  asset ${outcome.assetId}` : ''}`,
    );
  }

  mapping(file: PlannedFile) {
    if (this.options.versionOf) return { projectId: this.projectId, assetId: this.options.versionOf };
    return {
      projectId: this.projectId,
      assetName: file.name,
      ...(file.collectionPath ? { collectionPath: file.collectionPath } : {}),
    };
  }

  async processFile(file: PlannedFile): Promise<void> {
    const { client, output, options, journal, view, screen } = this;
    const subject = { apiUrl: this.connection.url, projectId: this.projectId, path: file.absolutePath };
    const active: ActiveFile = { path: file.path, size: file.size, bytesDone: 0, phase: 'reading' };
    view?.active.push(active);
    screen?.update();
    const advance = (doneNow: number) => {
      if (view) view.bytesDone += doneNow - active.bytesDone;
      active.bytesDone = doneNow;
      screen?.update();
    };
    const leave = () => {
      // Done with, however it ended: the overall bar counts the whole file.
      advance(file.size);
      if (view) {
        view.finished++;
        view.active = view.active.filter((a) => a !== active);
      }
      screen?.update();
    };
    let sha256: string | null = null;
    let handedOver = false;
    try {
      const entry = journalEntryFor(journal, this.connection, this.projectId, file, options);
      if (entry && (await this.alreadyDone(file, entry))) {
        advance(file.size);
        return;
      }
      output.event('file-start', {
        path: file.path,
        name: file.name,
        size: file.size,
        ...(options.promote && file.collectionPath ? { collectionPath: file.collectionPath } : {}),
        ...(entry?.uploadId ? { resume: entry.uploadId } : {}),
      });

      // Known sha256 and complete upload, only the promotion was missing: nothing to read.
      if (entry?.state === 'uploaded' && entry.uploadId && entry.sha256 && options.promote) {
        sha256 = entry.sha256;
        // Sent by an earlier run (its bytes counted there), as a resumed upload whose parts were all stored counts.
        this.tally.sent++;
        advance(file.size);
        handedOver = await this.promote(
          file,
          entry.uploadId,
          entry.sha256,
          { bytesSent: 0, partsSent: 0, partsAlreadyStored: null },
          leave,
        );
        return;
      }

      const mhlCheck: MhlCheck | null = file.mhl ? await createMhlCheck(file.mhl.entry) : null;
      let declaredSha: string | undefined;
      if (options.dedup && file.size > this.partSize && !entry?.uploadId) {
        active.phase = 'hashing';
        screen?.update();
        declaredSha = (await hashFile(file.path, undefined, mhlCheck ? [mhlCheck] : [])).sha256;
      }
      active.phase = entry?.uploadId ? 'resuming' : 'uploading';
      screen?.update();
      let journalEntry: Omit<JournalEntry, 'version' | 'updatedAt'> | null = entry;
      const uploaded: UploadFileResult = await uploadFile(client, {
        path: file.path,
        projectId: this.projectId,
        name: file.name,
        sha256: declaredSha,
        concurrency: options.concurrency,
        partSize: this.partSize,
        memory: this.memory,
        expect: { size: file.size, mtimeMs: file.mtimeMs },
        observers: mhlCheck && !declaredSha ? [mhlCheck] : [],
        ...(entry?.uploadId ? { resume: { uploadId: entry.uploadId, partChecksums: entry.parts } } : {}),
        onStarted: (u) => {
          journalEntry = {
            ...subject,
            size: file.size,
            mtimeMs: file.mtimeMs,
            uploadId: u.uploadId,
            state: 'uploading',
            parts: {},
          };
          journal.write(journalEntry);
        },
        onPart: (part) => {
          if (part.status === 'sent' && journalEntry?.uploadId) {
            journalEntry.parts[part.partNumber] = part.checksumSha256;
            journal.write(journalEntry);
          }
          output.event('part', { path: file.path, partNumber: part.partNumber, size: part.size, status: part.status });
        },
        onProgress: (p) => {
          this.bytesInFlight.set(active, p.bytesSent);
          advance(p.bytesSent + p.bytesAlreadyStored);
        },
      });
      sha256 = uploaded.sha256;
      this.tally.bytes += uploaded.bytesSent;
      this.bytesInFlight.delete(active);
      if (view) view.bytesSent += uploaded.bytesSent;
      advance(file.size);

      let mhl: string | undefined;
      if (mhlCheck) {
        const outcome = mhlCheck.outcome();
        if (outcome.mismatches.length > 0) {
          journal.remove(subject);
          output.event('mhl-mismatch', {
            path: file.path,
            sha256,
            mhl: file.mhl!.history.files.map((f) => f),
            mhlPath: file.mhl!.entry.path,
            mismatches: outcome.mismatches,
          });
          throw new CliError(
            'mhl_mismatch',
            `does not match its ASC MHL hashes (${outcome.mismatches.map((m) => `${m.format}: expected ${m.expected}, read ${m.actual}`).join('; ')}); not promoted`,
          );
        }
        mhl =
          outcome.verified.length > 0
            ? `verified ${outcome.verified.join(', ')}`
            : `unverifiable (${outcome.unverifiable.join(', ')} only)`;
      }
      const counts = {
        bytesSent: uploaded.bytesSent,
        partsSent: uploaded.partsSent,
        partsAlreadyStored: uploaded.partsAlreadyStored,
        ...(mhl ? { mhl } : {}),
      };

      if (uploaded.status === 'duplicate') {
        this.tally.deduplicated++;
        output.event('dedup', { path: file.path, sha256, assetId: uploaded.assetId, versionId: uploaded.versionId });
        let outcome: FileOutcome = {
          path: file.path,
          sha256,
          assetId: uploaded.assetId,
          versionId: uploaded.versionId,
          status: 'duplicate',
        };
        if (options.promote) {
          active.phase = 'promoting';
          screen?.update();
          const promoted = await client.promote({ body: { sha256, mapping: this.mapping(file) } });
          if (promoted.status === 'promoting')
            throw new MediavaultError(
              'unexpected_answer',
              'the api started a promotion job for bytes already in masters',
            );
          outcome = {
            path: file.path,
            sha256,
            assetId: promoted.assetId,
            versionId: promoted.versionId,
            status: 'deduplicated',
          };
          journal.write({
            ...subject,
            size: file.size,
            mtimeMs: file.mtimeMs,
            uploadId: null,
            state: 'promoted',
            parts: {},
            sha256,
            assetId: promoted.assetId,
            versionId: promoted.versionId,
          });
        }
        this.finish(file, outcome, { uploadId: null, ...counts });
        return;
      }

      this.tally.sent++;
      journal.write({
        ...subject,
        size: file.size,
        mtimeMs: file.mtimeMs,
        uploadId: uploaded.uploadId,
        state: 'uploaded',
        parts: {},
        sha256,
      });
      if (!options.promote) {
        this.finish(
          file,
          { path: file.path, sha256, assetId: null, versionId: null, status: 'uploaded' },
          { uploadId: uploaded.uploadId, ...counts },
        );
        return;
      }
      handedOver = await this.promote(file, uploaded.uploadId, sha256, counts, leave);
    } catch (err) {
      this.fail(file.path, sha256, errorFields(err));
    } finally {
      this.bytesInFlight.delete(active);
      if (!handedOver) leave();
    }
  }

  /**
   * A batch of small new files (see uploadFileBatch): read and hashed whole (MHL
   * checked on that read, a mismatch never sent), started with one call, one PUT
   * each, completed — and with --promote handed to promotion — with one call.
   */
  async processBatch(files: PlannedFile[]): Promise<void> {
    const { output, options, journal, view, screen } = this;
    const subjectOf = (file: PlannedFile) => ({
      apiUrl: this.connection.url,
      projectId: this.projectId,
      path: file.absolutePath,
    });
    const active: ActiveFile = {
      path: `${files.length} small file${files.length === 1 ? '' : 's'} (${files[0]!.path} …)`,
      size: files.reduce((n, f) => n + f.size, 0),
      bytesDone: 0,
      phase: 'uploading',
    };
    view?.active.push(active);
    screen?.update();
    const byPath = new Map<string, PlannedFile>();
    const mhlOutcomes = new Map<PlannedFile, ReturnType<MhlCheck['outcome']>>();
    const batch: BatchFile[] = [];
    for (const file of files) {
      byPath.set(file.path, file);
      output.event('file-start', {
        path: file.path,
        name: file.name,
        size: file.size,
        ...(options.promote && file.collectionPath ? { collectionPath: file.collectionPath } : {}),
      });
      const mhlCheck = file.mhl ? await createMhlCheck(file.mhl.entry) : null;
      batch.push({
        path: file.path,
        name: file.name,
        expect: { size: file.size, mtimeMs: file.mtimeMs },
        observers: mhlCheck ? [mhlCheck] : [],
        verify: (sha256) => {
          if (!mhlCheck) return;
          const outcome = mhlCheck.outcome();
          mhlOutcomes.set(file, outcome);
          if (outcome.mismatches.length === 0) return;
          output.event('mhl-mismatch', {
            path: file.path,
            sha256,
            mhl: file.mhl!.history.files.map((f) => f),
            mhlPath: file.mhl!.entry.path,
            mismatches: outcome.mismatches,
          });
          throw new CliError(
            'mhl_mismatch',
            `does not match its ASC MHL hashes (${outcome.mismatches.map((m) => `${m.format}: expected ${m.expected}, read ${m.actual}`).join('; ')}); not sent, not promoted`,
          );
        },
        ...(options.promote ? { promote: this.mapping(file) } : {}),
      });
    }
    const fileOf = (b: BatchFile) => byPath.get(b.path)!;
    const sent = (bytes: number) => {
      this.bytesInFlight.set(active, (this.bytesInFlight.get(active) ?? 0) + bytes);
      active.bytesDone += bytes;
      if (view) {
        view.bytesSent += bytes;
        view.bytesDone += bytes;
      }
      screen?.update();
    };
    let results;
    const askedAt = Date.now();
    try {
      // Never throws for one file: each settles in its result.
      results = await uploadFileBatch(this.client, {
        projectId: this.projectId,
        files: batch,
        memory: this.batchMemory,
        concurrency: Math.min(16, Math.max(1, options.parallel) * Math.max(1, options.concurrency)),
        // No journal entry until the file is done: the api finds an unfinished upload of the same file by its content.
        // No journal write here: a resumed whole-object upload learns from the api whether its PUT landed (and with which sha256).
        onSent: (b, part) => output.event('part', { path: b.path, partNumber: 1, size: part.size, status: 'sent' }),
        onBytes: sent,
      });
    } catch (err) {
      // The batch as a whole could not run (e.g. the api went away): every file of it failed.
      for (const file of files) this.fail(file.path, null, errorFields(err));
      return;
    } finally {
      this.bytesInFlight.delete(active);
      if (view) {
        // Files deduplicated or failed sent nothing, and are done with all the same.
        view.bytesDone += Math.max(0, active.size - active.bytesDone);
        view.active = view.active.filter((a) => a !== active);
      }
      screen?.update();
    }

    for (const result of results) {
      const file = byPath.get(result.path)!;
      const subject = subjectOf(file);
      const mhlOutcome = mhlOutcomes.get(file);
      const mhl = mhlOutcome
        ? mhlOutcome.verified.length > 0
          ? `verified ${mhlOutcome.verified.join(', ')}`
          : `unverifiable (${mhlOutcome.unverifiable.join(', ')} only)`
        : undefined;
      const counts = {
        bytesSent: result.bytesSent,
        partsSent: result.uploadId ? 1 : 0,
        partsAlreadyStored: 0,
        ...(mhl ? { mhl } : {}),
      };
      this.tally.bytes += result.bytesSent;
      const leave = () => {
        if (view) view.finished++;
        screen?.update();
      };
      switch (result.status) {
        case 'failed':
          if (!result.uploadId) journal.remove(subject);
          this.fail(file.path, result.sha256, errorFields(result.error));
          leave();
          break;
        case 'duplicate':
        case 'deduplicated': {
          this.tally.deduplicated++;
          output.event('dedup', {
            path: file.path,
            sha256: result.sha256,
            assetId: result.assetId,
            versionId: result.versionId,
          });
          if (result.status === 'deduplicated')
            journal.write({
              ...subject,
              size: file.size,
              mtimeMs: file.mtimeMs,
              uploadId: null,
              state: 'promoted',
              parts: {},
              sha256: result.sha256,
              assetId: result.assetId,
              versionId: result.versionId,
            });
          this.finish(
            file,
            {
              path: file.path,
              sha256: result.sha256,
              assetId: result.assetId,
              versionId: result.versionId,
              status: result.status,
            },
            { uploadId: null, ...counts },
          );
          leave();
          break;
        }
        case 'uploaded':
        case 'promoting':
          this.tally.sent++;
          // Promoting: the next journal state is 'promoted'; a crash before it resumes from the upload id, which the api says is complete.
          if (result.status === 'uploaded') {
            journal.write({
              ...subject,
              size: file.size,
              mtimeMs: file.mtimeMs,
              uploadId: result.uploadId,
              state: 'uploaded',
              parts: {},
              sha256: result.sha256,
            });
            this.finish(
              file,
              { path: file.path, sha256: result.sha256, assetId: null, versionId: null, status: 'uploaded' },
              { uploadId: result.uploadId, ...counts },
            );
            leave();
          } else {
            await this.awaitPromotion(file, result.uploadId, result.sha256, counts, leave, askedAt);
          }
          break;
      }
    }
  }

  /**
   * Starts the promotion and hands the wait to the watcher, so the upload lane
   * moves on to the next file. Returns true when the file's end is now the
   * promotion's business (it calls `leave`).
   */
  async promote(
    file: PlannedFile,
    uploadId: string,
    sha256: string,
    counts: Record<string, unknown>,
    leave: () => void,
  ): Promise<boolean> {
    const askedAt = Date.now();
    const answer = await this.client.promote({ body: { uploadId, sha256, mapping: this.mapping(file) } });
    if (answer.status !== 'promoting') {
      this.promoted(file, uploadId, sha256, counts, answer.assetId, answer.versionId);
      return false;
    }
    await this.awaitPromotion(file, uploadId, sha256, counts, leave, askedAt);
    return true;
  }

  promoted(
    file: PlannedFile,
    uploadId: string,
    sha256: string,
    counts: Record<string, unknown>,
    assetId: string,
    versionId: string,
  ): void {
    const subject = { apiUrl: this.connection.url, projectId: this.projectId, path: file.absolutePath };
    this.journal.write({
      ...subject,
      size: file.size,
      mtimeMs: file.mtimeMs,
      uploadId,
      state: 'promoted',
      parts: {},
      sha256,
      assetId,
      versionId,
    });
    this.finish(file, { path: file.path, sha256, assetId, versionId, status: 'promoted' }, { uploadId, ...counts });
  }

  /** Hands the wait for a promotion job to the watcher; `leave` runs when it settles. */
  async awaitPromotion(
    file: PlannedFile,
    uploadId: string,
    sha256: string,
    counts: Record<string, unknown>,
    leave: () => void,
    askedAt: number,
  ): Promise<void> {
    const done = (assetId: string, versionId: string) =>
      this.promoted(file, uploadId, sha256, counts, assetId, versionId);
    await new Promise<void>((started) => {
      const waiting = this.promotionSlots(async () => {
        started();
        const active = this.view?.active.find((a) => a.path === file.path);
        if (active) active.phase = 'promoting';
        try {
          const promoted = await this.watcher!.wait(uploadId, { since: askedAt });
          done(promoted.assetId, promoted.versionId);
        } catch (err) {
          this.fail(file.path, sha256, errorFields(err));
        } finally {
          leave();
        }
      });
      this.promotions.push(waiting);
    });
  }

  /** A journal entry the server confirms: promoted already (or uploaded, without --promote). */
  async alreadyDone(file: PlannedFile, entry: JournalEntry): Promise<boolean> {
    const { options, client, output } = this;
    const wanted = options.promote ? 'promoted' : 'uploaded';
    if (entry.state !== 'promoted' && (wanted === 'promoted' || entry.state !== 'uploaded')) return false;
    let confirmed = false;
    if (entry.uploadId) {
      const upload = await client.getUpload({ params: { uploadId: entry.uploadId } }).catch(() => null);
      confirmed =
        wanted === 'promoted'
          ? upload?.status === 'promoted' && upload.versionId === entry.versionId
          : ['uploaded', 'promoting', 'promoted'].includes(upload?.status ?? '');
    } else if (entry.assetId && entry.versionId) {
      const asset = await client.getAsset({ params: { assetId: entry.assetId } }).catch(() => null);
      confirmed = asset?.versions.some((v) => v.id === entry.versionId) ?? false;
    }
    if (!confirmed) return false;
    const status = wanted === 'promoted' ? 'already-promoted' : 'already-uploaded';
    this.tally.skipped++;
    output.event('skip', { path: file.path, reason: status, uploadId: entry.uploadId, sha256: entry.sha256 ?? null });
    const outcome: FileOutcome = {
      path: file.path,
      sha256: entry.sha256 ?? null,
      assetId: entry.assetId ?? null,
      versionId: entry.versionId ?? null,
      status,
    };
    this.outcomes.set(file.path, outcome);
    if (file.mhl && outcome.versionId)
      this.verifiedVersions.set(file.mhl.history, [
        ...(this.verifiedVersions.get(file.mhl.history) ?? []),
        outcome.versionId,
      ]);
    this.say(`${status.padEnd(12)} ${file.path}  ${formatBytes(file.size)}`);
    return true;
  }

  /** Each MHL file of a history becomes a sidecar of every version it verified (idempotent on the api). */
  async storeSidecars(): Promise<void> {
    for (const [history, versionIds] of this.verifiedVersions) {
      for (const mhlFile of history.files) {
        try {
          const content = await readFile(mhlFile);
          if (content.length > maxSidecarBytes)
            throw new CliError(
              'mhl_too_large',
              `${mhlFile} is ${formatBytes(content.length)}; sidecars may be at most 10 MiB`,
            );
          const stored = await this.client.createSidecar({
            body: {
              versionIds: [...new Set(versionIds)],
              kind: 'ascmhl',
              name: basename(mhlFile),
              content: content.toString('base64'),
            },
          });
          this.output.event('sidecar', {
            mhl: mhlFile,
            kind: 'ascmhl',
            sha256: stored.sha256,
            versions: versionIds.length,
          });
          this.say(`sidecar      ${mhlFile}  → ${versionIds.length} version${versionIds.length === 1 ? '' : 's'}`);
        } catch (err) {
          this.tally.failed++;
          const fields = errorFields(err);
          this.output.event('error', { path: mhlFile, ...fields });
          this.output.problem(`error  ${mhlFile}: could not store the MHL as a sidecar: ${fields.message}`);
        }
      }
    }
  }
}

/** Consecutive files grouped into batches within batchLimits. */
function inBatches(files: PlannedFile[]): PlannedFile[][] {
  const batches: PlannedFile[][] = [];
  let current: PlannedFile[] = [];
  let bytes = 0;
  for (const file of files) {
    if (current.length > 0 && (current.length >= batchLimits.files || bytes + file.size > batchLimits.bytes)) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(file);
    bytes += file.size;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}
