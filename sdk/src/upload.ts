/**
 * Uploading one file into staging: presign, send its parts (or, for a file of
 * one part, hash it first so bytes already in masters are never sent), resume
 * an earlier upload, complete. Reading the file, the part URLs and the PUTs
 * themselves live in local-file.ts, part-urls.ts and presigned-put.ts.
 */
import { createHash } from 'node:crypto';
import { basename } from 'node:path';
import pLimit from 'p-limit';
import { ByteBudget } from './byte-budget.ts';
import type { MediavaultClient } from './client.ts';
import { MediavaultApiError, MediavaultError } from './errors.ts';
import { assertUnchanged, openFile, readExactly, readInto, type ByteObserver, type OpenFile } from './local-file.ts';
import { partUrlSource, type PartUrlSource } from './part-urls.ts';
import { pollUntil } from './polling.ts';
import { putWithRetry } from './presigned-put.ts';

export interface UploadProgress {
  path: string;
  name: string;
  totalBytes: number;
  /** Bytes handed to the network so far (a retried part counts once). */
  bytesSent: number;
  /** Bytes of parts the server already held when a resumed upload started (read and hashed, not sent). */
  bytesAlreadyStored: number;
  partsDone: number;
  partCount: number;
}

export interface PartEvent {
  partNumber: number;
  size: number;
  /** 'sent': PUT now; 'already-stored': the server held these exact bytes from an earlier run. */
  status: 'sent' | 'already-stored';
  etag: string;
  /** base64 sha256 of the part's bytes. */
  checksumSha256: string;
}

export interface UploadFileOptions {
  path: string;
  projectId: string;
  /** Asset file name as the api records it; default: the file's base name. */
  name?: string;
  contentType?: string;
  /** Parts in flight at once (default 4). */
  concurrency?: number;
  /**
   * Preferred part size in bytes (default 16 MiB, ≥ 5 MiB); the api may choose a
   * larger one so a big file stays within 10,000 parts. A file no larger than
   * this is one part: it is read into memory and hashed before presigning, so
   * bytes already in masters are never sent (dedup at no extra read).
   */
  partSize?: number;
  /**
   * The file's sha256 when the caller already knows it: presign then answers
   * "duplicate" for bytes already in masters and nothing is sent. The bytes read
   * are still hashed and must match, or the upload is not completed.
   */
  sha256?: string;
  /** Attempts per part on network errors and 5xx answers (default 3). */
  partAttempts?: number;
  /**
   * Caps the bytes of parts held in memory; share one budget between concurrent
   * uploads to cap them all together. Default: a budget of 256 MiB for this call.
   */
  memory?: ByteBudget;
  /** Fed every byte of the file in order, once (not when the file turns out to be a duplicate before it is read). */
  observers?: ByteObserver[];
  /**
   * Continue an upload started earlier (its id from a resume journal). The api
   * is asked which parts it holds; those parts are read and hashed again (the
   * whole-file sha256 cannot be saved half-way and resumed) but only sent again
   * when the server lacks them or holds other bytes. An upload that no longer
   * exists, expired, or has another size is replaced by a new one.
   */
  resume?: { uploadId: string; partChecksums?: Record<string, string> };
  /** The size and mtime the caller saw when it planned the upload; a file that differs fails with `file_changed`. */
  expect?: { size: number; mtimeMs: number };
  signal?: AbortSignal;
  onProgress?: (progress: UploadProgress) => void;
  /** A new upload exists on the server (journal it to resume after a crash). */
  onStarted?: (upload: {
    uploadId: string;
    partSize: number;
    partCount: number;
    size: number;
    mtimeMs: number;
  }) => void;
  /** A part is stored on the server, sent now or found there by a resume. */
  onPart?: (part: PartEvent) => void;
}

export interface UploadStats {
  size: number;
  name: string;
  mtimeMs: number;
}

export type UploadFileResult =
  | (UploadStats & {
      status: 'uploaded';
      uploadId: string;
      sha256: string;
      stagingKey: string;
      partCount: number;
      bytesSent: number;
      partsSent: number;
      partsAlreadyStored: number;
      /** The upload id resumed, or null for a new upload (also when the one to resume was gone). */
      resumedFrom: string | null;
    })
  | (UploadStats & {
      status: 'duplicate';
      uploadId: null;
      sha256: string;
      assetId: string;
      versionId: string;
      bytesSent: 0;
      partsSent: 0;
      partsAlreadyStored: 0;
      resumedFrom: null;
    });

