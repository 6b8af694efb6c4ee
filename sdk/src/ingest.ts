/**
 * Resumable ingest of files and folders, the scheduler behind `mediavault
 * upload`: `parallel` large files at once, each read once (sha256, part
 * checksums and ASC MHL hashes on the same read); small files in batches (one
 * presign and one completion call per batch, one PUT per file); with `promote`,
 * each file promoted as soon as it is uploaded (awaited through the event
 * stream, not by holding an upload lane); MHL files stored as sidecars of the
 * versions they verified. One file's failure never stops the others. A resume
 * journal lets the same ingest, run again after a crash, send only what the
 * server does not hold yet: it says where to look, the server says what it holds.
 *
 * Every step is reported as a typed event (ingest-events.ts), the same objects
 * `mediavault upload --json` prints; the run resolves to a summary.
 */
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import pLimit from 'p-limit';
import { createMhlCheck, type MhlCheck, type MhlOutcome } from './ascmhl.ts';
import { ByteBudget } from './byte-budget.ts';
import type { MediavaultClient } from './client.ts';
import { errorFields, MediavaultApiError, MediavaultError, type ErrorFields } from './errors.ts';
import { formatBytes } from './format-bytes.ts';
import type {
  ActiveFile,
  DryRunAction,
  DryRunSummary,
  FileOutcome,
  IngestEvent,
  IngestEventSource,
  IngestProgress,
  IngestSummary,
} from './ingest-events.ts';
import { planUpload, type MhlHistory, type PlannedFile, type PlanOptions, type UploadPlan } from './ingest-plan.ts';
import { fingerprintFile } from './fingerprint.ts';
import { hashFile, openFile } from './local-file.ts';
import { createPromotionWatcher, type PromotionWatcher } from './promotion-watcher.ts';
import { defaultPartSize, uploadFile, type UploadFileResult } from './upload.ts';
import { maxBatchFileBytes, uploadFileBatch, type BatchFile } from './upload-batch.ts';
import { UploadJournal, type JournalEntry, type JournalSubject } from './upload-journal.ts';

export interface IngestOptions {
  projectId: string;
  /** What to send, from planUpload. */
  plan: UploadPlan;
  /**
   * Where the resume journal lives (one small file per file in progress, one log per run of the
   * files done); the CLI uses `uploads/` beside its profile. Runs that share it resume each other.
   */
  journalDir: string;
  /** Promote each file once uploaded; folders become collections. */
  promote?: boolean;
  /** Promote the one planned file as a new version of this asset (implies promote). */
  versionOf?: string;
  /** Parts in flight per file (default 4). */
  concurrency?: number;
  /** Files in flight (default 4). */
  parallel?: number;
  /**
   * Bytes already archived (in a project the caller can read) are not sent again (default true).
   * Files up to one part are hashed before sending anyway; a larger file is fingerprinted (its
   * first and last MiB), and only when the archive holds a master of that size and fingerprint
   * is it hashed whole before presigning, which then answers "duplicate": one read either way.
   * false: larger files are sent without asking.
   */
  dedup?: boolean;
  /** Preferred part size in bytes (default 16 MiB); files up to one part are always hashed first. */
  partSize?: number;
  /** false: ignore (and replace) the resume journal's entries. */
  resume?: boolean;
  /** Every step, in order; `source` says what the event is about (for rendering it). */
  onEvent?(event: IngestEvent, source: IngestEventSource): void;
  /** The live progress changed (often: throttle any drawing). */
  onProgress?(progress: IngestProgress): void;
}

interface Tally {
  sent: number;
  deduplicated: number;
  skipped: number;
  failed: number;
  /** Bytes sent over the network. */
  bytes: number;
}

