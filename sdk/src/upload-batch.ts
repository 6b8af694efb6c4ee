/**
 * Small files in bulk: read and hash each file whole, start them all with one
 * presignUploadBatch call (bytes already in masters are not sent), PUT each file
 * in one request signed for its sha256, then complete (and promote) them all
 * with one completeUploadBatch call. For a folder of stills or sidecar files this
 * is two api calls per batch instead of four per file.
 */
import { createHash } from 'node:crypto';
import { basename } from 'node:path';
import pLimit from 'p-limit';
import { ByteBudget } from './byte-budget.ts';
import type { MediavaultClient } from './client.ts';
import { MediavaultError } from './errors.ts';
import { assertUnchanged, openFile, readInto, type ByteObserver } from './local-file.ts';
import { putWithRetry } from './presigned-put.ts';
import { doneElsewhere } from './upload.ts';
import type { PromoteMapping } from './promote.ts';

/** The most files and bytes the api takes in one batch (presignUploadBatch). */
export const maxBatchFiles = 500;
export const maxBatchFileBytes = 64 * 1024 ** 2;

export interface BatchFile {
  path: string;
  /** Asset file name as the api records it; default: the file's base name. */
  name?: string;
  contentType?: string;
  /** The size and mtime seen when planning; a file that differs fails with `file_changed`. */
  expect?: { size: number; mtimeMs: number };
  /** Fed the file's bytes once, in order, when it is read. */
  observers?: ByteObserver[];
  /**
   * Called once the file is read and hashed, before anything about it is sent:
   * throw to fail the file without sending it (e.g. it does not match its ASC MHL).
   */
  verify?(sha256: string): void;
  /** Promote the file once stored (or, when already in masters, create its asset/version at once). */
  promote?: PromoteMapping;
}

export type BatchFileResult = { path: string; name: string; size: number } & (
  | { status: 'uploaded' | 'promoting'; uploadId: string; sha256: string; bytesSent: number }
  | {
      status: 'duplicate' | 'deduplicated';
      uploadId: null;
      sha256: string;
      assetId: string;
      versionId: string;
      bytesSent: 0;
    }
  | { status: 'failed'; uploadId: string | null; sha256: string | null; error: unknown; bytesSent: number }
);

export interface UploadBatchOptions {
  projectId: string;
  files: BatchFile[];
  /** Files read, and PUTs in flight, at once (default 8). */
  concurrency?: number;
  /** Caps the bytes of files held in memory (default: a budget of 64 MiB for this call). */
  memory?: ByteBudget;
  /** Attempts per PUT on network errors and 5xx answers (default 3). */
  attempts?: number;
  signal?: AbortSignal;
  /** An upload exists on the server for this file (journal it to resume after a crash). */
  onStarted?(file: BatchFile, upload: { uploadId: string; size: number; mtimeMs: number }): void;
  /** The file's bytes are stored (its one PUT answered). */
  onSent?(file: BatchFile, sent: { uploadId: string; etag: string; checksumSha256: string; size: number }): void;
  /** Bytes handed to the network (negative when a failed attempt takes them back). */
  onBytes?(bytes: number): void;
}

interface ReadFile {
  file: BatchFile;
  name: string;
  size: number;
  mtimeMs: number;
  sha256: string;
  bytes: Buffer;
  release(): void;
}

/**
 * Uploads up to 500 files of at most 64 MiB each. Every file gets its own
 * result, in the order given: one file failing (unreadable, changed while read,
 * refused by `verify`, a PUT that kept failing) never fails the others. The
 * promotions themselves run as jobs: results with status 'promoting' are
 * awaited by the caller (createPromotionWatcher).
 */