export const defaultPartSize = 16 * 1024 ** 2;
const minPartSize = 5 * 1024 ** 2;
const defaultMemoryBudget = 256 * 1024 ** 2;
/** A resumed upload is replaced when it expires sooner than this (its URLs would die mid-way). */
const resumeMinimumLifeMs = 60_000;
/** How long another run's completion of the same upload is waited for. */
const completionWaitMs = 60_000;

/**
 * Uploads one file into staging through presigned multipart URLs, reading it
 * once: each part is read in order, fed into the whole-file sha256 (and the
 * observers), hashed on its own for the part's x-amz-checksum-sha256, and sent
 * while the next parts are read — at most `concurrency` parts in flight and
 * no more bytes in memory than `memory` allows. The returned sha256 is what
 * promote needs. The file must not change while it is read (size and mtime are
 * compared before completing). When another run completes (or promotes) the
 * same upload meanwhile — a concurrent run, or an earlier one left running —
 * nothing more is sent: the rest of the file is read and hashed, and the result
 * is 'uploaded' with that upload's staging key.
 */
export async function uploadFile(client: MediavaultClient, options: UploadFileOptions): Promise<UploadFileResult> {
  const name = options.name ?? basename(options.path);
  const file = await openFile(options.path, options.expect);
  try {
    const memory = options.memory ?? new ByteBudget(defaultMemoryBudget);
    const stats: UploadStats = { size: file.size, name, mtimeMs: file.mtimeMs };
    const wantedPartSize = Math.max(minPartSize, options.partSize ?? defaultPartSize);

    if (options.resume) {
      const resumed = await resumableUpload(client, options.resume.uploadId, file.size, options.signal);
      if (resumed?.status === 'uploading') {
        const stored = new Map((resumed.uploadedParts ?? []).map((p) => [p.partNumber, p]));
        return await sendParts(client, options, file, stats, memory, {
          uploadId: resumed.id,
          partSize: resumed.partSize,
          partCount: resumed.partCount,
          stored,
          resumedFrom: resumed.id,
        });
      }
      if (resumed) {
        // Completed before the crash: only the sha256 is missing, which takes a read but no sending.
        const sha256 = await hashOpenFile(file, options);
        await assertUnchanged(file, options.path);
        return {
          status: 'uploaded',
          ...stats,
          uploadId: resumed.id,
          sha256,
          stagingKey: resumed.stagingKey,
          partCount: resumed.partCount,
          bytesSent: 0,
          partsSent: 0,
          partsAlreadyStored: resumed.partCount,
          resumedFrom: resumed.id,
        };
      }
    }

    if (file.size <= wantedPartSize) return await sendSinglePart(client, options, file, stats, memory, wantedPartSize);

    const presigned = await client.presignUpload(
      {
        body: {
          name,
          size: file.size,
          projectId: options.projectId,
          contentType: options.contentType,
          sha256: options.sha256,
          partSize: wantedPartSize,
        },
      },
      { signal: options.signal },
    );
    if (presigned.status === 'duplicate') return duplicateResult(stats, presigned);
    options.onStarted?.({
      uploadId: presigned.uploadId,
      partSize: presigned.partSize,
      partCount: presigned.partCount,
      size: file.size,
      mtimeMs: file.mtimeMs,
    });
    return await sendParts(client, options, file, stats, memory, {
      uploadId: presigned.uploadId,
      partSize: presigned.partSize,
      partCount: presigned.partCount,
      stored: new Map(),
      resumedFrom: null,
    });
  } finally {
    await file.handle.close();
  }
}

type UploadState = Awaited<ReturnType<MediavaultClient['getUpload']>>;

/**
 * Whether a refused step (a part URL, a part PUT, the completion) means that another run — a
 * concurrent one, or an earlier one left running — completed or promoted this upload: the
 * upload as the api now has it when so, else null (the refusal is a failure of this run).
 * The store refusing a part of an upload the catalogue still has as uploading, or a completion
 * failing so, is another run's completion under way (it assembles the parts, then records the
 * upload as uploaded): that is waited for.
 */
