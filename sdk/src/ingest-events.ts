/**
 * What an ingest reports: one typed event per step (the objects
 * `mediavault upload --json` prints, one per line, after an `event` key), live
 * progress for a display, and a summary at the end.
 */
import type { MhlMismatch } from './ascmhl.ts';
import type { ErrorFields } from './errors.ts';
import type { MhlHistory, PlannedFile, PlanSkip } from './ingest-plan.ts';

export type FileStatus =
  | 'uploaded'
  | 'duplicate'
  | 'promoted'
  | 'deduplicated'
  | 'already-uploaded'
  | 'already-promoted'
  | 'failed';

/** Where one file ended up. */
export interface FileOutcome {
  path: string;
  sha256: string | null;
  assetId: string | null;
  versionId: string | null;
  status: FileStatus;
}

/**
 * What a dry run would do with a file: send it, resume its upload, or nothing: done by an earlier
 * run, or already archived (a master of its size and fingerprint in a project the caller can
 * read: the run hashes it whole and, the archive confirming, sends nothing).
 */
export type DryRunAction = 'send' | 'resume' | 'already-uploaded' | 'already-promoted' | 'already-archived';

export type IngestEvent =
  /** Not sent: excluded, a symlink, an MHL document, not a file (from the plan). */
  | { event: 'skip'; path: string; reason: PlanSkip['reason']; detail?: string }
  /** Not sent: an earlier run did it, as the server confirms. */
  | {
      event: 'skip';
      path: string;
      reason: 'already-uploaded' | 'already-promoted';
      uploadId: string | null;
      sha256: string | null;
    }
  /** One file (or one MHL sidecar) failed; the others go on. */
  | ({ event: 'error'; path: string } & ErrorFields)
  | { event: 'file-start'; path: string; name: string; size: number; collectionPath?: string; resume?: string }
  | { event: 'part'; path: string; partNumber: number; size: number; status: 'sent' | 'already-stored' }
  /** The bytes are already in the archive: nothing was sent. */
  | { event: 'dedup'; path: string; sha256: string; assetId: string; versionId: string }
  /** The bytes read differ from the ASC MHL's hashes: the file is neither sent nor promoted. */
  | {
      event: 'mhl-mismatch';
      path: string;
      sha256: string;
      mhl: string[];
      mhlPath: string;
      mismatches: MhlMismatch[];
    }
  | ({ event: 'file-done' } & FileOutcome & {
        size: number;
        collectionPath?: string;
        uploadId: string | null;
        bytesSent: number;
        partsSent: number;
        /** null when an earlier run completed the upload and only its promotion was left. */
        partsAlreadyStored: number | null;
        /** How the file checked against its ASC MHL: `verified xxh64, md5` or `unverifiable (…)`. */
        mhl?: string;
      })
  /** An ASC MHL stored as a sidecar of the versions it verified. */
  | { event: 'sidecar'; mhl: string; kind: 'ascmhl'; sha256: string; versions: number }
  /** Dry run only. */
  | {
      event: 'would-send';
      path: string;
      name: string;
      size: number;
      action: DryRunAction;
      collectionPath?: string;
      mhl?: string[];
    };

/**
 * What an event is about, for a listener that renders it: the plan (skips and
 * problems found while walking the paths), one planned file, or an MHL file
 * being stored as a sidecar.
 */
export type IngestEventSource =
  | { kind: 'plan' }
  | { kind: 'file'; file: PlannedFile }
  | { kind: 'sidecar'; history: MhlHistory; mhlFile: string };

export interface IngestSummary {
  /** Every file's outcome in plan order (after an interruption: of the files done). */
  files: FileOutcome[];
  sent: number;
  deduplicated: number;
  skipped: number;
  failed: number;
  /** Bytes sent over the network. */
  bytes: number;
  elapsedMs: number;
  bytesPerSecond: number;
  peakRssBytes: number;
  /** Set when the summary was asked for mid-run (the signal that stopped it). */
  interrupted?: string;
}

export interface DryRunSummary {
  dryRun: true;
  files: number;
  /** Bytes that would be read and sent (files to send or resume). */
  bytes: number;
  /** Files already archived (none asked with dedup off). */
  archived: number;
  skipped: number;
  failed: number;
}

/** A file (or a batch of small files) in flight. */
export interface ActiveFile {
  path: string;
  size: number;
  /** Bytes read and stored (sent, or found on the server). */
  bytesDone: number;
  phase: 'reading' | 'hashing' | 'uploading' | 'resuming' | 'promoting';
}

/** Live progress of a run, for a progress display; the same object is updated and handed out on every change. */
export interface IngestProgress {
  totalFiles: number;
  totalBytes: number;
  /** Bytes of the planned files that are done (sent, already stored, deduplicated). */
  bytesDone: number;
  /** Bytes actually sent over the network. */
  bytesSent: number;
  finished: number;
  failed: number;
  active: ActiveFile[];
}