export async function uploadFileBatch(
  client: MediavaultClient,
  options: UploadBatchOptions,
): Promise<BatchFileResult[]> {
  const { files } = options;
  if (files.length > maxBatchFiles)
    throw new RangeError(`a batch takes at most ${maxBatchFiles} files, got ${files.length}`);
  const concurrency = Math.max(1, options.concurrency ?? 8);
  const memory = options.memory ?? new ByteBudget(maxBatchFileBytes);
  const results = new Map<BatchFile, BatchFileResult>();
  const failed = (
    file: BatchFile,
    error: unknown,
    extra: { name?: string; size?: number; sha256?: string | null; uploadId?: string | null; bytesSent?: number } = {},
  ) => {
    results.set(file, {
      path: file.path,
      name: extra.name ?? file.name ?? basename(file.path),
      size: extra.size ?? file.expect?.size ?? 0,
      status: 'failed',
      uploadId: extra.uploadId ?? null,
      sha256: extra.sha256 ?? null,
      error,
      bytesSent: extra.bytesSent ?? 0,
    });
  };

  // Reading keeps the bytes until their PUT is done: the memory budget bounds a batch of large files.
  const read: ReadFile[] = [];
  await pLimit(concurrency).map(files, async (file) => {
    try {
      read.push(await readWhole(file, memory, options.signal));
    } catch (err) {
      if (options.signal?.aborted) throw err;
      failed(file, err);
    }
  });
  read.sort((a, b) => files.indexOf(a.file) - files.indexOf(b.file));

  try {
    if (read.length === 0) return files.map((f) => results.get(f)!);
    const presigned = await client.presignUploadBatch(
      {
        body: {
          projectId: options.projectId,
          files: read.map((r) => ({
            name: r.name,
            size: r.size,
            sha256: r.sha256,
            ...(r.file.contentType ? { contentType: r.file.contentType } : {}),
          })),
        },
      },
      { signal: options.signal },
    );

    const toSend: { read: ReadFile; uploadId: string; url: string; checksum: string }[] = [];
    const sent: { read: ReadFile; uploadId: string; etag?: string; bytesSent: number }[] = [];
    const duplicates: { read: ReadFile; assetId: string; versionId: string }[] = [];
    presigned.files.forEach((answer, i) => {
      const r = read[i]!;
      if (answer.status === 'duplicate') {
        r.release();
        duplicates.push({ read: r, assetId: answer.assetId, versionId: answer.versionId });
      } else {
        options.onStarted?.(r.file, { uploadId: answer.uploadId, size: r.size, mtimeMs: r.mtimeMs });
        if (answer.stored) {
          // An earlier run's upload of this very file, whose bytes the store holds: nothing to send.
          r.release();
          sent.push({ read: r, uploadId: answer.uploadId, bytesSent: 0 });
        } else {
          toSend.push({ read: r, uploadId: answer.uploadId, url: answer.url, checksum: answer.checksumSha256 });
        }
      }
    });

    await pLimit(concurrency).map(toSend, async ({ read: r, uploadId, url, checksum }) => {
      let bytesSent = 0;
      try {
        const etag = await putWithRetry(
          client,
          r.bytes,
          checksum,
          {
            url,
            refresh: async () =>
              (
                await client.presignUploadParts(
                  { params: { uploadId }, body: { parts: [{ partNumber: 1, checksumSha256: checksum }] } },
                  { signal: options.signal },
                )
              ).parts[0]!.url,
          },
          {
            attempts: options.attempts,
            signal: options.signal,
            onSent: (n) => {
              bytesSent += n;
              options.onBytes?.(n);
            },
          },
        );
        options.onSent?.(r.file, { uploadId, etag, checksumSha256: checksum, size: r.size });
        sent.push({ read: r, uploadId, etag, bytesSent });
      } catch (err) {
        if (options.signal?.aborted) throw err;
        // Another run completed (or promoted) this upload meanwhile: the batch completion says how it stands.
        if (await doneElsewhere(client, uploadId, err, options.signal)) sent.push({ read: r, uploadId, bytesSent });
        else failed(r.file, err, { name: r.name, size: r.size, sha256: r.sha256, uploadId, bytesSent });
      } finally {
        r.release();
      }
    });

    if (sent.length > 0) {
      sent.sort((a, b) => files.indexOf(a.read.file) - files.indexOf(b.read.file));
      const completed = await client.completeUploadBatch(
        {
          body: {
            uploads: sent.map((s) => ({
              uploadId: s.uploadId,
              ...(s.etag ? { etag: s.etag } : {}),
              ...(s.read.file.promote ? { promote: s.read.file.promote } : {}),
            })),
          },
        },
        { signal: options.signal },
      );
      completed.uploads.forEach((answer, i) => {
        const { read: r, uploadId, bytesSent } = sent[i]!;
        const common = { path: r.file.path, name: r.name, size: r.size };
        if (
          answer.error ||
          answer.status === 'failed' ||
          answer.status === 'aborted' ||
          answer.status === 'uploading'
        ) {
          const error = new MediavaultError(
            answer.error?.code ?? 'upload_not_completed',
            answer.error?.message ?? `the upload is ${answer.status}`,
            { details: { uploadId, status: answer.status } },
          );
          failed(r.file, error, { name: r.name, size: r.size, sha256: r.sha256, uploadId, bytesSent });
        } else {
          results.set(r.file, {
            ...common,
            status: answer.status === 'uploaded' ? 'uploaded' : 'promoting',
            uploadId,
            sha256: r.sha256,
            bytesSent,
          });
        }
      });
    }

    // Bytes already in masters: nothing was sent; with a mapping the asset/version is made now.
    for (const { read: r, assetId, versionId } of duplicates) {
      const common = {
        path: r.file.path,
        name: r.name,
        size: r.size,
        uploadId: null,
        sha256: r.sha256,
        bytesSent: 0 as const,
      };
      if (!r.file.promote) {
        results.set(r.file, { ...common, status: 'duplicate', assetId, versionId });
        continue;
      }
      try {
        const promoted = await client.promote(
          { body: { sha256: r.sha256, mapping: { projectId: options.projectId, ...r.file.promote } } },
          { signal: options.signal },
        );
        if (promoted.status === 'promoting')
          throw new MediavaultError(
            'unexpected_answer',
            'the api started a promotion job for bytes already in masters',
          );
        results.set(r.file, {
          ...common,
          status: 'deduplicated',
          assetId: promoted.assetId,
          versionId: promoted.versionId,
        });
      } catch (err) {
        if (options.signal?.aborted) throw err;
        failed(r.file, err, { name: r.name, size: r.size, sha256: r.sha256 });
      }
    }
  } catch (err) {
    // The batch call itself failed: every file not settled yet fails with it (nothing is lost: nothing was completed).
    if (options.signal?.aborted) throw err;
    for (const r of read) {
      r.release();
      if (!results.has(r.file)) failed(r.file, err, { name: r.name, size: r.size, sha256: r.sha256 });
    }
  }
  return files.map((f) => results.get(f)!);
}

/** Reads a file whole (under the memory budget), hashing it and feeding the observers once. */
async function readWhole(file: BatchFile, memory: ByteBudget, signal: AbortSignal | undefined): Promise<ReadFile> {
  const name = file.name ?? basename(file.path);
  const open = await openFile(file.path, file.expect);
  try {
    if (open.size > maxBatchFileBytes)
      throw new MediavaultError(
        'file_too_large_for_batch',
        `${file.path} is ${open.size} bytes; files over ${maxBatchFileBytes} bytes go through uploadFile`,
      );
    const { bytes, release } = await memory.buffer(open.size, signal);
    try {
      await readInto(open.handle, bytes, 0, file.path);
      await assertUnchanged(open, file.path);
      for (const observer of file.observers ?? []) observer.update(bytes);
      const sha256 = createHash('sha256').update(bytes).digest('hex');
      file.verify?.(sha256);
      return { file, name, size: open.size, mtimeMs: open.mtimeMs, sha256, bytes, release };
    } catch (err) {
      release();
      throw err;
    }
  } finally {
    await open.handle.close();
  }
}