/** What a file-done event says about the sending. */
interface SendCounts {
  bytesSent: number;
  partsSent: number;
  partsAlreadyStored: number | null;
  mhl?: string;
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

const fromPlan: IngestEventSource = { kind: 'plan' };

/**
 * Plans `paths` (folders walked, NAS litter skipped, ASC MHL histories read) and
 * ingests them; resolves to the summary. Events and progress go to the
 * callbacks. For a dry run, or to stop mid-run with a summary of what is done,
 * use planUpload and an Ingest.
 */
export async function ingest(
  client: MediavaultClient,
  options: Omit<IngestOptions, 'plan'> & PlanOptions & { paths: string[] },
): Promise<IngestSummary> {
  const { paths, collection, include, exclude, defaultExcludes, followSymlinks, mhlFiles, ...rest } = options;
  const plan = await planUpload(paths, { collection, include, exclude, defaultExcludes, followSymlinks, mhlFiles });
  return new Ingest(client, { ...rest, plan }).run();
}

/** One ingest of a plan: `run()` it (once), or `dryRun()` it to see what would be sent. */
export class Ingest {
  readonly plan: UploadPlan;
  readonly progress: IngestProgress;
  readonly #client: MediavaultClient;
  readonly #options: IngestOptions;
  readonly #promote: boolean;
  readonly #partSize: number;
  readonly #journal: UploadJournal;
  readonly #outcomes = new Map<string, FileOutcome>();
  readonly #tally: Tally = { sent: 0, deduplicated: 0, skipped: 0, failed: 0, bytes: 0 };
  /** Versions each MHL history verified, for its sidecars. */
  readonly #verifiedVersions = new Map<MhlHistory, string[]>();
  readonly #memory = new ByteBudget(partMemoryBudget);
  readonly #batchMemory = new ByteBudget(batchMemoryBudget);
  /** Waits for promotions, at most promotionsInFlight at once; an upload lane waits for a slot. */
  readonly #promotionSlots = pLimit(promotionsInFlight);
  readonly #promotions: Promise<void>[] = [];
  /** Bytes sent of the files (and batches) not finished yet; the tally counts a file's bytes when it is done. */
  readonly #bytesInFlight = new Map<ActiveFile, number>();
  #watcher: PromotionWatcher | null = null;
  /** false once the api said it does not know matchArchivedContent. */
  #archiveAnswers = true;
  #startedAt = Date.now();

  constructor(client: MediavaultClient, options: IngestOptions) {
    const { plan } = options;
    if (options.versionOf && plan.files.length + plan.problems.length !== 1)
      throw new RangeError(
        `versionOf stacks one file on an asset; ${plan.files.length + plan.problems.length} files were given`,
      );
    this.#client = client;
    this.#options = options;
    this.plan = plan;
    this.#promote = options.promote === true || options.versionOf !== undefined;
    this.#partSize = options.partSize ?? defaultPartSize;
    this.#journal = new UploadJournal(options.journalDir);
    this.progress = {
      totalFiles: plan.files.length,
      totalBytes: plan.files.reduce((sum, f) => sum + f.size, 0),
      bytesDone: 0,
      bytesSent: 0,
      finished: 0,
      failed: 0,
      active: [],
    };
  }