export async function doneElsewhere(
  client: MediavaultClient,
  uploadId: string,
  refusal: unknown,
  signal: AbortSignal | undefined,
): Promise<UploadState | null> {
  if (!(refusal instanceof MediavaultApiError) || refusal.status < 400 || refusal.status >= 500) return null;
  const read = () => client.getUpload({ params: { uploadId } }, { signal });
  const settled = (upload: UploadState | null) =>
    upload && ['uploaded', 'promoting', 'promoted'].includes(upload.status) ? upload : null;
  const now = await read().catch(() => null);
  if (now?.status !== 'uploading') return settled(now);
  if (!mayBeCompletionUnderWay(refusal)) return null;
  return pollUntil(
    `another run's completion of upload ${uploadId}`,
    async () => {
      const upload = await read();
      return upload.status === 'uploading' ? undefined : upload;
    },
    { timeoutMs: completionWaitMs, signal },
  ).then(settled, () => null);
}

/**
 * Whether a refusal met while the catalogue still has the upload as uploading may be another
 * run's completion under way: the store no longer knows the upload's parts (a part PUT, or the
 * api asked for a part URL, answered 404: the parts are being assembled), or a completion failed.
 */
export function mayBeCompletionUnderWay(refusal: MediavaultApiError): boolean {
  if (refusal.operation === 'completeUpload') return true;
  return refusal.status === 404 && (refusal.operation === 'uploadPart' || refusal.operation === 'presignUploadParts');
}

/** Completes an upload; when another run completed or promoted it first, answers its state all the same. */
async function complete(
  client: MediavaultClient,
  uploadId: string,
  parts: { partNumber: number; etag: string; checksumSha256: string }[],
  signal: AbortSignal | undefined,
): Promise<{ stagingKey: string }> {
  try {
    return await client.completeUpload({ params: { uploadId }, body: { parts } }, { signal });
  } catch (err) {
    const upload = await doneElsewhere(client, uploadId, err, signal);
    if (!upload) throw err;
    return upload;
  }
}

/** The earlier upload if it can still be used: uploading with time left, or already complete; else null. */
async function resumableUpload(
  client: MediavaultClient,
  uploadId: string,
  size: number,
  signal: AbortSignal | undefined,
): Promise<UploadState | null> {
  let upload: UploadState;
  try {
    upload = await client.getUpload({ params: { uploadId } }, { signal });
  } catch (err) {
    if (err instanceof MediavaultApiError && (err.status === 404 || err.status === 410)) return null;
    throw err;
  }
  if (upload.size !== size) return null;
  if (upload.status === 'uploading')
    return new Date(upload.expiresAt).getTime() - Date.now() > resumeMinimumLifeMs ? upload : null;
  return ['uploaded', 'promoting', 'promoted'].includes(upload.status) ? upload : null;
}

function duplicateResult(
  stats: UploadStats,
  answer: { sha256: string; assetId: string; versionId: string },
): UploadFileResult {
  return {
    status: 'duplicate',
    ...stats,
    uploadId: null,
    sha256: answer.sha256,
    assetId: answer.assetId,
    versionId: answer.versionId,
    bytesSent: 0,
    partsSent: 0,
    partsAlreadyStored: 0,
    resumedFrom: null,
  };
}

/**
 * A file of at most one part: read it whole, hash it (its part checksum is then
 * the file's own sha256), and presign with both — the api answers "duplicate"
 * for bytes already in masters, or one URL signed for exactly these bytes.
 */