  /** Sends every planned file (or finds it stored), awaits the promotions, stores MHL sidecars. */
  async run(): Promise<IngestSummary> {
    this.#reportPlanned();
    this.#tally.skipped += this.plan.skipped.length;
    for (const problem of this.plan.problems) {
      this.#tally.failed++;
      this.#outcomes.set(problem.path, failedOutcome(problem.path, null));
    }
    this.#startedAt = Date.now();
    if (this.#promote) this.#watcher = createPromotionWatcher(this.#client, { projectId: this.#options.projectId });
    try {
      await this.#sendAll();
    } finally {
      this.#watcher?.close();
      this.#journal.close();
    }
    return this.summary();
  }

  /**
   * Every file's outcome so far, in plan order, and the totals. Asked mid-run (`interrupted`:
   * the signal that stops it), the bytes of unfinished files count too: they went over the
   * wire, and stay stored for the next run.
   */
  summary(interrupted?: string): IngestSummary {
    const elapsedMs = Date.now() - this.#startedAt;
    const files = [...this.plan.problems.map((p) => p.path), ...this.plan.files.map((f) => f.path)].flatMap(
      (path) => this.#outcomes.get(path) ?? [],
    );
    const inFlight = interrupted ? [...this.#bytesInFlight.values()].reduce((sum, n) => sum + n, 0) : 0;
    const bytes = this.#tally.bytes + inFlight;
    return {
      files,
      ...this.#tally,
      bytes,
      elapsedMs,
      bytesPerSecond: Math.round(bytes / Math.max(0.001, elapsedMs / 1000)),
      peakRssBytes: process.resourceUsage().maxRSS * 1024,
      ...(interrupted ? { interrupted } : {}),
    };
  }

  /**
   * What would be sent, resumed and skipped: nothing is sent and the journal is not touched. The
   * archive is asked the same question a run asks (unless `dedup: false`): files it may already
   * hold, by size and fingerprint, are listed as already archived.
   */
  async dryRun(): Promise<DryRunSummary> {
    this.#reportPlanned();
    const actions = new Map<PlannedFile, DryRunAction>();
    for (const file of this.plan.files) {
      const entry = this.#peekJournal(file);
      actions.set(
        file,
        entry?.state === 'promoted'
          ? 'already-promoted'
          : entry?.state === 'uploaded'
            ? 'already-uploaded'
            : entry
              ? 'resume'
              : 'send',
      );
    }
    if (this.#options.dedup !== false) {
      const toSend = this.plan.files.filter((file) => actions.get(file) === 'send');
      for (const file of await this.#archivedAmong(toSend)) actions.set(file, 'already-archived');
    }
    let bytes = 0;
    let archived = 0;
    for (const file of this.plan.files) {
      const action = actions.get(file)!;
      if (action === 'send' || action === 'resume') bytes += file.size;
      if (action === 'already-archived') archived++;
      this.#emit(
        {
          event: 'would-send',
          path: file.path,
          name: file.name,
          size: file.size,
          action,
          ...(this.#promote && file.collectionPath ? { collectionPath: file.collectionPath } : {}),
          ...(file.mhl ? { mhl: file.mhl.history.files.map((f) => basename(f)) } : {}),
        },
        { kind: 'file', file },
      );
    }
    return {
      dryRun: true,
      files: this.plan.files.length,
      bytes,
      archived,
      skipped: this.plan.skipped.length,
      failed: this.plan.problems.length,
    };
  }

  /**
   * The files the archive may already hold: a master of the same size and fingerprint in a
   * project the caller can read (matchArchivedContent, 1,000 files a call). A file that cannot
   * be read here counts as not held (the run reports it).
   */
  async #archivedAmong(files: PlannedFile[]): Promise<PlannedFile[]> {
    const fingerprinted: { file: PlannedFile; fingerprint: string }[] = [];
    await pLimit(8).map(files, async (file) => {
      const fingerprint = await fingerprintOfFile(file).catch(() => null);
      if (fingerprint) fingerprinted.push({ file, fingerprint });
    });
    const archived: PlannedFile[] = [];
    for (let at = 0; at < fingerprinted.length && this.#archiveAnswers; at += maxMatchFiles) {
      const chunk = fingerprinted.slice(at, at + maxMatchFiles);
      let matches: boolean[];
      try {
        ({ matches } = await this.#client.matchArchivedContent({
          body: { files: chunk.map(({ file, fingerprint }) => ({ size: file.size, fingerprint })) },
        }));
      } catch (err) {
        // An api older than the question (no such route): files are sent as they were before it.
        if (!(err instanceof MediavaultApiError && err.status === 404)) throw err;
        this.#archiveAnswers = false;
        break;
      }
      chunk.forEach(({ file }, i) => {
        if (matches[i]) archived.push(file);
      });
    }
    return archived;
  }

  #emit(event: IngestEvent, source: IngestEventSource): void {
    this.#options.onEvent?.(event, source);
  }

  #changed(): void {
    this.#options.onProgress?.(this.progress);
  }

  #reportPlanned(): void {
    for (const skip of this.plan.skipped)
      this.#emit(
        { event: 'skip', path: skip.path, reason: skip.reason, ...(skip.detail ? { detail: skip.detail } : {}) },
        fromPlan,
      );
    for (const problem of this.plan.problems)
      this.#emit({ event: 'error', path: problem.path, code: problem.code, message: problem.message }, fromPlan);
  }

  /** The journal key of the file's upload, which may be promoted anywhere in the project. */
  #uploadSubject(file: PlannedFile): JournalSubject {
    return { apiUrl: this.#client.baseUrl, projectId: this.#options.projectId, path: file.absolutePath };
  }

  /** The journal key of the file's promotion where this ingest promotes it: its collection, or the asset given. */
  #promotedSubject(file: PlannedFile): JournalSubject {
    const target = this.#options.versionOf
      ? `asset:${this.#options.versionOf}`
      : `collection:${file.collectionPath ?? ''}`;
    return { ...this.#uploadSubject(file), target };
  }

  /**
   * Records how far a file got, for a later run. A promotion is recorded under its target, and
   * under the asset it became a version of (so that --version-of that asset finds it done too);
   * the upload it consumed is forgotten: promoted once, its bytes are in the archive.
   */
  #remember(
    file: PlannedFile,
    entry: Omit<
      JournalEntry,
      'version' | 'updatedAt' | 'apiUrl' | 'projectId' | 'target' | 'path' | 'size' | 'mtimeMs' | 'parts'
    >,
  ): void {
    const promoted = entry.state === 'promoted';
    const subject = promoted ? this.#promotedSubject(file) : this.#uploadSubject(file);
    const write = (at: JournalSubject) =>
      this.#journal.write({ ...at, size: file.size, mtimeMs: file.mtimeMs, parts: {}, ...entry });
    write(subject);
    if (!promoted) return;
    const asAsset = { ...this.#uploadSubject(file), target: `asset:${entry.assetId}` };
    if (entry.assetId && asAsset.target !== subject.target) write(asAsset);
    this.#journal.remove(this.#uploadSubject(file));
  }

  /**
   * The journal's entry for a file without changing the journal: its promotion where this ingest
   * promotes it, else its upload. null when there is none, the file changed since, or
   * `resume: false`. A promotion recorded under the path alone (before entries had targets) says
   * nothing about where it went: no answer for a promoting ingest.
   */
  #peekJournal(file: PlannedFile, stale: JournalSubject[] = []): JournalEntry | null {
    const current = (subject: JournalSubject) => {
      const entry = this.#journal.read(subject);
      if (entry && (this.#options.resume === false || entry.size !== file.size || entry.mtimeMs !== file.mtimeMs)) {
        stale.push(subject);
        return null;
      }
      return entry;
    };
    if (this.#promote) {
      const promoted = current(this.#promotedSubject(file));
      if (promoted?.state === 'promoted') return promoted;
    }
    const upload = current(this.#uploadSubject(file));
    if (upload?.state === 'promoted' && this.#promote) return null;
    return upload;
  }

  /** As #peekJournal, and entries that no longer hold (the file changed, `resume: false`) are removed. */
  #journalEntryFor(file: PlannedFile): JournalEntry | null {
    const stale: JournalSubject[] = [];
    const entry = this.#peekJournal(file, stale);
    for (const subject of stale) this.#journal.remove(subject);
    return entry;
  }

  async #sendAll(): Promise<void> {
    // Small new files go in batches; large files, and any file with a resume journal entry, one by one.
    const single: PlannedFile[] = [];
    const batchable: PlannedFile[] = [];
    for (const file of this.plan.files) {
      const entry = this.#journalEntryFor(file);
      (!entry && file.size <= Math.min(this.#partSize, maxBatchFileBytes) ? batchable : single).push(file);
    }
    await Promise.all([
      pLimit(Math.max(1, this.#options.parallel ?? 4)).map(single, (file) => this.#processFile(file)),
      pLimit(batchLimits.inFlight).map(inBatches(batchable), (batch) => this.#processBatch(batch)),
    ]);
    await Promise.all(this.#promotions);
    await this.#storeSidecars();
  }

  #fail(file: PlannedFile, sha256: string | null, fields: ErrorFields): void {
    this.#tally.failed++;
    this.#outcomes.set(file.path, failedOutcome(file.path, sha256));
    this.#emit({ event: 'error', path: file.path, ...fields }, { kind: 'file', file });
    this.progress.failed++;
    this.#changed();
  }

  #finish(file: PlannedFile, outcome: FileOutcome, extra: SendCounts & { uploadId: string | null }): void {
    this.#outcomes.set(file.path, outcome);
    if (file.mhl && outcome.versionId) this.#verified(file.mhl.history, outcome.versionId);
    this.#emit(
      {
        event: 'file-done',
        ...outcome,
        size: file.size,
        ...(this.#promote && file.collectionPath ? { collectionPath: file.collectionPath } : {}),
        ...extra,
      },
      { kind: 'file', file },
    );
  }

  #verified(history: MhlHistory, versionId: string): void {
    this.#verifiedVersions.set(history, [...(this.#verifiedVersions.get(history) ?? []), versionId]);
  }

  #mapping(file: PlannedFile) {
    const { projectId, versionOf } = this.#options;
    if (versionOf) return { projectId, assetId: versionOf };
    return {
      projectId,
      assetName: file.name,
      ...(file.collectionPath ? { collectionPath: file.collectionPath } : {}),
    };
  }

  #fileStart(file: PlannedFile, resume?: string): void {
    this.#emit(
      {
        event: 'file-start',
        path: file.path,
        name: file.name,
        size: file.size,
        ...(this.#promote && file.collectionPath ? { collectionPath: file.collectionPath } : {}),
        ...(resume ? { resume } : {}),
      },
      { kind: 'file', file },
    );
  }

  /** One file on its own: large, or taken up from the resume journal. */
  async #processFile(file: PlannedFile): Promise<void> {
    const { progress } = this;
    const client = this.#client;
    const options = this.#options;
    const journal = this.#journal;
    const subject = this.#uploadSubject(file);
    const active: ActiveFile = { path: file.path, size: file.size, bytesDone: 0, phase: 'reading' };
    progress.active.push(active);
    this.#changed();
    const advance = (doneNow: number) => {
      progress.bytesDone += doneNow - active.bytesDone;
      active.bytesDone = doneNow;
      this.#changed();
    };
    const leave = () => {
      // Done with, however it ended: the overall progress counts the whole file.
      advance(file.size);
      progress.finished++;
      progress.active = progress.active.filter((a) => a !== active);
      this.#changed();
    };
    let sha256: string | null = null;
    let handedOver = false;
    try {
      const entry = this.#journalEntryFor(file);
      if (entry && (await this.#alreadyDone(file, entry))) {
        advance(file.size);
        return;
      }
      this.#fileStart(file, entry?.uploadId ?? undefined);

      // Known sha256 and complete upload, only the promotion was missing: nothing to read.
      if (entry?.state === 'uploaded' && entry.uploadId && entry.sha256 && this.#promote) {
        sha256 = entry.sha256;
        // Sent by an earlier run (its bytes counted there), as a resumed upload whose parts were all stored counts.
        this.#tally.sent++;
        advance(file.size);
        handedOver = await this.#startPromotion(
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
      // Up to one part, uploadFile hashes the file before presigning anyway. Above, the archive is
      // asked first, by size and fingerprint; only a file it may hold is hashed whole (the MHL
      // checked on that read), so that presign answers "duplicate" and nothing is sent.
      if (
        options.dedup !== false &&
        file.size > this.#partSize &&
        !entry?.uploadId &&
        (await this.#archivedAmong([file])).length > 0
      ) {
        active.phase = 'hashing';
        this.#changed();
        declaredSha = (await hashFile(file.path, undefined, mhlCheck ? [mhlCheck] : [])).sha256;
      }
      active.phase = entry?.uploadId ? 'resuming' : 'uploading';
      this.#changed();
      let journalEntry: Omit<JournalEntry, 'version' | 'updatedAt'> | null = entry;
      const uploaded: UploadFileResult = await uploadFile(client, {
        path: file.path,
        projectId: options.projectId,
        name: file.name,
        sha256: declaredSha,
        concurrency: options.concurrency,
        partSize: this.#partSize,
        memory: this.#memory,
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
          this.#emit(
            { event: 'part', path: file.path, partNumber: part.partNumber, size: part.size, status: part.status },
            { kind: 'file', file },
          );
        },
        onProgress: (p) => {
          this.#bytesInFlight.set(active, p.bytesSent);
          advance(p.bytesSent + p.bytesAlreadyStored);
        },
      });
      sha256 = uploaded.sha256;
      this.#tally.bytes += uploaded.bytesSent;
      this.#bytesInFlight.delete(active);
      progress.bytesSent += uploaded.bytesSent;
      advance(file.size);

      let mhl: string | undefined;
      if (mhlCheck) {
        const outcome = mhlCheck.outcome();
        if (outcome.mismatches.length > 0) {
          journal.remove(subject);
          this.#mhlMismatch(file, sha256, outcome);
          throw new MediavaultError('mhl_mismatch', `${mismatchText(outcome)}; not promoted`);
        }
        mhl = mhlSummary(outcome);
      }
      const counts: SendCounts = {
        bytesSent: uploaded.bytesSent,
        partsSent: uploaded.partsSent,
        partsAlreadyStored: uploaded.partsAlreadyStored,
        ...(mhl ? { mhl } : {}),
      };

      if (uploaded.status === 'duplicate') {
        this.#tally.deduplicated++;
        this.#emit(
          { event: 'dedup', path: file.path, sha256, assetId: uploaded.assetId, versionId: uploaded.versionId },
          { kind: 'file', file },
        );
        let outcome: FileOutcome = {
          path: file.path,
          sha256,
          assetId: uploaded.assetId,
          versionId: uploaded.versionId,
          status: 'duplicate',
        };
        if (this.#promote) {
          active.phase = 'promoting';
          this.#changed();
          const promoted = await client.promote({ body: { sha256, mapping: this.#mapping(file) } });
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
          this.#remember(file, {
            uploadId: null,
            state: 'promoted',
            sha256,
            assetId: promoted.assetId,
            versionId: promoted.versionId,
          });
        }
        this.#finish(file, outcome, { uploadId: null, ...counts });
        return;
      }

      this.#tally.sent++;
      this.#remember(file, { uploadId: uploaded.uploadId, state: 'uploaded', sha256 });
      if (!this.#promote) {
        this.#finish(
          file,
          { path: file.path, sha256, assetId: null, versionId: null, status: 'uploaded' },
          { uploadId: uploaded.uploadId, ...counts },
        );
        return;
      }
      handedOver = await this.#startPromotion(file, uploaded.uploadId, sha256, counts, leave);
    } catch (err) {
      this.#fail(file, sha256, errorFields(err));
    } finally {
      this.#bytesInFlight.delete(active);
      if (!handedOver) leave();
    }
  }

  #mhlMismatch(file: PlannedFile, sha256: string, outcome: MhlOutcome): void {
    this.#emit(
      {
        event: 'mhl-mismatch',
        path: file.path,
        sha256,
        mhl: [...file.mhl!.history.files],
        mhlPath: file.mhl!.entry.path,
        mismatches: outcome.mismatches,
      },
      { kind: 'file', file },
    );
  }

  /**
   * A batch of small new files (see uploadFileBatch): read and hashed whole (MHL
   * checked on that read, a mismatch never sent), started with one call, one PUT
   * each, completed — and with promotion handed to the workers — with one call.
   */
  async #processBatch(files: PlannedFile[]): Promise<void> {
    const { progress } = this;
    const active: ActiveFile = {
      path: `${files.length} small file${files.length === 1 ? '' : 's'} (${files[0]!.path} …)`,
      size: files.reduce((n, f) => n + f.size, 0),
      bytesDone: 0,
      phase: 'uploading',
    };
    progress.active.push(active);
    this.#changed();
    const byPath = new Map<string, PlannedFile>();
    const mhlOutcomes = new Map<PlannedFile, MhlOutcome>();
    const batch: BatchFile[] = [];
    for (const file of files) {
      byPath.set(file.path, file);
      this.#fileStart(file);
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
          this.#mhlMismatch(file, sha256, outcome);
          throw new MediavaultError('mhl_mismatch', `${mismatchText(outcome)}; not sent, not promoted`);
        },
        ...(this.#promote ? { promote: this.#mapping(file) } : {}),
      });
    }
    const sent = (bytes: number) => {
      this.#bytesInFlight.set(active, (this.#bytesInFlight.get(active) ?? 0) + bytes);
      active.bytesDone += bytes;
      progress.bytesSent += bytes;
      progress.bytesDone += bytes;
      this.#changed();
    };
    let results: Awaited<ReturnType<typeof uploadFileBatch>>;
    const askedAt = Date.now();
    try {
      // Never throws for one file: each settles in its result.
      results = await uploadFileBatch(this.#client, {
        projectId: this.#options.projectId,
        files: batch,
        memory: this.#batchMemory,
        concurrency: Math.min(
          16,
          Math.max(1, this.#options.parallel ?? 4) * Math.max(1, this.#options.concurrency ?? 4),
        ),
        // No journal entry until the file is done: the api finds an unfinished upload of the same file by its content.
        // No journal write here: a resumed whole-object upload learns from the api whether its PUT landed (and with which sha256).
        onSent: (b, part) =>
          this.#emit(
            { event: 'part', path: b.path, partNumber: 1, size: part.size, status: 'sent' },
            { kind: 'file', file: byPath.get(b.path)! },
          ),
        onBytes: sent,
      });
    } catch (err) {
      // The batch as a whole could not run (e.g. the api went away): every file of it failed.
      for (const file of files) this.#fail(file, null, errorFields(err));
      return;
    } finally {
      this.#bytesInFlight.delete(active);
      // Files deduplicated or failed sent nothing, and are done with all the same.
      progress.bytesDone += Math.max(0, active.size - active.bytesDone);
      progress.active = progress.active.filter((a) => a !== active);
      this.#changed();
    }

    for (const result of results) {
      const file = byPath.get(result.path)!;
      const mhlOutcome = mhlOutcomes.get(file);
      const mhl = mhlOutcome ? mhlSummary(mhlOutcome) : undefined;
      const counts: SendCounts = {
        bytesSent: result.bytesSent,
        partsSent: result.uploadId ? 1 : 0,
        partsAlreadyStored: 0,
        ...(mhl ? { mhl } : {}),
      };
      this.#tally.bytes += result.bytesSent;
      const leave = () => {
        progress.finished++;
        this.#changed();
      };
      switch (result.status) {
        case 'failed':
          if (!result.uploadId) this.#journal.remove(this.#uploadSubject(file));
          this.#fail(file, result.sha256, errorFields(result.error));
          leave();
          break;
        case 'duplicate':
        case 'deduplicated': {
          this.#tally.deduplicated++;
          this.#emit(
            {
              event: 'dedup',
              path: file.path,
              sha256: result.sha256,
              assetId: result.assetId,
              versionId: result.versionId,
            },
            { kind: 'file', file },
          );
          if (result.status === 'deduplicated')
            this.#remember(file, {
              uploadId: null,
              state: 'promoted',
              sha256: result.sha256,
              assetId: result.assetId,
              versionId: result.versionId,
            });
          this.#finish(
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
          this.#tally.sent++;
          // Promoting: the next journal state is 'promoted'; a crash before it resumes from the upload id, which the api says is complete.
          if (result.status === 'uploaded') {
            this.#remember(file, { uploadId: result.uploadId, state: 'uploaded', sha256: result.sha256 });
            this.#finish(
              file,
              { path: file.path, sha256: result.sha256, assetId: null, versionId: null, status: 'uploaded' },
              { uploadId: result.uploadId, ...counts },
            );
            leave();
          } else {
            await this.#awaitPromotion(file, result.uploadId, result.sha256, counts, leave, askedAt);
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
  async #startPromotion(
    file: PlannedFile,
    uploadId: string,
    sha256: string,
    counts: SendCounts,
    leave: () => void,
  ): Promise<boolean> {
    const askedAt = Date.now();
    const answer = await this.#client.promote({ body: { uploadId, sha256, mapping: this.#mapping(file) } });
    if (answer.status !== 'promoting') {
      this.#promoted(file, uploadId, sha256, counts, answer.assetId, answer.versionId);
      return false;
    }
    await this.#awaitPromotion(file, uploadId, sha256, counts, leave, askedAt);
    return true;
  }

  #promoted(
    file: PlannedFile,
    uploadId: string,
    sha256: string,
    counts: SendCounts,
    assetId: string,
    versionId: string,
  ): void {
    this.#remember(file, { uploadId, state: 'promoted', sha256, assetId, versionId });
    this.#finish(file, { path: file.path, sha256, assetId, versionId, status: 'promoted' }, { uploadId, ...counts });
  }

  /** Hands the wait for a promotion job to the watcher once a slot is free; `leave` runs when it settles. */
  async #awaitPromotion(
    file: PlannedFile,
    uploadId: string,
    sha256: string,
    counts: SendCounts,
    leave: () => void,
    askedAt: number,
  ): Promise<void> {
    await new Promise<void>((started) => {
      const waiting = this.#promotionSlots(async () => {
        started();
        const active = this.progress.active.find((a) => a.path === file.path);
        if (active) active.phase = 'promoting';
        try {
          const promoted = await this.#watcher!.wait(uploadId, { since: askedAt });
          this.#promoted(file, uploadId, sha256, counts, promoted.assetId, promoted.versionId);
        } catch (err) {
          this.#fail(file, sha256, errorFields(err));
        } finally {
          leave();
        }
      });
      this.#promotions.push(waiting);
    });
  }

  /** A journal entry the server confirms: promoted already (or uploaded, when not promoting). */
  async #alreadyDone(file: PlannedFile, entry: JournalEntry): Promise<boolean> {
    const client = this.#client;
    const wanted = this.#promote ? 'promoted' : 'uploaded';
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
    this.#tally.skipped++;
    this.#emit(
      { event: 'skip', path: file.path, reason: status, uploadId: entry.uploadId, sha256: entry.sha256 ?? null },
      { kind: 'file', file },
    );
    const outcome: FileOutcome = {
      path: file.path,
      sha256: entry.sha256 ?? null,
      assetId: entry.assetId ?? null,
      versionId: entry.versionId ?? null,
      status,
    };
    this.#outcomes.set(file.path, outcome);
    if (file.mhl && outcome.versionId) this.#verified(file.mhl.history, outcome.versionId);
    return true;
  }

  /** Each MHL file of a history becomes a sidecar of every version it verified (idempotent on the api). */
  async #storeSidecars(): Promise<void> {
    for (const [history, versionIds] of this.#verifiedVersions) {
      for (const mhlFile of history.files) {
        const source: IngestEventSource = { kind: 'sidecar', history, mhlFile };
        try {
          const content = await readFile(mhlFile);
          if (content.length > maxSidecarBytes)
            throw new MediavaultError(
              'mhl_too_large',
              `${mhlFile} is ${formatBytes(content.length)}; sidecars may be at most 10 MiB`,
            );
          const stored = await this.#client.createSidecar({
            body: {
              versionIds: [...new Set(versionIds)],
              kind: 'ascmhl',
              name: basename(mhlFile),
              content: content.toString('base64'),
            },
          });
          this.#emit(
            { event: 'sidecar', mhl: mhlFile, kind: 'ascmhl', sha256: stored.sha256, versions: versionIds.length },
            source,
          );
        } catch (err) {
          this.#tally.failed++;
          this.#emit({ event: 'error', path: mhlFile, ...errorFields(err) }, source);
        }
      }
    }
  }
}

/** Files matchArchivedContent takes per call. */
const maxMatchFiles = 1000;

async function fingerprintOfFile(file: PlannedFile): Promise<string> {
  const opened = await openFile(file.absolutePath, { size: file.size, mtimeMs: file.mtimeMs });
  try {
    return await fingerprintFile(opened.handle, opened.size);
  } finally {
    await opened.handle.close();
  }
}

function failedOutcome(path: string, sha256: string | null): FileOutcome {
  return { path, sha256, assetId: null, versionId: null, status: 'failed' };
}

function mismatchText(outcome: MhlOutcome): string {
  return `does not match its ASC MHL hashes (${outcome.mismatches.map((m) => `${m.format}: expected ${m.expected}, read ${m.actual}`).join('; ')})`;
}

function mhlSummary(outcome: MhlOutcome): string {
  return outcome.verified.length > 0
    ? `verified ${outcome.verified.join(', ')}`
    : `unverifiable (${outcome.unverifiable.join(', ')} only)`;
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