async function sendSinglePart(
  client: MediavaultClient,
  options: UploadFileOptions,
  file: OpenFile,
  stats: UploadStats,
  memory: ByteBudget,
  wantedPartSize: number,
): Promise<UploadFileResult> {
  const { bytes, release } = await memory.buffer(file.size, options.signal);
  try {
    await readInto(file.handle, bytes, 0, options.path);
    const digest = createHash('sha256').update(bytes).digest();
    for (const observer of options.observers ?? []) observer.update(bytes);
    await assertUnchanged(file, options.path);
    const sha256 = digest.toString('hex');
    assertDeclaredSha(options, sha256);
    const checksum = digest.toString('base64');
    const presigned = await client.presignUpload(
      {
        body: {
          name: stats.name,
          size: file.size,
          projectId: options.projectId,
          contentType: options.contentType,
          sha256,
          partSize: wantedPartSize,
          partChecksums: [checksum],
        },
      },
      { signal: options.signal },
    );
    if (presigned.status === 'duplicate') return duplicateResult(stats, presigned);
    const { uploadId, partSize, partCount } = presigned;
    if (partCount !== 1)
      throw new MediavaultError(
        'unexpected_part_count',
        `the api split a ${file.size}-byte file into ${partCount} parts of ${partSize} bytes; expected one part`,
      );
    options.onStarted?.({ uploadId, partSize, partCount, size: file.size, mtimeMs: file.mtimeMs });
    const progress: UploadProgress = {
      path: options.path,
      name: stats.name,
      totalBytes: file.size,
      bytesSent: 0,
      bytesAlreadyStored: 0,
      partsDone: 0,
      partCount: 1,
    };
    const urls = partUrlSource(client, uploadId, options.signal);
    const firstUrl = presigned.parts.find((p) => p.partNumber === 1)?.url;
    let etag: string | null = null;
    try {
      etag = await sendPart(
        client,
        options,
        urls,
        { partNumber: 1, bytes, checksum, url: firstUrl ?? (await urls.forPart(1, checksum)) },
        progress,
      );
    } catch (err) {
      // Another run completed this upload meanwhile: nothing more to send.
      if (!(await doneElsewhere(client, uploadId, err, options.signal))) throw err;
    }
    if (etag) {
      options.onPart?.({ partNumber: 1, size: file.size, status: 'sent', etag, checksumSha256: checksum });
      progress.partsDone = 1;
      options.onProgress?.({ ...progress });
    }
    const done = etag
      ? await complete(client, uploadId, [{ partNumber: 1, etag, checksumSha256: checksum }], options.signal)
      : await client.getUpload({ params: { uploadId } }, { signal: options.signal });
    return {
      status: 'uploaded',
      ...stats,
      uploadId,
      sha256,
      stagingKey: done.stagingKey,
      partCount: 1,
      bytesSent: progress.bytesSent,
      partsSent: etag ? 1 : 0,
      partsAlreadyStored: 0,
      resumedFrom: null,
    };
  } finally {
    release();
  }
}

function assertDeclaredSha(options: UploadFileOptions, sha256: string): void {
  if (options.sha256 && options.sha256 !== sha256) {
    throw new MediavaultError(
      'checksum_mismatch',
      `${options.path} has sha256 ${sha256}, not the expected ${options.sha256}; the upload was not completed`,
      { details: { expected: options.sha256, actual: sha256 } },
    );
  }
}

interface StoredPart {
  partNumber: number;
  etag: string;
  size: number;
  /** base64 sha256 of the stored part, when the store knows it. */
  checksumSha256?: string;
}

/**
 * The part loop of a new or resumed upload. Parts the server already holds
 * (`stored`) are read and hashed like the others — the whole-file sha256 needs
 * every byte in order — and kept without sending when the bytes are the same:
 * the server's ETag is the part's MD5 on S3 (without SSE-KMS) and its sha256 on
 * fs; otherwise the journal's part checksum must match.
 */
async function sendParts(
  client: MediavaultClient,
  options: UploadFileOptions,
  file: OpenFile,
  stats: UploadStats,
  memory: ByteBudget,
  upload: {
    uploadId: string;
    partSize: number;
    partCount: number;
    stored: Map<number, StoredPart>;
    resumedFrom: string | null;
  },
): Promise<UploadFileResult> {
  const { uploadId, partSize, partCount, stored } = upload;
  const progress: UploadProgress = {
    path: options.path,
    name: stats.name,
    totalBytes: file.size,
    bytesSent: 0,
    bytesAlreadyStored: 0,
    partsDone: 0,
    partCount,
  };
  const report = () => options.onProgress?.({ ...progress });
  report();
  const urls = partUrlSource(client, uploadId, options.signal);
  const wholeFile = createHash('sha256');
  // Checksums go back on completion: a store that verified them (S3) wants each part's own.
  const completed: { partNumber: number; etag: string; checksumSha256: string }[] = [];
  let failure: unknown = null;
  let partsSent = 0;
  /** Set when another run completed or promoted this upload: the rest is read and hashed, not sent. */
  let completedElsewhere: Promise<UploadState | null> | null = null;
  // A part is read once a slot is free, so no more than `concurrency` parts are read ahead of the
  // network; reads take turns in part order, as the whole-file sha256 needs every byte in order.
  let readingTurn: Promise<void> = Promise.resolve();
  const limit = pLimit(Math.max(1, options.concurrency ?? 4));
  await limit.map(
    Array.from({ length: partCount }, (_, i) => i + 1),
    async (partNumber) => {
      const turn = readingTurn;
      let readDone!: () => void;
      readingTurn = new Promise((resolve) => {
        readDone = resolve;
      });
      let part: { bytes: Buffer; release(): void; checksum: string; length: number };
      try {
        await turn;
        if (failure) return;
        options.signal?.throwIfAborted();
        const offset = (partNumber - 1) * partSize;
        const length = Math.min(partSize, file.size - offset);
        const { bytes, release } = await memory.buffer(length, options.signal);
        try {
          await readInto(file.handle, bytes, offset, options.path);
        } catch (err) {
          release();
          throw err;
        }
        wholeFile.update(bytes);
        for (const observer of options.observers ?? []) observer.update(bytes);
        part = { bytes, release, length, checksum: createHash('sha256').update(bytes).digest('base64') };
      } catch (err) {
        failure ??= err;
        return;
      } finally {
        readDone();
      }
      const { bytes, release, length, checksum } = part;
      try {
        const earlier = stored.get(partNumber);
        if (
          earlier &&
          earlier.size === length &&
          sameBytes(earlier, bytes, checksum, options.resume?.partChecksums?.[partNumber])
        ) {
          completed.push({ partNumber, etag: earlier.etag, checksumSha256: checksum });
          progress.bytesAlreadyStored += length;
          progress.partsDone++;
          options.onPart?.({
            partNumber,
            size: length,
            status: 'already-stored',
            etag: earlier.etag,
            checksumSha256: checksum,
          });
          report();
          return;
        }
        if (completedElsewhere && (await completedElsewhere)) return;
        const url = await urls.forPart(partNumber, checksum);
        const etag = await sendPart(client, options, urls, { partNumber, bytes, checksum, url }, progress);
        completed.push({ partNumber, etag, checksumSha256: checksum });
        partsSent++;
        progress.partsDone++;
        options.onPart?.({ partNumber, size: length, status: 'sent', etag, checksumSha256: checksum });
        report();
      } catch (err) {
        completedElsewhere ??= doneElsewhere(client, uploadId, err, options.signal);
        if (!(await completedElsewhere)) failure ??= err;
      } finally {
        release();
      }
    },
  );
  if (failure) throw failure;
  await assertUnchanged(file, options.path);
  const sha256 = wholeFile.digest('hex');
  assertDeclaredSha(options, sha256);
  completed.sort((a, b) => a.partNumber - b.partNumber);
  const elsewhere = completedElsewhere && (await completedElsewhere);
  const done = elsewhere || (await complete(client, uploadId, completed, options.signal));
  return {
    status: 'uploaded',
    ...stats,
    uploadId,
    sha256,
    stagingKey: done.stagingKey,
    partCount,
    bytesSent: progress.bytesSent,
    partsSent,
    // Parts another run sent (once it completed the upload) count as found there.
    partsAlreadyStored: partCount - partsSent,
    resumedFrom: upload.resumedFrom,
  };
}

function sameBytes(stored: StoredPart, bytes: Buffer, checksum: string, journalChecksum: string | undefined): boolean {
  if (stored.checksumSha256) return stored.checksumSha256 === checksum;
  // The fs driver's part ETag is the part's sha256, S3's its MD5.
  const sha256 = /^"?([0-9a-f]{64})"?$/i.exec(stored.etag)?.[1];
  if (sha256) return Buffer.from(checksum, 'base64').toString('hex') === sha256.toLowerCase();
  const md5 = /^"?([0-9a-f]{32})"?$/i.exec(stored.etag)?.[1];
  if (md5) return createHash('md5').update(bytes).digest('hex') === md5.toLowerCase();
  return journalChecksum === checksum;
}

/** PUTs one part, retrying transient failures and replacing a refused (expired) URL once. */
async function sendPart(
  client: MediavaultClient,
  options: UploadFileOptions,
  urls: PartUrlSource,
  part: { partNumber: number; bytes: Buffer; checksum: string; url: string },
  progress: UploadProgress,
): Promise<string> {
  return putWithRetry(
    client,
    part.bytes,
    part.checksum,
    { url: part.url, refresh: () => urls.forPart(part.partNumber, part.checksum) },
    {
      attempts: options.partAttempts,
      signal: options.signal,
      onSent: (n) => {
        progress.bytesSent += n;
        options.onProgress?.({ ...progress });
      },
    },
  );
}

/** sha256 of an open file (and the observers fed), for a resumed upload that was complete already. */
async function hashOpenFile(file: OpenFile, options: UploadFileOptions): Promise<string> {
  const hash = createHash('sha256');
  const chunk = 4 * 1024 ** 2;
  for (let at = 0; at < file.size; at += chunk) {
    options.signal?.throwIfAborted();
    const bytes = await readExactly(file.handle, at, Math.min(chunk, file.size - at), options.path);
    hash.update(bytes);
    for (const observer of options.observers ?? []) observer.update(bytes);
  }
  return hash.digest('hex');
}
